/// How a swap the poll loop was handed ended, for the one who asked for it.
package enum SwapOutcome: Sendable, Equatable {
    /// The new instances process, in the same group membership; `milliseconds` the loop did not
    /// poll while swapping.
    case swapped(milliseconds: Int)
    /// The new instances process, on a new Kafka client that `keys` needed.
    case restartedClient(keys: [String])
    /// The new version's `create` failed; the previous version's instances process again.
    case rolledBack(reason: String)
    /// The consumer stopped before the swap could apply, or failed applying it.
    case failed(reason: String)

    /// One line for the log and for `racecarctl reload`.
    package var text: String {
        switch self {
        case .swapped(let milliseconds):
            "swapped in place in \(milliseconds) ms, without leaving the group"
        case .restartedClient(let keys):
            "swapped with a new Kafka client, since \(keys.joined(separator: ", ")) changed"
        case .rolledBack(let reason):
            "the new version failed to start (\(reason)); rolled back to the previous version, which processes again"
        case .failed(let reason):
            reason
        }
    }

    /// Whether the new version runs.
    package var isSuccess: Bool {
        switch self {
        case .swapped, .restartedClient: true
        case .rolledBack, .failed: false
        }
    }
}
