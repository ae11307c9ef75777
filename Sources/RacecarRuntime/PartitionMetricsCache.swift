import RacecarConfiguration
import RacecarKafka

/// One instance's handles to its partitions' metrics, found by the cheap ``PartitionID`` once
/// per run of messages; the partition's name is built only the first time it is seen.
struct PartitionMetricsCache {
    private let metrics: ConsumerMetrics
    private var handles: [PartitionID: PartitionMetrics] = [:]

    init(_ metrics: ConsumerMetrics) {
        self.metrics = metrics
    }

    mutating func partition(_ id: PartitionID, named name: @autoclosure () -> TopicPartition) -> PartitionMetrics {
        if let known = handles[id] { return known }
        let created = metrics.partition(name())
        handles[id] = created
        return created
    }
}
