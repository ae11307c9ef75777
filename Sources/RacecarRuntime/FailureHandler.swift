import Logging
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka
import RacecarPluginHosting

/// Decides what happens after a message or batch of one instance failed: retry after a pause
/// (with `pause_timeout`, `pause_with_exponential_backoff`, `max_pause_timeout`), pause until
/// restart, stop the host, or send the message to the dead-letter topic after `max_retries`;
/// tells the plugin's `on_error` hook, and asks the polling thread to pause and seek back.
///
/// Keeps the failure state of the instance's partitions. Used from the instance's thread.
final class FailureHandler<Client: KafkaClient> {
    /// What the instance does after a failure.
    enum Outcome {
        /// The message went to the dead-letter topic: its offset is stored, the run goes on.
        case movedOn
        /// The partition pauses (or the host stops): the rest of the run is not processed.
        case halted
    }

    private let consumerName: String
    private let groupID: String
    private let policy: PausePolicy
    private let deadLetter: (topic: String, maxRetries: Int)?
    private let deadLetterTopic: String?
    private let inbox: WorkerInbox
    private let stop: StopRequest
    private let clock: RuntimeClock
    private let metrics: ConsumerMetrics?

    /// Consecutive failures per partition; an entry exists only while a partition is failing.
    private var failures: [PartitionID: Int] = [:]
    /// Partitions waiting for the seek back to the failed offset: until a message at that
    /// offset arrives, what was polled after the failure is stale.
    private var awaitingOffset: [PartitionID: Int64] = [:]
    /// The names of the partitions above, for forgetting them when they are revoked.
    private var names: [PartitionID: TopicPartition] = [:]

    init(
        consumerName: String, groupID: String, config: RacecarConfig, inbox: WorkerInbox, stop: StopRequest,
        clock: RuntimeClock, metrics: ConsumerMetrics?
    ) {
        self.consumerName = consumerName
        self.groupID = groupID
        self.policy = PausePolicy(
            pauseTimeout: config.pauseTimeout,
            exponentialBackoff: config.pauseWithExponentialBackoff,
            maxPauseTimeout: config.maxPauseTimeout)
        deadLetterTopic = config.deadLetterTopic
        if let topic = config.deadLetterTopic, let maxRetries = config.maxRetries {
            deadLetter = (topic, maxRetries)
        } else {
            deadLetter = nil
        }
        self.inbox = inbox
        self.stop = stop
        self.clock = clock
        self.metrics = metrics
    }

    /// How many times the next message of `partition` has been tried before.
    @inline(__always)
    func retries(_ partition: PartitionID) -> Int32 {
        failures.isEmpty ? 0 : Int32(clamping: failures[partition] ?? 0)
    }

    /// Clears the failure count of `partition` after a success.
    @inline(__always)
    func succeeded(_ partition: PartitionID) {
        if !failures.isEmpty { failures[partition] = nil }
    }

    /// Where processing of `run` may start: after a failure, the messages polled before the
    /// seek back took effect are stale, up to the failed offset; `nil` when all of them are.
    @inline(__always)
    func firstCurrentIndex(in run: UnsafeBufferPointer<Client.Message>, of partition: PartitionID) -> Int? {
        guard !awaitingOffset.isEmpty, let awaited = awaitingOffset[partition] else { return 0 }
        guard let resumeAt = run.firstIndex(where: { $0.offset == awaited }) else { return nil }
        awaitingOffset[partition] = nil
        return resumeAt
    }

    /// Handles the failure of `message`, processed alone or in `batch`.
    ///
    /// - Parameters:
    ///   - store: Stores the offset after a message, for one sent to the dead-letter topic.
    func handle(
        _ message: Client.Message,
        batch: ClosedRange<Int64>?,
        reason: String,
        instance: PluginInstance,
        services: InstanceServices<Client>,
        store: (Client.Message) -> Void
    ) -> Outcome {
        let ref = message.partitionID
        let partition = message.topicPartition
        let offset = message.offset
        let consecutive = (failures[ref] ?? 0) + 1
        failures[ref] = consecutive
        names[ref] = partition
        let range = batch.map { " (batch \($0.lowerBound)-\($0.upperBound))" } ?? ""
        let failure =
            "\(consumerName) failed at \(partition)@\(offset)\(range), retries_count \(consecutive - 1): \(reason)"
        var logger = Self.logger(of: instance, at: partition, offset: offset)
        logger[metadataKey: LogField.error] = "\(reason)"
        func report(_ recovery: FailureRecovery) {
            instance.reportFailure(
                FailureReport(
                    reason: reason, topic: message.topicName, partition: partition.partition, offset: offset,
                    batch: batch, retries: consecutive - 1, recovery: recovery))
        }

        if let deadLetter, consecutive > deadLetter.maxRetries {
            let headers = deadLetterHeaders(
                partition, offset: offset, error: reason, extra: ("racecar-retries", String(consecutive - 1)))
            do {
                try services.sendToDeadLetter(message, topic: deadLetter.topic, headers: headers)
                logger.error("\(failure); sent to dead-letter topic \(deadLetter.topic), moving on")
                report(.deadLetter)
                failures[ref] = nil
                store(message)
                inbox.post(.deadLettered)
                metrics?.deadLettered(partition)
                return .movedOn
            } catch {
                logger.error(
                    "\(failure); sending it to dead-letter topic \(deadLetter.topic) failed (\(error)), so it is retried"
                )
            }
        }
        switch policy.decision(afterFailures: consecutive) {
        case .stop:
            logger.error("\(failure); stopping because pause_timeout is 0")
            report(.stop)
            inbox.post(.stop(failure))
            stop.request()
        case .pauseIndefinitely:
            logger.error("\(failure); pausing \(partition) until restart")
            report(.pauseUntilRestart)
            awaitingOffset[ref] = offset
            inbox.post(.pause(partition, offset: offset, until: nil))
        case .retry(let delay):
            logger.error("\(failure); retrying in \(formatSeconds(delay)) s")
            report(.retry)
            awaitingOffset[ref] = offset
            inbox.post(.pause(partition, offset: offset, until: clock.now() + delay))
        }
        return .halted
    }

