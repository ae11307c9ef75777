import CoreMetrics
import Synchronization

/// A count (`|c`): the increments since the last flush, summed with one atomic add each. A new
/// counter is sent once at zero, so its series exists before the first event (a dashboard shows
/// 0 errors rather than no data).
final class DogStatsDCounter: CounterHandler, DogStatsDHandler {
    private let name: String
    private let tags: String
    private let delta = Atomic<Int64>(0)
    private let isNew = Atomic<Bool>(true)

    init(name: String, tags: String) {
        self.name = name
        self.tags = tags
    }

    func increment(by amount: Int64) { delta.add(amount, ordering: .relaxed) }
    func reset() { delta.store(0, ordering: .relaxed) }

    func drain(into lines: inout [String], lineLimit: Int) {
        let value = delta.exchange(0, ordering: .relaxed)
        let isNew = isNew.exchange(false, ordering: .relaxed)
        if value != 0 || isNew { lines.append("\(name):\(value)|c\(tags)") }
    }
}
