import CRdKafka

/// A message polled from librdkafka: a view of its `rd_kafka_message_t`, whose key and value
/// point straight into librdkafka's fetch buffers (nothing is copied).
///
/// The view is valid until ``destroy()``, which only the message's single owner calls: the
/// runtime's chunk of polled messages, or the run of messages it handed to a worker.
package struct KafkaMessage: @unchecked Sendable {
    @usableFromInline package let pointer: UnsafeMutablePointer<rd_kafka_message_t>

    @inlinable package init(_ pointer: UnsafeMutablePointer<rd_kafka_message_t>) {
        self.pointer = pointer
    }

    /// The partition, identified by the topic handle: cheap to compare and hash per message.
    @inlinable package var partitionID: PartitionID {
        PartitionID(topic: UnsafeRawPointer(pointer.pointee.rkt), partition: pointer.pointee.partition)
    }

    @inlinable package var partition: Int32 { pointer.pointee.partition }
    @inlinable package var offset: Int64 { pointer.pointee.offset }
    @inlinable package var key: UnsafeRawPointer? { UnsafeRawPointer(pointer.pointee.key) }
    @inlinable package var keyLength: Int { pointer.pointee.key_len }
    @inlinable package var value: UnsafeRawPointer? { UnsafeRawPointer(pointer.pointee.payload) }
    @inlinable package var valueLength: Int { pointer.pointee.len }

    /// Whether the message names its topic: an error from a broker may not (`topicName` then traps).
    @inlinable package var hasTopic: Bool { pointer.pointee.rkt != nil }

    /// The topic's name, owned by its topic handle, which lives as long as the consumer.
    @inlinable package var topicName: UnsafePointer<CChar> { rd_kafka_topic_name(pointer.pointee.rkt) }

    /// The message's timestamp in milliseconds since the epoch, or -1.
    @inlinable package var timestampMilliseconds: Int64 { rd_kafka_message_timestamp(pointer, nil) }

    /// The error librdkafka reports in place of a message (end of partition, a broker problem).
    @inlinable package var error: KafkaErrorCode? {
        let code = pointer.pointee.err
        return code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaErrorCode(code)
    }

    /// What librdkafka says about ``error``: for an error raised by the consumer itself, its
    /// own text (`JoinGroup failed: Broker: Group authorization failed`), else the code's.
    package var errorDescription: String? {
        guard pointer.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return String(cString: rd_kafka_message_errstr(pointer))
    }

    /// How many headers the message has. librdkafka parses the headers on first use, which
    /// allocates even for a message without any.
    package var headerCount: Int {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return 0 }
        return rd_kafka_header_cnt(list)
    }

    /// Calls `body` with each header's name, value and value length, in order; the pointers
    /// are valid as long as the message.
    package func forEachHeader(_ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Void) {
        var parsed: OpaquePointer?
        guard rd_kafka_message_headers(pointer, &parsed) == RD_KAFKA_RESP_ERR_NO_ERROR, let parsed else { return }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(parsed, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            body(name, value, value == nil ? 0 : size)
            index += 1
        }
    }

    /// Gives the message back to librdkafka; the view must not be used afterwards.
    package func destroy() {
        rd_kafka_message_destroy(pointer)
    }
}

/// A partition identified by its topic handle (or, for a scripted client, any pointer unique
/// to the topic): what the hot path compares and hashes instead of topic names.
package struct PartitionID: Hashable, @unchecked Sendable {
    package let topic: UnsafeRawPointer
    package let partition: Int32

    @inlinable package init(topic: UnsafeRawPointer, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
}
