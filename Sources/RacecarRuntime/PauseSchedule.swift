import RacecarConfiguration

/// Partitions paused after a failure, and when each resumes (`nil`: at restart). The loop
/// wakes in time for the next resume.
///
/// Used from the polling thread only.
struct PauseSchedule {
    private var deadlines: [TopicPartition: ContinuousClock.Instant?] = [:]

    var isEmpty: Bool { deadlines.isEmpty }

    func isPaused(_ partition: TopicPartition) -> Bool { deadlines[partition] != nil }

    /// When the pause of `partition` ends: `.some(nil)` at restart, `nil` when it has none.
    func deadline(of partition: TopicPartition) -> ContinuousClock.Instant?? { deadlines[partition] }

    /// Pauses `partition` until `deadline` (`nil`: until restart).
    mutating func pause(_ partition: TopicPartition, until deadline: ContinuousClock.Instant?) {
        deadlines[partition] = .some(deadline)
    }

    /// Forgets the pause of `partition`; returns whether it had one.
    @discardableResult
    mutating func lift(_ partition: TopicPartition) -> Bool {
        deadlines.removeValue(forKey: partition) != nil
    }

    /// Removes and returns the partitions whose pause is over at `now`.
    mutating func takeDue(at now: ContinuousClock.Instant) -> [TopicPartition] {
        var due: [TopicPartition] = []
        for (partition, deadline) in deadlines {
            guard let deadline, deadline <= now else { continue }
            due.append(partition)
        }
        for partition in due { deadlines[partition] = nil }
        return due.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// `limit`, or less if a pause ends sooner.
    func timeUntilNextResume(from now: ContinuousClock.Instant, limit: Duration) -> Duration {
        var wait = limit
        for case let deadline? in deadlines.values {
            wait = min(wait, max(now.duration(to: deadline), .zero))
        }
        return wait
    }
}
