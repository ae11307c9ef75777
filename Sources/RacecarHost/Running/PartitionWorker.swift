import CRacecarPlugin
import CRdKafka
import Foundation
import Logging
import Synchronization

/// One consumer instance and the partitions it owns: calls the plugin, stores offsets after
/// success, and handles failures (retry counts, dead letters, the error hook), asking the
/// polling thread to pause through the ``WorkerInbox``.
///
/// Everything except the queue bookkeeping runs on one thread at a time: the polling thread
/// with `concurrency: 1`, the worker's own ``WorkerThread`` otherwise.
final class PartitionWorker: @unchecked Sendable {
    typealias MessagePointer = UnsafeMutablePointer<rd_kafka_message_t>

    let index: Int
    private let consumer: ConsumerDescriptor
    private let config: RacecarConfig
    private let groupID: String
    private let logger: Logger
    private let kafka: KafkaConsumer
    private let inbox: WorkerInbox
    private let shutdown: ShutdownSignal
    private let pausePolicy: PausePolicy
    private let ledger: OffsetLedger?
    private let metrics: ConsumerMetrics?
    let context: ConsumerHostContext
    private(set) var instance: UnsafeMutableRawPointer?
    private let messages: MessageBuffer
    private let errorBuffer = ReusableErrorBuffer()

    /// Consecutive failures per partition; an entry exists only while a partition is failing.
    private var failures: [PartitionRef: Int] = [:]
    /// Partitions waiting for a seek back to the failed offset: messages before it arrives are
    /// stale and dropped.
    private var awaitingOffset: [PartitionRef: Int64] = [:]

    init(
        index: Int,
        consumer: ConsumerDescriptor,
        config: RacecarConfig,
        groupID: String,
        logger: Logger,
        kafka: KafkaConsumer,
        inbox: WorkerInbox,
        shutdown: ShutdownSignal,
        producer: SharedProducer,
        ledger: OffsetLedger?,
        metrics: ConsumerMetrics?
    ) throws(RunnerError) {
        self.index = index
        self.consumer = consumer
        self.config = config
        self.groupID = groupID
        self.logger = logger
        self.kafka = kafka
        self.inbox = inbox
        self.shutdown = shutdown
        self.ledger = ledger
        self.metrics = metrics
        self.pausePolicy = PausePolicy(
            pauseTimeout: config.pauseTimeout,
            exponentialBackoff: config.pauseWithExponentialBackoff,
            maxPauseTimeout: config.maxPauseTimeout
        )
        self.messages = MessageBuffer(capacity: config.fetchMessages, headersOnDemand: consumer.readsHeadersOnDemand)
        var workerLogger = logger
        if config.concurrency > 1 { workerLogger[metadataKey: "instance"] = "\(index)" }
        context = ConsumerHostContext(logger: workerLogger, producer: producer, messages: messages)
        var message = ""
        let status = withErrorBuffer(capturing: &message) { error in
            consumer.vtable.create!(consumer.raw, context.opaque, HostAPITable.shared, &instance, error)
        }
        guard status == RACECAR_OK else { throw .createFailed(consumer: consumer.name, message: message) }
    }

    // MARK: Processing

    /// Processes `run`, consecutive messages of one partition in offset order, until the first
    /// failure, a stop request, a fatal Kafka error, or `isAbandoned` says the partition was
    /// revoked. The caller destroys the messages.
    func handle(_ run: UnsafeBufferPointer<MessagePointer>, isAbandoned: ((PartitionRef) -> Bool)? = nil) {
        guard let first = run.first else { return }
        let partition = PartitionRef(first)
        var start = 0
        if !awaitingOffset.isEmpty, let awaited = awaitingOffset[partition] {
            // Until the seek takes effect, messages after the failed one are stale.
            guard let resumeAt = run.firstIndex(where: { $0.pointee.offset == awaited }) else { return }
            awaitingOffset[partition] = nil
            start = resumeAt
        }
        if consumer.isBatchConsumer {
            handleBatches(run, from: start, partition: partition, isAbandoned: isAbandoned)
        } else {
            handleEach(run, from: start, partition: partition, isAbandoned: isAbandoned)
        }
    }

