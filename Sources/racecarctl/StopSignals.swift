import Foundation

/// SIGINT and SIGTERM held pending instead of ending the process, so that a command can stop
/// between two messages, clean up, and exit 0.
struct StopSignals {
    private let signals: sigset_t

    /// Blocks SIGINT and SIGTERM in this thread and in every thread created after it.
    ///
    /// - Important: Call before any other thread starts (librdkafka's start with its client):
    ///   a thread that does not block them would take the signal and end the process.
    static func block() -> StopSignals {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        return StopSignals(signals: signals)
    }

    /// Whether a stop signal arrived since the last call; does not wait.
    func received() -> Bool {
        var signals = self.signals
        var noWait = timespec()
        return sigtimedwait(&signals, nil, &noWait) > 0
    }

    /// Lets the signals act again in this thread: the next one ends the process.
    func unblock() {
        var signals = self.signals
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
