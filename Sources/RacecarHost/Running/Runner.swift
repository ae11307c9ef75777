import CRacecarPlugin
import CRdKafka
import Foundation
import Logging

/// Runs one consumer: polls librdkafka, hands messages to the plugin's instances, and owns
/// everything that touches the consumer's assignment: pausing, seeking and resuming
/// partitions, rebalances, periodic commits and shutdown.
///
/// With `concurrency: 1` (the default) the instance runs on the polling thread, so processing
/// and librdkafka's rebalance callback never overlap. With `concurrency: N` each of the N
/// instances has its own thread and owns a disjoint set of partitions; the polling thread keeps
/// polling, pauses partitions whose queue is full, and waits for in-flight work on revoked
/// partitions inside the rebalance callback.
public final class Runner {
    typealias MessagePointer = UnsafeMutablePointer<rd_kafka_message_t>

    private let consumer: ConsumerDescriptor
    private let config: RacecarConfig
    private let groupID: String
    private let logger: Logger
    private let shutdown: ShutdownSignal
    private let kafka: KafkaConsumer
    private let inbox = WorkerInbox()
    private let ledger: OffsetLedger?
    private let workers: [PartitionWorker]
    /// One per worker when `concurrency` > 1; empty when the single worker runs inline.
    private let threads: [WorkerThread]

    /// Messages polled and not yet handed over; processed in order.
    private let chunk: PolledChunk
    /// Paused partitions with the time to resume them (`nil`: until restart).
    private var pauses: [TopicPartition: ContinuousClock.Instant?] = [:]
    /// Partitions paused because their worker's queue is full.
    private var flowPaused: [TopicPartition: PartitionRef] = [:]
    /// Which worker owns each assigned partition.
    private var owners: [TopicPartition: Int] = [:]
    private var ownerCache: [PartitionRef: Int] = [:]
    private var fatalFailure: String?
    /// Set once shutdown began: the plugin hears of no more rebalances after its teardown.
    private var isStopping = false
    private var lastCommit = ContinuousClock.now
    private let commitInterval: Duration
    /// A partition's worker queue beyond which it is paused, and the level it resumes at.
    private let queueHighWater: Int
    private let queueLowWater: Int
    private var liveness: LivenessProbe?
    private let metrics: ConsumerMetrics?

    /// Prepares a run: creates the Kafka client and the plugin's consumer instances.
    ///
    /// - Throws: ``RunnerError`` when librdkafka refuses the configuration, no broker answers,
    ///   or the plugin's `create` fails.
    public init(consumer: ConsumerDescriptor, config: RacecarConfig, logger: Logger, shutdown: ShutdownSignal)
        throws(RunnerError)
    {
        self.consumer = consumer
        self.config = config
        self.logger = logger
        self.shutdown = shutdown
        self.groupID = ConsumerGroupName.derive(
            consumerName: consumer.name, explicit: config.groupID, prefix: config.groupIDPrefix)
        self.commitInterval = .milliseconds(Int64(config.offsetCommitInterval * 1000))
        self.ledger = config.offsetCommitOnIdle ? OffsetLedger() : nil
        self.metrics = config.datadogEnabled ? ConsumerMetrics(consumer: consumer.name, groupID: groupID) : nil
        self.chunk = PolledChunk(capacity: config.fetchMessages)
        self.queueHighWater = max(2 * config.fetchMessages, 100)
        self.queueLowWater = queueHighWater / 2
        if config.livenessProbeEnabled {
            liveness = LivenessProbe(path: config.livenessProbeFilePath, maxInterval: config.livenessProbeMaxInterval)
        }
        do {
            let configuration = config.consumerConfiguration(
                groupID: groupID, statistics: consumer.vtable.on_statistics != nil)
            kafka = try KafkaConsumer(configuration: configuration, logger: logger)
            try kafka.checkBrokersReachable(
                brokers: config.brokers.joined(separator: ","),
                timeoutMilliseconds: Int32(clamping: Int(config.socketTimeout * 1000))
            )
        } catch {
            throw .kafka(error)
        }
        let producerConfiguration = config.producerConfiguration()
        let messageTimeout = config.messageTimeout
        let producerLogger = logger
        let producer = SharedProducer { () throws(KafkaError) in
            try KafkaProducer(
                configuration: producerConfiguration, deliveryTimeout: messageTimeout, logger: producerLogger)
        }
        var workers: [PartitionWorker] = []
        for index in 0..<config.concurrency {
            workers.append(
                try PartitionWorker(
                    index: index, consumer: consumer, config: config, groupID: groupID, logger: logger, kafka: kafka,
                    inbox: inbox, shutdown: shutdown, producer: producer, ledger: ledger, metrics: metrics
                ))
        }
        self.workers = workers
        self.threads = config.concurrency > 1 ? workers.map(WorkerThread.init) : []
        kafka.rebalanceListener = self
    }

