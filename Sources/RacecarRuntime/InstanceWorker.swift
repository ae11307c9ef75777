import Logging
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// Processes runs of messages with one consumer instance: calls the plugin, waits for what a
/// message produced, stores offsets after success, and hands failures to its
/// ``FailureHandler``.
///
/// Used from one thread at a time: the polling thread with `concurrency: 1`, the instance's
/// ``WorkerThread`` otherwise.
final class InstanceWorker<Client: KafkaClient>: MessageHeaderSource, @unchecked Sendable {
    let index: Int
    private let client: Client
    private let stop: StopRequest
    private let ledger: OffsetLedger?
    /// The handles of each partition's metrics, when metrics are on; `runMetrics` is the
    /// partition of the run in progress.
    private var metrics: PartitionMetricsCache?
    private var runMetrics: PartitionMetrics?
    private let isBatchConsumer: Bool
    private let services: InstanceServices<Client>
    private let failures: FailureHandler<Client>
    /// Set once the instance exists; `init` cannot create it before `self` is complete.
    private(set) var instance: PluginInstance!
    /// The messages of the plugin call in progress, for their headers: slot `i` is
    /// `current[currentStart + i]`.
    private var current = UnsafeBufferPointer<Client.Message>(start: nil, count: 0)
    private var currentStart = 0
    /// What crashed worker processes before, when a supervisor runs this one.
    private var crashGuard: CrashGuard?

    /// Creates the worker and its plugin instance.
    ///
    /// - Throws: ``PluginCallError`` when the plugin's `create` fails.
    init(
        index: Int,
        consumer: ConsumerDescriptor,
        config: RacecarConfig,
        groupID: String,
        client: Client,
        runtime: RuntimeContext,
        ledger: OffsetLedger?,
        crashedPositionsPath: String? = nil,
        logger: Logger
    ) throws(PluginCallError) {
        self.index = index
        self.client = client
        self.stop = runtime.stop
        self.ledger = ledger
        self.metrics = runtime.metrics.map(PartitionMetricsCache.init)
        self.isBatchConsumer = consumer.isBatchConsumer
        services = InstanceServices(client: client, metrics: runtime.metrics?.producer)
        failures = FailureHandler(
            consumerName: consumer.name, groupID: groupID, config: config, inbox: runtime.inbox, stop: runtime.stop,
            clock: runtime.clock, metrics: runtime.metrics)
        instance = try PluginInstance(
            consumer: consumer, capacity: config.fetchMessages, logger: logger, services: services, headerSource: self,
            settings: config.settings, instanceIndex: index)
        if let crashedPositionsPath {
            crashGuard = CrashGuard(path: crashedPositionsPath)
            reloadCrashGuard()
        }
    }

    private func reloadCrashGuard() {
        if let problem = crashGuard?.reload() { instance.logger.error("\(problem)") }
    }

    // MARK: Processing

    /// Processes `run`, consecutive messages of one partition in offset order, until the first
    /// failure, a stop request, a fatal Kafka error, or `isAbandoned` says the partition was
    /// revoked. The caller owns the messages.
    func handle(_ run: UnsafeBufferPointer<Client.Message>, isAbandoned: (() -> Bool)? = nil) {
        guard let first = run.first else { return }
        let partition = first.partitionID
        guard let start = failures.firstCurrentIndex(in: run, of: partition) else { return }
        current = run
        runMetrics = metrics?.partition(partition, named: first.topicPartition)
        defer {
            current = UnsafeBufferPointer(start: nil, count: 0)
            runMetrics = nil
        }
        // One partition, so one topic: looked up once, not per message.
        let topic = first.topicName
        let avoiding = crashGuard?.avoiding(first.topicPartition)
        if isBatchConsumer {
            handleBatches(
                run, from: start, partition: partition, topic: topic, avoiding: avoiding, isAbandoned: isAbandoned)
        } else {
            handleEach(
                run, from: start, partition: partition, topic: topic, avoiding: avoiding, isAbandoned: isAbandoned)
        }
    }

    private func handleEach(
        _ run: UnsafeBufferPointer<Client.Message>, from start: Int, partition: PartitionID,
        topic: UnsafePointer<CChar>, avoiding: CrashGuard.Partition?, isAbandoned: (() -> Bool)?
    ) {
        let instance = instance!
        var lastDone: Client.Message?
        var done = 0
        defer { if let lastDone { store(after: lastDone, processed: done) } }
        var index = start
        // One clock read per message with metrics on: a call's end is the next call's start.
        var started = runMetrics == nil ? 0 : monotonicNanoseconds()
        while index < run.count {
            if mustStop(isAbandoned) { return }
            let message = run[index]
            currentStart = index
            index += 1
            if let avoiding, let poison = avoiding.poison[message.offset] {
                if let stored = lastDone { store(after: stored, processed: done) }
                lastDone = nil
                done = 0
                let outcome = failures.handlePoison(
                    message, poison, instance: instance, services: services, store: { store(after: $0, processed: 0) })
                guard case .movedOn = outcome else { return }
                if runMetrics != nil { started = monotonicNanoseconds() }
                continue
            }
            var failure = instance.process(message.borrowed(topic: topic), retries: failures.retries(partition))
            if failure == nil, services.needsDelivery, let deliveryFailure = deliveryFailure() {
                failure = deliveryFailure
            }
            guard let failure else {
                if let runMetrics {
                    let finished = monotonicNanoseconds()
                    runMetrics.succeeded(nanoseconds: finished - started, size: 1)
                    started = finished
                }
                lastDone = message
                done += 1
                failures.succeeded(partition)
                continue
            }
            runMetrics?.failed(size: 1, at: message.offset)
            if let stored = lastDone { store(after: stored, processed: done) }
            lastDone = nil
            done = 0
            let outcome = failures.handle(
                message, batch: nil, reason: failure, instance: instance, services: services,
                store: { store(after: $0, processed: 0) })
            guard case .movedOn = outcome else { return }
            if runMetrics != nil { started = monotonicNanoseconds() }
        }
    }

