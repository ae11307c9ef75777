/// Why a log output or metrics backend could not be set up. The caller adds which
/// configuration key and source asked for it.
package enum InstrumentationError: Error, Equatable, CustomStringConvertible {
    /// The log file cannot be opened for appending.
    case unwritableLogFile(path: String, reason: String)
    /// The metrics agent's host name does not resolve.
    case unresolvableHost(String, reason: String)

    package var description: String {
        switch self {
        case .unwritableLogFile(let path, let reason): "cannot write to \(path): \(reason)"
        case .unresolvableHost(let host, let reason): "cannot resolve \(host): \(reason)"
        }
    }
}
