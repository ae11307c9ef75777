import Foundation
import Synchronization

/// Turns SIGTERM, SIGINT and SIGQUIT into a graceful-stop request, and SIGUSR1 into a
/// configuration dump, without running code in a signal handler.
public final class ShutdownSignal: Sendable {
    private let requested = Atomic<Bool>(false)

    /// Whether a stop was requested; checked between messages.
    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Requests a graceful stop, as a signal would.
    public func request() {
        requested.store(true, ordering: .relaxed)
    }

    private init() {}

    /// Blocks the handled signals in this thread and every thread created after it, and
    /// waits for them on a dedicated thread. Call first thing, before any thread exists.
    ///
    /// A second stop signal while stopping exits at once with status 1.
    public static func install(onDump: @escaping @Sendable () -> Void) -> ShutdownSignal {
        let signal = ShutdownSignal()
        var set = sigset_t()
        sigemptyset(&set)
        for number in [SIGTERM, SIGINT, SIGQUIT, SIGUSR1] { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waitSet = set
        Thread.detachNewThread {
            var set = waitSet
            while true {
                var number: Int32 = 0
                guard sigwait(&set, &number) == 0 else { continue }
                if number == SIGUSR1 {
                    onDump()
                } else if signal.requested.exchange(true, ordering: .relaxed) {
                    let text = "racecar-host: second stop signal, exiting at once\n"
                    _ = text.withCString { write(2, $0, strlen($0)) }
                    _exit(1)
                }
            }
        }
        return signal
    }
}
