import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// The positions a supervisor said crashed workers, by partition, for one instance: poison
/// messages it must not hand to the plugin, and batch ranges it hands over one message at a
/// time. Read from the supervisor's file at start and at every assignment.
struct CrashGuard {
    /// What one partition must avoid.
    struct Partition {
        var poison: [Int64: CrashedPositions.Poison] = [:]
        var narrowed: [ClosedRange<Int64>] = []

        func isNarrowed(_ offset: Int64) -> Bool {
            narrowed.contains { $0.contains(offset) }
        }
    }

    private let path: String
    private var partitions: [TopicPartition: Partition] = [:]

    /// Whether nothing is to be avoided: the hot path checks only this.
    private(set) var isEmpty = true

    init(path: String) {
        self.path = path
    }

    /// Reads the supervisor's file again.
    ///
    /// - Returns: Why it could not be read, to log; the previous positions are kept then.
    mutating func reload() -> String? {
        let positions: CrashedPositions
        do {
            positions = try CrashedPositions.read(from: path)
        } catch {
            return "cannot read the crashed positions at \(path): \(error)"
        }
        var partitions: [TopicPartition: Partition] = [:]
        for poison in positions.poison {
            partitions[TopicPartition(topic: poison.topic, partition: poison.partition), default: .init()]
                .poison[poison.offset] = poison
        }
        for range in positions.narrowed where range.first <= range.last {
            partitions[TopicPartition(topic: range.topic, partition: range.partition), default: .init()]
                .narrowed.append(range.first...range.last)
        }
        self.partitions = partitions
        isEmpty = partitions.isEmpty
        return nil
    }

    /// What `partition` must avoid, or `nil` when nothing.
    func avoiding(_ partition: TopicPartition) -> Partition? {
        isEmpty ? nil : partitions[partition]
    }
}
