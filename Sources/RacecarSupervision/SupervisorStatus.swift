import Foundation
import RacecarInstrumentation

/// What a supervisor publishes about its workers in ``SupervisorDirectory/statusFile``, for
/// `racecarctl status`: JSON, rewritten atomically (a new file renamed over the old) on every
/// change. Times are seconds since 1970; the reader works out uptimes.
package struct SupervisorStatus: Codable, Sendable, Equatable {
    /// What a supervisor is doing.
    package enum State: String, Codable, Sendable {
        /// Running its workers and restarting those that exit.
        case running
        /// Stopping every worker, after a stop signal or after giving up on a slot.
        case stopping
    }

    /// One worker slot.
    package struct Worker: Codable, Sendable, Equatable {
        /// What the slot's worker is doing.
        package enum State: String, Codable, Sendable {
            /// Started, not consuming yet (connecting, joining the group).
            case starting
            /// Subscribed and polling.
            case consuming
            /// Exited; waiting to start again at ``Worker/restartAt``.
            case restarting
            /// Asked to stop, not exited yet.
            case stopping
            /// Exited, and not started again.
            case stopped
        }

        /// How the slot's last worker ended.
        package struct Exit: Codable, Sendable, Equatable {
            /// `killed by SIGSEGV`, `exited with status 1`.
            package var description: String
            /// The signal that ended it, by name, if one did.
            package var signal: String?
            /// Its exit status, if it exited.
            package var status: Int32?
            /// When.
            package var at: Double
            /// The plugin calls in flight when it died, e.g. `process of events/0@17`.
            package var inFlight: [String]

            package init(_ exit: WorkerExit, at: Double, inFlight: [String] = []) {
                description = exit.description
                signal = exit.signalName
                status = exit.status
                self.at = at
                self.inFlight = inFlight
            }
        }

        /// The slot, from 0.
        package var slot: Int
        package var state: State
        /// The running worker's process id.
        package var pid: Int32?
        /// When the running worker started.
        package var startedAt: Double?
        /// Restarts since the supervisor started.
        package var restarts = 0
        /// How the previous worker of the slot ended.
        package var lastExit: Exit?
        /// When the slot's worker starts again, while it is ``State/restarting``.
        package var restartAt: Double?
        /// What the running worker last published about its consumer; filled in by readers
        /// (the endpoint, `racecarctl status`), never in the supervisor's own file.
        package var host: HostStatus?

        package init(slot: Int, state: State) {
            self.slot = slot
            self.state = state
        }
    }

    /// The supervisor's process id.
    package var supervisorPID: Int32
    /// The consumer the workers run.
    package var consumer: String
    /// When the supervisor started.
    package var startedAt: Double
    package var state: State
    /// The plugin library workers start with, after a reload; `nil`: `--plugin`'s.
    package var plugin: String?
    /// The library it replaced.
    package var previousPlugin: String?
    /// One per slot, in slot order.
    package var workers: [Worker]

    package init(supervisorPID: Int32, consumer: String, startedAt: Double, state: State, workers: [Worker]) {
        self.supervisorPID = supervisorPID
        self.consumer = consumer
        self.startedAt = startedAt
        self.state = state
        self.workers = workers
    }

    /// Writes the status to `path` atomically.
    package func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads the status at `path`.
    package static func read(from path: String) throws -> SupervisorStatus {
        try JSONDecoder().decode(SupervisorStatus.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