    private func handleEach(
        _ run: UnsafeBufferPointer<MessagePointer>,
        from start: Int,
        partition: PartitionRef,
        isAbandoned: ((PartitionRef) -> Bool)?
    ) {
        let process = consumer.vtable.process!
        let instance = instance
        var lastDone: MessagePointer?
        var done = 0
        defer { if let lastDone { store(after: lastDone, processed: done) } }
        var index = start
        while index < run.count {
            if mustStop(partition, isAbandoned) { return }
            let message = run[index]
            index += 1
            messages.fill(count: 1, retries: retries(partition)) { _ in message }
            errorBuffer.clear()
            let started = metrics == nil ? 0 : monotonicNanoseconds()
            let status = process(instance, messages.pointers[0], errorBuffer.pointer)
            messages.callEnded()
            metrics?.call(nanoseconds: monotonicNanoseconds() - started, size: 1, isBatch: false)
            var failure = status == RACECAR_OK ? nil : errorBuffer.message
            if failure == nil, context.needsDelivery, let deliveryFailure = context.deliver() {
                failure = deliveryFailure
            }
            guard let failure else {
                lastDone = message
                done += 1
                if !failures.isEmpty { failures[partition] = nil }
                continue
            }
            if let lastDone { store(after: lastDone, processed: done) }
            lastDone = nil
            done = 0
            guard fail(at: message, partition: partition, reason: failure, batch: nil) else { return }
            // Sent to the dead-letter topic: its offset is stored, the rest of the run follows.
        }
    }

    private func handleBatches(
        _ run: UnsafeBufferPointer<MessagePointer>,
        from start: Int,
        partition: PartitionRef,
        isAbandoned: ((PartitionRef) -> Bool)?
    ) {
        let processBatch = consumer.vtable.process_batch!
        let instance = instance
        var batchStart = start
        while batchStart < run.count {
            if mustStop(partition, isAbandoned) { return }
            let count = min(run.count - batchStart, messages.capacity)
            let offset = batchStart
            messages.fill(count: count, retries: retries(partition)) { run[offset + $0] }
            var processed = 0
            errorBuffer.clear()
            let started = metrics == nil ? 0 : monotonicNanoseconds()
            let status = processBatch(instance, messages.pointers, count, &processed, errorBuffer.pointer)
            messages.callEnded()
            metrics?.call(nanoseconds: monotonicNanoseconds() - started, size: count, isBatch: true)
            var failure = status == RACECAR_OK ? nil : errorBuffer.message
            if status == RACECAR_OK {
                processed = count
                if context.needsDelivery, let deliveryFailure = context.deliver() {
                    failure = deliveryFailure
                    processed = 0
                }
            }
            processed = min(max(processed, 0), count)
            if processed > 0 {
                let last = run[batchStart + processed - 1]
                store(after: last, processed: processed)
            }
            guard let failure else {
                if !failures.isEmpty { failures[partition] = nil }
                batchStart += count
                continue
            }
            let failed = run[batchStart + processed]
            guard
                fail(
                    at: failed, partition: partition, reason: failure,
                    batch: (run[batchStart], run[batchStart + count - 1]))
            else { return }
            batchStart += processed + 1
        }
    }

    /// Checked before each message or batch. After a fatal Kafka error nothing more can be
    /// committed, so work done from then on would only be repeated by the next owner.
    @inline(__always)
    private func mustStop(_ partition: PartitionRef, _ isAbandoned: ((PartitionRef) -> Bool)?) -> Bool {
        shutdown.isRequested || kafka.hasFatalError || isAbandoned?(partition) == true
    }

    @inline(__always)
    private func retries(_ partition: PartitionRef) -> Int32 {
        failures.isEmpty ? 0 : Int32(clamping: failures[partition] ?? 0)
    }

    /// Stores the offset after `message` as where its partition resumes; `processed`
    /// messages of the run were handled successfully up to it.
    private func store(after message: MessagePointer, processed: Int) {
        kafka.storeOffset(after: message)
        guard ledger != nil || metrics != nil else { return }
        let partition = TopicPartition(message)
        ledger?.record(partition, next: message.pointee.offset + 1)
        metrics?.processed(processed, of: partition)
    }

    // MARK: Failures

