import Metrics
import Synchronization

/// What the consumer's instances produce, as Racecar's producer reports it:
/// `producer.produce.messages`, `producer.produce.message_size` (and its `.sum`) and
/// `producer.buffer.size` per topic; `producer.deliver.latency`, `producer.deliver.messages`
/// and `producer.ack.messages`. Dead-letter copies count as produced messages of their topic.
final class ProducerMetrics: Sendable {
    private final class Topic: Sendable {
        let messages: Counter
        let messageSize: Recorder
        let messageSizeSum: Counter
        let bufferSize: Recorder

        init(dimensions: [(String, String)]) {
            messages = Counter(label: "producer.produce.messages", dimensions: dimensions)
            messageSize = Recorder(label: "producer.produce.message_size", dimensions: dimensions)
            messageSizeSum = Counter(label: "producer.produce.message_size.sum", dimensions: dimensions)
            bufferSize = Recorder(label: "producer.buffer.size", dimensions: dimensions)
        }
    }

    private let dimensions: [(String, String)]
    private let topics = Mutex<[String: Topic]>([:])
    private let deliverLatency: Timer
    private let deliverMessages: Counter
    private let acknowledged: Counter

    init(dimensions: [(String, String)]) {
        self.dimensions = dimensions
        deliverLatency = Timer(label: "producer.deliver.latency", dimensions: dimensions)
        deliverMessages = Counter(label: "producer.deliver.messages", dimensions: dimensions)
        acknowledged = Counter(label: "producer.ack.messages", dimensions: dimensions)
    }

    /// A message of `size` bytes (key and value) was enqueued to `topic`; `buffered` messages
    /// of the instance now wait for the broker.
    func produced(topic: String, size: Int, buffered: Int) {
        let handles = topics.withLock { topics in
            if let existing = topics[topic] { return existing }
            let created = Topic(dimensions: dimensions + [("topic", topic)])
            topics[topic] = created
            return created
        }
        handles.messages.increment()
        handles.messageSize.record(size)
        handles.messageSizeSum.increment(by: size)
        handles.bufferSize.record(buffered)
    }

    /// Waiting for `count` produced messages took `nanoseconds`; `acknowledged` of all the
    /// instance's messages were acknowledged by the broker since the last report.
    func delivered(_ count: Int, nanoseconds: Int64, acknowledged: Int) {
        deliverLatency.recordNanoseconds(nanoseconds)
        if count > 0 { deliverMessages.increment(by: count) }
        if acknowledged > 0 { self.acknowledged.increment(by: acknowledged) }
    }
}
