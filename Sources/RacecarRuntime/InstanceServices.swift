import RacecarKafka
import RacecarPluginHosting
import Synchronization

/// One consumer instance's `produce` and `deliver`: messages the plugin produces go to the
/// shared producer, and their deliveries are tracked per instance, so that a message's offset
/// is stored only once everything it produced was acknowledged.
final class InstanceServices<Client: KafkaClient>: PluginHostServices {
    private let client: Client
    /// Deliveries of what the plugin produced.
    let deliveries = DeliveryTracker()
    /// Deliveries to the dead-letter topic, kept apart from the plugin's own.
    private let deadLetters = DeliveryTracker()
    private let metrics: ProducerMetrics?
    /// Messages produced since the last wait for deliveries, for `producer.deliver.messages`;
    /// only the instance's thread changes it, but the services are shared as `Sendable`.
    private let undelivered = Atomic<Int>(0)

    init(client: Client, metrics: ProducerMetrics?) {
        self.client = client
        self.metrics = metrics
    }

    func produce(_ request: ProduceRequest) throws(KafkaError) {
        guard let topic = request.topic else {
            throw .operationFailed(operation: "produce", message: "the request has no topic")
        }
        let message = OutgoingMessage(
            topic: topic, key: request.key, value: request.value, partition: request.partition,
            partitionKey: request.partitionKey, timestampMilliseconds: request.timestampMilliseconds)
        try client.produce(
            message, headers: request.headers.lazy.map { OutgoingMessage.Header(name: $0.name, value: $0.value) },
            tracker: deliveries)
        if let metrics {
            undelivered.add(1, ordering: .relaxed)
            metrics.produced(
                topic: String(cString: topic), size: (request.key?.count ?? 0) + (request.value?.count ?? 0),
                buffered: deliveries.outstanding)
        }
    }

    /// Waits for everything produced so far (by any instance: they share the producer).
    ///
    /// - Throws: The first delivery failure of this instance's messages, or the flush's own.
    func deliver() throws(KafkaError) {
        let started = metrics == nil ? nil : ContinuousClock.now
        defer {
            if let started, let metrics {
                metrics.delivered(
                    undelivered.exchange(0, ordering: .relaxed), nanoseconds: nanoseconds(.now - started),
                    acknowledged: deliveries.takeAcknowledged())
            }
        }
        try client.flush()
        if let failure = deliveries.takeFailure() { throw failure }
    }

    /// Whether this instance produced messages not yet acknowledged, or one failed: one atomic load.
    @inline(__always)
    var needsDelivery: Bool { deliveries.needsAttention }

    /// Copies `message` to `topic` with `headers` added and waits for the broker.
    ///
    /// - Throws: Why the copy was not delivered.
    func sendToDeadLetter(_ message: Client.Message, topic: String, headers: [(name: String, value: String)])
        throws(KafkaError)
    {
        try client.produceCopy(of: message, to: topic, extraHeaders: headers, tracker: deadLetters)
        let started = ContinuousClock.now
        defer {
            metrics?.delivered(
                1, nanoseconds: nanoseconds(.now - started), acknowledged: deadLetters.takeAcknowledged())
        }
        if let metrics {
            let copy = message.borrowed(topic: message.topicName)
            metrics.produced(topic: topic, size: copy.keyLength + copy.valueLength, buffered: 1)
        }
        try client.flush()
        if let failure = deadLetters.takeFailure() { throw failure }
    }
}
