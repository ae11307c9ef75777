import CRdKafka
import RacecarConfiguration

#if canImport(Glibc)
    import Glibc
#endif

extension KafkaConsumer {
    /// The position, last commit and cached high watermark of each of `partitions`, read from
    /// librdkafka's local state without a broker request; for the status, not the hot path.
    package func offsets(of partitions: [TopicPartition]) -> [PartitionOffsets] {
        guard !partitions.isEmpty else { return [] }
        let list = makePartitionList(partitions.map { ($0, nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_position(handle, list)
        let committed = callbacks.committed.withLock { $0 }
        return partitions.enumerated().map { index, partition in
            let position = list.pointee.elems[index].offset
            var low: Int64 = 0
            var high: Int64 = 0
            let known =
                rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
                == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0
            return PartitionOffsets(
                partition: partition, position: position >= 0 ? position : nil, committed: committed[partition],
                highWatermark: known ? high : nil)
        }
    }

    /// The member id the group coordinator assigned; `nil` before the consumer joined.
    package var memberID: String? {
        guard let id = rd_kafka_memberid(handle) else { return nil }
        defer { rd_kafka_mem_free(handle, id) }
        let text = String(cString: id)
        return text.isEmpty ? nil : text
    }
}

/// Records the offsets of a commit that succeeded, partition by partition, for ``KafkaConsumer/offsets(of:)``.
func recordCommitted(_ box: CallbackBox, _ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
    box.committed.withLock { committed in
        for index in 0..<Int(offsets.pointee.cnt) {
            let element = offsets.pointee.elems[index]
            guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR, element.offset >= 0, let topic = element.topic else {
                continue
            }
            committed[TopicPartition(topic: String(cString: topic), partition: element.partition)] = element.offset
        }
    }
}
