import Metrics
import RacecarConfiguration
import Synchronization

/// The metrics one consumer reports through swift-metrics, named like Racecar's Datadog
/// metrics (`consumer.messages`, `consumer.process.latency`, ...), tagged with the consumer,
/// and with the topic and partition where they concern one.
///
/// Created only when a metrics backend is configured; recording happens once per processed
/// call or run of messages, never per polled message.
final class ConsumerMetrics: Sendable {
    private let consumer: String
    private let groupID: String
    private let processLatency: Timer
    private let batchSize: Recorder
    private let assignedPartitions: Gauge
    private let counters = Mutex<[String: Counter]>([:])

    init(consumer: String, groupID: String) {
        self.consumer = consumer
        self.groupID = groupID
        let dimensions = [("consumer", consumer), ("group_id", groupID)]
        processLatency = Timer(label: "consumer.process.latency", dimensions: dimensions)
        batchSize = Recorder(label: "consumer.batch.size", dimensions: dimensions)
        assignedPartitions = Gauge(label: "consumer.assigned_partitions", dimensions: dimensions)
    }

    private func counter(_ label: String, _ partition: TopicPartition?) -> Counter {
        let key = partition.map { "\(label) \($0)" } ?? label
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            var dimensions = [("consumer", consumer), ("group_id", groupID)]
            if let partition { dimensions += [("topic", partition.topic), ("partition", String(partition.partition))] }
            let counter = Counter(label: label, dimensions: dimensions)
            counters[key] = counter
            return counter
        }
    }

    /// `count` messages of `partition` were processed successfully.
    func processed(_ count: Int, of partition: TopicPartition) {
        counter("consumer.messages", partition).increment(by: count)
    }

    /// One `process` or `process_batch` call took `nanoseconds` for `size` messages.
    func call(nanoseconds: Int64, size: Int, isBatch: Bool) {
        processLatency.recordNanoseconds(nanoseconds)
        if isBatch { batchSize.record(size) }
    }

    func failed(_ partition: TopicPartition) { counter("consumer.errors", partition).increment() }
    func deadLettered(_ partition: TopicPartition) { counter("consumer.dead_letters", partition).increment() }
    func paused(_ partition: TopicPartition) { counter("consumer.pauses", partition).increment() }
    func assigned(_ count: Int) { assignedPartitions.record(count) }
}
