import Logging
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// Runs a consumer against Kafka through librdkafka: the composition of the runtime with the
/// real ``KafkaClient``.
package enum ConsumerRuntime {
    /// Connects, consumes until `stop` is requested, and shuts down gracefully.
    ///
    /// A swap from `swaps` that needs a new Kafka client ends the client gracefully (commit,
    /// leave the group) and joins with a new one; if the new version's `create` fails then,
    /// the previous version runs again on a client of its own configuration.
    ///
    /// - Throws: ``RuntimeError`` when no broker answers, the plugin's `create` fails, or
    ///   processing or Kafka failed fatally (after the shutdown).
    ///
    /// - Parameters:
    ///   - crashedPositionsPath: The supervisor's file of positions that crashed workers, when
    ///     a supervisor runs this process.
    ///   - swaps: Where new versions of the consumer arrive, when it can be swapped live.
    ///   - consuming: Called each time the consumer has subscribed and polls.
    package static func run(
        consumer: ConsumerDescriptor, config: RacecarConfig, stop: StopRequest, logger: Logger,
        crashedPositionsPath: String? = nil, swaps: SwapMailbox? = nil, operations: RuntimeOperations? = nil,
        consuming: @escaping () -> Void = {}
    ) throws(RuntimeError) {
        var running = (consumer: consumer, config: config)
        var restart: ClientRestart?
        while true {
            let next = restart.map { (consumer: $0.swap.consumer, config: $0.swap.config) } ?? running
            let loop: ConsumerLoop<LibrdkafkaClient>?
            do {
                loop = try makeLoop(
                    consumer: next.consumer, config: next.config, stop: stop, logger: logger,
                    crashedPositionsPath: crashedPositionsPath, swaps: swaps, operations: operations)
            } catch {
                guard let failed = restart else { throw error }
                // The previous version ran on its own client before: it runs again.
                logger.error(
                    "the new version failed to start on a new Kafka client: \(error); starting the previous version again"
                )
                failed.finish(.rolledBack(reason: "\(error)"))
                restart = nil
                continue
            }
            guard let loop else {
                restart?.finish(.failed(reason: "the consumer stopped before the new version started"))
                return
            }
            let restarted = restart
            restart = nil
            running = next
            restart = try loop.run {
                if let restarted {
                    logger.info("\(next.consumer.name): \(SwapOutcome.restartedClient(keys: restarted.keys).text)")
                    restarted.finish(.restartedClient(keys: restarted.keys))
                }
                consuming()
            }
            guard let restart else { return }
            logger.info(
                "restarting the Kafka client for the new version of \(running.consumer.name), since \(restart.keys.joined(separator: ", ")) changed"
            )
        }
    }

    /// A client and a loop over it; `nil` when a stop came before a broker answered.
    private static func makeLoop(
        consumer: ConsumerDescriptor, config: RacecarConfig, stop: StopRequest, logger: Logger,
        crashedPositionsPath: String?, swaps: SwapMailbox?, operations: RuntimeOperations?
    ) throws(RuntimeError) -> ConsumerLoop<LibrdkafkaClient>? {
        let groupID = config.effectiveGroupID(consumer: consumer.name)
        var logger = logger
        logger[metadataKey: "consumer"] = "\(consumer.name)"
        logger[metadataKey: "group"] = "\(groupID)"
        let client: LibrdkafkaClient
        do {
            client = try LibrdkafkaClient(
                config: config, groupID: groupID, statistics: consumer.wantsStatistics, stop: stop, logger: logger)
        } catch .stoppedBeforeConnecting {
            // Nothing was consumed, so there is nothing to finish or commit.
            logger.info("\(consumer.name) stopped before it had connected to Kafka")
            return nil
        } catch {
            throw .kafka(error)
        }
        do {
            return try ConsumerLoop(
                consumer: consumer, config: config, client: client, stop: stop,
                crashedPositionsPath: crashedPositionsPath, swaps: swaps, operations: operations, logger: logger)
        } catch {
            // Nothing subscribed yet: there is no group to leave, and nothing to report.
            _ = client.close()
            throw error
        }
    }
}
