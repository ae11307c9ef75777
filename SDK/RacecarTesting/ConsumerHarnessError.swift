/// Why a ``ConsumerHarness`` call failed other than with the consumer's own error.
public enum ConsumerHarnessError: Error, CustomStringConvertible {
    /// racecar-host would never make this call; the reason says why and what to call instead.
    case notCalledByHost(String)
    /// An entry point returned `RACECAR_ERROR` with this message in the error buffer, but without
    /// a Swift error to rethrow. The SDK's entry points always leave one, so this points at a
    /// consumer built some other way.
    case consumerFailed(message: String)
    /// The consumer declares a required setting that the test did not give; the host would
    /// refuse to start.
    case missingSetting(consumer: String, setting: String)

    public var description: String {
        switch self {
        case .notCalledByHost(let reason): "the host would not make this call: \(reason)"
        case .consumerFailed(let message): "the consumer failed without a Swift error: \(message)"
        case .missingSetting(let consumer, let setting):
            "\(consumer) requires setting `\(setting)`: pass it in the harness's settings"
        }
    }
}
