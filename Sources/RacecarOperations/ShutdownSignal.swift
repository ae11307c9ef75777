import Foundation
import RacecarRuntime
import Synchronization

/// Turns SIGTERM, SIGINT and SIGQUIT into a graceful-stop request, SIGUSR1 into a
/// configuration dump, and SIGHUP into a reload, without running code in a signal handler.
///
/// After a stop request, a second stop signal exits at once, and so does a stop that takes
/// longer than the armed ``setShutdownTimeout(_:)``.
package final class ShutdownSignal: Sendable {
    /// What a stop signal requests: the runtime checks it between messages.
    package let stop = StopRequest()
    private let finished = Atomic<Bool>(false)
    /// Milliseconds a stop may take; 0 for no limit.
    private let timeoutMilliseconds = Atomic<Int>(0)

    /// Limits how long a stop may take before the process exits with status 1.
    package func setShutdownTimeout(_ timeout: Duration) {
        timeoutMilliseconds.store(Int(timeout / .milliseconds(1)), ordering: .relaxed)
    }

    /// Marks the stop as complete, disarming the timeout.
    package func markFinished() {
        finished.store(true, ordering: .relaxed)
    }

    private init() {}

    /// Blocks the handled signals in this thread and every thread created after it, and
    /// waits for them on a dedicated thread. Call first thing, before any thread exists.
    ///
    /// - Parameters:
    ///   - onDump: Called on SIGUSR1.
    ///   - onReload: Called on SIGHUP; it must return at once (a reload runs elsewhere).
    package static func install(
        onDump: @escaping @Sendable () -> Void, onReload: @escaping @Sendable () -> Void = {}
    ) -> ShutdownSignal {
        let signal = ShutdownSignal()
        var set = sigset_t()
        sigemptyset(&set)
        for number in [SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGHUP] { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waitSet = set
        Thread.detachNewThread {
            // Never sigtimedwait with a timeout here: see BlockedSignalReader.
            let signals = BlockedSignalReader(waitSet)
            var stopDeadline: ContinuousClock.Instant?
            while true {
                let number = signals.next(timeoutMilliseconds: 100)
                if number == SIGUSR1 {
                    onDump()
                } else if number == SIGHUP {
                    onReload()
                } else if number > 0 {
                    let alreadyRequested = signal.stop.isRequested
                    signal.stop.request()
                    if alreadyRequested || stopDeadline != nil {
                        exitNow("second stop signal, exiting at once")
                    }
                    let milliseconds = signal.timeoutMilliseconds.load(ordering: .relaxed)
                    stopDeadline = milliseconds > 0 ? .now + .milliseconds(milliseconds) : nil
                } else if signal.stop.isRequested, stopDeadline == nil {
                    // A stop requested without a signal (a fatal error) gets the same deadline.
                    let milliseconds = signal.timeoutMilliseconds.load(ordering: .relaxed)
                    if milliseconds > 0 { stopDeadline = .now + .milliseconds(milliseconds) }
                }
                if let deadline = stopDeadline, ContinuousClock.now >= deadline,
                    !signal.finished.load(ordering: .relaxed)
                {
                    exitNow("the in-flight work did not finish within shutdown_timeout; exiting without committing it")
                }
            }
        }
        return signal
    }

    private static func exitNow(_ reason: String) -> Never {
        let text = "racecar-host: \(reason)\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        _exit(1)
    }
}
