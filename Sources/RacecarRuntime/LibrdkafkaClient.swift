import Logging
import RacecarConfiguration
import RacecarKafka
import Synchronization

/// The runtime's ``KafkaClient`` over librdkafka: the consumer of one host, and the producer
/// its instances share, created on first use so that consumers that never produce pay nothing.
package final class LibrdkafkaClient: KafkaClient, @unchecked Sendable {
    private let consumer: KafkaConsumer
    private let producerConfiguration: KafkaConfiguration
    private let deliveryTimeout: Duration
    private let logger: Logger
    private let producer = Mutex<KafkaProducer?>(nil)

    /// Creates the consumer and waits until a broker answers, for at most `socket_timeout`,
    /// saying what it waits for.
    ///
    /// - Throws: ``KafkaError`` when librdkafka refuses the configuration, no broker host name
    ///   resolves, no broker answers, or `stop` was requested meanwhile.
    package init(
        config: RacecarConfig, groupID: String, statistics: Bool, stop: StopRequest, logger: Logger
    ) throws(KafkaError) {
        let brokers = config.brokers.joined(separator: ",")
        try BrokerAddresses.checkResolvable(config.brokers)
        consumer = try KafkaConsumer(
            configuration: config.consumerConfiguration(groupID: groupID, statistics: statistics), logger: logger)
        let timeout = config.socketTimeout
        logger.info("connecting to Kafka at \(brokers) (socket_timeout \(formatSeconds(timeout)) s)")
        try consumer.waitForBrokers(brokers, timeout: timeout, shouldStop: { stop.isRequested }) { waited in
            logger.info(
                "still waiting for a Kafka broker at \(brokers) to answer (\(formatSeconds(waited.inSeconds.rounded())) s of socket_timeout \(formatSeconds(timeout)) s)"
            )
        }
        producerConfiguration = config.producerConfiguration()
        deliveryTimeout = config.messageTimeout
        self.logger = logger
    }

    /// The librdkafka actually loaded, which `LD_LIBRARY_PATH` may have chosen.
    package var implementation: String { "librdkafka \(LibrdkafkaVersion.loadedText)" }

    package var rebalanceListener: (any RebalanceListener)? {
        get { consumer.rebalanceListener }
        set { consumer.rebalanceListener = newValue }
    }

    package func subscribe(_ topics: [TopicSubscription]) throws(KafkaError) {
        try consumer.subscribe(topics)
    }

    @inline(__always)
    package func poll(timeoutMilliseconds: Int32) -> KafkaMessage? {
        consumer.poll(timeoutMilliseconds: timeoutMilliseconds)
    }

    package func storeOffset(after message: KafkaMessage) { consumer.storeOffset(after: message) }
    package func commit(_ offsets: [TopicPartition: Int64]?, synchronously: Bool) {
        consumer.commit(offsets, synchronously: synchronously)
    }
    package func pause(_ partition: TopicPartition) { consumer.pause(partition) }
    package func resume(_ partition: TopicPartition) { consumer.resume(partition) }
    package func seek(_ partition: TopicPartition, to offset: Int64) { consumer.seek(partition, to: offset) }
    package var hasFatalError: Bool { consumer.hasFatalError }
    package func fatalError() -> KafkaError? { consumer.fatalError() }
    package func close() -> KafkaErrorCode? { consumer.close() }
    package func offsets(of partitions: [TopicPartition]) -> [PartitionOffsets] { consumer.offsets(of: partitions) }
    package var memberID: String? { consumer.memberID }

    package func produce(
        _ message: OutgoingMessage, headers: some Collection<OutgoingMessage.Header>, tracker: DeliveryTracker
    ) throws(KafkaError) {
        try sharedProducer().produce(message, headers: headers, tracker: tracker)
    }

    package func produceCopy(
        of message: KafkaMessage, to topic: String, extraHeaders: [(name: String, value: String)],
        tracker: DeliveryTracker
    ) throws(KafkaError) {
        try sharedProducer().produceCopy(of: message, to: topic, extraHeaders: extraHeaders, tracker: tracker)
    }

    package func flush() throws(KafkaError) {
        // Nothing was produced if there is no producer yet.
        try producer.withLock { $0 }?.flush()
    }

    private func sharedProducer() throws(KafkaError) -> KafkaProducer {
        try producer.withLock { producer throws(KafkaError) -> KafkaProducer in
            if let producer { return producer }
            let created = try KafkaProducer(
                configuration: producerConfiguration, deliveryTimeout: deliveryTimeout, logger: logger)
            producer = created
            return created
        }
    }
}
