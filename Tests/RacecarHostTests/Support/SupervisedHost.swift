import Foundation
import RacecarKafka
import RacecarSupervision
import Testing

/// What the tests of `parallel_workers` read from a supervisor: its status file, and the
/// assignments its workers log.
extension HostProcess {
    /// The status the supervisor publishes, once it has written one.
    var supervisorStatus: SupervisorStatus? {
        try? SupervisorStatus.read(from: SupervisorDirectory(supervisorPID: pid).statusFile)
    }

    /// Waits until the supervisor's status satisfies `condition`, and returns that status.
    @discardableResult
    func waitForStatus(
        _ what: String, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (SupervisorStatus) -> Bool
    ) async throws -> SupervisorStatus {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = supervisorStatus, condition(status) { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record(
            "timed out waiting for \(what); status: \(String(describing: supervisorStatus)); stderr: \(stderr.suffix(2000))",
            sourceLocation: sourceLocation)
        throw TimedOut()
    }

    /// Waits until every worker of the supervisor consumes; returns their process ids by slot.
    func waitForEveryWorkerConsuming(timeout: Duration = .seconds(60)) async throws -> [Int32] {
        try await waitForStatus("every worker to consume", timeout: timeout) { status in
            status.workers.allSatisfy { $0.state == .consuming }
        }.workers.compactMap(\.pid)
    }
}

extension SupervisorStatus {
    /// The running workers' process ids.
    var workerPIDs: [Int32] { workers.compactMap(\.pid) }
}

/// Whether process `pid` is gone: it does not exist, or it is a zombie nobody reaped yet.
func processIsGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return true }
    let state = stat[close...].dropFirst(2).first
    return state == "Z" || state == "X"
}

/// Each worker's current partitions, from the `partitions assigned: ...` and `partitions revoked:
/// ...` lines the host logs with `worker=<slot> pid=<pid>` metadata.
struct WorkerAssignments {
    /// By process id.
    private(set) var byPID: [Int32: Set<Int32>] = [:]
    /// The latest process of each slot.
    private(set) var latestPID: [Int: Int32] = [:]

    init(log: String) {
        for line in log.split(separator: "\n") {
            let assigned = line.range(of: ": partitions assigned: ")
            let revoked = line.range(of: ": partitions revoked: ")
            guard let change = assigned ?? revoked, let slot = Self.field("worker", in: line).flatMap({ Int($0) }),
                let pid = Self.field("pid", in: line).flatMap({ Int32($0) })
            else { continue }
            latestPID[slot] = pid
            let partitions = Set(
                line[change.upperBound...].split(separator: ",").compactMap { item in
                    item.split(separator: "/").last.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
                })
            if assigned != nil {
                byPID[pid, default: []].formUnion(partitions)
            } else {
                byPID[pid, default: []].subtract(partitions)
            }
        }
    }

    /// The current partitions of each slot's latest worker.
    var bySlot: [Int: Set<Int32>] {
        latestPID.mapValues { byPID[$0] ?? [] }
    }

    /// `value` of ` name=value` in a log line's metadata.
    private static func field(_ name: String, in line: Substring) -> Substring? {
        guard let start = line.range(of: " \(name)=") else { return nil }
        let rest = line[start.upperBound...]
        return rest.prefix { $0 != " " && $0 != ":" }
    }
}
