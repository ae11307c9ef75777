import Synchronization

/// Counts one consumer instance's produced messages until the broker acknowledges them, and
/// remembers the first failure since the last ``takeFailure()``.
///
/// ``needsAttention`` is read after every processed message, so it is a single atomic load.
package final class DeliveryTracker: Sendable {
    /// Outstanding messages, plus one while a failure is unreported.
    private let attention = Atomic<Int>(0)
    private let firstFailure = Mutex<KafkaError?>(nil)
    /// Messages the broker acknowledged since the last ``takeAcknowledged()``.
    private let acknowledged = Atomic<Int>(0)

    /// Whether messages were produced and not yet acknowledged, or a failure is unreported.
    package var needsAttention: Bool { attention.load(ordering: .acquiring) > 0 }

    package init() {}

    package func enqueued() {
        attention.add(1, ordering: .relaxed)
    }

    /// The broker acknowledged a message.
    package func acknowledge() {
        acknowledged.add(1, ordering: .relaxed)
        completed(failure: nil)
    }

    /// How many messages the broker acknowledged since the last call.
    package func takeAcknowledged() -> Int {
        acknowledged.exchange(0, ordering: .relaxed)
    }

    /// Messages enqueued and not yet acknowledged or failed.
    package var outstanding: Int {
        attention.load(ordering: .acquiring) - (firstFailure.withLock { $0 } == nil ? 0 : 1)
    }

    /// A message was delivered (`failure` is `nil`), failed, or was refused before it was queued.
    package func completed(failure: KafkaError?) {
        if let failure {
            let recorded = firstFailure.withLock { first in
                guard first == nil else { return false }
                first = failure
                return true
            }
            if recorded { attention.add(1, ordering: .relaxed) }
        }
        attention.subtract(1, ordering: .releasing)
    }

    /// The first failure since the last call, clearing it.
    package func takeFailure() -> KafkaError? {
        let failure = firstFailure.withLock { first in
            defer { first = nil }
            return first
        }
        if failure != nil { attention.subtract(1, ordering: .relaxed) }
        return failure
    }
}