    /// Handles a poison message, one that crashed worker processes `max_crashes` times and is
    /// not handed to the plugin again: copied to the dead-letter topic (then the partition moves
    /// on), or, without one, its partition pauses, looking again (and logging) every
    /// ``poisonRecheckInterval`` until a restart.
    func handlePoison(
        _ message: Client.Message,
        _ poison: CrashedPositions.Poison,
        instance: PluginInstance,
        services: InstanceServices<Client>,
        store: (Client.Message) -> Void
    ) -> Outcome {
        let ref = message.partitionID
        let partition = message.topicPartition
        names[ref] = partition
        let reason = "it crashed the consumer (\(poison.crash)) \(poison.crashes) times"
        let failure = "\(consumerName) did not process \(partition)@\(message.offset): \(reason)"
        var logger = Self.logger(of: instance, at: partition, offset: message.offset)
        logger[metadataKey: LogField.error] = "\(reason)"
        func report(_ recovery: FailureRecovery) {
            instance.reportFailure(
                FailureReport(
                    reason: reason, topic: message.topicName, partition: partition.partition,
                    offset: message.offset, batch: nil, retries: poison.crashes, recovery: recovery))
        }
        if let topic = deadLetterTopic {
            let headers = deadLetterHeaders(
                partition, offset: message.offset, error: "crashed the consumer: \(poison.crash)",
                extra: ("racecar-crashes", String(poison.crashes)))
            do {
                try services.sendToDeadLetter(message, topic: topic, headers: headers)
                logger.error("\(failure); sent to dead-letter topic \(topic), moving on")
                report(.deadLetter)
                failures[ref] = nil
                store(message)
                inbox.post(.deadLettered)
                metrics?.deadLettered(partition)
                return .movedOn
            } catch {
                logger.error("\(failure); sending it to dead-letter topic \(topic) failed (\(error))")
            }
        } else {
            logger.error(
                "\(failure); \(partition) stays paused until restart (set dead_letter_topic to move past it)")
        }
        report(.pauseUntilRestart)
        awaitingOffset[ref] = message.offset
        inbox.post(.pause(partition, offset: message.offset, until: clock.now() + Self.poisonRecheckInterval))
        return .halted
    }

    /// The instance's logger, its lines tagged with the message they are about.
    private static func logger(of instance: PluginInstance, at partition: TopicPartition, offset: Int64) -> Logger {
        var logger = instance.logger
        logger[metadataKey: "topic"] = "\(partition.topic)"
        logger[metadataKey: "partition"] = "\(partition.partition)"
        logger[metadataKey: "offset"] = "\(offset)"
        return logger
    }

    /// The headers a dead-letter copy carries: where it came from, who failed on it and why.
    private func deadLetterHeaders(
        _ partition: TopicPartition, offset: Int64, error: String, extra: (String, String)
    ) -> [(name: String, value: String)] {
        [
            ("racecar-original-topic", partition.topic),
            ("racecar-original-partition", String(partition.partition)),
            ("racecar-original-offset", String(offset)),
            ("racecar-consumer", consumerName),
            ("racecar-group-id", groupID),
            ("racecar-error", error),
            extra,
        ]
    }

    /// How often a partition paused behind a poison message says so again.
    static var poisonRecheckInterval: Duration { .seconds(60) }

    /// Forgets the failure state of partitions that left the assignment.
    func forget(_ partitions: Set<TopicPartition>) {
        for (ref, partition) in names where partitions.contains(partition) {
            failures[ref] = nil
            awaitingOffset[ref] = nil
            names[ref] = nil
        }
    }
}
