import Logging
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka
import RacecarPluginHosting

/// The poll loop of one consumer: polls, hands runs of messages to the instance that owns
/// their partition, applies what the workers asked for (failure pauses, stops), resumes
/// partitions when their pause ends, commits when due, and handles rebalances in the order
/// the group needs: finish the revoked partitions' work, store, commit, tell the plugin,
/// then let the client unassign.
///
/// With `concurrency: 1` the one instance runs on the polling thread, so processing and the
/// rebalance callback never overlap. With `concurrency: N` each instance has a
/// ``WorkerThread``; the polling thread keeps polling, pauses partitions whose queue is full
/// (``FlowControl``), and waits for in-flight work on revoked partitions.
///
/// Everything but the workers runs on the thread that calls ``run()``.
package final class ConsumerLoop<Client: KafkaClient> {
    /// The consumer and configuration running; a swap replaces both.
    private var consumer: ConsumerDescriptor
    private var config: RacecarConfig
    private let groupID: String
    private let topics: [TopicSubscription]
    let client: Client
    let runtime: RuntimeContext
    let logger: Logger
    private let crashedPositionsPath: String?
    /// Where new versions of the consumer arrive, when it can be swapped live.
    private let swaps: SwapMailbox?
    private(set) var workers: [InstanceWorker<Client>]
    /// One per worker when `concurrency` > 1; empty when the single worker runs inline.
    private(set) var threads: [WorkerThread<Client>]
    private var committer: OffsetCommitter<Client>
    private var chunk: PolledChunk<Client.Message>
    var ownership: PartitionOwnership
    var flow: FlowControl
    var pauses = PauseSchedule()
    /// The status and control of the operations endpoint, when the host serves one.
    var reporter: StatusReporter?
    private var liveness: LivenessProbe?
    private var fatalFailure: String?
    /// Set once shutdown began: the plugin hears of no more rebalances after its teardown.
    private var isStopping = false

    /// Prepares a run: creates the plugin's consumer instances and their threads.
    ///
    /// - Parameters:
    ///   - crashedPositionsPath: The supervisor's file of positions that crashed workers
    ///     (``CrashedPositions``), when a supervisor runs this process.
    ///   - swaps: Where new versions of the consumer arrive (``ConsumerSwap``), which the loop
    ///     swaps in between two passes.
    /// - Throws: ``RuntimeError/createFailed(_:)`` when the plugin's `create` fails.
    package init(
        consumer: ConsumerDescriptor,
        config: RacecarConfig,
        client: Client,
        stop: StopRequest,
        clock: RuntimeClock = .continuous,
        crashedPositionsPath: String? = nil,
        swaps: SwapMailbox? = nil,
        operations: RuntimeOperations? = nil,
        logger: Logger
    ) throws(RuntimeError) {
        self.consumer = consumer
        self.config = config
        self.client = client
        self.logger = logger
        self.crashedPositionsPath = crashedPositionsPath
        self.swaps = swaps
        groupID = config.effectiveGroupID(consumer: consumer.name)
        topics = config.topicSubscriptions(compiled: consumer.subscriptions)
        runtime = RuntimeContext(
            stop: stop, inbox: WorkerInbox(), clock: clock,
            metrics: config.metricsEnabled
                ? ConsumerMetrics(
                    consumer: consumer.name, groupID: groupID, clientID: config.clientID,
                    isBatchConsumer: consumer.isBatchConsumer, clock: clock) : nil)
        committer = OffsetCommitter(client: client, config: config, clock: clock, logger: logger)
        chunk = PolledChunk(capacity: config.fetchMessages)
        ownership = PartitionOwnership(instanceCount: config.concurrency)
        flow = FlowControl(fetchMessages: config.fetchMessages)
        if config.livenessProbeEnabled {
            liveness = LivenessProbe(path: config.livenessProbeFilePath, maxInterval: config.livenessProbeMaxInterval)
        }
        do {
            workers = try Self.makeWorkers(
                consumer: consumer, config: config, groupID: groupID, client: client, runtime: runtime,
                ledger: committer.ledger, crashedPositionsPath: crashedPositionsPath, logger: logger)
        } catch {
            throw .createFailed(error)
        }
        threads = config.concurrency > 1 ? workers.map(WorkerThread.init) : []
        reporter = operations.map {
            StatusReporter(operations: $0, consumer: consumer, config: config, instances: workers.count)
        }
        client.rebalanceListener = self
    }

    /// Creates the `concurrency` instances of `consumer`; if one fails, destroys the ones
    /// created before it.
    private static func makeWorkers(
        consumer: ConsumerDescriptor, config: RacecarConfig, groupID: String, client: Client, runtime: RuntimeContext,
        ledger: OffsetLedger?, crashedPositionsPath: String?, logger: Logger
    ) throws(PluginCallError) -> [InstanceWorker<Client>] {
        var workers: [InstanceWorker<Client>] = []
        for index in 0..<config.concurrency {
            var instanceLogger = logger
            if config.concurrency > 1 { instanceLogger[metadataKey: "instance"] = "\(index)" }
            do {
                workers.append(
                    try InstanceWorker(
                        index: index, consumer: consumer, config: config, groupID: groupID, client: client,
                        runtime: runtime, ledger: ledger, crashedPositionsPath: crashedPositionsPath,
                        logger: instanceLogger))
            } catch {
                workers.forEach { $0.destroy() }
                throw error
            }
        }
        return workers
    }

    /// Consumes until a stop is requested, or a swap needs a new Kafka client, then shuts
    /// down: finishes the in-flight message or batch, tears the consumer down, delivers,
    /// commits and leaves the group.
    ///
    /// - Parameter consuming: Called once subscribed, before the first poll.
    /// - Returns: The swap to apply with a new client, if that is why the loop ended.
    /// - Throws: ``RuntimeError`` for a fatal processing or Kafka error, after the shutdown.
    @discardableResult
    package func run(consuming: () -> Void = {}) throws(RuntimeError) -> ClientRestart? {
        do {
            try client.subscribe(topics)
        } catch {
            throw .kafka(error)
        }
        runtime.metrics?.joinBegan()
        threads.forEach { $0.start() }
        let parallel = threads.isEmpty ? "" : " with \(threads.count) instances"
        logger.info(
            "\(consumer.name) consuming \(topics.map(\.topic).joined(separator: ", ")) as group \(groupID)\(parallel) on \(client.implementation)"
        )
        consuming()

        var kafkaFailure: KafkaError?
        var restart: ClientRestart?
        while !runtime.stop.isRequested {
            if let swap = swaps?.take() {
                restart = self.swap(to: swap)
                if restart != nil { break }
            }
            if let failure = runOnce() {
                kafkaFailure = failure
                break
            }
        }
        shutDown()
        if let kafkaFailure {
            restart?.finish(.failed(reason: "the Kafka client failed: \(kafkaFailure)"))
            throw .kafka(kafkaFailure)
        }
        if let fatalFailure { throw .processingFailed(fatalFailure) }
        return restart
    }

    /// One pass of the loop; returns the client's fatal error if it failed for good.
    func runOnce() -> KafkaError? {
        let started = runtime.metrics == nil ? nil : runtime.clock.now()
        defer { if let started { runtime.metrics?.loopRan(runtime.clock.now() - started) } }
        liveness?.touch()
        applyWorkerEvents()
        resumeDuePartitions()
        if reporter != nil { reportAndControl() }
        pollChunk()
        if !chunk.isEmpty { dispatchChunk() }
        applyWorkerEvents()
        committer.commitIfDue()
        return client.fatalError()
    }

    // MARK: Polling and dispatch

    private func pollChunk() {
        guard let first = client.poll(timeoutMilliseconds: pollTimeout()) else { return }
        accept(first)
        while !chunk.isFull, let next = client.poll(timeoutMilliseconds: 0) {
            accept(next)
        }
    }

    @inline(__always)
    private func accept(_ message: Client.Message) {
        guard let error = message.error else {
            chunk.append(message)
            return
        }
        if !error.isPartitionEOF {
            let description = message.errorDescription ?? "\(error)"
            runtime.metrics?.pollFailed(error)
            // A JoinGroup the broker refused reaches the host only as this error; librdkafka joins again.
            if description.hasPrefix("JoinGroup failed") { runtime.metrics?.joinFailed() }
            logger.warning("consumer error\(message.hasTopic ? " on \(message.topicPartition)" : ""): \(description)")
        }
        message.destroy()
    }

    /// Wakes in time for the next resume, and often enough to notice a stop request.
    private func pollTimeout() -> Int32 {
        let limit: Duration = threads.isEmpty ? .milliseconds(100) : .milliseconds(20)
        let wait = pauses.isEmpty ? limit : pauses.timeUntilNextResume(from: runtime.clock.now(), limit: limit)
        return Int32(clamping: Int64(wait / .milliseconds(1)))
    }

    /// Splits the chunk into runs of consecutive messages of one partition and hands each to
    /// the worker that owns the partition.
    private func dispatchChunk() {
        let messages = chunk.messages
        var start = 0
        while start < messages.count {
            let partition = messages[start].partitionID
            var end = start + 1
            while end < messages.count, messages[end].partitionID == partition { end += 1 }
            if threads.isEmpty {
                workers[0].handle(UnsafeBufferPointer(rebasing: messages[start..<end]))
            } else {
                handOver(chunk.moveRun(start..<end))
            }
            start = end
        }
        if threads.isEmpty {
            chunk.destroyAll()
        } else {
            // Every message was moved into a run, which owns it now.
            chunk.forgetAll()
        }
    }

    /// Queues `run` for the instance that owns its partition; pauses the partition when that
    /// instance's queue is full.
    private func handOver(_ run: MessageRun<Client.Message>) {
        let owner = ownership.owner(of: run.messages[0])
        let queued = threads[owner].enqueue(run)
        guard queued > flow.highWater else { return }
        let partition = run.messages[0].topicPartition
        if flow.mustPause(partition, id: run.partition, queued: queued), !pauses.isPaused(partition) {
            logger.debug("\(partition): \(queued) messages queued for instance \(owner), pausing until it catches up")
            client.pause(partition)
        }
    }

    // MARK: Pauses

    /// Applies what the workers asked for: failure pauses (with a seek back) and fatal stops.
    private func applyWorkerEvents() {
        for event in runtime.inbox.drain() {
            switch event {
            case .pause(let partition, let offset, let until):
                // A partition revoked since the failure belongs to its new owner now.
                guard ownership.isAssigned(partition) else { continue }
                client.pause(partition)
                client.seek(partition, to: offset)
                pauses.pause(partition, until: until)
                runtime.metrics?.paused(partition)
            case .stop(let failure):
                fatalFailure = fatalFailure ?? failure
            case .deadLettered:
                committer.commitSoon()
            }
        }
    }

    private func resumeDuePartitions() {
        if !pauses.isEmpty {
            for partition in pauses.takeDue(at: runtime.clock.now()) where !flow.isPaused(partition) {
                if reporter?.isManuallyPaused(partition) == true {
                    logger.info("\(partition): failure pause over; it stays paused until it is resumed (manual)")
                    continue
                }
                logger.info("resuming \(partition)")
                client.resume(partition)
                runtime.metrics?.resumed(partition)
            }
        }
        guard !flow.isEmpty else { return }
        for (partition, id) in flow.paused {
            guard let owner = ownership.owner(of: partition),
                flow.mayResume(partition, queued: threads[owner].queuedCount(id))
            else { continue }
            if !pauses.isPaused(partition), reporter?.isManuallyPaused(partition) != true {
                logger.debug("\(partition): instance \(owner) caught up, resuming")
                client.resume(partition)
            }
        }
    }

    // MARK: Swapping

    /// Swaps `swap`'s consumer in for the running one, in the same group membership: finishes
    /// the work handed to the instances, tears them down (delivering what they produced),
    /// commits, destroys them, and creates the new instances for the current assignment. If
    /// the new version's `create` fails, the previous version's instances are created again.
    ///
    /// The loop does not poll meanwhile, so no message arrives and no rebalance happens.
    ///
    /// - Returns: What the caller must do when `swap` changes what only a new Kafka client can
    ///   apply; `nil` once the swap is done (or rolled back) and reported.
    func swap(to swap: ConsumerSwap) -> ClientRestart? {
        let keys = keysNeedingNewClient(for: swap)
        guard keys.isEmpty else { return ClientRestart(swap: swap, keys: keys, mailbox: swaps) }
        let started = runtime.clock.now()
        logger.info("swapping \(consumer.name) for \(swap.version.text)")
        finishInstances()
        let previous = (consumer: consumer, config: config)
        let outcome: SwapOutcome
        do throws(PluginCallError) {
            try install(swap.consumer, config: swap.config)
            let milliseconds = Int((runtime.clock.now() - started) / .milliseconds(1))
            outcome = .swapped(milliseconds: milliseconds)
        } catch {
            logger.error(
                "the new version of \(consumer.name) failed to start: \(error); creating the previous version's instances again"
            )
            do throws(PluginCallError) {
                try install(previous.consumer, config: previous.config)
                outcome = .rolledBack(reason: "\(error)")
            } catch let rollbackError {
                let reason = "the new version failed to start (\(error)), and the previous one too (\(rollbackError))"
                fatalFailure = fatalFailure ?? reason
                runtime.stop.request()
                outcome = .failed(reason: reason + "; stopping")
            }
        }
        logger.log(level: outcome.isSuccess ? .info : .error, "\(consumer.name): \(outcome.text)")
        swaps?.finish(outcome)
        return nil
    }

    /// What in `swap` a new Kafka client must apply: changed keys that set librdkafka
    /// properties, the group or the subscriptions, and whether the consumer has a statistics hook.
    private func keysNeedingNewClient(for swap: ConsumerSwap) -> [String] {
        var keys = ConfigChanges(from: config, to: swap.config).newClient
        if swap.config.topicSubscriptions(compiled: swap.consumer.subscriptions) != topics,
            !keys.contains("subscribes_to")
        {
            keys.append("the consumer's subscriptions")
        }
        if swap.consumer.wantsStatistics != consumer.wantsStatistics { keys.append("the consumer's statistics hook") }
        return keys
    }

    /// Finishes everything handed to the instances, tears them down, commits and destroys them.
    private func finishInstances() {
        threads.forEach { $0.drain() }
        applyWorkerEvents()
        threads.forEach { $0.stop() }
        // The worker threads have exited: the instances are called from this thread only now.
        workers.forEach { $0.teardown() }
        committer.commitAtShutdown()
        workers.forEach { $0.destroy() }
        // Partitions paused while their queue was full flow again: every queue is empty now.
        for partition in flow.paused.keys where !pauses.isPaused(partition) { client.resume(partition) }
    }

    /// Creates instances of `consumer` with `config` for the current assignment, and their
    /// threads, and tells them what they own.
    private func install(_ consumer: ConsumerDescriptor, config: RacecarConfig) throws(PluginCallError) {
        let committer = OffsetCommitter(
            client: client, config: config, clock: runtime.clock, logger: logger, carrying: self.committer.ledger)
        workers = try Self.makeWorkers(
            consumer: consumer, config: config, groupID: groupID, client: client, runtime: runtime,
            ledger: committer.ledger, crashedPositionsPath: crashedPositionsPath, logger: logger)
        self.consumer = consumer
        self.config = config
        self.committer = committer
        chunk = PolledChunk(capacity: config.fetchMessages)
        flow = FlowControl(fetchMessages: config.fetchMessages)
        liveness =
            config.livenessProbeEnabled
            ? LivenessProbe(path: config.livenessProbeFilePath, maxInterval: config.livenessProbeMaxInterval) : nil
        reporter?.swapped(to: consumer, instances: workers.count)
        let assigned = ownership.partitions
        ownership = PartitionOwnership(instanceCount: config.concurrency)
        threads = config.concurrency > 1 ? workers.map(WorkerThread.init) : []
        threads.forEach { $0.start() }
        for (index, owned) in ownership.assign(assigned).enumerated() where !owned.isEmpty {
            onWorker(index) { $0.partitionsAssigned(owned) }
        }
    }

    // MARK: Shutdown

    private func shutDown() {
        logger.info("\(consumer.name) stopping")
        isStopping = true
        if reporter != nil { reportAndControl(stopping: true) }
        liveness?.remove()
        chunk.destroyAll()
        threads.forEach { $0.stop() }
        // The worker threads have exited: the instances are called from this thread only now.
        workers.forEach { $0.teardown() }
        committer.commitAtShutdown()
        let leaving = runtime.clock.now()
        let leaveFailure = client.close()
        runtime.metrics?.left(after: runtime.clock.now() - leaving, failed: leaveFailure != nil)
        workers.forEach { $0.destroy() }
        logger.info("\(consumer.name) stopped")
    }

    /// Runs `body` with the worker `index`, on its thread when it has one, and waits for it.
    private func onWorker(_ index: Int, _ body: @escaping (InstanceWorker<Client>) -> Void) {
        if threads.isEmpty {
            body(workers[index])
        } else {
            let worker = workers[index]
            threads[index].perform { body(worker) }
        }
    }
}

