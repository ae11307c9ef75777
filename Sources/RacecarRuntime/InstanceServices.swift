import RacecarKafka
import RacecarPluginHosting

/// One consumer instance's `produce` and `deliver`: messages the plugin produces go to the
/// shared producer, and their deliveries are tracked per instance, so that a message's offset
/// is stored only once everything it produced was acknowledged.
final class InstanceServices<Client: KafkaClient>: PluginHostServices {
    private let client: Client
    /// Deliveries of what the plugin produced.
    let deliveries = DeliveryTracker()
    /// Deliveries to the dead-letter topic, kept apart from the plugin's own.
    private let deadLetters = DeliveryTracker()

    init(client: Client) {
        self.client = client
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
    }

    /// Waits for everything produced so far (by any instance: they share the producer).
    ///
    /// - Throws: The first delivery failure of this instance's messages, or the flush's own.
    func deliver() throws(KafkaError) {
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
        try client.flush()
        if let failure = deadLetters.takeFailure() { throw failure }
    }
}
