import Foundation

/// What crashed worker processes, as a supervisor hands it to the next workers: messages that
/// crashed a worker `max_crashes` times and must not reach the plugin again (poison), and
/// batch ranges in which a `process_batch` call crashed, to be retried one message at a time so
/// that only the poison message is singled out.
///
/// A JSON file written by the supervisor (replaced atomically) and read by workers at start
/// and whenever partitions are assigned to them.
package struct CrashedPositions: Codable, Sendable, Equatable {
    /// A message never handed to the plugin again.
    package struct Poison: Codable, Sendable, Equatable {
        package var topic: String
        package var partition: Int32
        package var offset: Int64
        /// How it crashed the worker, e.g. `SIGSEGV in process`.
        package var crash: String
        /// How many workers it crashed.
        package var crashes: Int

        package init(topic: String, partition: Int32, offset: Int64, crash: String, crashes: Int) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.crash = crash
            self.crashes = crashes
        }
    }

    /// Offsets of one partition handed to `process_batch` one message at a time.
    package struct NarrowedRange: Codable, Sendable, Equatable {
        package var topic: String
        package var partition: Int32
        package var first: Int64
        package var last: Int64

        package init(topic: String, partition: Int32, first: Int64, last: Int64) {
            self.topic = topic
            self.partition = partition
            self.first = first
            self.last = last
        }
    }

    package var poison: [Poison] = []
    package var narrowed: [NarrowedRange] = []

    package init(poison: [Poison] = [], narrowed: [NarrowedRange] = []) {
        self.poison = poison
        self.narrowed = narrowed
    }

    package var isEmpty: Bool { poison.isEmpty && narrowed.isEmpty }

    /// Reads the file at `path`; a missing file means nothing crashed yet.
    ///
    /// - Throws: When the file exists but cannot be read or decoded.
    package static func read(from path: String) throws -> CrashedPositions {
        guard FileManager.default.fileExists(atPath: path) else { return CrashedPositions() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(CrashedPositions.self, from: data)
    }

    /// Replaces the file at `path` atomically, so that a worker never reads half of it.
    package func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
