import Synchronization

/// Control commands from the endpoint's threads to the polling thread, which drains them on
/// every pass: one relaxed load per pass while nothing is waiting.
package final class ControlInbox: Sendable {
    private let commands = Mutex<[ControlCommand]>([])
    private let hasCommands = Atomic<Bool>(false)

    package init() {}

    /// Queues `command` for the next pass of the loop.
    package func post(_ command: ControlCommand) {
        commands.withLock { $0.append(command) }
        hasCommands.store(true, ordering: .releasing)
    }

    func drain() -> [ControlCommand] {
        guard hasCommands.load(ordering: .acquiring) else { return [] }
        return commands.withLock { commands in
            hasCommands.store(false, ordering: .relaxed)
            defer { commands.removeAll() }
            return commands
        }
    }
}
