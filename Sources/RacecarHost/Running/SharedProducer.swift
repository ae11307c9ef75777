import Synchronization

/// The one librdkafka producer of a host, created on first use so that consumers that never
/// produce pay nothing, and shared by all consumer instances.
final class SharedProducer: Sendable {
    private let factory: @Sendable () throws(KafkaError) -> KafkaProducer
    private let slot = Mutex<KafkaProducer?>(nil)

    init(factory: @escaping @Sendable () throws(KafkaError) -> KafkaProducer) {
        self.factory = factory
    }

    /// The producer, created if needed.
    func get() throws(KafkaError) -> KafkaProducer {
        try slot.withLock { slot throws(KafkaError) -> KafkaProducer in
            if let slot { return slot }
            let created = try factory()
            slot = created
            return created
        }
    }

    /// The producer if one was created.
    var existing: KafkaProducer? { slot.withLock { $0 } }
}
