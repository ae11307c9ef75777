import RacecarKafka
import RacecarPluginHosting

/// Why a consumer's run ended with an error.
package enum RuntimeError: Error, CustomStringConvertible {
    /// The plugin's `create` failed.
    case createFailed(PluginCallError)
    /// Processing failed with `pause_timeout: 0`, which makes errors fatal.
    case processingFailed(String)
    /// librdkafka failed in a way the host cannot recover from.
    case kafka(KafkaError)

    package var description: String {
        switch self {
        case .createFailed(let error): error.description
        case .processingFailed(let message): "stopping because pause_timeout is 0: \(message)"
        case .kafka(let error): error.description
        }
    }
}
