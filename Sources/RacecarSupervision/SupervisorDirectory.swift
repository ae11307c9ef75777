import Foundation
import RacecarOperations
import RacecarPluginHosting

/// The folder a supervisor shares with its workers and with `racecarctl status`:
/// `/dev/shm/racecar-<supervisor pid>/` (in memory; `/tmp` where there is no `/dev/shm`).
///
/// It holds `status.json` (``SupervisorStatus``) and one `worker-<slot>.call` file per slot, the
/// slot in which a worker records the plugin call in flight (`RACECAR_WORKER_CALL_SLOT`), and
/// each worker's `worker-<slot>.status.json` (``HostStatus``). A host without workers keeps
/// only its `host.json` in the folder of its own pid. The
/// supervisor removes it on exit; one left by a supervisor that was killed is removed by the
/// next supervisor that starts.
package struct SupervisorDirectory: Sendable {
    /// The folder.
    package let path: String

    /// The folder of the supervisor with process id `supervisorPID`.
    package init(supervisorPID: Int32) {
        path = "\(Self.parent)/\(Self.prefix)\(supervisorPID)"
    }

    /// The supervisor's status, which `racecarctl status` reads.
    package var statusFile: String { "\(path)/status.json" }

    /// The file in which worker `slot` records the plugin call in flight.
    package func callSlotFile(slot: Int) -> String { "\(path)/worker-\(slot).call" }
    /// Where the supervisor's endpoint asks the supervisor to reload (`POST /control/reload`).
    package var reloadChannel: ReloadChannel { ReloadChannel(prefix: "\(path)/supervisor") }
    /// Where the supervisor asks worker `slot` to reload, and reads how it went.
    package func reloadChannel(slot: Int) -> ReloadChannel { ReloadChannel(prefix: "\(path)/worker-\(slot)") }

    /// What worker `slot` publishes about itself (``HostStatus``), rewritten every second.
    package func workerStatusFile(slot: Int) -> String { "\(path)/worker-\(slot).status.json" }

    /// Worker `slot`'s metrics in Prometheus text format, rewritten every second while the
    /// supervisor serves the HTTP endpoint.
    package func workerMetricsFile(slot: Int) -> String { "\(path)/worker-\(slot).metrics" }

    /// The partitions an operator paused through the supervisor's endpoint, which every worker applies.
    package var manualPausesFile: String { "\(path)/manual-pauses.json" }

    /// What a host without `parallel_workers` publishes about itself, in the folder of its own pid.
    package var hostStatusFile: String { "\(path)/host.json" }

    /// The positions that crashed workers (``CrashedPositions``), which every worker reads.
    package var crashedPositionsFile: String { "\(path)/crashed-positions.json" }

    /// Creates the folder (emptied if a dead process of the same id left one) and a call slot
    /// per worker, with a record for each of its `instances` (its `concurrency`).
    ///
    /// - Throws: ``SupervisorError/unusableDirectory(path:reason:)``.
    package func create(slots: Int, instances: Int) throws(SupervisorError) {
        Self.removeAbandoned()
        remove()
        guard mkdir(path, 0o755) == 0 else {
            throw .unusableDirectory(path: path, reason: String(cString: strerror(errno)))
        }
        for slot in 0..<slots { try resetCallSlot(slot: slot, instances: instances) }
    }

    /// Creates the folder of a host that runs its consumer itself, for its ``hostStatusFile``
    /// (and removes those of hosts and supervisors that were killed).
    ///
    /// - Throws: ``SupervisorError/unusableDirectory(path:reason:)``.
    package func createForSingleHost() throws(SupervisorError) {
        Self.removeAbandoned()
        remove()
        guard mkdir(path, 0o755) == 0 else {
            throw .unusableDirectory(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Empties worker `slot`'s call slot, before a worker starts in it.
    package func resetCallSlot(slot: Int, instances: Int) throws(SupervisorError) {
        do {
            _ = try InFlightCallSlot(creatingAt: callSlotFile(slot: slot), instances: instances)
        } catch {
            throw .unusableDirectory(path: callSlotFile(slot: slot), reason: "\(error)")
        }
    }

    /// What worker `slot`, process `pid`, was calling when it died: every instance's call, if
    /// any (a torn record, the worker killed inside the host's own bookkeeping, blames nothing).
    package func callsInFlight(slot: Int, pid: Int32) -> [InFlightCall] {
        let recorded = (try? InFlightCallSlot(openingAt: callSlotFile(slot: slot)))?.readAll() ?? []
        return recorded.filter { $0.processID == pid }
    }

    /// Removes the folder and everything in it.
    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static let prefix = "racecar-"

    /// `/dev/shm`, which is memory, or `/tmp` on systems without it.
    private static let parent: String = {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory) && isDirectory.boolValue
            ? "/dev/shm" : "/tmp"
    }()

    /// Removes the folders of supervisors that no longer run (killed with SIGKILL, say).
    private static func removeAbandoned() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid > 0, kill(pid, 0) != 0, errno == ESRCH else {
                continue
            }
            SupervisorDirectory(supervisorPID: pid).remove()
        }
    }
}
