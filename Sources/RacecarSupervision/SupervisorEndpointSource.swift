import Foundation
import RacecarConfiguration
import RacecarEndpoint
import RacecarInstrumentation
import Synchronization

/// What a supervisor's endpoint serves: its workers, from the files they and the supervisor
/// publish in the ``SupervisorDirectory``, so that no request waits on the supervisor's loop.
///
/// - live: every running worker is live (by its own status, which must be no older than
///   `liveness_probe_max_interval` + 2 s); a worker that is starting or restarting counts as
///   live, since the supervisor restarts what exits.
/// - ready: every slot's worker runs and is ready.
/// - `/status`: the supervisor's status with each worker's own.
/// - `/metrics`: every running worker's metrics, labelled `worker`.
/// - control: a manual pause or resume goes to every worker, which applies it within a second.
package final class SupervisorEndpointSource: EndpointSource {
    private let directory: SupervisorDirectory
    private let limits: HealthLimits
    private let manualPauses = Mutex<Set<TopicPartition>>([])

    package init(directory: SupervisorDirectory, limits: HealthLimits) {
        self.directory = directory
        self.limits = limits
    }

    /// The supervisor's status with each running worker's own, as `/status` serves it.
    package static func read(_ directory: SupervisorDirectory) throws -> SupervisorStatus {
        var status = try SupervisorStatus.read(from: directory.statusFile)
        for index in status.workers.indices {
            status.workers[index].host = workerStatus(directory, status.workers[index])?.status
        }
        return status
    }

    /// A running worker's own status and when it was written; `nil` when it published none yet
    /// (a file left by the slot's previous worker names another pid).
    private static func workerStatus(_ directory: SupervisorDirectory, _ worker: SupervisorStatus.Worker) -> (
        status: HostStatus, writtenAt: Double
    )? {
        guard let pid = worker.pid else { return nil }
        let path = directory.workerStatusFile(slot: worker.slot)
        guard let data = FileManager.default.contents(atPath: path),
            let status = try? StatusCoding.decode(HostStatus.self, from: data), status.pid == pid,
            let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        else { return nil }
        return (status, modified.timeIntervalSince1970)
    }

    private func workers() -> [SupervisorStatus.Worker] {
        (try? SupervisorStatus.read(from: directory.statusFile))?.workers ?? []
    }

    package func liveness() -> HealthVerdict {
        let now = wallClockSeconds()
        return HealthCheck.combine(
            workers().map { worker in
                guard let (status, writtenAt) = Self.workerStatus(directory, worker) else {
                    return (worker.slot, .healthy(note: worker.state.rawValue))
                }
                let silence = now - writtenAt
                if silence > limits.maxPollInterval + 2 {
                    return (
                        worker.slot,
                        .failing(
                            reason: "pid \(status.pid) published no status for \(HealthCheck.seconds(silence)) s"
                        )
                    )
                }
                return (worker.slot, HealthCheck.liveness(status, now: now, limits: limits))
            })
    }

    package func readiness() -> HealthVerdict {
        let now = wallClockSeconds()
        let workers = workers()
        guard !workers.isEmpty else { return .failing(reason: "no workers yet") }
        return HealthCheck.combine(
            workers.map { worker in
                guard let (status, _) = Self.workerStatus(directory, worker) else {
                    return (worker.slot, .failing(reason: "\(worker.state.rawValue), not consuming"))
                }
                return (worker.slot, HealthCheck.readiness(status, now: now, limits: limits))
            })
    }

    package func statusJSON() -> Data {
        guard let status = try? Self.read(directory) else {
            return Data(#"{"state":"starting: no worker status yet"}"#.utf8)
        }
        return StatusCoding.encode(status)
    }

    package func metricsText() -> String {
        PrometheusText.merge(
            workers().compactMap { worker in
                guard worker.pid != nil,
                    let data = FileManager.default.contents(atPath: directory.workerMetricsFile(slot: worker.slot))
                else { return nil }
                return (worker.slot, String(decoding: data, as: UTF8.self))
            })
    }

    package func control(_ request: ControlRequest) -> String {
        let path = directory.manualPausesFile
        let failure = manualPauses.withLock { paused -> String? in
            switch request.action {
            case .pause: paused.insert(request.partition)
            case .resume: paused.remove(request.partition)
            }
            do {
                try ManualPauseFile.write(paused, to: path)
                return nil
            } catch {
                return "\(error)"
            }
        }
        if let failure { return "not forwarded: cannot write \(path): \(failure)" }
        return "forwarded to every worker, which applies it within a second; /status shows it once applied"
    }
}
