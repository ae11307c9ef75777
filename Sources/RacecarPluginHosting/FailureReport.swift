/// What the host does about a failed message or batch, as the plugin's `on_error` hears it.
package enum FailureRecovery: Sendable {
    /// The partition pauses for `pause_timeout`, then the message is retried.
    case retry
    /// The partition stays paused until the host restarts (`pause_timeout: -1`).
    case pauseUntilRestart
    /// The host stops (`pause_timeout: 0`).
    case stop
    /// The message went to the dead-letter topic and the partition moves on.
    case deadLetter
}

/// A failure, as the plugin's `on_error` hook receives it.
package struct FailureReport {
    package var reason: String
    /// The failed message's topic name, borrowed from the message.
    package var topic: UnsafePointer<CChar>
    package var partition: Int32
    /// The message that failed.
    package var offset: Int64
    /// The batch the message was part of; `nil` for `process`.
    package var batch: ClosedRange<Int64>?
    /// How many times the message was retried before this failure.
    package var retries: Int
    package var recovery: FailureRecovery

    package init(
        reason: String, topic: UnsafePointer<CChar>, partition: Int32, offset: Int64, batch: ClosedRange<Int64>?,
        retries: Int, recovery: FailureRecovery
    ) {
        self.reason = reason
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.batch = batch
        self.retries = retries
        self.recovery = recovery
    }
}
