import RacecarPluginHosting

/// Turns the plugin calls that crashed workers into what the next workers avoid: a message
/// that crashed `max_crashes` workers becomes poison, and a `process_batch` call that crashed
/// narrows its range to one message at a time, so that the next crash names a single message.
struct PoisonTracker {
    /// What a crash changed, for the supervisor's log line.
    enum Verdict: Equatable {
        /// The crash names no message (a hook, `create`, `teardown`).
        case noPosition
        /// The message has crashed this many workers, fewer than `max_crashes`.
        case counted(crashes: Int)
        /// The message crashed `max_crashes` workers: the next ones skip it.
        case poisoned(crashes: Int)
        /// The batch range is retried one message at a time.
        case narrowed
    }

    let maxCrashes: Int
    private(set) var positions = CrashedPositions()
    private var crashes: [String: Int] = [:]

    init(maxCrashes: Int) {
        self.maxCrashes = maxCrashes
    }

    /// Records that `call` was in flight when a worker died of `signal`.
    mutating func record(_ call: InFlightCall, signal: String) -> Verdict {
        guard let position = call.position, call.call == .process || call.call == .processBatch else {
            return .noPosition
        }
        let (topic, partition, offsets) = (position.topic, position.partition, position.offsets)
        guard offsets.lowerBound == offsets.upperBound else {
            let range = CrashedPositions.NarrowedRange(
                topic: topic, partition: partition, first: offsets.lowerBound, last: offsets.upperBound)
            if !positions.narrowed.contains(range) { positions.narrowed.append(range) }
            return .narrowed
        }
        let offset = offsets.lowerBound
        let key = "\(topic)/\(partition)@\(offset)"
        let count = (crashes[key] ?? 0) + 1
        crashes[key] = count
        guard count >= maxCrashes else { return .counted(crashes: count) }
        positions.poison.removeAll { $0.topic == topic && $0.partition == partition && $0.offset == offset }
        positions.poison.append(
            .init(
                topic: topic, partition: partition, offset: offset, crash: "\(signal) in \(call.call)", crashes: count))
        return .poisoned(crashes: count)
    }
}
