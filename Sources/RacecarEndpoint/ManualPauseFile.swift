import Foundation
import RacecarConfiguration

/// The partitions an operator paused through a supervisor's endpoint, which its workers apply:
/// a JSON list of `{"topic": ..., "partition": N}`, rewritten atomically on every change.
package enum ManualPauseFile {
    private struct Entry: Codable, Hashable {
        var topic: String
        var partition: Int32
    }

    /// The partitions in the file at `path`; none when there is no file.
    package static func read(from path: String) -> Set<TopicPartition> {
        guard let data = FileManager.default.contents(atPath: path),
            let entries = try? StatusCoding.decode([Entry].self, from: data)
        else { return [] }
        return Set(entries.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
    }

    /// Writes `partitions` to `path` atomically.
    package static func write(_ partitions: Set<TopicPartition>, to path: String) throws {
        let entries = partitions.map { Entry(topic: $0.topic, partition: $0.partition) }.sorted {
            ($0.topic, $0.partition) < ($1.topic, $1.partition)
        }
        try StatusCoding.encode(entries).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