    private func handleBatches(
        _ run: UnsafeBufferPointer<Client.Message>, from start: Int, partition: PartitionID,
        topic: UnsafePointer<CChar>, avoiding: CrashGuard.Partition?, isAbandoned: (() -> Bool)?
    ) {
        let instance = instance!
        var batchStart = start
        while batchStart < run.count {
            if mustStop(isAbandoned) { return }
            var count = min(run.count - batchStart, instance.batchCapacity)
            if let avoiding {
                if let poison = avoiding.poison[run[batchStart].offset] {
                    let outcome = failures.handlePoison(
                        run[batchStart], poison, instance: instance, services: services,
                        store: { store(after: $0, processed: 0) })
                    guard case .movedOn = outcome else { return }
                    batchStart += 1
                    continue
                }
                // A range that crashed a batch goes one message at a time, so that a crash names
                // a single message; other batches stop short of it and of poison messages.
                if avoiding.isNarrowed(run[batchStart].offset) {
                    count = 1
                } else {
                    let end = batchStart + count
                    let stop = (batchStart + 1..<end).first { index in
                        avoiding.poison[run[index].offset] != nil || avoiding.isNarrowed(run[index].offset)
                    }
                    count = stop.map { $0 - batchStart } ?? count
                }
            }
            let offset = batchStart
            currentStart = batchStart
            let started = runMetrics == nil ? 0 : monotonicNanoseconds()
            var failed = instance.processBatch(count: count, retries: failures.retries(partition)) {
                run[offset + $0].borrowed(topic: topic)
            }
            if failed == nil, services.needsDelivery, let deliveryFailure = deliveryFailure() {
                failed = (deliveryFailure, 0)
            }
            guard let (reason, processed) = failed else {
                runMetrics?.succeeded(nanoseconds: monotonicNanoseconds() - started, size: count)
                store(after: run[batchStart + count - 1], processed: count)
                failures.succeeded(partition)
                batchStart += count
                continue
            }
            runMetrics?.failed(size: count, at: run[batchStart + processed].offset)
            if processed > 0 { store(after: run[batchStart + processed - 1], processed: processed) }
            let outcome = failures.handle(
                run[batchStart + processed], batch: run[batchStart].offset...run[batchStart + count - 1].offset,
                reason: reason, instance: instance, services: services, store: { store(after: $0, processed: 0) })
            guard case .movedOn = outcome else { return }
            batchStart += processed + 1
        }
    }

    /// Waits for what the instance produced; returns why a delivery failed, as the reason the
    /// message that produced it failed.
    private func deliveryFailure() -> String? {
        do {
            try services.deliver()
            return nil
        } catch {
            return error.description
        }
    }

    /// Checked before each message or batch. After a fatal Kafka error nothing more can be
    /// committed, so work done from then on would only be repeated by the next owner.
    @inline(__always)
    private func mustStop(_ isAbandoned: (() -> Bool)?) -> Bool {
        stop.isRequested || client.hasFatalError || isAbandoned?() == true
    }

    /// Stores the offset after `message` as where its partition resumes; `processed`
    /// messages of the run were handled successfully up to it.
    private func store(after message: Client.Message, processed: Int) {
        client.storeOffset(after: message)
        runMetrics?.processed(
            processed, lastOffset: message.offset,
            timestamp: message.borrowed(topic: message.topicName).timestampMilliseconds)
        ledger?.record(message.topicPartition, next: message.offset + 1)
    }

    // MARK: MessageHeaderSource

    func headerCount(ofSlot slot: Int) -> Int {
        current[currentStart + slot].headerCount
    }

    func forEachHeader(ofSlot slot: Int, _ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Void) {
        current[currentStart + slot].forEachHeader(body)
    }

    // MARK: Rebalances and shutdown

    /// Forgets the failure state of partitions that left the assignment.
    func forget(_ partitions: Set<TopicPartition>) {
        failures.forget(partitions)
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) {
        // A partition may come from a worker that crashed on it since this one started.
        reloadCrashGuard()
        instance.partitionsAssigned(partitions)
    }
    func partitionsRevoked(_ partitions: [TopicPartition]) { instance.partitionsRevoked(partitions) }
    func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int) {
        instance.statisticsReceived(json, length: length)
    }

    /// Tears the instance down and delivers what it produced.
    func teardown() {
        instance.teardown()
        if let failure = deliveryFailure() {
            instance.logger.error("delivering messages produced at shutdown failed: \(failure)")
        }
    }

    func destroy() {
        instance.destroy()
    }
}

@inline(__always)
private func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

#if canImport(Glibc)
    import Glibc
#endif
