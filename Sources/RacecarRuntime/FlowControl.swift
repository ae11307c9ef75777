import RacecarConfiguration
import RacecarKafka

/// Bounds the messages queued for each instance thread (`concurrency` > 1): a partition whose
/// queue passes the high-water mark is paused, and resumed once it drains to the low-water mark.
///
/// Used from the polling thread only.
struct FlowControl {
    /// Queued messages of one partition beyond which it is paused, and the level it resumes at.
    let highWater: Int
    let lowWater: Int
    /// The paused partitions, with the identity their instance's queue counts them by.
    private(set) var paused: [TopicPartition: PartitionID] = [:]

    /// The levels for batches of `fetchMessages`: twice that, at least 100.
    init(fetchMessages: Int) {
        highWater = max(2 * fetchMessages, 100)
        lowWater = highWater / 2
    }

    var isEmpty: Bool { paused.isEmpty }

    func isPaused(_ partition: TopicPartition) -> Bool { paused[partition] != nil }

    /// Whether `partition`, with `queued` messages waiting now, must be paused (it was not yet).
    mutating func mustPause(_ partition: TopicPartition, id: PartitionID, queued: Int) -> Bool {
        guard queued > highWater else { return false }
        return paused.updateValue(id, forKey: partition) == nil
    }

    /// Whether the paused `partition`, with `queued` messages waiting, may flow again.
    mutating func mayResume(_ partition: TopicPartition, queued: Int) -> Bool {
        guard queued <= lowWater, paused[partition] != nil else { return false }
        paused[partition] = nil
        return true
    }

    /// Forgets `partition` (revoked); returns whether it was paused.
    @discardableResult
    mutating func forget(_ partition: TopicPartition) -> Bool {
        paused.removeValue(forKey: partition) != nil
    }
}
