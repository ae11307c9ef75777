import Foundation

/// The folder a supervisor shares with its workers and with `racecarctl status`:
/// `/dev/shm/racecar-<supervisor pid>/` (in memory; `/tmp` where there is no `/dev/shm`).
///
/// It holds `status.json` (``SupervisorStatus``) and one `worker-<slot>.call` file per slot, the
/// slot in which a worker records the plugin call in flight (`RACECAR_WORKER_CALL_SLOT`). The
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

    /// Creates the folder (emptied if a dead process of the same id left one) and an empty call
    /// slot file per worker.
    ///
    /// - Throws: ``SupervisorError/unusableDirectory(path:reason:)``.
    package func create(slots: Int) throws(SupervisorError) {
        Self.removeAbandoned()
        remove()
        guard mkdir(path, 0o755) == 0 else {
            throw .unusableDirectory(path: path, reason: String(cString: strerror(errno)))
        }
        for slot in 0..<slots {
            let descriptor = open(callSlotFile(slot: slot), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw .unusableDirectory(path: callSlotFile(slot: slot), reason: String(cString: strerror(errno)))
            }
            close(descriptor)
        }
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
