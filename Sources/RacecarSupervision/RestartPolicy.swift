/// When the supervisor starts a worker again after it exited, and when it gives up on a slot.
///
/// A slot's failures in a row count the exits of its workers that each came within
/// ``stableUptime`` of their start; a worker that stays up that long has recovered, and the
/// count starts over with its next exit. The restart after failure `n` waits
/// `firstDelay × 2^(n-1)`, at most ``maximumDelay``: 0.25, 0.5, 1, 2, 4, then 5 s. After
/// ``restartLimit`` restarts in a row the next failure gives up: the supervisor stops the other
/// workers and exits non-zero. A worker that exits with a status saying that starting again
/// cannot help (78, EX_CONFIG: configuration, plugin or consumer name; 64, EX_USAGE) gives up at once.
package struct RestartPolicy: Sendable {
    /// What to do about a worker that exited.
    package enum Decision: Sendable, Equatable {
        /// Start the slot's worker again after this delay.
        case restart(after: Duration)
        /// Stop supervising: the slot keeps failing, or cannot succeed.
        case giveUp
    }

    /// The delay before the first restart in a row.
    package var firstDelay: Duration = .milliseconds(250)
    /// The longest delay before a restart.
    package var maximumDelay: Duration = .seconds(5)
    /// How long a worker must stay up for its slot's failures in a row to start over.
    package var stableUptime: Duration = .seconds(60)
    /// Restarts in a row before the supervisor gives up on the slot.
    package var restartLimit = 10

    /// Exit statuses after which starting again changes nothing: EX_CONFIG and EX_USAGE, as
    /// racecar-host uses them.
    private static let permanentStatuses: Set<Int32> = [78, 64]

    /// Whether `exit` says that starting again cannot help.
    package static func isPermanent(_ exit: WorkerExit) -> Bool {
        exit.status.map(permanentStatuses.contains) ?? false
    }

    package init() {}

    /// The slot's failures in a row after a worker that ran for `uptime` exited, given the count
    /// before it.
    package func failuresInARow(previous: Int, uptime: Duration) -> Int {
        uptime >= stableUptime ? 1 : previous + 1
    }

    /// What to do after `exit`, the slot's failure number `failuresInARow` in a row.
    package func decision(after exit: WorkerExit, failuresInARow: Int) -> Decision {
        guard !Self.isPermanent(exit), failuresInARow <= restartLimit else { return .giveUp }
        return .restart(after: delay(beforeRestart: failuresInARow))
    }

    /// The delay before restart number `restart` in a row, from 1.
    package func delay(beforeRestart restart: Int) -> Duration {
        var delay = firstDelay
        for _ in 1..<max(restart, 1) {
            delay *= 2
            if delay >= maximumDelay { return maximumDelay }
        }
        return min(delay, maximumDelay)
    }
}
