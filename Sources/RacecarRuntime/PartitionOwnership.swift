import RacecarConfiguration
import RacecarKafka

/// Which consumer instance owns each assigned partition: each partition has one owner while it
/// is assigned, so its messages are processed in order and one instance is never called from
/// two threads. A new partition goes to the instance that owns the fewest.
///
/// Used from the polling thread only.
struct PartitionOwnership {
    private let instanceCount: Int
    private var owners: [TopicPartition: Int] = [:]
    /// The owners again, by the hot path's cheap partition identity.
    private var ownerCache: [PartitionID: (owner: Int, partition: TopicPartition)] = [:]

    init(instanceCount: Int) {
        self.instanceCount = instanceCount
    }

    /// How many partitions are assigned.
    var count: Int { owners.count }

    /// The assigned partitions, in topic and partition order.
    var partitions: [TopicPartition] {
        owners.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// Whether `partition` is assigned (and so has an owner).
    func isAssigned(_ partition: TopicPartition) -> Bool { owners[partition] != nil }

    /// The owner of `partition`, if it has one.
    func owner(of partition: TopicPartition) -> Int? { owners[partition] }

    /// The owner of the partition of `message`, giving the partition one if it has none yet.
    @inline(__always)
    mutating func owner<Message: ConsumerMessage>(of message: Message) -> Int {
        if let cached = ownerCache[message.partitionID] { return cached.owner }
        let partition = message.topicPartition
        let owner = owners[partition] ?? assign(partition)
        ownerCache[message.partitionID] = (owner, partition)
        return owner
    }

    /// Gives each of `partitions` an owner; returns the partitions by owner.
    mutating func assign(_ partitions: [TopicPartition]) -> [[TopicPartition]] {
        var byOwner = [[TopicPartition]](repeating: [], count: instanceCount)
        for partition in partitions {
            byOwner[owners[partition] ?? assign(partition)].append(partition)
        }
        return byOwner
    }

    /// Takes `partitions` from their owners; returns them by the owner they had.
    mutating func revoke(_ partitions: [TopicPartition]) -> [[TopicPartition]] {
        var byOwner = [[TopicPartition]](repeating: [], count: instanceCount)
        for partition in partitions {
            if let owner = owners.removeValue(forKey: partition) { byOwner[owner].append(partition) }
        }
        let revoked = Set(partitions)
        ownerCache = ownerCache.filter { !revoked.contains($0.value.partition) }
        return byOwner
    }

    private mutating func assign(_ partition: TopicPartition) -> Int {
        var load = [Int](repeating: 0, count: instanceCount)
        for owner in owners.values { load[owner] += 1 }
        let owner = load.indices.min { load[$0] < load[$1] } ?? 0
        owners[partition] = owner
        return owner
    }
}
