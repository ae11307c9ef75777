import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// A message a ``KafkaClient`` polled: a borrowed view of bytes the client owns, valid until
/// ``destroy()``. The runtime gives every message exactly one owner, which alone destroys it:
/// the ``PolledChunk`` it was polled into, or the ``MessageRun`` handed to a worker thread.
package protocol ConsumerMessage {
    /// The partition, cheap to compare and hash on the hot path.
    var partitionID: PartitionID { get }
    var offset: Int64 { get }
    /// Whether the message names its topic; an error in place of a message may not.
    var hasTopic: Bool { get }
    /// The topic's name, when ``hasTopic``; valid as long as the client.
    var topicName: UnsafePointer<CChar> { get }
    /// What the plugin is handed: pointers into the message's own bytes, with `topic`, the
    /// ``topicName`` the caller looked up once for a run of messages of one partition.
    func borrowed(topic: UnsafePointer<CChar>) -> BorrowedMessage
    /// The error the client reports in place of a message, if this is one.
    var error: KafkaErrorCode? { get }
    /// The client's own words about ``error``: what failed, not just the code.
    var errorDescription: String? { get }
    var headerCount: Int { get }
    /// Calls `body` with each header's name, value and value length, in order.
    func forEachHeader(_ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Void)
    /// Gives the message back to the client.
    func destroy()
}

extension ConsumerMessage {
    /// The message's topic and partition by name.
    package var topicPartition: TopicPartition {
        TopicPartition(topic: String(cString: topicName), partition: partitionID.partition)
    }
}

/// What the runtime needs of Kafka: the seam between the runtime's decisions and librdkafka.
///
/// ``LibrdkafkaClient`` is the real one; the runtime's tests script one. Everything is called
/// from the polling thread, except ``storeOffset(after:)``, ``hasFatalError`` and the producing
/// calls, which workers make from their own threads.
package protocol KafkaClient: AnyObject, Sendable {
    associatedtype Message: ConsumerMessage

    /// What the start-up line says the consumer runs on, e.g. `librdkafka 2.16.1`.
    var implementation: String { get }

    /// Told about assignment changes, from inside ``poll(timeoutMilliseconds:)``.
    var rebalanceListener: (any RebalanceListener)? { get set }

    func subscribe(_ topics: [TopicSubscription]) throws(KafkaError)
    /// The next message, or `nil` once `timeoutMilliseconds` passed; rebalances are handled inside.
    func poll(timeoutMilliseconds: Int32) -> Message?
    /// Stores the offset after `message` as where its partition resumes, for the next commit.
    func storeOffset(after message: Message)
    /// Commits `offsets` (the next offset to read, per partition), or the stored offsets when `nil`.
    func commit(_ offsets: [TopicPartition: Int64]?, synchronously: Bool)
    func pause(_ partition: TopicPartition)
    func resume(_ partition: TopicPartition)
    /// Moves the position of `partition` back to `offset`.
    func seek(_ partition: TopicPartition, to offset: Int64)
    /// Whether the client failed for good; cheap enough to check per message.
    var hasFatalError: Bool { get }
    func fatalError() -> KafkaError?
    /// Leaves the group, which revokes the assignment through the listener first.
    ///
    /// - Returns: Why leaving failed, if it did.
    @discardableResult
    func close() -> KafkaErrorCode?

    /// Enqueues a message; its delivery is reported to `tracker`.
    func produce(
        _ message: OutgoingMessage, headers: some Collection<OutgoingMessage.Header>, tracker: DeliveryTracker
    ) throws(KafkaError)
    /// Enqueues a copy of `message` (key, value, headers) to `topic` with `extraHeaders` added.
    func produceCopy(
        of message: Message, to topic: String, extraHeaders: [(name: String, value: String)],
        tracker: DeliveryTracker
    ) throws(KafkaError)
    /// Waits until everything produced so far is acknowledged or failed.
    func flush() throws(KafkaError)

    /// Where each of `partitions` stands, from the client's local state (no broker request).
    func offsets(of partitions: [TopicPartition]) -> [PartitionOffsets]
    /// The member id the group coordinator gave the consumer; `nil` before it joined.
    var memberID: String? { get }
}

extension KafkaClient {
    /// A client that keeps no such state reports nothing known.
    package func offsets(of partitions: [TopicPartition]) -> [PartitionOffsets] {
        partitions.map { PartitionOffsets(partition: $0, position: nil, committed: nil, highWatermark: nil) }
    }

    package var memberID: String? { nil }
}
