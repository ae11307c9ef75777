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

    /// Whether the consumer crashes at this position; if so, first prints `crashing
    /// <topic>/<partition>@<offset> at=<milliseconds since 1970>`, for tests to time what follows.
    func crashes(topic: String, partition: Int32, offset: Int64) -> Bool {
        let position = "\(topic)/\(partition)@\(offset)"
        guard modulo.map({ offset % $0 == $0 - 1 }) == true || positions.contains(position) else { return false }
        print("crashing \(position) at=\(Int64(Date().timeIntervalSince1970 * 1000))")
        fflush(nil)
        return true
    }
}
