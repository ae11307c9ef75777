import CRdKafka
import Logging
import RacecarConfiguration
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Told about changes to the consumer's assignment, from inside librdkafka's rebalance
/// callback, on the thread that polls.
package protocol RebalanceListener: AnyObject {
    /// `partitions` were added to the assignment.
    func partitionsAssigned(_ partitions: [TopicPartition])
    /// `partitions` are about to leave the assignment; they are unassigned when this returns,
    /// so their work must be finished, stored and committed by then. `assignmentLost` is set
    /// when the group already gave them to another member (a session timeout, or
    /// `max.poll.interval.ms` exceeded): a commit would be refused.
    func partitionsRevoked(_ partitions: [TopicPartition], assignmentLost: Bool)
    /// librdkafka's statistics JSON, when `statistics.interval.ms` is set; valid during the call.
    func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int)
    /// Joining the group failed: the rebalance reported `error`, or the assignment was refused.
    func rebalanceFailed(_ error: KafkaErrorCode)
}

extension RebalanceListener {
    package func rebalanceFailed(_ error: KafkaErrorCode) {}
}

/// A librdkafka high-level consumer. Used from the polling thread, except for storing
/// offsets, which workers do from theirs (librdkafka makes that call thread-safe).
package final class KafkaConsumer: @unchecked Sendable {
    let handle: OpaquePointer
    let logger: Logger
    package weak var rebalanceListener: RebalanceListener?
    private var topicHandles: [OpaquePointer] = []
    /// Reached by librdkafka's callbacks; lives until the handle is destroyed in deinit.
    let callbacks = CallbackBox()
    private var isClosed = false

    package init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        self.logger = logger
        let conf = try configuration.makeConf()
        callbacks.logger = logger
        // Until the brokers answer once, a failure becomes one clear error from
        // checkBrokersReachable; librdkafka's connection retries would only be noise.
        callbacks.isQuiet.store(true, ordering: .relaxed)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        if configuration["statistics.interval.ms"] != nil {
            rd_kafka_conf_set_stats_cb(conf) { _, json, length, opaque in
                guard let json, let opaque else { return 0 }
                let consumer = Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue().consumer
                consumer?.rebalanceListener?.statisticsReceived(json, length: length)
                return 0
            }
        }
        rd_kafka_conf_set_offset_commit_cb(conf) { rk, error, offsets, opaque in
            if let offsets, let opaque {
                recordCommitted(Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue(), offsets)
            }
            guard error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR__NO_OFFSET else { return }
            callbackLogger(rk)?.warning("offset commit failed: \(KafkaError.message(error))")
        }
        installLogCallbacks(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw .operationFailed(operation: "creating the Kafka consumer", message: String(nulTerminated: errorText))
        }
        self.handle = handle
        callbacks.consumer = self
        rd_kafka_poll_set_consumer(handle)
    }

    deinit {
        if !isClosed { rd_kafka_consumer_close(handle) }
        for topic in topicHandles { rd_kafka_topic_destroy(topic) }
        rd_kafka_destroy(handle)
    }

    /// Waits until a broker answers, asking once a second so that a stop request or the
    /// deadline is noticed promptly; fails with a clear message when none answers in `timeout`.
    ///
    /// - Parameters:
    ///   - shouldStop: Checked between attempts; `true` ends the wait with ``KafkaError/stoppedBeforeConnecting``.
    ///   - waiting: Told how long the wait has lasted, every few seconds, to say what the host waits for.
    package func waitForBrokers(
        _ brokers: String, timeout: Duration, shouldStop: () -> Bool, waiting: (Duration) -> Void
    ) throws(KafkaError) {
        let start = ContinuousClock.now
        var lastNotice = start
        while true {
            let attemptStart = ContinuousClock.now
            let attempt = min(timeout - (attemptStart - start), .seconds(1))
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(
                handle, 0, nil, &metadata, Int32(clamping: max(Int64(attempt / .milliseconds(1)), 1)))
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            if error == RD_KAFKA_RESP_ERR_NO_ERROR { break }
            let now = ContinuousClock.now
            guard now - start < timeout, error == RD_KAFKA_RESP_ERR__TRANSPORT || error == RD_KAFKA_RESP_ERR__TIMED_OUT
            else {
                throw .brokersUnreachable(brokers: brokers, code: KafkaErrorCode(error))
            }
            // A refused connection fails at once: wait out the second before asking again.
            while ContinuousClock.now - attemptStart < attempt {
                if shouldStop() { throw .stoppedBeforeConnecting }
                usleep(50_000)
            }
            if shouldStop() { throw .stoppedBeforeConnecting }
            if now - lastNotice >= .seconds(5) {
                lastNotice = now
                waiting(now - start)
            }
        }
        callbacks.isQuiet.store(false, ordering: .relaxed)
    }

    /// Subscribes to `topics`; where a topic has no committed offset, it starts at the oldest
    /// message if its flag is set, else at the next new one.
    package func subscribe(_ topics: [TopicSubscription]) throws(KafkaError) {
        for topic in topics {
            // A topic handle created before subscribing carries its own auto.offset.reset,
            // which lets one consumer mix start positions per topic.
            let topicConf = rd_kafka_topic_conf_new()!
            var errorText = [CChar](repeating: 0, count: 256)
            rd_kafka_topic_conf_set(
                topicConf, "auto.offset.reset", topic.startFromBeginning ? "earliest" : "latest", &errorText,
                errorText.count)
            guard let topicHandle = rd_kafka_topic_new(handle, topic.topic, topicConf) else {
                throw .failed("creating topic handle \(topic.topic)", rd_kafka_last_error())
            }
            topicHandles.append(topicHandle)
        }
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic.topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .failed("subscribing to \(topics.map(\.topic).joined(separator: ", "))", error)
        }
    }

    /// The next message or error, or `nil` after `timeoutMilliseconds`. The caller owns the
    /// message and destroys it.
    @inline(__always)
    package func poll(timeoutMilliseconds: Int32) -> KafkaMessage? {
        rd_kafka_consumer_poll(handle, timeoutMilliseconds).map(KafkaMessage.init)
    }

    /// Stops fetching `partition`; on resume it continues after the last message polled.
    package func pause(_ partition: TopicPartition) {
        let list = makePartitionList([(partition, nil)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_pause_partitions(handle, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("could not pause \(partition): \(KafkaError.message(error))")
        }
    }

    /// Moves the position of `partition` back to `offset`: the next message fetched is that one.
    package func seek(_ partition: TopicPartition, to offset: Int64) {
        let list = makePartitionList([(partition, offset)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(handle, list, 10_000) {
            logger.warning("could not seek \(partition) to \(offset): \(KafkaError.message(consuming: error))")
        }
    }

    /// Stores the offset after `message` as where its partition resumes, for the next commit.
    /// Thread-safe: workers store from their own threads.
    package func storeOffset(after message: KafkaMessage) {
        // librdkafka stores offset + 1, through the message's own topic handle: no list to build.
        let error = rd_kafka_offset_store(message.pointer.pointee.rkt, message.partition, message.offset)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            // Partitions revoked in the meantime refuse the store; their new owner re-reads them.
            logger.debug("offset not stored: \(KafkaError.message(error))")
        }
    }

    package func resume(_ partition: TopicPartition) {
        let list = makePartitionList([(partition, nil)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_resume_partitions(handle, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("could not resume \(partition): \(KafkaError.message(error))")
        }
    }

    /// Commits `offsets` (the next offset to read, per partition), or the stored offsets that
    /// changed when `nil`. Failures of asynchronous commits are logged from the commit callback.
    package func commit(_ offsets: [TopicPartition: Int64]?, synchronously: Bool) {
        let list = offsets.map { makePartitionList($0.map { ($0.key, offset: $0.value) }) }
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        let error = rd_kafka_commit(handle, list, synchronously ? 0 : 1)
        switch error {
        case RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR__NO_OFFSET:
            break
        default:
            logger.warning("offset commit failed: \(KafkaError.message(error))")
        }
    }

    /// Leaves the group (revoking, and so committing, the assignment) and stops fetching.
    ///
    /// - Returns: Why leaving failed, if it did (it is logged as well).
    @discardableResult
    package func close() -> KafkaErrorCode? {
        guard !isClosed else { return nil }
        isClosed = true
        let error = rd_kafka_consumer_close(handle)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            logger.warning("closing the consumer: \(KafkaError.message(error))")
            return KafkaErrorCode(error)
        }
        return nil
    }

    /// Whether librdkafka raised a fatal error: an atomic load, cheap enough to check per message.
    package var hasFatalError: Bool {
        rd_kafka_fatal_error(handle, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// The fatal error librdkafka raised, if any.
    package func fatalError() -> KafkaError? {
        // Called on every pass of the polling loop: look before allocating the text.
        guard hasFatalError else { return nil }
        var errorText = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &errorText, errorText.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return .fatal(code: KafkaErrorCode(code), message: String(nulTerminated: errorText))
    }

    fileprivate func handleRebalance(
        _ error: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let changed = [TopicPartition](partitions)
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("partitions assigned: \(changed.map(\.description).joined(separator: ", "))")
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, partitions) {
                    let code = KafkaErrorCode(rd_kafka_error_code(failure))
                    logger.error("incremental assign failed: \(KafkaError.message(consuming: failure))")
                    rebalanceListener?.rebalanceFailed(code)
                }
            } else {
                rd_kafka_assign(handle, partitions)
            }
            rebalanceListener?.partitionsAssigned(changed)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            logger.info("partitions revoked: \(changed.map(\.description).joined(separator: ", "))")
            rebalanceListener?.partitionsRevoked(changed, assignmentLost: rd_kafka_assignment_lost(handle) != 0)
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.error("incremental unassign failed: \(KafkaError.message(consuming: failure))")
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
        default:
            logger.error("rebalance error: \(KafkaError.message(error))")
            rd_kafka_assign(handle, nil)
            rebalanceListener?.rebalanceFailed(KafkaErrorCode(error))
        }
    }
}

/// What librdkafka's C callbacks reach through a client's opaque pointer. Its fields are set
/// once, before librdkafka's threads can call back (the consumer right after `rd_kafka_new`,
/// before any poll), and only read after that; `isQuiet` alone changes later, atomically.
final class CallbackBox: @unchecked Sendable {
    weak var consumer: KafkaConsumer?
    var logger: Logger?
    /// While set, librdkafka's log lines and error events are dropped.
    let isQuiet = Atomic<Bool>(false)
    /// The last offset committed per partition, from the commit callback.
    let committed = Mutex<[TopicPartition: Int64]>([:])
}

private func callbackLogger(_ rk: OpaquePointer?) -> Logger? {
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
    let box = Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue()
    return box.isQuiet.load(ordering: .relaxed) ? nil : box.logger
}

private let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { rk, error, partitions, opaque in
        guard let opaque, let partitions else { return }
        Unmanaged<CallbackBox>.fromOpaque(opaque).takeUnretainedValue().consumer?.handleRebalance(error, partitions)
    }

/// Routes librdkafka's own log lines and error events into the host's logger.
///
/// librdkafka reports each problem twice, as a log line and as an error event; the event is
/// logged as a warning and the log line only at debug level, unless it is critical. A log line
/// carries its facility as `facility` metadata, which the log handlers know (text writes
/// `librdkafka FACILITY: message`, JSON a field of its own).
func installLogCallbacks(_ conf: OpaquePointer) {
    rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
        guard let logger = callbackLogger(rk), let message else { return }
        let metadata: Logger.Metadata = ["facility": "\(facility.map { String(cString: $0) } ?? "")"]
        logger.log(level: level <= 2 ? .critical : .debug, "\(String(cString: message))", metadata: metadata)
    }
    rd_kafka_conf_set_error_cb(conf) { rk, code, reason, _ in
        guard let logger = callbackLogger(rk) else { return }
        let text = reason.map { String(cString: $0) } ?? KafkaError.message(rd_kafka_resp_err_t(rawValue: code))
        logger.warning("Kafka: \(text)")
    }
}
