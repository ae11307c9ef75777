import CoreMetrics
import Synchronization

/// A gauge (`|g`): the last value set, sent on every flush once set, as the agent keeps only
/// the last value of each interval anyway.
final class DogStatsDGauge: RecorderHandler, MeterHandler, DogStatsDHandler {
    private let name: String
    private let tags: String
    private let value = Mutex<Double?>(nil)

    init(name: String, tags: String) {
        self.name = name
        self.tags = tags
    }

    func record(_ value: Int64) { record(Double(value)) }
    func record(_ value: Double) { self.value.withLock { $0 = value } }
    func set(_ value: Int64) { record(Double(value)) }
    func set(_ value: Double) { record(value) }
    func increment(by amount: Double) { value.withLock { $0 = ($0 ?? 0) + amount } }
    func decrement(by amount: Double) { increment(by: -amount) }

    func drain(into lines: inout [String], lineLimit: Int) {
        guard let last = value.withLock({ $0 }) else { return }
        lines.append("\(name):\(dogStatsDValue(last))|g\(tags)")
    }
}
