import CRdKafka
import Logging
import RacecarConfiguration

/// Reads every partition of one topic without a consumer group, for `racecarctl consume`.
///
/// It is librdkafka's simple consumer with each partition started at an explicit offset (the
/// oldest message, or the next new one), so it joins no group, reads no committed offsets
/// and commits nothing: reading a topic this way never moves a consumer's position. The
/// partitions are the ones the topic has when the reader starts.
///
/// Used from one thread.
package final class TopicReader {
    /// The topic's name.
    package let topic: String
    /// How many partitions the topic had when the reader started; it reads them all.
    package let partitionCount: Int32
    private let handle: OpaquePointer
    private let topicHandle: OpaquePointer
    /// Where the fetched messages of every partition arrive.
    private let queue: OpaquePointer
    /// Reached by librdkafka's callbacks; lives until the handle is destroyed in deinit.
    private let callbacks: CallbackBox
    private let logger: Logger

    /// Connects with `config`'s brokers and security settings, reads the topic's partition
    /// count, and starts fetching every partition.
    ///
    /// - Parameters:
    ///   - config: Brokers, security and consumer properties. A `group.id` among them is
    ///     ignored: the reader belongs to no group.
    ///   - topic: The topic to read.
    ///   - fromBeginning: Start at each partition's oldest message rather than its next new one.
    ///   - logger: Receives librdkafka's warnings, such as a broker that cannot be reached.
    ///   - shouldStop: Checked several times a second while no broker has answered yet; `true`
    ///     ends the wait with ``KafkaError/stoppedBeforeConnecting``.
    /// - Throws: ``KafkaError/unresolvableBrokers(hosts:reason:)`` at once when no broker host
    ///   name resolves; ``KafkaError/brokersUnreachable(brokers:code:)`` when no broker answers
    ///   within `socket_timeout`; ``KafkaError/operationFailed(operation:code:message:)`` when
    ///   the topic does not exist or cannot be read.
    package init(
        config: RacecarConfig, topic: String, fromBeginning: Bool, logger: Logger = Logger(label: "racecarctl"),
        shouldStop: () -> Bool = { false }
    ) throws(KafkaError) {
        try BrokerAddresses.checkResolvable(config.brokers)
        var configuration = config.consumerConfiguration(groupID: "")
        // Without a group id librdkafka creates no consumer group at all, whatever the
        // operator's consumer properties say.
        configuration.set("group.id", "", origin: "racecarctl consume, which joins no group")
        let conf = try configuration.makeConf()
        let callbacks = CallbackBox()
        callbacks.logger = logger
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        installLogCallbacks(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw .operationFailed(operation: "creating the Kafka consumer", message: String(nulTerminated: errorText))
        }
        // Metadata of all topics, looked up by name: a request naming the topic would let a
        // broker (librdkafka's mock cluster, or Kafka before Metadata v4) create it. So also
        // no topic handle before the topic is known to exist: librdkafka would ask for it.
        let partitionCount: Int32
        do {
            partitionCount = try Self.partitionCount(
                of: topic, handle: handle, brokers: config.brokers.joined(separator: ","),
                timeout: config.socketTimeout, shouldStop: shouldStop)
        } catch {
            rd_kafka_destroy(handle)
            throw error
        }
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            let error = KafkaError.failed("reading topic \(topic)", rd_kafka_last_error())
            rd_kafka_destroy(handle)
            throw error
        }
        let queue = rd_kafka_queue_new(handle)!
        let start = Int64(fromBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END)
        for partition in 0..<partitionCount {
            guard rd_kafka_consume_start_queue(topicHandle, partition, start, queue) == 0 else {
                let error = KafkaError.failed("reading partition \(partition) of \(topic)", rd_kafka_last_error())
                for started in 0..<partition { rd_kafka_consume_stop(topicHandle, started) }
                rd_kafka_queue_destroy(queue)
                rd_kafka_topic_destroy(topicHandle)
                rd_kafka_destroy(handle)
                throw error
            }
        }
        self.topic = topic
        self.partitionCount = partitionCount
        self.handle = handle
        self.topicHandle = topicHandle
        self.queue = queue
        self.callbacks = callbacks
        self.logger = logger
    }

    deinit {
        for partition in 0..<partitionCount { rd_kafka_consume_stop(topicHandle, partition) }
        rd_kafka_queue_destroy(queue)
        rd_kafka_topic_destroy(topicHandle)
        rd_kafka_destroy(handle)
    }

    /// The next message of any partition, or `nil` when none arrived within
    /// `timeoutMilliseconds`. The caller owns the message and destroys it before the reader.
    ///
    /// Errors librdkafka reports in place of messages are logged as warnings, not returned;
    /// librdkafka keeps fetching after them.
    package func next(timeoutMilliseconds: Int32) -> KafkaMessage? {
        // Error events (a broker going away) are served from the main queue, not the fetch queue.
        rd_kafka_poll(handle, 0)
        guard let pointer = rd_kafka_consume_queue(queue, timeoutMilliseconds) else { return nil }
        let message = KafkaMessage(pointer)
        guard let error = message.error else { return message }
        defer { message.destroy() }
        if !error.isPartitionEOF {
            logger.warning("reading \(topic) [\(message.partition)]: \(error)")
        }
        return nil
    }

    /// The partition count of `topic`, from the metadata of every topic in the cluster.
    private static func partitionCount(
        of topic: String, handle: OpaquePointer, brokers: String, timeout: Duration, shouldStop: () -> Bool
    ) throws(KafkaError) -> Int32 {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        // In short waits, so that a stop request is not kept waiting for socket_timeout, and
        // librdkafka's warnings (served by rd_kafka_poll) show while it retries. A wait without
        // a usable broker ends in __TRANSPORT, one without an answer in __TIMED_OUT.
        let deadline = ContinuousClock.now + timeout
        var error: rd_kafka_resp_err_t
        repeat {
            rd_kafka_poll(handle, 0)
            if shouldStop() { throw .stoppedBeforeConnecting }
            let wait = min(deadline - .now, .milliseconds(250))
            error = rd_kafka_metadata(handle, 1, nil, &metadata, Int32(max(1, wait / .milliseconds(1))))
        } while (error == RD_KAFKA_RESP_ERR__TIMED_OUT || error == RD_KAFKA_RESP_ERR__TRANSPORT)
            && ContinuousClock.now < deadline
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw .brokersUnreachable(brokers: brokers, code: KafkaErrorCode(error))
        }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        let described = topics.first { String(cString: $0.topic) == topic }
        guard let described, described.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            described.err != RD_KAFKA_RESP_ERR_NO_ERROR || described.partition_cnt > 0
        else {
            throw .operationFailed(
                operation: "reading topic \(topic)", code: KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART),
                message: "no such topic at \(brokers) (check the name; reading a topic does not create it)")
        }
        guard described.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .failed("reading topic \(topic)", described.err)
        }
        return described.partition_cnt
    }
}
