import RacecarConfiguration

/// Why a supervisor stopped with an error, or could not start.
package enum SupervisorError: Error, Equatable, CustomStringConvertible {
    /// The folder shared with the workers could not be created.
    case unusableDirectory(path: String, reason: String)
    /// A worker process could not be started.
    case spawnFailed(executable: String, reason: String)
    /// A worker slot kept failing (`failures` in a row), or failed in a way that starting again
    /// cannot fix (`permanent`).
    case gaveUp(consumer: String, slot: Int, failures: Int, last: WorkerExit, permanent: Bool)
    /// Workers did not stop cleanly after a stop signal: each is described.
    case uncleanStop(consumer: String, workers: [String])
    /// A worker found its supervisor gone before it started.
    case orphaned(slot: Int, supervisorPID: Int32)

    package var description: String {
        switch self {
        case .unusableDirectory(let path, let reason):
            return "cannot prepare the supervisor's folder \(path): \(reason) (check that /dev/shm is writable)"
        case .spawnFailed(let executable, let reason):
            return "cannot start a worker process from \(executable): \(reason)"
        case .gaveUp(let consumer, let slot, let failures, let last, let permanent):
            let what =
                permanent
                ? "\(last), which starting again cannot fix"
                : "failed \(failures) times in a row, each within "
                    + "\(formatSeconds(RestartPolicy().stableUptime)) s of its start (last: \(last))"
            return "worker \(slot) of \(consumer) \(what); stopped the other workers and gave up. "
                + "Its log lines above say why: fix that, then start again"
        case .uncleanStop(let consumer, let workers):
            return "workers of \(consumer) did not stop cleanly: \(workers.joined(separator: "; "))"
        case .orphaned(let slot, let supervisorPID):
            return "worker \(slot)'s supervisor (process \(supervisorPID)) is gone; the worker does not start"
        }
    }

    /// The exit status for a process manager: the worker's own when starting again cannot help
    /// (78, EX_CONFIG, which systemd units are told not to restart), 1 otherwise.
    package var status: Int32 {
        if case .gaveUp(_, _, _, let last, true) = self, let status = last.status { return status }
        return 1
    }
}
