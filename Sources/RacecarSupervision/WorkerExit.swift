import CProcessControl
import Glibc

/// How a worker process ended, as `waitpid` reports it.
package enum WorkerExit: Sendable, Equatable, CustomStringConvertible {
    /// The worker exited with `status`; 0 after a graceful stop.
    case exited(status: Int32)
    /// A signal ended the worker: a crash (SIGSEGV, SIGABRT, SIGILL, SIGTRAP, SIGBUS) or a kill.
    case killed(signal: Int32, coreDumped: Bool)

    /// Decodes a `waitpid` status.
    package init(waitStatus: Int32) {
        if racecar_wait_signaled(waitStatus) != 0 {
            self = .killed(
                signal: racecar_wait_term_signal(waitStatus), coreDumped: racecar_wait_core_dumped(waitStatus) != 0)
        } else {
            self = .exited(status: racecar_wait_exited(waitStatus) != 0 ? racecar_wait_exit_status(waitStatus) : -1)
        }
    }

    /// Whether the worker stopped gracefully: status 0.
    package var isClean: Bool { self == .exited(status: 0) }

    /// The status, for an exit.
    package var status: Int32? {
        if case .exited(let status) = self { return status }
        return nil
    }

    /// The signal's name, for a kill: `SIGSEGV`.
    package var signalName: String? {
        if case .killed(let signal, _) = self { return Self.name(ofSignal: signal) }
        return nil
    }

    /// `exited with status 1`, `killed by SIGSEGV (core dumped)`.
    package var description: String {
        switch self {
        case .exited(let status): "exited with status \(status)"
        case .killed(let signal, let coreDumped):
            "killed by \(Self.name(ofSignal: signal))\(coreDumped ? " (core dumped)" : "")"
        }
    }

    /// A signal's name as `kill -l` and signal(7) spell it: `SIGKILL`, `SIGRTMIN+2`, `signal 70`.
    package static func name(ofSignal number: Int32) -> String {
        if let name = names[number] { return name }
        let first = racecar_sigrtmin()
        if number >= first, number <= first + 30 { return number == first ? "SIGRTMIN" : "SIGRTMIN+\(number - first)" }
        return "signal \(number)"
    }

    private static let names: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGSTKFLT: "SIGSTKFLT", SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP",
        SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGWINCH: "SIGWINCH", SIGIO: "SIGIO", SIGPWR: "SIGPWR",
        SIGSYS: "SIGSYS",
    ]
}
