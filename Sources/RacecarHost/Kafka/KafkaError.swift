import CRdKafka

/// A failure reported by librdkafka, in words an operator can act on.
public enum KafkaError: Error, CustomStringConvertible {
    /// librdkafka rejected a configuration property.
    case invalidProperty(name: String, value: String, message: String)
    /// No broker answered within the socket timeout.
    case brokersUnreachable(brokers: String, message: String)
    /// A librdkafka call failed.
    case operationFailed(operation: String, message: String)
    /// librdkafka raised a fatal error; the client cannot continue.
    case fatal(message: String)

    public var description: String {
        switch self {
        case .invalidProperty(let name, let value, let message):
            return "librdkafka rejected property \(name)=\(value): \(message)"
        case .brokersUnreachable(let brokers, let message):
            return "cannot reach any Kafka broker at \(brokers): \(message) (check `brokers` / RACECAR_BROKERS)"
        case .operationFailed(let operation, let message):
            return "\(operation) failed: \(message)"
        case .fatal(let message):
            return "fatal Kafka error: \(message)"
        }
    }

    static func message(_ code: rd_kafka_resp_err_t) -> String {
        String(cString: rd_kafka_err2str(code))
    }

    /// The text of an `rd_kafka_error_t`, which this destroys.
    static func message(consuming error: OpaquePointer) -> String {
        defer { rd_kafka_error_destroy(error) }
        return String(cString: rd_kafka_error_string(error))
    }
}
