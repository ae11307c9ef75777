import CRacecarPlugin
import CRdKafka
import Foundation
import Logging

/// Runs one consumer: polls librdkafka, hands messages to the plugin, stores offsets after
/// success, pauses and retries failed partitions, and shuts down gracefully.
///
/// Everything here runs on the calling thread, including librdkafka's rebalance callback,
/// so processing and revocation never overlap.
public final class Runner {
    private let consumer: ConsumerDescriptor
    private let config: RacecarConfig
    private let groupID: String
    private let logger: Logger
    private let shutdown: ShutdownSignal
    private let pausePolicy: PausePolicy
    private let kafka: KafkaConsumer
    private let context: ConsumerHostContext
    private let messages: MessageBuffer
    private var instance: UnsafeMutableRawPointer?

    /// Messages polled and not yet released; processed in order.
    private var chunk: [UnsafeMutablePointer<rd_kafka_message_t>] = []
    /// Per partition, the last offset processed in the current chunk.
    private var progress = ChunkProgress()
    /// Partitions that failed in the current chunk: their remaining messages are skipped.
    private var blockedInChunk: [PartitionRef] = []
    /// Partitions revoked during the last poll: their polled messages belong to the new owner.
    private var revokedDuringPoll: Set<TopicPartition> = []
    /// Consecutive failures per partition; an entry exists only while a partition is failing.
    private var failures: [TopicPartition: Int] = [:]
    /// Paused partitions with the time to resume them (`nil`: until restart).
    private var pauses: [TopicPartition: ContinuousClock.Instant?] = [:]
    private var fatalFailure: String?
    /// Set once shutdown began: the plugin hears of no more rebalances after its teardown.
    private var isStopping = false
    /// The next offset stored per partition, re-committed when idle with offset_commit_on_idle.
    private var storedOffsets: [TopicPartition: Int64] = [:]
    private var lastCommit = ContinuousClock.now
    private let commitInterval: Duration
    private var errorText = [CChar](repeating: 0, count: 4096)

    /// Prepares a run: creates the Kafka client and the plugin's consumer instance.
    ///
    /// - Throws: ``RunnerError`` when librdkafka refuses the configuration, no broker answers,
    ///   or the plugin's `create` fails.
    public init(consumer: ConsumerDescriptor, config: RacecarConfig, logger: Logger, shutdown: ShutdownSignal) throws(RunnerError) {
        self.consumer = consumer
        self.config = config
        self.logger = logger
        self.shutdown = shutdown
        self.groupID = ConsumerGroupName.derive(consumerName: consumer.name, explicit: config.groupID, prefix: config.groupIDPrefix)
        self.pausePolicy = PausePolicy(
            pauseTimeout: config.pauseTimeout,
            exponentialBackoff: config.pauseWithExponentialBackoff,
            maxPauseTimeout: config.maxPauseTimeout
        )
        self.messages = MessageBuffer(capacity: config.fetchMessages)
        self.commitInterval = .milliseconds(Int64(config.offsetCommitInterval * 1000))
        do {
            let configuration = config.consumerConfiguration(groupID: groupID, statistics: consumer.vtable.on_statistics != nil)
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
        context = ConsumerHostContext(consumerName: consumer.name, logger: logger) { () throws(KafkaError) in
            try KafkaProducer(configuration: producerConfiguration, deliveryTimeout: messageTimeout, logger: producerLogger)
        }
        var message = ""
        let status = withErrorBuffer(capturing: &message) { error in
            consumer.vtable.create!(consumer.raw, context.opaque, HostAPITable.shared, &instance, error)
        }
        guard status == RACECAR_OK else { throw .createFailed(consumer: consumer.name, message: message) }
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
            return (name: topic, startFromBeginning: operatorChose ? config.startFromBeginning : compiled?.startFromBeginning ?? config.startFromBeginning)
        }
        do {
            try kafka.subscribe(topics)
        } catch {
            throw .kafka(error)
        }
        logger.info("\(consumer.name) consuming \(topics.map(\.name).joined(separator: ", ")) as group \(groupID)")

        var kafkaFailure: String?
        while !shutdown.isRequested {
            resumeDuePartitions()
            pollChunk()
            if !chunk.isEmpty {
                if consumer.isBatchConsumer { processBatches() } else { processEach() }
                storeProgress()
                releaseChunk()
            }
            if ContinuousClock.now - lastCommit >= commitInterval { commitPeriodically() }
            if let fatal = kafka.fatalError() {
                kafkaFailure = fatal
                break
            }
            if fatalFailure != nil { break }
        }
        stop()
        if let kafkaFailure { throw .kafka(.fatal(message: kafkaFailure)) }
        if let fatalFailure { throw .processingFailed(fatalFailure) }
    }

