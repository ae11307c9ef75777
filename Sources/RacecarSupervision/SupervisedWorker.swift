import CProcessControl
import Glibc
import Logging
import RacecarConfiguration

/// The worker's side of supervision: a process started by a supervisor (``WorkerIdentity``)
/// dies with it, and tells it once it consumes.
package struct SupervisedWorker: Sendable {
    package let identity: WorkerIdentity

    /// Ties this process to its supervisor: asks the kernel for SIGTERM when the supervisor
    /// dies, then checks that it has not died already (between spawning this process and that
    /// request). Call first thing.
    ///
    /// It also takes the program's name back for `ps` and `top`, which would show `exe`: the
    /// supervisor starts workers from `/proc/self/exe` (``WorkerLauncher``).
    ///
    /// - Throws: ``SupervisorError/orphaned(slot:supervisorPID:)`` when the supervisor is gone.
    package static func attach(_ identity: WorkerIdentity) throws(SupervisorError) -> SupervisedWorker {
        _ = racecar_set_parent_death_signal(SIGTERM)
        if let program = CommandLine.arguments.first?.split(separator: "/").last {
            _ = racecar_set_process_name(String(program.prefix(15)))
        }
        guard getppid() == identity.supervisorPID else {
            throw .orphaned(slot: identity.slot, supervisorPID: identity.supervisorPID)
        }
        return SupervisedWorker(identity: identity)
    }

    /// Metadata on every log line of the worker: its slot and process id.
    package var logMetadata: Logger.Metadata {
        ["worker": "\(identity.slot)", "pid": "\(getpid())"]
    }

    /// The supervisor's file of positions that crashed workers, which this worker avoids.
    package var crashedPositionsFile: String {
        SupervisorDirectory(supervisorPID: identity.supervisorPID).crashedPositionsFile
    }

    /// Tells the supervisor that this worker subscribed and polls.
    package func reportConsuming() {
        kill(identity.supervisorPID, SupervisorSignals.consumingSignal)
    }
}
