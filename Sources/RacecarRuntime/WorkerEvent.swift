import RacecarConfiguration

/// What a worker asks of the polling thread, which alone pauses, seeks and resumes
/// partitions so that failure pauses and flow-control pauses never race.
enum WorkerEvent: Sendable {
    /// Pause `partition`, seek it back to `offset`, and resume it at `until` (`nil`: never).
    case pause(TopicPartition, offset: Int64, until: ContinuousClock.Instant?)
    /// Stop the consumer with this failure (`pause_timeout: 0`).
    case stop(String)
    /// A message went to the dead-letter topic and the offset after it is stored: commit soon,
    /// which narrows the window in which a consumer that dies next (a crash loop) copies it there
    /// again to one pass of the loop.
    case deadLettered
}
