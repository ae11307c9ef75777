/// The supervisor's record of one worker slot: its running worker, if any, and its history.
struct WorkerSlot {
    /// The slot, from 0.
    let index: Int
    /// The running worker's process id.
    var pid: Int32?
    /// When the running worker started.
    var started: ContinuousClock.Instant?
    /// The same, in seconds since 1970, for the status file.
    var startedAt: Double?
    /// Whether the running worker reported that it consumes.
    var isConsuming = false
    /// Whether any worker of the slot ever consumed.
    var hasConsumed = false
    /// Whether the running worker was asked to stop.
    var isStopping = false
    /// When the slot's next worker starts, while it waits to restart.
    var restartDue: ContinuousClock.Instant?
    /// The same, in seconds since 1970, for the status file.
    var restartAt: Double?
    /// Workers started after the first.
    var restarts = 0
    /// Exits in a row, each soon after its worker started (``RestartPolicy``).
    var failuresInARow = 0
    /// How the previous worker ended, and when (seconds since 1970).
    var lastExit: (exit: WorkerExit, at: Double, inFlight: [String])?

    init(index: Int) {
        self.index = index
    }

    /// The slot as the status file shows it.
    var status: SupervisorStatus.Worker {
        let state: SupervisorStatus.Worker.State =
            if pid != nil {
                isStopping ? .stopping : isConsuming ? .consuming : .starting
            } else {
                restartDue != nil ? .restarting : .stopped
            }
        var status = SupervisorStatus.Worker(slot: index, state: state)
        status.pid = pid
        status.startedAt = startedAt
        status.restarts = restarts
        status.lastExit = lastExit.map { SupervisorStatus.Worker.Exit($0.exit, at: $0.at, inFlight: $0.inFlight) }
        status.restartAt = restartAt
        return status
    }
}
