import RacecarConfiguration
import RacecarInstrumentation

/// The liveness probe of a supervised consumer: each worker touches its own file
/// (``WorkerIdentity/livenessProbeFilePath(base:slot:)``) while it polls, and the supervisor
/// touches `liveness_probe_file_path` while every slot is alive, so `racecarctl liveness-probe`
/// and exec probes work unchanged.
///
/// A slot is alive while its worker runs and has touched its file within
/// `liveness_probe_max_interval`, or started less than that long ago (it may still be joining the
/// group). A slot waiting to restart is not alive: a single restart after the first failure
/// (0.25 s) passes unnoticed, a crash loop fails the probe.
struct SupervisorLiveness {
    private var probe: LivenessProbe
    private let workers: [LivenessProbe]

    init(path: String, maxInterval: Duration, slots: Int) {
        probe = LivenessProbe(path: path, maxInterval: maxInterval)
        workers = (0..<slots).map {
            LivenessProbe(path: WorkerIdentity.livenessProbeFilePath(base: path, slot: $0), maxInterval: maxInterval)
        }
    }

    /// Touches the supervisor's file if every slot is alive.
    mutating func update(_ slots: [WorkerSlot], now: ContinuousClock.Instant) {
        let alive = slots.allSatisfy { slot in
            guard slot.pid != nil, let started = slot.started else { return false }
            return now - started < probe.maxInterval || workers[slot.index].isAlive()
        }
        if alive { probe.touch() }
    }

    /// Removes the supervisor's file and the workers' (a worker that crashed left its own).
    func remove() {
        probe.remove()
        for worker in workers { worker.remove() }
    }
}
