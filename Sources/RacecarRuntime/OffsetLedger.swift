import RacecarConfiguration
import Synchronization

/// The next offset stored per partition, for `offset_commit_on_idle`, which re-commits them
/// even when nothing changed. Workers record; the polling thread commits.
final class OffsetLedger: Sendable {
    private let offsets = Mutex<[TopicPartition: Int64]>([:])

    func record(_ partition: TopicPartition, next offset: Int64) {
        offsets.withLock { $0[partition] = offset }
    }

    func forget(_ partitions: Set<TopicPartition>) {
        offsets.withLock { offsets in
            for partition in partitions { offsets[partition] = nil }
        }
    }

    var snapshot: [TopicPartition: Int64] { offsets.withLock { $0 } }
}
