import CRdKafka
import RacecarConfiguration

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

extension String {
    /// Decodes a NUL-terminated C character buffer, such as librdkafka's error text, as UTF-8.
    init(nulTerminated characters: [CChar]) {
        self = String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
