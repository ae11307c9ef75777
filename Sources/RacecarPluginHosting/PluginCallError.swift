/// Why a call into a plugin's consumer failed in a way the host cannot go on from.
package enum PluginCallError: Error, CustomStringConvertible {
    /// The plugin's `create` failed, with the message it wrote.
    case createFailed(consumer: String, message: String)

    package var description: String {
        switch self {
        case .createFailed(let consumer, let message): "\(consumer) failed to start: \(message)"
        }
    }
}
