import CRdKafka
import Synchronization

/// Counts one consumer instance's produced messages until the broker acknowledges them, and
/// remembers the first failure since the last ``takeFailure()``.
final class DeliveryTracker: Sendable {
    private struct State {
        var outstanding = 0
        var firstFailure: String?
    }

    private let state = Mutex(State())

    /// Whether messages were produced and not yet acknowledged, or a failure is unreported.
    var needsAttention: Bool { state.withLock { $0.outstanding > 0 || $0.firstFailure != nil } }

    func enqueued() {
        state.withLock { $0.outstanding += 1 }
    }

    func completed(failure: String?) {
        state.withLock {
            $0.outstanding -= 1
            if let failure, $0.firstFailure == nil { $0.firstFailure = failure }
        }
    }

    /// The first failure since the last call, clearing it.
    func takeFailure() -> String? {
        state.withLock { state in
            defer { state.firstFailure = nil }
            return state.firstFailure
        }
    }
}
