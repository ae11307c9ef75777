import Synchronization

/// A request to stop consuming gracefully, from a signal, a fatal failure or the service
/// lifecycle; checked between messages.
package final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    package init() {}

    /// Whether a stop was requested: one relaxed load.
    package var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Requests a graceful stop.
    package func request() {
        requested.store(true, ordering: .relaxed)
    }
}
