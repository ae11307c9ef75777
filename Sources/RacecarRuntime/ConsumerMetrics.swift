import Metrics
import RacecarConfiguration
import RacecarKafka
import Synchronization

/// The metrics of one consumer through swift-metrics, with Racecar's Datadog names and tags
/// (`client`, `group_id`, and `topic` and `partition` where a metric concerns one), plus
/// `consumer`: the group's joins and leaves, the poll loop, poll errors and pauses here; what
/// the instances process in ``PartitionMetrics``; what they produce in ``ProducerMetrics``.
///
/// Created only when a metrics backend is configured. Handles are created once per partition
/// (or error code) and kept; the hot path records into handles it holds.
final class ConsumerMetrics: Sendable {
    /// `client`, `group_id` and `consumer`, on every metric.
    let dimensions: [(String, String)]
    let isBatchConsumer: Bool
    let producer: ProducerMetrics
    private let clock: RuntimeClock
    private let joinGroup: Timer
    private let joinGroupErrors: Counter
    private let leaveGroup: Timer
    private let leaveGroupErrors: Counter
    private let loopDuration: Recorder
    private let pollErrors = Mutex<[KafkaErrorCode: Counter]>([:])
    private let partitions = Mutex<[TopicPartition: PartitionMetrics]>([:])
    private let deadLetters = Mutex<[TopicPartition: Counter]>([:])
    /// When the current join began: at subscribing, or when partitions were revoked.
    private let joinStarted = Mutex<ContinuousClock.Instant?>(nil)
    private let pauses = Mutex<Pauses>(Pauses())

    private struct Pauses {
        var since: [TopicPartition: ContinuousClock.Instant] = [:]
        var gauges: [TopicPartition: Gauge] = [:]
    }

    init(consumer: String, groupID: String, clientID: String, isBatchConsumer: Bool, clock: RuntimeClock) {
        dimensions = [("client", clientID), ("group_id", groupID), ("consumer", consumer)]
        self.isBatchConsumer = isBatchConsumer
        self.clock = clock
        producer = ProducerMetrics(dimensions: dimensions)
        joinGroup = Timer(label: "consumer.join_group", dimensions: dimensions)
        joinGroupErrors = Counter(label: "consumer.join_group.errors", dimensions: dimensions)
        leaveGroup = Timer(label: "consumer.leave_group", dimensions: dimensions)
        leaveGroupErrors = Counter(label: "consumer.leave_group.errors", dimensions: dimensions)
        loopDuration = Recorder(label: "consumer.loop.duration", dimensions: dimensions)
    }

    /// The processing metrics of `partition`, created on first use.
    func partition(_ partition: TopicPartition) -> PartitionMetrics {
        partitions.withLock { partitions in
            if let existing = partitions[partition] { return existing }
            let created = PartitionMetrics(
                dimensions: dimensions + partition.dimensions, isBatchConsumer: isBatchConsumer)
            partitions[partition] = created
            return created
        }
    }

    // MARK: The group

    /// The consumer subscribed, or lost partitions: a join begins.
    func joinBegan() {
        let now = clock.now()
        joinStarted.withLock { $0 = $0 ?? now }
    }

    /// The group assigned partitions (maybe none): the join that began is over.
    func joined() {
        guard let started = joinStarted.withLock({ $0.take() }) else { return }
        joinGroup.recordNanoseconds(nanoseconds(clock.now() - started))
    }

    func joinFailed() { joinGroupErrors.increment() }

    /// The consumer left the group in `duration`, or failed to.
    func left(after duration: Duration, failed: Bool) {
        leaveGroup.recordNanoseconds(nanoseconds(duration))
        if failed { leaveGroupErrors.increment() }
    }

    // MARK: The poll loop

    /// One pass of the poll loop took `duration` (Racecar's `consumer.loop.duration`, in
    /// milliseconds); refreshes how long paused partitions have been paused.
    func loopRan(_ duration: Duration) {
        loopDuration.record(Double(nanoseconds(duration)) / 1e6)
        let now = clock.now()
        pauses.withLock { pauses in
            for (partition, since) in pauses.since { pauses.gauges[partition]?.record((now - since).inSeconds) }
        }
    }

    /// Polling returned `error` in place of a message: `consumer.poll.rdkafka_error.<code>`,
    /// with the code as Racecar names it (librdkafka's name, lowercased, without its leading
    /// underscore: `transport`, `unknown_topic_or_part`).
    func pollFailed(_ error: KafkaErrorCode) {
        let counter = pollErrors.withLock { counters in
            if let existing = counters[error] { return existing }
            let code = String(
                error.name.lowercased().drop { $0 == "_" }.filter { $0.isLetter || $0.isNumber || $0 == "_" })
            let created = Counter(label: "consumer.poll.rdkafka_error.\(code)", dimensions: dimensions)
            counters[error] = created
            return created
        }
        counter.increment()
    }

    // MARK: Pauses and dead letters

    /// `partition` paused after a failure: `consumer.pause.duration` counts the seconds from
    /// now until it resumes, then reads 0, as Racecar's does.
    func paused(_ partition: TopicPartition) {
        let now = clock.now()
        pauses.withLock { pauses in
            if pauses.since[partition] == nil { pauses.since[partition] = now }
            if pauses.gauges[partition] == nil {
                pauses.gauges[partition] = Gauge(
                    label: "consumer.pause.duration", dimensions: dimensions + partition.dimensions)
            }
            pauses.gauges[partition]?.record(0)
        }
    }

    /// `partition` resumed, or left the assignment while paused.
    func resumed(_ partition: TopicPartition) {
        pauses.withLock { pauses in
            guard pauses.since.removeValue(forKey: partition) != nil else { return }
            pauses.gauges[partition]?.record(0)
        }
    }

    /// A message of `partition` went to the dead-letter topic (ours: `consumer.dead_letters`).
    func deadLettered(_ partition: TopicPartition) {
        let counter = deadLetters.withLock { counters in
            if let existing = counters[partition] { return existing }
            let created = Counter(label: "consumer.dead_letters", dimensions: dimensions + partition.dimensions)
            counters[partition] = created
            return created
        }
        counter.increment()
    }
}

extension TopicPartition {
    /// `topic` and `partition`, as metrics are tagged.
    var dimensions: [(String, String)] { [("topic", topic), ("partition", String(partition))] }
}

/// `duration` in whole nanoseconds, as swift-metrics' timers take it.
func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}