    // MARK: Polling

    private func pollChunk() {
        guard let first = kafka.poll(timeoutMilliseconds: pollTimeout()) else { return }
        accept(first)
        while chunk.count < config.fetchMessages, let next = kafka.poll(timeoutMilliseconds: 0) {
            accept(next)
        }
        if !revokedDuringPoll.isEmpty {
            chunk.removeAll { message in
                let revoked = revokedDuringPoll.contains(TopicPartition(message))
                if revoked { rd_kafka_message_destroy(message) }
                return revoked
            }
            revokedDuringPoll.removeAll()
        }
    }

    @inline(__always)
    private func accept(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
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
        var timeout: Int32 = 100
        let now = ContinuousClock.now
        for case let deadline? in pauses.values {
            let remaining = now.duration(to: deadline).components
            let milliseconds = remaining.seconds * 1000 + remaining.attoseconds / 1_000_000_000_000_000
            timeout = min(timeout, Int32(clamping: max(milliseconds, 0)))
        }
        return timeout
    }

    private func releaseChunk() {
        for message in chunk { rd_kafka_message_destroy(message) }
        chunk.removeAll(keepingCapacity: true)
        blockedInChunk.removeAll(keepingCapacity: true)
    }

    // MARK: Processing

    private func processEach() {
        let process = consumer.vtable.process!
        for index in chunk.indices {
            if shutdown.isRequested || fatalFailure != nil { return }
            let message = chunk[index]
            let partition = PartitionRef(message)
            if isSkipped(message, partition) { continue }
            messages.fill(count: 1, retries: retries(message)) { _ in message }
            errorText[0] = 0
            var status = errorText.withUnsafeMutableBufferPointer { text in
                var buffer = racecar_error_buffer(struct_size: MemoryLayout<racecar_error_buffer>.size, message: text.baseAddress, capacity: text.count)
                return process(instance, messages.pointers[0], &buffer)
            }
            var failure = status == RACECAR_OK ? nil : String(nulTerminated: errorText)
            if status == RACECAR_OK, context.needsDelivery, let deliveryFailure = context.deliver() {
                status = RACECAR_ERROR
                failure = deliveryFailure
            }
            if let failure {
                fail(at: message, reason: failure)
            } else {
                succeeded(message, partition)
            }
        }
    }

    private func processBatches() {
        let processBatch = consumer.vtable.process_batch!
        var start = 0
        while start < chunk.count {
            if shutdown.isRequested || fatalFailure != nil { return }
            // A batch is a run of consecutive messages from one partition.
            let partition = PartitionRef(chunk[start])
            var end = start + 1
            while end < chunk.count, PartitionRef(chunk[end]) == partition { end += 1 }
            defer { start = end }
            if isSkipped(chunk[start], partition) { continue }

            let count = end - start
            let batchStart = start
            messages.fill(count: count, retries: retries(chunk[start])) { chunk[batchStart + $0] }
            var processed = 0
            errorText[0] = 0
            let status = errorText.withUnsafeMutableBufferPointer { text in
                var buffer = racecar_error_buffer(struct_size: MemoryLayout<racecar_error_buffer>.size, message: text.baseAddress, capacity: text.count)
                return processBatch(instance, messages.pointers, count, &processed, &buffer)
            }
            var failure = status == RACECAR_OK ? nil : String(nulTerminated: errorText)
            if status == RACECAR_OK {
                processed = count
                if context.needsDelivery, let deliveryFailure = context.deliver() {
                    failure = deliveryFailure
                    processed = 0
                }
            }
            processed = min(max(processed, 0), count)
            if processed > 0 { succeeded(chunk[start + processed - 1], partition) }
            if let failure { fail(at: chunk[start + processed], reason: failure, batch: (chunk[start], chunk[end - 1])) }
        }
    }

    /// Whether a message's partition failed earlier in this chunk or is paused: it will be
    /// fetched again from the failed offset.
    @inline(__always)
    private func isSkipped(_ message: UnsafeMutablePointer<rd_kafka_message_t>, _ partition: PartitionRef) -> Bool {
        if !blockedInChunk.isEmpty, blockedInChunk.contains(partition) { return true }
        return !pauses.isEmpty && pauses[TopicPartition(message)] != nil
    }

