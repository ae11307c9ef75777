/// What every consumer has in common, whether it processes messages one by one
/// (``Consumer``) or in batches (``BatchConsumer``).
///
/// Conform to ``Consumer`` or ``BatchConsumer`` rather than to this protocol directly.
/// The host creates one instance per running consumer with ``init()`` and never calls an
/// instance concurrently.
public protocol RacecarConsumer: AnyObject {
    /// The topics to consume. Operators can override them in `racecar.yml`.
    static var subscriptions: [Subscription] { get }
    /// The consumer group id; `nil` (the default) derives one from the type name,
    /// `UserBanConsumer` becoming `user-ban-consumer`.
    static var groupID: String? { get }
    /// The largest batch handed to ``BatchConsumer/processBatch(_:)``; `nil` uses the host's default.
    static var fetchMessages: Int? { get }
    /// How long the broker may wait to fill a fetch, in seconds; `nil` uses the host's default.
    static var maxWaitTime: Double? { get }

    /// Creates the consumer. Do one-off set-up work here; a thrown error stops the host
    /// with its description.
    init() throws

    /// Called once on shutdown, after the last message, to release resources.
    func teardown()

    /// Called after every processing or delivery failure, like Racecar's `on_error`: report
    /// it to your error tracker. The host has already logged it.
    func onError(_ error: ProcessingError)

    /// Called after partitions were assigned to this consumer.
    func partitionsAssigned(_ partitions: [TopicPartition])

    /// Called after the work on `partitions` finished and their offsets were committed,
    /// before they move to another member of the group.
    func partitionsRevoked(_ partitions: [TopicPartition])
}

extension RacecarConsumer {
    public static var groupID: String? { nil }
    public static var fetchMessages: Int? { nil }
    public static var maxWaitTime: Double? { nil }
    public func teardown() {}
    public func onError(_ error: ProcessingError) {}
    public func partitionsAssigned(_ partitions: [TopicPartition]) {}
    public func partitionsRevoked(_ partitions: [TopicPartition]) {}
}

/// A consumer that processes one message at a time.
///
/// ```swift
/// final class UserBanConsumer: Consumer {
///     static let subscriptions = [Subscription("user_banned")]
///     func process(_ message: Message) throws { ... }
/// }
/// ```
public protocol Consumer: RacecarConsumer {
    /// Processes one message.
    ///
    /// - Throws: Any error: the host pauses the message's partition for `pause_timeout`
    ///   and then calls again with the same message. Nothing is skipped.
    func process(_ message: Message) throws
}

/// A consumer that processes messages in batches from one partition at a time.
public protocol BatchConsumer: RacecarConsumer {
    /// Processes a batch of messages from one partition, in offset order.
    ///
    /// - Throws: Any error retries the whole batch after `pause_timeout`; throw
    ///   ``PartialBatchFailure`` to say how many leading messages were finished, so that
    ///   only the rest is retried.
    func processBatch(_ messages: MessageBatch) throws
}

/// Thrown from ``BatchConsumer/processBatch(_:)`` when the first `processedCount` messages
/// of the batch were handled and the rest failed.
public struct PartialBatchFailure: Error, CustomStringConvertible {
    /// How many leading messages of the batch were processed completely.
    public var processedCount: Int
    /// Why the next message failed.
    public var underlying: any Error

    public init(processedCount: Int, underlying: any Error) {
        self.processedCount = processedCount
        self.underlying = underlying
    }

    public var description: String { String(describing: underlying) }
}
