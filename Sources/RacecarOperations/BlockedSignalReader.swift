#if canImport(Glibc)
    import Glibc
#endif

/// Takes signals of a set that stays blocked in every thread, one at a time, waking as soon as
/// one is pending, without ever unblocking them.
///
/// `sigtimedwait(2)` with a timeout would be simpler, but while a thread sleeps in it the kernel
/// unblocks the waited signals in that thread's mask, which `/proc/<pid>/task/<tid>/status`
/// then shows. The Swift runtime's crash handler reads exactly that line to choose the signal
/// that suspends each thread before it runs the backtracer (`signal_for_suspend` in
/// `stdlib/public/runtime/CrashHandlerLinux.cpp`: SIGUSR1 when unblocked, else SIGUSR2, else
/// SIGPROF). It sent SIGUSR1 to the waiting thread, which took it as an operator's SIGUSR1 (a
/// configuration dump) instead of pausing; the handler waited 2 s for the pause, 16 times, and
/// only then ran the backtracer: 32 s and 16 dumps per crash.
///
/// Here the thread sleeps in `poll(2)` on a `signalfd(2)`, which leaves the mask alone: it shows
/// SIGUSR1 blocked, the crash handler sends it SIGUSR2, and it pauses like every other thread.
/// A pending signal is then dequeued with a zero-timeout `sigtimedwait`, which never unblocks
/// anything either.
package struct BlockedSignalReader: Sendable {
    private let set: sigset_t
    /// The signalfd that becomes readable when a signal of `set` is pending, or -1 when there
    /// is none, in which case `next` sleeps in `poll` without a descriptor and checks after.
    private let descriptor: Int32

    /// - Parameter set: Signals blocked in every thread of the process.
    package init(_ set: sigset_t) {
        self.set = set
        var mask = set
        descriptor = Self.signalfd.map { $0(-1, &mask, O_CLOEXEC) } ?? -1
    }

    /// Waits up to `timeoutMilliseconds` for a signal of the set.
    ///
    /// - Parameter info: Where to store what the kernel says about the signal taken (its
    ///   sender, say).
    /// - Returns: The signal taken, or 0 when none arrived in time.
    package func next(timeoutMilliseconds: Int32, info: UnsafeMutablePointer<siginfo_t>? = nil) -> Int32 {
        var set = self.set
        var now = timespec(tv_sec: 0, tv_nsec: 0)
        let pending = sigtimedwait(&set, info, &now)
        if pending > 0 { return pending }
        if descriptor >= 0 {
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&ready, 1, timeoutMilliseconds)
        } else {
            _ = poll(nil, 0, timeoutMilliseconds)
        }
        let taken = sigtimedwait(&set, info, &now)
        return max(taken, 0)
    }

    private typealias SignalFD = @convention(c) (Int32, UnsafePointer<sigset_t>?, Int32) -> Int32

    /// glibc's `signalfd`, which the Glibc module does not import (its header is not part of it).
    private static let signalfd: SignalFD? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "signalfd") else { return nil }
        return unsafeBitCast(symbol, to: SignalFD.self)
    }()
}
