import Logging
import RacecarConfiguration

/// A producer for tools such as `racecarctl produce`, configured like the host's own.
package final class MessageProducer {
    private let producer: KafkaProducer
    private let tracker = DeliveryTracker()

    /// Creates a producer from `config` (brokers, security, producer properties).
    ///
    /// - Parameters:
    ///   - deliveryTimeout: How long to try delivering each message, in place of `message_timeout`
    ///     and any `message.timeout.ms` among the producer properties; ``flush()`` then waits at
    ///     most two seconds longer. `nil` keeps `message_timeout`, and the host's longer flush.
    ///   - logger: Receives librdkafka's warnings while it retries, such as a broker that
    ///     refuses connections.
    /// - Throws: ``KafkaError/unresolvableBrokers(hosts:reason:)`` at once when no broker host
    ///   name resolves (librdkafka would only retry until the delivery timeout).
    package init(
        config: RacecarConfig, deliveryTimeout: Duration? = nil, logger: Logger = Logger(label: "racecarctl")
    ) throws(KafkaError) {
        try BrokerAddresses.checkResolvable(config.brokers)
        var configuration = config.producerConfiguration()
        if let deliveryTimeout {
            configuration.set("message.timeout.ms", milliseconds(deliveryTimeout), origin: "the delivery timeout")
            producer = try KafkaProducer(
                configuration: configuration, deliveryTimeout: deliveryTimeout, flushGrace: .seconds(2),
                logger: logger)
        } else {
            producer = try KafkaProducer(
                configuration: configuration, deliveryTimeout: config.messageTimeout, logger: logger)
        }
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

    /// Waits for every enqueued message, at most the delivery timeout and a grace.
    ///
    /// - Throws: the first delivery failure, explained; ``KafkaError/isTimeout`` tells a
    ///   delivery that ran out of time.
    package func flush() throws(KafkaError) {
        do throws(KafkaError) {
            try producer.flush()
        } catch {
            // Given up on: closing the producer must not wait for these messages again.
            producer.purge()
            throw error
        }
        if let failure = tracker.takeFailure() { throw failure }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
