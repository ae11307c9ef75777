import RacecarConfiguration

/// A producer for tools such as `racecarctl produce`, configured like the host's own.
package final class MessageProducer {
    private let producer: KafkaProducer
    private let tracker = DeliveryTracker()

    /// Creates a producer from `config` (brokers, security, producer properties).
    package init(config: RacecarConfig) throws(KafkaError) {
        producer = try KafkaProducer(
            configuration: config.producerConfiguration(), deliveryTimeout: config.messageTimeout,
            logger: .init(label: "racecarctl"))
    }

    /// Enqueues one message.
    package func produce(
        topic: String, key: String?, value: String, headers: [(name: String, value: String)], partition: Int32?
    ) throws(KafkaError) {
        // C copies keep every pointer valid for the call without nested closures; librdkafka
        // copies them again, so they are freed right after.
        let topicName = strdup(topic)!
        let valueBytes = strdup(value)!
        let keyBytes = key.map { strdup($0)! }
        let outgoingHeaders = headers.map { header in
            OutgoingMessage.Header(
                name: UnsafePointer(strdup(header.name)!),
                value: UnsafeRawBufferPointer(start: strdup(header.value), count: header.value.utf8.count))
        }
        defer {
            free(topicName)
            free(valueBytes)
            keyBytes.map { free($0) }
            for header in outgoingHeaders {
                free(UnsafeMutablePointer(mutating: header.name))
                free(UnsafeMutableRawPointer(mutating: header.value?.baseAddress))
            }
        }
        let message = OutgoingMessage(
            topic: topicName,
            key: keyBytes.map { UnsafeRawBufferPointer(start: $0, count: key?.utf8.count ?? 0) },
            value: UnsafeRawBufferPointer(start: valueBytes, count: value.utf8.count),
            partition: partition)
        try producer.produce(message, headers: outgoingHeaders, tracker: tracker)
    }

    /// Waits for every enqueued message.
    ///
    /// - Throws: the first delivery failure, explained.
    package func flush() throws(KafkaError) {
        try producer.flush()
        if let failure = tracker.takeFailure() { throw failure }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
