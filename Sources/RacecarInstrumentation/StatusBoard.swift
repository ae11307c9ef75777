import Synchronization

/// Where the poll loop publishes its latest ``HostStatus`` for readers on other threads (the
/// HTTP endpoint, the status file writer): one lock held for a copy, so the loop never waits
/// on a reader.
package final class StatusBoard: Sendable {
    private let latest = Mutex<HostStatus?>(nil)

    package init() {}

    /// Replaces the published status.
    package func publish(_ status: HostStatus) {
        latest.withLock { $0 = status }
    }

    /// The last status published; `nil` before the loop published one.
    package var current: HostStatus? { latest.withLock { $0 } }
}
