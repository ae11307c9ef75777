import CRacecarPlugin

/// A partition, as the rebalance hooks report it.
public struct TopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }
}

/// A processing or delivery failure, as ``RacecarConsumer/onError(_:)`` receives it.
public struct ProcessingError: Sendable, CustomStringConvertible {
    /// What the host does after the failure.
    public enum Recovery: Sendable {
        /// Pause the partition, then retry the message.
        case retry
        /// Pause the partition until the process restarts (`pause_timeout: -1`).
        case pauseUntilRestart
        /// Shut the consumer down (`pause_timeout: 0`).
        case stop
        /// The message went to the dead-letter topic and processing moves on.
        case deadLetter
    }

    /// The error's description.
    public var message: String
    public var topic: String
    public var partition: Int32
    /// The offset of the message that failed (for a batch, the first one not processed).
    public var offset: Int64
    /// The offsets the failed call covered: for a single message both equal ``offset``.
    public var offsets: ClosedRange<Int64>
    public var isBatch: Bool
    /// Consecutive failures of this partition before this one.
    public var retriesCount: Int
    public var recovery: Recovery

    public var description: String { "\(message) at \(topic)/\(partition)@\(offset)" }

    init(_ info: racecar_error_info) {
        message = info.message.map { String(cString: $0) } ?? ""
        topic = info.topic.map { String(cString: $0) } ?? ""
        partition = info.partition
        offset = info.offset
        offsets = min(info.first_offset, info.last_offset)...max(info.first_offset, info.last_offset)
        isBatch = info.is_batch != 0
        retriesCount = Int(info.retries_count)
        switch info.recovery {
        case RACECAR_RECOVERY_PAUSE: recovery = .pauseUntilRestart
        case RACECAR_RECOVERY_STOP: recovery = .stop
        case RACECAR_RECOVERY_DEAD_LETTER: recovery = .deadLetter
        default: recovery = .retry
        }
    }
}

/// Conform to receive librdkafka's statistics JSON every `statistics_interval` seconds;
/// statistics are collected only for consumers that conform.
public protocol ReceivesStatistics: RacecarConsumer {
    /// Called on the consumer's thread with librdkafka's statistics document.
    func statistics(_ json: String)
}