extension ConsumerLoop: RebalanceListener {
    package func partitionsAssigned(_ partitions: [TopicPartition]) {
        let byOwner = ownership.assign(partitions)
        runtime.metrics?.joined()
        if reporter != nil { noteAssigned(partitions) }
        guard !isStopping else { return }
        for (index, assigned) in byOwner.enumerated() where !assigned.isEmpty {
            onWorker(index) { $0.partitionsAssigned(assigned) }
        }
    }

    package func partitionsRevoked(_ partitions: [TopicPartition], assignmentLost: Bool) {
        // Pauses the workers asked for apply to partitions that may be leaving; record them first.
        applyWorkerEvents()
        let revoked = Set(partitions)
        // 1. Finish: wait for in-flight work on the revoked partitions (workers store offsets as
        //    they finish) and drop what was queued or polled for them, so the commit is final.
        threads.forEach { $0.abandon(revoked) }
        for index in workers.indices {
            onWorker(index) { $0.forget(revoked) }
        }
        for partition in partitions {
            // librdkafka keeps an application pause across a rebalance: lift it, or the
            // partition would stay paused if it came back to this member.
            let wasPaused = pauses.lift(partition)
            if wasPaused { runtime.metrics?.resumed(partition) }
            if flow.forget(partition) || wasPaused || reporter?.isManuallyPaused(partition) == true {
                client.resume(partition)
            }
        }
        // Messages polled into the current chunk before the revocation belong to the new owner,
        // which resumes from the committed offset; the rest of the chunk is still ours.
        chunk.destroy { revoked.contains($0.topicPartition) }
        // 2. Commit what was stored.
        committer.commitBeforeRevoking(partitions, assignmentLost: assignmentLost)
        // 3. Tell the plugin; the client unassigns once this returns.
        let byOwner = ownership.revoke(partitions)
        runtime.metrics?.joinBegan()
        if ownership.count == 0 { reporter?.membershipChanged(to: .rebalancing) }
        guard !isStopping else { return }
        for (index, revokedOfOwner) in byOwner.enumerated() where !revokedOfOwner.isEmpty {
            onWorker(index) { $0.partitionsRevoked(revokedOfOwner) }
        }
    }

    package func rebalanceFailed(_ error: KafkaErrorCode) {
        runtime.metrics?.joinFailed()
    }

    package func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int) {
        guard !isStopping else { return }
        // The JSON buffer is only valid during the callback; onWorker waits for the worker.
        onWorker(0) { $0.statisticsReceived(json, length: length) }
    }
}
