import CRdKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`), kept so that callers can tell errors
/// apart without parsing text.
package struct KafkaErrorCode: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int32

    @inlinable package init(_ code: rd_kafka_resp_err_t) {
        rawValue = code.rawValue
    }

    var code: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

    /// librdkafka's symbolic name without the leading underscore, e.g. `FENCED_INSTANCE_ID`.
    package var name: String { String(cString: rd_kafka_err2name(code)) }

    /// librdkafka's description, e.g. "Broker: Static consumer fenced by other consumer with same group.instance.id".
    package var description: String { String(cString: rd_kafka_err2str(code)) }

    /// The end of a partition was reached: not a failure.
    package var isPartitionEOF: Bool { code == RD_KAFKA_RESP_ERR__PARTITION_EOF }
}

/// A failure reported by librdkafka, in words an operator can act on.
package enum KafkaError: Error, CustomStringConvertible {
    /// librdkafka rejected a configuration property.
    case invalidProperty(name: String, value: String, message: String)
    /// No broker answered within the socket timeout.
    case brokersUnreachable(brokers: String, code: KafkaErrorCode)
    /// No broker's host name resolves.
    case unresolvableBrokers(hosts: [String], reason: String)
    /// A stop was requested while waiting for the first broker: nothing was consumed yet.
    case stoppedBeforeConnecting
    /// A librdkafka call failed; `code` is librdkafka's where it gave one.
    case operationFailed(operation: String, code: KafkaErrorCode? = nil, message: String)
    /// librdkafka raised a fatal error; the client cannot continue.
    case fatal(code: KafkaErrorCode, message: String)
    /// A produced message was not delivered; `advice` says what an operator can do about it.
    case deliveryFailed(topic: String, code: KafkaErrorCode, advice: String?)

    package var description: String {
        switch self {
        case .invalidProperty(let name, let value, let message):
            return "librdkafka rejected property \(name)=\(value): \(message)"
        case .brokersUnreachable(let brokers, let code):
            return "cannot reach any Kafka broker at \(brokers): \(code) (check `brokers` / RACECAR_BROKERS)"
        case .unresolvableBrokers(let hosts, let reason):
            let names = hosts.joined(separator: ", ")
            return "cannot resolve the broker host name\(hosts.count == 1 ? "" : "s") \(names): \(reason) "
                + "(check `brokers` / RACECAR_BROKERS)"
        case .stoppedBeforeConnecting:
            return "stopped before a Kafka broker answered; nothing was consumed or committed"
        case .operationFailed(let operation, _, let message):
            return "\(operation) failed: \(message)"
        case .fatal(_, let message):
            return "fatal Kafka error: \(message)"
        case .deliveryFailed(let topic, let code, let advice):
            return "delivery to \(topic) failed: \(code)\(advice.map { " (\($0))" } ?? "")"
        }
    }

    /// A failed call, with librdkafka's code and its text.
    static func failed(_ operation: String, _ code: rd_kafka_resp_err_t) -> KafkaError {
        let wrapped = KafkaErrorCode(code)
        return .operationFailed(operation: operation, code: wrapped, message: wrapped.description)
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