    /// Handles a failure at `message`; returns `true` when processing of the run may go on
    /// (the message went to the dead-letter topic).
    private func fail(
        at message: MessagePointer,
        partition ref: PartitionRef,
        reason: String,
        batch: (first: MessagePointer, last: MessagePointer)?
    ) -> Bool {
        let partition = TopicPartition(message)
        let offset = message.pointee.offset
        let consecutive = (failures[ref] ?? 0) + 1
        failures[ref] = consecutive
        metrics?.failed(partition)
        let range = batch.map { " (batch \($0.first.pointee.offset)-\($0.last.pointee.offset))" } ?? ""
        let failure =
            "\(consumer.name) failed at \(partition)@\(offset)\(range), retries_count \(consecutive - 1): \(reason)"
        func report(_ recovery: Int32) {
            notifyError(message, reason: reason, batch: batch, retries: consecutive - 1, recovery: recovery)
        }

        if let maxRetries = config.maxRetries, let deadLetterTopic = config.deadLetterTopic, consecutive > maxRetries {
            if let problem = sendToDeadLetter(message, topic: deadLetterTopic, reason: reason, retries: consecutive - 1)
            {
                context.logger.error(
                    "\(failure); sending it to dead-letter topic \(deadLetterTopic) failed (\(problem)), so it is retried"
                )
            } else {
                context.logger.error("\(failure); sent to dead-letter topic \(deadLetterTopic), moving on")
                report(RACECAR_RECOVERY_DEAD_LETTER)
                failures[ref] = nil
                store(after: message, processed: 0)
                metrics?.deadLettered(partition)
                return true
            }
        }
        switch pausePolicy.decision(afterFailures: consecutive) {
        case .stop:
            context.logger.error("\(failure); stopping because pause_timeout is 0")
            report(RACECAR_RECOVERY_STOP)
            inbox.post(.stop(failure))
            shutdown.request()
        case .pauseIndefinitely:
            context.logger.error("\(failure); pausing \(partition) until restart")
            report(RACECAR_RECOVERY_PAUSE)
            awaitingOffset[ref] = offset
            inbox.post(.pause(partition, offset: offset, until: nil))
        case .retry(let delay):
            context.logger.error("\(failure); retrying in \(formatSeconds(delay)) s")
            report(RACECAR_RECOVERY_RETRY)
            awaitingOffset[ref] = offset
            inbox.post(.pause(partition, offset: offset, until: .now + .milliseconds(Int64(delay * 1000))))
        }
        return false
    }

    /// Produces a copy of a message that keeps failing to the dead-letter topic, with headers
    /// saying where it came from and why; returns why that failed, if it did.
    private func sendToDeadLetter(_ message: MessagePointer, topic: String, reason: String, retries: Int) -> String? {
        let origin = TopicPartition(message)
        return context.sendToDeadLetter(
            message, topic: topic,
            headers: [
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
        _ message: MessagePointer,
        reason: String,
        batch: (first: MessagePointer, last: MessagePointer)?,
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

    // MARK: Rebalances and shutdown

    /// Forgets the failure state of partitions that left the assignment.
    func forget(_ partitions: Set<TopicPartition>) {
        failures = failures.filter { !partitions.contains($0.key.topicPartition) }
        awaitingOffset = awaitingOffset.filter { !partitions.contains($0.key.topicPartition) }
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) {
        guard let hook = consumer.vtable.on_partitions_assigned, !partitions.isEmpty else { return }
        withTopicPartitions(partitions) { hook(instance, $0, $1) }
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        guard let hook = consumer.vtable.on_partitions_revoked, !partitions.isEmpty else { return }
        withTopicPartitions(partitions) { hook(instance, $0, $1) }
    }

    func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int) {
        consumer.vtable.on_statistics?(instance, json, length)
    }

    /// Tears the instance down and delivers what it produced.
    func teardown() {
        consumer.vtable.teardown?(instance)
        if let failure = context.deliver() {
            context.logger.error("delivering messages produced at shutdown failed: \(failure)")
        }
    }

    func destroy() {
        consumer.vtable.destroy?(instance)
        instance = nil
    }
}

/// Lays `partitions` out as the ABI's array of `racecar_topic_partition` pointers for `body`.
private func withTopicPartitions(
    _ partitions: [TopicPartition],
    _ body: (UnsafePointer<UnsafePointer<racecar_topic_partition>?>, Int) -> Void
) {
    let structs = UnsafeMutableBufferPointer<racecar_topic_partition>.allocate(capacity: max(partitions.count, 1))
    let pointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_topic_partition>?>.allocate(
        capacity: max(partitions.count, 1))
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

@inline(__always)
private func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