    @inline(__always)
    private func retries(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> Int32 {
        failures.isEmpty ? 0 : Int32(clamping: failures[TopicPartition(message)] ?? 0)
    }

    @inline(__always)
    private func succeeded(_ message: UnsafeMutablePointer<rd_kafka_message_t>, _ partition: PartitionRef) {
        progress.record(partition, offset: message.pointee.offset)
        if !failures.isEmpty { failures[TopicPartition(message)] = nil }
    }

    private func fail(
        at message: UnsafeMutablePointer<rd_kafka_message_t>,
        reason: String,
        batch: (first: UnsafeMutablePointer<rd_kafka_message_t>, last: UnsafeMutablePointer<rd_kafka_message_t>)? = nil
    ) {
        let partition = TopicPartition(message)
        let ref = PartitionRef(message)
        let offset = message.pointee.offset
        // Offsets must be stored before seeking, or the seek can be undone on resume.
        storeProgress(of: ref)
        blockedInChunk.append(ref)
        let consecutive = (failures[partition] ?? 0) + 1
        failures[partition] = consecutive
        let range = batch.map { " (batch \($0.first.pointee.offset)-\($0.last.pointee.offset))" } ?? ""
        let failure = "\(consumer.name) failed at \(partition)@\(offset)\(range), retries_count \(consecutive - 1): \(reason)"
        func report(_ recovery: Int32) {
            notifyError(message, reason: reason, batch: batch, retries: consecutive - 1, recovery: recovery)
        }

        if let maxRetries = config.maxRetries, let deadLetterTopic = config.deadLetterTopic, consecutive > maxRetries {
            if let problem = sendToDeadLetter(message, topic: deadLetterTopic, reason: reason, retries: consecutive - 1) {
                logger.error("\(failure); sending it to dead-letter topic \(deadLetterTopic) failed (\(problem)), so it is retried")
            } else {
                logger.error("\(failure); sent to dead-letter topic \(deadLetterTopic), moving on")
                report(RACECAR_RECOVERY_DEAD_LETTER)
                failures[partition] = nil
                kafka.storeOffset(partition, next: offset + 1)
                kafka.seek(partition, to: offset + 1)
                return
            }
        }
        switch pausePolicy.decision(afterFailures: consecutive) {
        case .stop:
            logger.error("\(failure); stopping because pause_timeout is 0")
            report(RACECAR_RECOVERY_STOP)
            fatalFailure = failure
        case .pauseIndefinitely:
            logger.error("\(failure); pausing \(partition) until restart")
            report(RACECAR_RECOVERY_PAUSE)
            kafka.pause(partition, seekingTo: offset)
            pauses[partition] = .some(nil)
        case .retry(let delay):
            logger.error("\(failure); retrying in \(formatSeconds(delay)) s")
            report(RACECAR_RECOVERY_RETRY)
            kafka.pause(partition, seekingTo: offset)
            pauses[partition] = .some(ContinuousClock.now.advanced(by: .milliseconds(Int64(delay * 1000))))
        }
    }

    /// Produces a copy of a message that keeps failing to the dead-letter topic, with headers
    /// saying where it came from and why; returns why that failed, if it did.
    private func sendToDeadLetter(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String, reason: String, retries: Int) -> String? {
        let origin = TopicPartition(message)
        return context.sendToDeadLetter(message, topic: topic, headers: [
            ("racecar-original-topic", origin.topic),
            ("racecar-original-partition", String(origin.partition)),
            ("racecar-original-offset", String(message.pointee.offset)),
            ("racecar-consumer", consumer.name),
            ("racecar-group-id", groupID),
            ("racecar-error", reason),
            ("racecar-retries", String(retries)),
        ])
    }

    /// Tells the plugin's `on_error` hook about a failure.
    private func notifyError(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>,
        reason: String,
        batch: (first: UnsafeMutablePointer<rd_kafka_message_t>, last: UnsafeMutablePointer<rd_kafka_message_t>)?,
        retries: Int,
        recovery: Int32
    ) {
        guard let onError = consumer.vtable.on_error else { return }
        reason.withCString { text in
            var info = racecar_error_info()
            info.struct_size = MemoryLayout<racecar_error_info>.size
            info.message = text
            info.topic = rd_kafka_topic_name(message.pointee.rkt)
            info.partition = message.pointee.partition
            info.offset = message.pointee.offset
            info.first_offset = batch?.first.pointee.offset ?? message.pointee.offset
            info.last_offset = batch?.last.pointee.offset ?? message.pointee.offset
            info.is_batch = batch == nil ? 0 : 1
            info.retries_count = Int32(clamping: retries)
            info.recovery = recovery
            onError(instance, &info)
        }
    }

    private func resumeDuePartitions() {
        guard !pauses.isEmpty else { return }
        let now = ContinuousClock.now
        for (partition, deadline) in pauses {
            guard let deadline, deadline <= now else { continue }
            pauses[partition] = nil
            logger.info("resuming \(partition)")
            kafka.resume(partition)
        }
    }

    // MARK: Offsets

    private func storeProgress() {
        guard !progress.isEmpty else { return }
        store(progress.makeList())
        progress.removeAll()
    }

    private func storeProgress(of partition: PartitionRef) {
        guard let list = progress.makeList(only: partition) else { return }
        store(list)
        progress.remove(partition)
    }

    private func store(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        kafka.storeOffsets(list)
        if config.offsetCommitOnIdle {
            for index in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[index]
                storedOffsets[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
            }
        }
        rd_kafka_topic_partition_list_destroy(list)
    }

    /// Commits every offset_commit_interval: the stored offsets that changed, or with
    /// offset_commit_on_idle every stored offset again, so an idle group's offsets do not
    /// expire from the broker.
    private func commitPeriodically() {
        lastCommit = .now
        if config.offsetCommitOnIdle, !storedOffsets.isEmpty {
            let list = makePartitionList(storedOffsets.map { ($0.key, offset: $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            logger.debug("committing \(storedOffsets.count) stored offsets (offset_commit_on_idle)")
            kafka.commit(list, synchronously: config.synchronousCommits)
        } else {
            kafka.commit(nil, synchronously: config.synchronousCommits)
        }
    }

    // MARK: Shutdown

    private func stop() {
        logger.info("\(consumer.name) stopping")
        storeProgress()
        releaseChunk()
        isStopping = true
        consumer.vtable.teardown?(instance)
        if let failure = context.deliver() {
            logger.error("delivering messages produced at shutdown failed: \(failure)")
        }
        kafka.commitStoredOffsets()
        kafka.close()
        consumer.vtable.destroy?(instance)
        instance = nil
        logger.info("\(consumer.name) stopped")
    }
}

extension Runner: RebalanceListener {
    func partitionsAssigned(_ partitions: [TopicPartition]) {
        guard let hook = consumer.vtable.on_partitions_assigned, !isStopping else { return }
        withTopicPartitions(partitions) { hook(instance, $0, $1) }
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        guard let hook = consumer.vtable.on_partitions_revoked, !isStopping else { return }
        withTopicPartitions(partitions) { hook(instance, $0, $1) }
    }

    func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int) {
        guard let hook = consumer.vtable.on_statistics, !isStopping else { return }
        hook(instance, json, length)
    }

    func partitionsRevoking(_ partitions: [TopicPartition]) {
        // Processing never overlaps this callback, so all finished work is already stored;
        // the consumer commits it before giving the partitions up.
        storeProgress()
        for partition in partitions {
            pauses[partition] = nil
            failures[partition] = nil
            storedOffsets[partition] = nil
            revokedDuringPoll.insert(partition)
        }
    }
}

/// Lays `partitions` out as the ABI's array of `racecar_topic_partition` pointers for `body`.
private func withTopicPartitions(
    _ partitions: [TopicPartition],
    _ body: (UnsafePointer<UnsafePointer<racecar_topic_partition>?>, Int) -> Void
) {
    let structs = UnsafeMutableBufferPointer<racecar_topic_partition>.allocate(capacity: max(partitions.count, 1))
    let pointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_topic_partition>?>.allocate(capacity: max(partitions.count, 1))
    for (index, partition) in partitions.enumerated() {
        structs[index] = racecar_topic_partition(
            struct_size: MemoryLayout<racecar_topic_partition>.size,
            topic: UnsafePointer(strdup(partition.topic)),
            partition: partition.partition
        )
        pointers[index] = UnsafePointer(structs.baseAddress! + index)
    }
    defer {
        for index in partitions.indices { free(UnsafeMutablePointer(mutating: structs[index].topic)) }
        structs.deallocate()
        pointers.deallocate()
    }
    body(UnsafePointer(pointers.baseAddress!), partitions.count)
}