    /// Consumes until a stop is requested, then shuts down: finishes the in-flight message or
    /// batch, tears the consumer down, delivers, commits and leaves the group.
    ///
    /// - Throws: ``RunnerError`` for a fatal processing or Kafka error, after the shutdown.
    public func run() throws(RunnerError) {
        let topics = config.subscribesTo.map { topic in
            let compiled = consumer.subscriptions.first { $0.topic == topic }
            let operatorChose = config.sources["start_from_beginning"] != .plugin
            return (
                name: topic,
                startFromBeginning: operatorChose
                    ? config.startFromBeginning : compiled?.startFromBeginning ?? config.startFromBeginning
            )
        }
        do {
            try kafka.subscribe(topics)
        } catch {
            throw .kafka(error)
        }
        threads.forEach { $0.start() }
        let parallel = threads.isEmpty ? "" : " with \(threads.count) instances"
        logger.info(
            "\(consumer.name) consuming \(topics.map(\.name).joined(separator: ", ")) as group \(groupID)\(parallel)")

        var kafkaFailure: String?
        while !shutdown.isRequested {
            liveness?.touch()
            applyWorkerEvents()
            resumeDuePartitions()
            pollChunk()
            if !chunk.isEmpty { dispatchChunk() }
            applyWorkerEvents()
            if ContinuousClock.now - lastCommit >= commitInterval { commitPeriodically() }
            if let fatal = kafka.fatalError() {
                kafkaFailure = fatal
                break
            }
        }
        stop()
        if let kafkaFailure { throw .kafka(.fatal(message: kafkaFailure)) }
        if let fatalFailure { throw .processingFailed(fatalFailure) }
    }

    // MARK: Polling and dispatch

    private func pollChunk() {
        guard let first = kafka.poll(timeoutMilliseconds: pollTimeout()) else { return }
        accept(first)
        while !chunk.isFull, let next = kafka.poll(timeoutMilliseconds: 0) {
            accept(next)
        }
    }

