import RacecarConfiguration

/// What an operator asks of a running consumer through the HTTP endpoint, applied by the
/// polling thread, which alone pauses and resumes partitions.
package enum ControlCommand: Sendable, Equatable {
    /// Pause `partition` until it is resumed or the process restarts, across failure pauses
    /// and rebalances.
    case pause(TopicPartition)
    /// Lift a manual pause; a failure pause still in force stays.
    case resume(TopicPartition)
}
