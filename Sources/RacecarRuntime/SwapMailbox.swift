import Foundation
import Synchronization

/// Hands a ``ConsumerSwap`` from whoever prepared it (the reload thread) to the poll loop, which
/// applies it between two passes, and the outcome back.
///
/// The loop's check is one relaxed atomic load per pass; one swap is pending at a time.
package final class SwapMailbox: Sendable {
    private let hasPending = Atomic<Bool>(false)
    private let state = Mutex<State>(State())
    private let answered = NSCondition()

    private struct State {
        var pending: ConsumerSwap?
        var outcome: SwapOutcome?
    }

    package init() {}

    /// Hands `swap` to the loop and waits until it applied it.
    ///
    /// - Parameter isRunning: Polled while waiting; once it returns `false` (the consumer
    ///   stopped), the swap is withdrawn if the loop has not taken it.
    package func submit(_ swap: ConsumerSwap, isRunning: () -> Bool) -> SwapOutcome {
        state.withLock {
            $0.pending = swap
            $0.outcome = nil
        }
        hasPending.store(true, ordering: .releasing)
        answered.lock()
        defer { answered.unlock() }
        while true {
            if let outcome = state.withLock({ $0.outcome }) { return outcome }
            if !isRunning() {
                let withdrawn = state.withLock { state -> Bool in
                    guard state.pending != nil else { return false }
                    state.pending = nil
                    return true
                }
                if withdrawn {
                    hasPending.store(false, ordering: .relaxed)
                    return .failed(reason: "the consumer stopped before the new version could be swapped in")
                }
            }
            _ = answered.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
    }

    /// The swap to apply, if one is pending: called by the loop once per pass.
    @inline(__always)
    package func take() -> ConsumerSwap? {
        guard hasPending.load(ordering: .relaxed) else { return nil }
        hasPending.store(false, ordering: .relaxed)
        return state.withLock { state in
            defer { state.pending = nil }
            return state.pending
        }
    }

    /// Reports how the swap that ``take()`` returned ended.
    package func finish(_ outcome: SwapOutcome) {
        state.withLock { $0.outcome = outcome }
        answered.lock()
        answered.broadcast()
        answered.unlock()
    }
}
