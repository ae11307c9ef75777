/// One assigned partition in a ``HostStatus``.
package struct PartitionStatus: Codable, Sendable, Equatable {
    /// Why a partition is paused, most lasting first.
    package enum PauseReason: String, Codable, Sendable {
        /// An operator paused it (`POST /control/pause`): until resumed, or the process restarts.
        case manual
        /// Processing failed: until `pausedUntil`, or restart when that is `nil`.
        case failure
        /// Its consumer instance has too many messages queued (`concurrency` above 1).
        case flowControl = "flow_control"
    }

    package var topic: String
    package var partition: Int32
    /// The offset of the next message the consumer reads; `nil` until it read one.
    package var position: Int64?
    /// The last offset this process committed for the partition; `nil` until its first commit.
    package var committed: Int64?
    /// The partition's high watermark as librdkafka last heard it from the broker.
    package var highWatermark: Int64?
    /// ``highWatermark`` minus ``committed``, when both are known.
    package var lag: Int64?
    package var paused: Bool
    package var pauseReason: PauseReason?
    /// When a failure pause ends, in seconds since 1970; `nil` while not paused, or paused until
    /// resumed or restart.
    package var pausedUntil: Double?

    package init(
        topic: String, partition: Int32, position: Int64?, committed: Int64?, highWatermark: Int64?,
        pauseReason: PauseReason?, pausedUntil: Double?
    ) {
        self.topic = topic
        self.partition = partition
        self.position = position
        self.committed = committed
        self.highWatermark = highWatermark
        if let highWatermark, let committed { lag = max(highWatermark - committed, 0) }
        paused = pauseReason != nil
        self.pauseReason = pauseReason
        self.pausedUntil = pausedUntil
    }
}
