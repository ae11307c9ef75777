import CRacecarPlugin
import CRdKafka
import Logging
import Synchronization

/// The host's side of one consumer instance: what the opaque `racecar_host *` points to.
/// Plugins reach it through ``HostAPITable``.
final class ConsumerHostContext: Sendable {
    let consumerName: String
    let logger: Logger
    let deliveries = DeliveryTracker()
    /// Creates the shared producer on first use, so consumers that never produce pay nothing.
    private let producerFactory: @Sendable () throws(KafkaError) -> KafkaProducer
    private let producerSlot = Mutex<KafkaProducer?>(nil)

    init(consumerName: String, logger: Logger, producerFactory: @escaping @Sendable () throws(KafkaError) -> KafkaProducer) {
        self.consumerName = consumerName
        self.logger = logger
        self.producerFactory = producerFactory
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ host: OpaquePointer?) -> ConsumerHostContext? {
        host.map { Unmanaged<ConsumerHostContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    /// Deliveries to the dead-letter topic, kept apart from the plugin's own.
    private let deadLetters = DeliveryTracker()

    private func producer() throws(KafkaError) -> KafkaProducer {
        try producerSlot.withLock { slot throws(KafkaError) -> KafkaProducer in
            if let slot { return slot }
            let created = try producerFactory()
            slot = created
            return created
        }
    }

    func produce(_ request: racecar_produce_request) throws(KafkaError) {
        try producer().produce(request, tracker: deliveries)
    }

    /// Copies `message` to `topic` with `headers` added and waits for the broker; returns
    /// why it failed, if it did.
    func sendToDeadLetter(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String, headers: [(name: String, value: String)]) -> String? {
        do {
            let producer = try producer()
            try producer.produceCopy(of: message, to: topic, extraHeaders: headers, tracker: deadLetters)
            try producer.flush()
        } catch {
            return error.description
        }
        return deadLetters.takeFailure()
    }

    /// Waits for everything this instance produced; returns the first failure, if any.
    func deliver() -> String? {
        guard let producer = producerSlot.withLock({ $0 }) else { return nil }
        do {
            try producer.flush()
        } catch {
            return error.description
        }
        return deliveries.takeFailure()
    }

    /// Whether a delivery is pending or failed since the last ``deliver()``.
    var needsDelivery: Bool { producerSlot.withLock { $0 != nil } && deliveries.hasOutstanding }
}
