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

    func produce(_ request: ProduceRequest) -> String? {
        guard let topic = request.topic else { return "produce failed: the request has no topic" }
        let message = OutgoingMessage(
            topic: topic, key: request.key, value: request.value, partition: request.partition,
            partitionKey: request.partitionKey, timestampMilliseconds: request.timestampMilliseconds)
        do {
            try client.produce(
                message, headers: request.headers.lazy.map { OutgoingMessage.Header(name: $0.name, value: $0.value) },
                tracker: deliveries)
            return nil
        } catch {
            return error.description
        }
    }

    /// Waits for everything produced so far (by any instance: they share the producer) and
    /// returns the first failure of this instance's messages, if any.
    func deliver() -> String? {
        do {
            try client.flush()
        } catch {
            return error.description
        }
        return deliveries.takeFailure()
    }

    /// Whether this instance produced messages not yet acknowledged, or one failed: one atomic load.
    @inline(__always)
    var needsDelivery: Bool { deliveries.needsAttention }

    /// Copies `message` to `topic` with `headers` added and waits for the broker; returns
    /// why it failed, if it did.
    func sendToDeadLetter(_ message: Client.Message, topic: String, headers: [(name: String, value: String)])
        -> String?
    {
        do {
            try client.produceCopy(of: message, to: topic, extraHeaders: headers, tracker: deadLetters)
            try client.flush()
        } catch {
            return error.description
        }
        return deadLetters.takeFailure()
    }
}
