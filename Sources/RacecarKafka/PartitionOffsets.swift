import RacecarConfiguration

/// Where one assigned partition stands, as librdkafka knows it locally (no broker request).
package struct PartitionOffsets: Sendable, Equatable {
    package var partition: TopicPartition
    /// The offset of the next message to read; `nil` until one was read.
    package var position: Int64?
    /// The last offset this consumer committed; `nil` until it committed one.
    package var committed: Int64?
    /// The high watermark from the last fetch response; `nil` before the first.
    package var highWatermark: Int64?

    package init(partition: TopicPartition, position: Int64?, committed: Int64?, highWatermark: Int64?) {
        self.partition = partition
        self.position = position
        self.committed = committed
        self.highWatermark = highWatermark
    }
}
