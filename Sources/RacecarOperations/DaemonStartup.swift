import Foundation
import Synchronization

/// How a daemon tells the process that started it whether it came up: once, through the pipe
/// ``Daemon/detach(logfile:)`` left open, "ready" when it consumes or the failure that stopped it.
package final class DaemonStartup: Sendable {
    /// A failure as it crosses the pipe: `failed <status> <message>`.
    struct Failure {
        let status: Int32
        let message: String

        init?(parsing text: String) {
            let parts = text.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, parts[0] == "failed", let status = Int32(parts[1]) else { return nil }
            self.status = status
            message = String(parts[2]).trimmingCharacters(in: .newlines)
        }
    }

    private let descriptor: Int32
    private let reported = Atomic<Bool>(false)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The daemon consumes: the starting process exits 0. Later reports are ignored.
    package func ready() {
        report("ready\n")
    }

    /// The daemon is stopping with `message`: the starting process prints it and exits with `status`.
    package func failed(_ message: String, status: Int32) {
        report("failed \(status) \(message)\n")
    }

    private func report(_ text: String) {
        // Only the first report counts: it closes the pipe, whose number may be reused later.
        guard !reported.exchange(true, ordering: .relaxed) else { return }
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }
}
