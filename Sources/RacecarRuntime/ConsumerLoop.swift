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
    private let consumer: ConsumerDescriptor
    private let groupID: String
    private let topics: [TopicSubscription]
    private let client: Client
    private let runtime: RuntimeContext
    private let logger: Logger
    private let workers: [InstanceWorker<Client>]
    /// One per worker when `concurrency` > 1; empty when the single worker runs inline.
    private let threads: [WorkerThread<Client>]
    private let committer: OffsetCommitter<Client>
    private let chunk: PolledChunk<Client.Message>
    private var ownership: PartitionOwnership
    private var flow: FlowControl
    private var pauses = PauseSchedule()
    private var liveness: LivenessProbe?
    private var fatalFailure: String?
    /// Set once shutdown began: the plugin hears of no more rebalances after its teardown.
    private var isStopping = false

    /// Prepares a run: creates the plugin's consumer instances and their threads.
    ///
    /// - Parameter crashedPositionsPath: The supervisor's file of positions that crashed
    ///   workers (``CrashedPositions``), when a supervisor runs this process.
    /// - Throws: ``RuntimeError/createFailed(_:)`` when the plugin's `create` fails.
    package init(
        consumer: ConsumerDescriptor,
        config: RacecarConfig,
        client: Client,
        stop: StopRequest,
        clock: RuntimeClock = .continuous,
        crashedPositionsPath: String? = nil,
        logger: Logger
    ) throws(RuntimeError) {
        self.consumer = consumer
        self.client = client
        self.logger = logger
        groupID = config.effectiveGroupID(consumer: consumer.name)
        topics = config.topicSubscriptions(compiled: consumer.subscriptions)
        runtime = RuntimeContext(
            stop: stop, inbox: WorkerInbox(), clock: clock,
            metrics: config.datadogEnabled
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
        var workers: [InstanceWorker<Client>] = []
        for index in 0..<config.concurrency {
            var instanceLogger = logger
            if config.concurrency > 1 { instanceLogger[metadataKey: "instance"] = "\(index)" }
            do {
                workers.append(
                    try InstanceWorker(
                        index: index, consumer: consumer, config: config, groupID: groupID, client: client,
                        runtime: runtime, ledger: committer.ledger, crashedPositionsPath: crashedPositionsPath,
                        logger: instanceLogger))
            } catch {
                throw .createFailed(error)
            }
        }
        self.workers = workers
        threads = config.concurrency > 1 ? workers.map(WorkerThread.init) : []
        client.rebalanceListener = self
    }

    /// Consumes until a stop is requested, then shuts down: finishes the in-flight message or
    /// batch, tears the consumer down, delivers, commits and leaves the group.
    ///
    /// - Parameter consuming: Called once subscribed, before the first poll.
    /// - Throws: ``RuntimeError`` for a fatal processing or Kafka error, after the shutdown.
    package func run(consuming: () -> Void = {}) throws(RuntimeError) {
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
        while !runtime.stop.isRequested {
            if let failure = runOnce() {
                kafkaFailure = failure
                break
            }
        }
        shutDown()
        if let kafkaFailure { throw .kafka(kafkaFailure) }
        if let fatalFailure { throw .processingFailed(fatalFailure) }
    }

    /// One pass of the loop; returns the client's fatal error if it failed for good.
    func runOnce() -> KafkaError? {
        let started = runtime.metrics == nil ? nil : runtime.clock.now()
        defer { if let started { runtime.metrics?.loopRan(runtime.clock.now() - started) } }
        liveness?.touch()
        applyWorkerEvents()
        resumeDuePartitions()
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
            runtime.metrics?.pollFailed(error)
            logger.warning("consumer error\(message.hasTopic ? " on \(message.topicPartition)" : ""): \(error)")
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
            }
        }
    }

    private func resumeDuePartitions() {
        if !pauses.isEmpty {
            for partition in pauses.takeDue(at: runtime.clock.now()) where !flow.isPaused(partition) {
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
            if !pauses.isPaused(partition) {
                logger.debug("\(partition): instance \(owner) caught up, resuming")
                client.resume(partition)
            }
        }
    }

    // MARK: Shutdown

    private func shutDown() {
        logger.info("\(consumer.name) stopping")
        isStopping = true
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
            if flow.forget(partition) || wasPaused { client.resume(partition) }
        }
        // Messages polled into the current chunk before the revocation belong to the new owner,
        // which resumes from the committed offset; the rest of the chunk is still ours.
        chunk.destroy { revoked.contains($0.topicPartition) }
        // 2. Commit what was stored.
        committer.commitBeforeRevoking(partitions, assignmentLost: assignmentLost)
        // 3. Tell the plugin; the client unassigns once this returns.
        let byOwner = ownership.revoke(partitions)
        runtime.metrics?.joinBegan()
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
