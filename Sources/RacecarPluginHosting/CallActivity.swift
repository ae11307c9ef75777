import Synchronization

/// Counts the calls into one plugin instance, so that another thread can tell how long the
/// call in progress has been running: the count is odd while a call runs. A sampler that sees
/// the same odd count twice knows one call spanned both looks.
///
/// Only the thread calling the instance writes, so each edge is a plain load and store, never
/// a locked read-modify-write.
package final class CallActivity: Sendable {
    private let count = Atomic<UInt64>(0)

    package init() {}

    @inline(__always)
    func step() {
        count.store(count.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// The count now: odd while a call is in progress.
    package var current: UInt64 { count.load(ordering: .relaxed) }
}
