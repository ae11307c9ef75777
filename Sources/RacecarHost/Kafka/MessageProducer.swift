import CRacecarPlugin

/// A producer for tools such as `racecarctl produce`, configured like the host's own.
public final class MessageProducer {
    private let producer: KafkaProducer
    private let tracker = DeliveryTracker()

    /// Creates a producer from `config` (brokers, security, producer properties).
    public init(config: RacecarConfig) throws(KafkaError) {
        producer = try KafkaProducer(
            configuration: config.producerConfiguration(), deliveryTimeout: config.messageTimeout,
            logger: .init(label: "racecarctl"))
    }

    /// Enqueues one message.
    public func produce(
        topic: String, key: String?, value: String, headers: [(name: String, value: String)], partition: Int32?
    ) throws(KafkaError) {
        // C copies keep every pointer valid for the call without nested closures; librdkafka
        // copies them again, so they are freed right after.
        let topicName = strdup(topic)
        let valueBytes = strdup(value)
        let keyBytes = key.map { strdup($0) }
        let headerStructs = UnsafeMutableBufferPointer<racecar_header>.allocate(capacity: max(headers.count, 1))
        let headerPointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_header>?>.allocate(
            capacity: max(headers.count, 1))
        for (index, header) in headers.enumerated() {
            headerStructs[index] = racecar_header(
                struct_size: MemoryLayout<racecar_header>.size,
                name: strdup(header.name),
                value: UnsafeRawPointer(strdup(header.value)),
                value_length: header.value.utf8.count
            )
            headerPointers[index] = UnsafePointer(headerStructs.baseAddress! + index)
        }
        defer {
            free(topicName)
            free(valueBytes)
            keyBytes.map { free($0) }
            for index in headers.indices {
                free(UnsafeMutablePointer(mutating: headerStructs[index].name))
                free(UnsafeMutableRawPointer(mutating: headerStructs[index].value))
            }
            headerStructs.deallocate()
            headerPointers.deallocate()
        }
        var request = racecar_produce_request()
        request.struct_size = MemoryLayout<racecar_produce_request>.size
        request.topic = UnsafePointer(topicName)
        request.value = UnsafeRawPointer(valueBytes)
        request.value_length = value.utf8.count
        if let keyBytes, let key {
            request.key = UnsafeRawPointer(keyBytes)
            request.key_length = key.utf8.count
        }
        request.headers = UnsafePointer(headerPointers.baseAddress)
        request.header_count = headers.count
        request.partition = partition ?? RACECAR_PARTITION_ANY
        try producer.produce(request, tracker: tracker)
    }

    /// Waits for every enqueued message.
    ///
    /// - Throws: the first delivery failure, explained.
    public func flush() throws(KafkaError) {
        try producer.flush()
        if let failure = tracker.takeFailure() {
            throw .operationFailed(operation: "delivery", message: failure)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
