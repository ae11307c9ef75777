import CRdKafka

/// A topic and partition number.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }
}

extension Array where Element == TopicPartition {
    /// Copies a librdkafka partition list.
    init(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self = (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return TopicPartition(topic: String(cString: element.topic), partition: element.partition)
        }
    }
}

/// Builds a librdkafka partition list; the caller destroys it.
func makePartitionList(_ partitions: [(TopicPartition, offset: Int64?)]) -> UnsafeMutablePointer<
    rd_kafka_topic_partition_list_t
> {
    let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
    for (partition, offset) in partitions {
        let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
        if let offset { element.pointee.offset = offset }
    }
    return list
}
