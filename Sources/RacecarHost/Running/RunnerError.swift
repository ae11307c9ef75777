/// Why a run ended with an error.
public enum RunnerError: Error, CustomStringConvertible {
    /// The plugin's `create` failed.
    case createFailed(consumer: String, message: String)
    /// Processing failed with `pause_timeout: 0`, which makes errors fatal.
    case processingFailed(String)
    /// librdkafka failed in a way the host cannot recover from.
    case kafka(KafkaError)

    public var description: String {
        switch self {
        case .createFailed(let consumer, let message): "\(consumer) failed to start: \(message)"
        case .processingFailed(let message): "stopping because pause_timeout is 0: \(message)"
        case .kafka(let error): error.description
        }
    }
}
