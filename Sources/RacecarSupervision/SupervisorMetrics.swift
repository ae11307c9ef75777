import Metrics

/// The supervisor's metrics (ours; Racecar has no supervisor): `supervisor.worker.restarts`,
/// each worker started again, and `supervisor.worker.crashes`, each worker killed by a signal
/// while the supervisor was not stopping it (tagged `signal`, e.g. `SIGSEGV`), both tagged with
/// `client`, `group_id`, `consumer` and the worker's slot (`worker`).
///
/// The supervisor's loop calls ``flushIfDue()``; it holds no service group to run a flush timer.
package final class SupervisorMetrics {
    private let dimensions: [(String, String)]
    private let flush: () -> Void
    private let interval: Duration
    private var lastFlush = ContinuousClock.now
    private var restarts: [Int: Counter] = [:]
    private var crashes: [String: Counter] = [:]

    /// - Parameter flush: Sends what the metrics backend holds; called at most every `interval`.
    package init(
        consumer: String, groupID: String, clientID: String, interval: Duration = .seconds(1),
        flush: @escaping () -> Void
    ) {
        dimensions = [("client", clientID), ("group_id", groupID), ("consumer", consumer)]
        self.interval = interval
        self.flush = flush
    }

    func restarted(slot: Int) {
        if restarts[slot] == nil {
            restarts[slot] = Counter(
                label: "supervisor.worker.restarts", dimensions: dimensions + [("worker", String(slot))])
        }
        restarts[slot]?.increment()
    }

    func crashed(slot: Int, signal: String) {
        let key = "\(slot) \(signal)"
        if crashes[key] == nil {
            crashes[key] = Counter(
                label: "supervisor.worker.crashes",
                dimensions: dimensions + [("worker", String(slot)), ("signal", signal)])
        }
        crashes[key]?.increment()
    }

    /// Sends the metrics if `interval` passed since they were last sent.
    func flushIfDue() {
        let now = ContinuousClock.now
        guard now - lastFlush >= interval else { return }
        lastFlush = now
        flush()
    }

    /// Sends the metrics now, as the supervisor exits.
    func flushNow() {
        lastFlush = .now
        flush()
    }
}
