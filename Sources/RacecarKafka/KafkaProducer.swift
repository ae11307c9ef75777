import CRdKafka
import Logging
import Synchronization

/// A librdkafka producer shared by the consumer instances of one host. Thread-safe.
package final class KafkaProducer: @unchecked Sendable {
    let handle: OpaquePointer
    private let callbacks = CallbackBox()
    private let deliveryTimeoutMilliseconds: Int32

    /// Creates the producer.
    ///
    /// - Parameters:
    ///   - deliveryTimeout: The `message.timeout.ms` that `configuration` sets: how long
    ///     librdkafka tries to deliver each message.
    ///   - flushGrace: How much longer than `deliveryTimeout` ``flush()`` waits for the last
    ///     delivery reports.
    ///   - logger: Receives librdkafka's error events as warnings, and its critical log lines.
    package init(
        configuration: KafkaConfiguration, deliveryTimeout: Duration, flushGrace: Duration = .seconds(5),
        logger: Logger
    ) throws(KafkaError) {
        let conf = try configuration.makeConf()
        callbacks.logger = logger
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let tracker = Unmanaged<DeliveryTracker>.fromOpaque(opaque).takeUnretainedValue()
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                tracker.acknowledge()
            } else {
                tracker.completed(failure: KafkaProducer.explain(error, message))
            }
        }
        installLogCallbacks(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw .operationFailed(operation: "creating the Kafka producer", message: String(nulTerminated: errorText))
        }
        self.handle = handle
        self.deliveryTimeoutMilliseconds = Int32(clamping: Int64((deliveryTimeout + flushGrace) / .milliseconds(1)))
    }

    deinit {
        rd_kafka_flush(handle, deliveryTimeoutMilliseconds)
        rd_kafka_destroy(handle)
    }

    /// Enqueues `message` with `headers`; its delivery is reported to `tracker`.
    package func produce(
        _ message: OutgoingMessage, headers: some Collection<OutgoingMessage.Header>, tracker: DeliveryTracker
    ) throws(KafkaError) {
        var headerList: OpaquePointer?
        if !headers.isEmpty {
            headerList = rd_kafka_headers_new(headers.count)
            for header in headers {
                rd_kafka_header_add(headerList, header.name, -1, header.value?.baseAddress, header.value?.count ?? 0)
            }
        }
        var partition = message.partition
        if partition == nil, let partitionKey = message.partitionKey {
            partition = try self.partition(forKey: partitionKey, topic: message.topic)
        }
        var arguments = ProduceArguments()
        arguments.add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = message.topic }
        arguments.add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
        arguments.add(RD_KAFKA_VTYPE_VALUE) {
            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: message.value?.baseAddress)
            $0.u.mem.size = message.value?.count ?? 0
        }
        if let key = message.key {
            arguments.add(RD_KAFKA_VTYPE_KEY) {
                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                $0.u.mem.size = key.count
            }
        }
        if let partition {
            arguments.add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition }
        }
        if let timestamp = message.timestampMilliseconds {
            arguments.add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp }
        }
        if let headerList {
            arguments.add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headerList }
        }
        arguments.add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = Unmanaged.passUnretained(tracker).toOpaque() }

        tracker.enqueued()
        if let refusal = enqueue(arguments) {
            tracker.completed(failure: nil)
            if let headerList { rd_kafka_headers_destroy(headerList) }
            throw .operationFailed(operation: "producing to \(String(cString: message.topic))", message: refusal)
        }
    }

    /// Produces a copy of `message` (key, value, headers) to `topic` with `extraHeaders`
    /// appended; its delivery is reported to `tracker`.
    package func produceCopy(
        of polled: KafkaMessage,
        to topic: String,
        extraHeaders: [(name: String, value: String)],
        tracker: DeliveryTracker
    ) throws(KafkaError) {
        let message = polled.pointer
        var original: OpaquePointer?
        let headers: OpaquePointer
        if rd_kafka_message_headers(message, &original) == RD_KAFKA_RESP_ERR_NO_ERROR, let original {
            headers = rd_kafka_headers_copy(original)
        } else {
            headers = rd_kafka_headers_new(extraHeaders.count)
        }
        for (name, value) in extraHeaders {
            rd_kafka_header_add(headers, name, -1, value, value.utf8.count)
        }
        var arguments = ProduceArguments()
        let refusal: String? = topic.withCString { topicName in
            arguments.add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
            arguments.add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
            arguments.add(RD_KAFKA_VTYPE_VALUE) {
                $0.u.mem.ptr = message.pointee.payload
                $0.u.mem.size = message.pointee.len
            }
            if let key = message.pointee.key {
                arguments.add(RD_KAFKA_VTYPE_KEY) {
                    $0.u.mem.ptr = key
                    $0.u.mem.size = message.pointee.key_len
                }
            }
            arguments.add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers }
            arguments.add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = Unmanaged.passUnretained(tracker).toOpaque() }
            tracker.enqueued()
            return enqueue(arguments)
        }
        if let refusal {
            tracker.completed(failure: nil)
            rd_kafka_headers_destroy(headers)
            throw .operationFailed(operation: "producing to \(topic)", message: refusal)
        }
    }

    /// Hands a message to librdkafka, waiting while its local queue is full; returns why it
    /// was refused otherwise (the caller still owns the headers then).
    private func enqueue(_ arguments: ProduceArguments) -> String? {
        while let error = arguments.produce(on: handle) {
            guard rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                return KafkaError.message(consuming: error)
            }
            rd_kafka_error_destroy(error)
            // Back-pressure: serve delivery reports until the queue has room.
            rd_kafka_poll(handle, 100)
        }
        return nil
    }

    /// Waits until every enqueued message is delivered or failed.
    ///
    /// - Throws: when the wait exceeded the delivery timeout and its grace.
    package func flush() throws(KafkaError) {
        let error = rd_kafka_flush(handle, deliveryTimeoutMilliseconds)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw .failed("delivering produced messages", error)
        }
    }

    /// Drops every message not delivered yet, queued or in flight; their delivery reports say
    /// they were purged. For giving up after ``flush()`` timed out, so that destroying the
    /// producer does not wait for them once more.
    package func purge() {
        rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
    }

    /// Partition counts by topic, for partition keys.
    private let partitionCounts = Mutex<[String: Int32]>([:])

    private func partition(forKey key: UnsafeRawBufferPointer, topic: UnsafePointer<CChar>) throws(KafkaError) -> Int32
    {
        let name = String(cString: topic)
        let count = try partitionCounts.withLock { counts throws(KafkaError) -> Int32 in
            if let cached = counts[name] { return cached }
            guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
                throw .operationFailed(
                    operation: "looking up topic \(name)", message: KafkaError.message(rd_kafka_last_error()))
            }
            defer { rd_kafka_topic_destroy(topicHandle) }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, deliveryTimeoutMilliseconds)
            defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata, metadata.pointee.topic_cnt > 0,
                metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR
            else {
                throw .operationFailed(
                    operation: "looking up partitions of \(name)", message: KafkaError.message(error))
            }
            let count = metadata.pointee.topics[0].partition_cnt
            counts[name] = count
            return count
        }
        return rd_kafka_msg_partitioner_consistent_random(nil, key.baseAddress, key.count, count, nil, nil)
    }

    /// A delivery failure with what an operator can do about it.
    static func explain(_ error: rd_kafka_resp_err_t, _ message: UnsafePointer<rd_kafka_message_t>) -> KafkaError {
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        let advice: String? =
            switch error {
            case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE: "the message exceeds the broker's or topic's max message size"
            case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
                "create the topic, or enable auto-creation on the broker"
            case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT: "not acknowledged within message_timeout"
            case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED: "the client is not allowed to write to this topic"
            default: nil
            }
        return .deliveryFailed(topic: topic, code: KafkaErrorCode(error), advice: advice)
    }
}
