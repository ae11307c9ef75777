import CRdKafka

/// A partition identified by its librdkafka topic handle: cheap to compare and hash on the
/// hot path. Topic handles live as long as the consumer.
struct PartitionRef: Hashable, @unchecked Sendable {
    let topic: OpaquePointer
    let partition: Int32

    @inline(__always)
    init(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        topic = message.pointee.rkt
        partition = message.pointee.partition
    }

    var topicPartition: TopicPartition {
        TopicPartition(topic: String(cString: rd_kafka_topic_name(topic)), partition: partition)
    }
}

extension TopicPartition {
    init(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        self = PartitionRef(message).topicPartition
    }
}