    @inline(__always)
    private func accept(_ message: MessagePointer) {
        let error = message.pointee.err
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) }
                logger.warning("consumer error\(topic.map { " on \($0)" } ?? ""): \(KafkaError.message(error))")
            }
            rd_kafka_message_destroy(message)
            return
        }
        chunk.append(message)
    }

    /// Wakes in time for the next resume, and often enough to notice a stop request.
    private func pollTimeout() -> Int32 {
        var timeout: Int32 = threads.isEmpty ? 100 : 20
        let now = ContinuousClock.now
        for case let deadline? in pauses.values {
            let remaining = now.duration(to: deadline).components
            let milliseconds = remaining.seconds * 1000 + remaining.attoseconds / 1_000_000_000_000_000
            timeout = min(timeout, Int32(clamping: max(milliseconds, 0)))
        }
        return timeout
    }

    /// Splits the chunk into runs of consecutive messages of one partition and hands each to
    /// the worker that owns the partition.
    private func dispatchChunk() {
        let messages = chunk.messages
        var start = 0
        while start < messages.count {
            let partition = PartitionRef(messages[start])
            var end = start + 1
            while end < messages.count, PartitionRef(messages[end]) == partition { end += 1 }
            let run = UnsafeBufferPointer(rebasing: messages[start..<end])
            if threads.isEmpty {
                workers[0].handle(run)
            } else {
                handOver(run, of: partition)
            }
            start = end
        }
        if threads.isEmpty {
            chunk.destroyAll()
        } else {
            // The workers destroy what they were handed.
            chunk.forgetAll()
        }
    }

    /// Queues `run` for the instance that owns `partition`; pauses the partition when that
    /// instance's queue is full.
    private func handOver(_ run: UnsafeBufferPointer<MessagePointer>, of partition: PartitionRef) {
        let owner = owner(of: partition)
        let queued = threads[owner].enqueue(Array(run), partition: partition)
        guard queued > queueHighWater else { return }
        let topicPartition = partition.topicPartition
        if flowPaused.updateValue(partition, forKey: topicPartition) == nil, pauses[topicPartition] == nil {
            logger.debug(
                "\(topicPartition): \(queued) messages queued for instance \(owner), pausing until it catches up")
            kafka.pause(topicPartition)
        }
    }

    private func owner(of partition: PartitionRef) -> Int {
        if let owner = ownerCache[partition] { return owner }
        let topicPartition = partition.topicPartition
        let owner = owners[topicPartition] ?? assignOwner(topicPartition)
        ownerCache[partition] = owner
        return owner
    }

    /// Gives `partition` to the worker that owns the fewest partitions.
    private func assignOwner(_ partition: TopicPartition) -> Int {
        var load = [Int](repeating: 0, count: workers.count)
        for owner in owners.values { load[owner] += 1 }
        let owner = load.indices.min { load[$0] < load[$1] } ?? 0
        owners[partition] = owner
        return owner
    }

    // MARK: Pauses

    /// Applies what the workers asked for: failure pauses (with a seek back) and fatal stops.
    private func applyWorkerEvents() {
        for event in inbox.drain() {
            switch event {
            case .pause(let partition, let offset, let until):
                // A partition revoked since the failure belongs to its new owner now.
                guard owners[partition] != nil else { continue }
                kafka.pause(partition, seekingTo: offset)
                pauses[partition] = .some(until)
                metrics?.paused(partition)
            case .stop(let failure):
                fatalFailure = fatalFailure ?? failure
            }
        }
    }

    private func resumeDuePartitions() {
        if !pauses.isEmpty {
            let now = ContinuousClock.now
            for (partition, deadline) in pauses {
                guard let deadline, deadline <= now else { continue }
                pauses[partition] = nil
                guard flowPaused[partition] == nil else { continue }
                logger.info("resuming \(partition)")
                kafka.resume(partition)
            }
        }
        guard !flowPaused.isEmpty else { return }
        for (partition, ref) in flowPaused {
            guard let owner = owners[partition], threads[owner].queuedCount(ref) <= queueLowWater else { continue }
            flowPaused[partition] = nil
            if pauses[partition] == nil {
                logger.debug("\(partition): instance \(owner) caught up, resuming")
                kafka.resume(partition)
            }
        }
    }

    // MARK: Offsets

    /// Commits every offset_commit_interval: the stored offsets that changed, or with
    /// offset_commit_on_idle every stored offset again, so an idle group's offsets do not
    /// expire from the broker.
    private func commitPeriodically() {
        lastCommit = .now
        if let ledger, case let stored = ledger.snapshot, !stored.isEmpty {
            let list = makePartitionList(stored.map { ($0.key, offset: $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            logger.debug("committing \(stored.count) stored offsets (offset_commit_on_idle)")
            kafka.commit(list, synchronously: config.synchronousCommits)
        } else {
            kafka.commit(nil, synchronously: config.synchronousCommits)
        }
    }

    // MARK: Shutdown

    private func stop() {
        logger.info("\(consumer.name) stopping")
        isStopping = true
        liveness?.remove()
        chunk.destroyAll()
        threads.forEach { $0.stop() }
        // The worker threads have exited: the instances are called from this thread only now.
        workers.forEach { $0.teardown() }
        kafka.commitStoredOffsets()
        kafka.close()
        workers.forEach { $0.destroy() }
        logger.info("\(consumer.name) stopped")
    }

    /// Runs `body` with `worker`, on its thread when it has one.
    private func onWorker(_ index: Int, _ body: @escaping (PartitionWorker) -> Void) {
        if threads.isEmpty {
            body(workers[index])
        } else {
            let worker = workers[index]
            threads[index].perform { body(worker) }
        }
    }
}

extension Runner: RebalanceListener {
    func partitionsAssigned(_ partitions: [TopicPartition]) {
        var byWorker = [[TopicPartition]](repeating: [], count: workers.count)
        for partition in partitions {
            byWorker[owners[partition] ?? assignOwner(partition)].append(partition)
        }
        metrics?.assigned(owners.count)
        guard !isStopping else { return }
        for (index, assigned) in byWorker.enumerated() where !assigned.isEmpty {
            onWorker(index) { $0.partitionsAssigned(assigned) }
        }
    }

    func partitionsRevoking(_ partitions: [TopicPartition]) {
        // Pauses the workers asked for apply to partitions that may be leaving; record them first.
        applyWorkerEvents()
        let revoked = Set(partitions)
        // Workers store offsets as they finish; wait for in-flight work on revoked partitions
        // and drop what was queued for them, so the commit that follows is final.
        threads.forEach { $0.abandon(revoked) }
        for index in workers.indices {
            onWorker(index) { $0.forget(revoked) }
        }
        ledger?.forget(revoked)
        for partition in partitions where pauses[partition] != nil || flowPaused[partition] != nil {
            // librdkafka keeps an application pause across a rebalance: lift it, or the
            // partition would stay paused if it came back to this member.
            pauses[partition] = nil
            flowPaused[partition] = nil
            kafka.resume(partition)
        }
        // Messages polled into the current chunk before the revocation belong to the new owner,
        // which resumes from the committed offset; the rest of the chunk is still ours.
        chunk.destroy { revoked.contains(TopicPartition($0)) }
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        var byWorker = [[TopicPartition]](repeating: [], count: workers.count)
        for partition in partitions {
            if let owner = owners.removeValue(forKey: partition) { byWorker[owner].append(partition) }
        }
        ownerCache = ownerCache.filter { !partitions.contains($0.key.topicPartition) }
        metrics?.assigned(owners.count)
        guard !isStopping else { return }
        for (index, revoked) in byWorker.enumerated() where !revoked.isEmpty {
            onWorker(index) { $0.partitionsRevoked(revoked) }
        }
    }

    func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int) {
        guard !isStopping else { return }
        // The JSON buffer is only valid during the callback; onWorker waits for the worker.
        onWorker(0) { $0.statisticsReceived(json, length: length) }
    }
}
