/// Why an ``InFlightCallSlot`` file could not be created or opened.
package enum InFlightCallSlotError: Error, CustomStringConvertible, Equatable {
    /// A system call failed on the file: `operation` (`open`, `ftruncate`, `mmap`, ...) and
    /// `strerror`'s text.
    case system(path: String, operation: String, reason: String)
    /// The file is not a slot file this host can read: wrong magic number, another layout
    /// version, or shorter than its header says.
    case notASlotFile(path: String, reason: String)
    /// A slot file was asked for with fewer than one or more instances than it can hold.
    case instanceCountOutOfRange(requested: Int, maximum: Int)

    package var description: String {
        switch self {
        case .system(let path, let operation, let reason):
            "in-flight call slot \(path): \(operation) failed: \(reason)"
        case .notASlotFile(let path, let reason):
            "\(path) is not an in-flight call slot written by this racecar-host (\(reason)); "
                + "create it with InFlightCallSlot(creatingAt:) of the same version"
        case .instanceCountOutOfRange(let requested, let maximum):
            "an in-flight call slot holds 1 to \(maximum) instances, not \(requested)"
        }
    }
}
