import CRdKafka

/// A partition identified by its librdkafka topic handle: cheap to compare on the hot path.
struct PartitionRef: Equatable {
    let topic: OpaquePointer
    let partition: Int32

    @inline(__always)
    init(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        topic = message.pointee.rkt
        partition = message.pointee.partition
    }
}

extension TopicPartition {
    init(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        self.init(topic: String(cString: rd_kafka_topic_name(message.pointee.rkt)), partition: message.pointee.partition)
    }
}

/// The last processed offset per partition within one chunk. A chunk touches few partitions,
/// so a small array with a last-hit cache beats hashing.
struct ChunkProgress {
    private var entries: [(partition: PartitionRef, offset: Int64)] = []
    private var lastHit = 0

    var isEmpty: Bool { entries.isEmpty }

    @inline(__always)
    mutating func record(_ partition: PartitionRef, offset: Int64) {
        if lastHit < entries.count, entries[lastHit].partition == partition {
            entries[lastHit].offset = offset
            return
        }
        if let index = entries.firstIndex(where: { $0.partition == partition }) {
            entries[index].offset = offset
            lastHit = index
        } else {
            entries.append((partition, offset))
            lastHit = entries.count - 1
        }
    }

    mutating func remove(_ partition: PartitionRef) {
        entries.removeAll { $0.partition == partition }
        lastHit = 0
    }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        lastHit = 0
    }

    /// A librdkafka list of next offsets (last processed + 1); the caller destroys it.
    func makeList() -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
        for entry in entries {
            rd_kafka_topic_partition_list_add(list, rd_kafka_topic_name(entry.partition.topic), entry.partition.partition)
                .pointee.offset = entry.offset + 1
        }
        return list
    }

    func makeList(only partition: PartitionRef) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? {
        guard let entry = entries.first(where: { $0.partition == partition }) else { return nil }
        let list = rd_kafka_topic_partition_list_new(1)!
        rd_kafka_topic_partition_list_add(list, rd_kafka_topic_name(entry.partition.topic), entry.partition.partition)
            .pointee.offset = entry.offset + 1
        return list
    }
}
