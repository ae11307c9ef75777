/// Metadata keys with a meaning of their own to the log handlers.
package enum LogField {
    /// Why something failed. The text format leaves it out, as the message already says it.
    package static let error = "error"
    /// The facility of one of librdkafka's own lines (`FETCH`, `CGRPOP`, ...), set by the Kafka
    /// layer, which cannot name this constant. The text format writes such lines as
    /// `librdkafka FACILITY: message`, as librdkafka's lines always read.
    package static let facility = "facility"
}
