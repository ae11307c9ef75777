import CProcessControl
import Glibc
import RacecarOperations

/// The signals a supervisor handles, held pending and taken one at a time by its loop: stop
/// signals, SIGUSR1, SIGHUP, SIGCHLD and the report a worker sends once it consumes.
///
/// No code runs in a signal handler, and the supervisor has no thread of its own for signals:
/// its one loop waits for them (``next(timeout:)``) between the other things it does.
package struct SupervisorSignals: Sendable {
    /// Something the supervisor's loop must react to.
    package enum Event: Sendable, Equatable {
        /// SIGTERM, SIGINT or SIGQUIT: stop every worker gracefully.
        case stop(signal: Int32)
        /// SIGUSR1: every worker prints its configuration.
        case dump
        /// SIGHUP: reload the plugin, worker by worker.
        case reload
        /// SIGCHLD: a worker exited (or several did).
        case childExited
        /// The worker with this process id subscribed and polls.
        case consuming(pid: Int32)
    }

    /// The real-time signal a worker sends its supervisor once it consumes. Real-time signals
    /// queue, one per sender, where SIGUSR2 from two workers at once would merge into one.
    package static var consumingSignal: Int32 { racecar_sigrtmin() + 4 }

    private let reader: BlockedSignalReader

    /// Blocks the handled signals in this thread and every thread created after it.
    ///
    /// - Important: Call before any other thread exists: a thread that does not block them
    ///   would take them and end the process.
    package static func block() -> SupervisorSignals {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP, SIGCHLD, consumingSignal] {
            sigaddset(&signals, number)
        }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        return SupervisorSignals(reader: BlockedSignalReader(signals))
    }

    /// The next pending signal, waiting at most `timeout`; `nil` when none came.
    ///
    /// Waits through ``BlockedSignalReader``, never in `sigtimedwait` with a timeout, which
    /// would unblock the signals in this thread's mask for the Swift crash handler to misread.
    package func next(timeout: Duration) -> Event? {
        var info = siginfo_t()
        let milliseconds = Int32(clamping: Int64((max(timeout, .zero) / .milliseconds(1)).rounded(.up)))
        let number = reader.next(timeoutMilliseconds: milliseconds, info: &info)
        switch number {
        case SIGTERM, SIGINT, SIGQUIT: return .stop(signal: number)
        case SIGUSR1: return .dump
        case SIGHUP: return .reload
        case SIGCHLD: return .childExited
        case Self.consumingSignal: return .consuming(pid: racecar_siginfo_pid(&info))
        default: return nil
        }
    }
}
