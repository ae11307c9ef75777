import CoreMetrics
import Synchronization

/// A distribution the agent aggregates: a histogram (`|h`, from recorders) or a timing (`|ms`,
/// from timers, in milliseconds). The agent derives `.avg`, `.median`, `.max`, `.95percentile`
/// and `.count` from the values it receives, as it does for Racecar's.
///
/// Sending every value of a consumer doing a million messages a second would cost more than
/// the messages, so each flush interval keeps a uniform random sample of at most
/// ``capacity`` values (reservoir sampling) and sends them with their sample rate
/// (`|@0.0064`), from which the agent scales `.count` back to the number recorded. Values go
/// packed into one line per metric (`name:1.2:0.8:3|ms`, DogStatsD 1.1, agents from 6.25 and
/// 7.25 on).
///
/// Recording takes a lock and at most one random number; the only allocation is the sample's
/// storage, once per interval.
final class DogStatsDSampler: RecorderHandler, TimerHandler, DogStatsDHandler {
    /// The most values sent per interval.
    static let capacity = 64

    private struct Window {
        var recorded = 0
        var values: [Double] = []
        var random: UInt64

        /// SplitMix64: fast, and good enough to pick which values to keep.
        mutating func next() -> UInt64 {
            random &+= 0x9E37_79B9_7F4A_7C15
            var mixed = random
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    private let name: String
    private let suffix: String
    private let tags: String
    private let divisor: Double
    private let window: Mutex<Window>

    /// - Parameters:
    ///   - type: `h` or `ms`.
    ///   - divisor: What recorded values are divided by (nanoseconds to milliseconds for timers).
    init(name: String, type: String, tags: String, divisor: Double) {
        self.name = name
        self.suffix = "|" + type
        self.tags = tags
        self.divisor = divisor
        window = Mutex(Window(random: UInt64.random(in: .min ... .max)))
    }

    func record(_ value: Int64) { record(Double(value)) }
    func recordNanoseconds(_ duration: Int64) { record(Double(duration)) }

    func record(_ value: Double) {
        let scaled = value / divisor
        window.withLock { window in
            window.recorded += 1
            if window.values.count < Self.capacity {
                window.values.append(scaled)
                return
            }
            // Keeps each of the values recorded so far with the same probability.
            let slot = Int(window.next() % UInt64(window.recorded))
            if slot < Self.capacity { window.values[slot] = scaled }
        }
    }

    func drain(into lines: inout [String], lineLimit: Int) {
        let (values, recorded) = window.withLock { window in
            defer {
                window.recorded = 0
                window.values.removeAll(keepingCapacity: true)
            }
            return (window.values, window.recorded)
        }
        guard !values.isEmpty else { return }
        var tail = suffix
        if recorded > values.count {
            let rate = Double(values.count) / Double(recorded)
            tail += "|@" + String(rate)
        }
        tail += tags
        let head = name + ":"
        var line = head
        var isEmpty = true
        for value in values {
            let text = dogStatsDValue(value)
            if !isEmpty, line.utf8.count + 1 + text.utf8.count + tail.utf8.count > lineLimit {
                lines.append(line + tail)
                line = head
                isEmpty = true
            }
            line += isEmpty ? text : ":" + text
            isEmpty = false
        }
        lines.append(line + tail)
    }
}
