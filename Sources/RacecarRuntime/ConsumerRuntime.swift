import Logging
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// Runs a consumer against Kafka through librdkafka: the composition of the runtime with the
/// real ``KafkaClient``.
package enum ConsumerRuntime {
    /// Connects, consumes until `stop` is requested, and shuts down gracefully.
    ///
    /// - Throws: ``RuntimeError`` when no broker answers, the plugin's `create` fails, or
    ///   processing or Kafka failed fatally (after the shutdown).
    ///
    /// - Parameters:
    ///   - crashedPositionsPath: The supervisor's file of positions that crashed workers, when
    ///     a supervisor runs this process.
    ///   - consuming: Called once the consumer has subscribed and polls.
    package static func run(
        consumer: ConsumerDescriptor, config: RacecarConfig, stop: StopRequest, logger: Logger,
        crashedPositionsPath: String? = nil, operations: RuntimeOperations? = nil,
        consuming: @escaping () -> Void = {}
    ) throws(RuntimeError) {
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
            return
        } catch {
            throw .kafka(error)
        }
        let loop = try ConsumerLoop(
            consumer: consumer, config: config, client: client, stop: stop, crashedPositionsPath: crashedPositionsPath,
            operations: operations, logger: logger)
        try loop.run(consuming: consuming)
    }
}
