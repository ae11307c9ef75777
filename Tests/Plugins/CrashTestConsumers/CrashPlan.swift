import Foundation

/// Where a crash test consumer crashes, from its environment: `CRASH_AT` lists positions
/// (`events/0@5,events/1@7`), and `CRASH_MODULO=N` adds every offset `o` with `o % N == N - 1`.
struct CrashPlan: Sendable {
    private let positions: Set<String>
    private let modulo: Int64?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        positions = Set((environment["CRASH_AT"] ?? "").split(separator: ",").map(String.init))
        modulo = environment["CRASH_MODULO"].flatMap(Int64.init).flatMap { $0 > 0 ? $0 : nil }
    }

    func crashes(topic: String, partition: Int32, offset: Int64) -> Bool {
        if let modulo, offset % modulo == modulo - 1 { return true }
        return positions.contains("\(topic)/\(partition)@\(offset)")
    }
}
