import CRacecarPlugin
import CRdKafka
import Logging

/// The host's side of one consumer instance: what the opaque `racecar_host *` points to.
/// Plugins reach it through ``HostAPITable``.
final class ConsumerHostContext: Sendable {
    let logger: Logger
    let deliveries = DeliveryTracker()
    /// Deliveries to the dead-letter topic, kept apart from the plugin's own.
    private let deadLetters = DeliveryTracker()
    private let producer: SharedProducer
    /// The messages of the instance's current call, for headers on demand.
    let messages: MessageBuffer

    init(logger: Logger, producer: SharedProducer, messages: MessageBuffer) {
        self.logger = logger
        self.producer = producer
        self.messages = messages
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ host: OpaquePointer?) -> ConsumerHostContext? {
        host.map { Unmanaged<ConsumerHostContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    func produce(_ request: racecar_produce_request) throws(KafkaError) {
        try producer.get().produce(request, tracker: deliveries)
    }

    /// Waits for everything produced so far (by any instance: they share the producer) and
    /// returns the first failure of this instance's messages, if any.
    func deliver() -> String? {
        guard let producer = producer.existing else { return nil }
        do {
            try producer.flush()
        } catch {
            return error.description
        }
        return deliveries.takeFailure()
    }

    /// Whether this instance produced messages not yet acknowledged, or one failed.
    var needsDelivery: Bool { deliveries.needsAttention }

    /// Copies `message` to `topic` with `headers` added and waits for the broker; returns
    /// why it failed, if it did.
    func sendToDeadLetter(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String, headers: [(name: String, value: String)]
    ) -> String? {
        do {
            let producer = try producer.get()
            try producer.produceCopy(of: message, to: topic, extraHeaders: headers, tracker: deadLetters)
            try producer.flush()
        } catch {
            return error.description
        }
        return deadLetters.takeFailure()
    }
}
