import CProcessStatus
import RacecarSDK

#if canImport(Glibc)
    import Glibc
#endif

/// What the no-op consumers record: how many messages they saw, when the first and the
/// last arrived (CLOCK_MONOTONIC nanoseconds, the clock racecar-bench reads too), and the
/// longest wait between two consecutive calls (a sign of fetch stalls). Nothing here
/// allocates, so the per-message cost is a counter, one clock read and a look at the CPU window.
///
/// Setting `NOOP_SKIP_CLOCK=1` before the consumer is created turns the clock reads off;
/// racecar-bench does that to time a bare call across the plugin ABI.
struct NoopTally {
    private(set) var count = 0
    private(set) var firstNanoseconds: UInt64 = 0
    private(set) var lastNanoseconds: UInt64 = 0
    private(set) var longestGapNanoseconds: UInt64 = 0
    /// VmRSS at the first message, before librdkafka's prefetched queue has had time to grow.
    private(set) var firstRSSKilobytes = -1
    /// The process's CPU time while consuming (see `cpu_window` in process_status.h).
    private var cpuWindow = cpu_window()
    private let readsClock: Bool

    init() {
        readsClock = getenv("NOOP_SKIP_CLOCK") == nil
    }

    @inline(__always)
    mutating func record(_ messages: Int) {
        guard messages > 0 else { return }
        let before = count
        count &+= messages
        guard readsClock else { return }
        cpu_window_record(&cpuWindow, UInt64(before), UInt64(count))
        let now = monotonicNanoseconds()
        if firstNanoseconds == 0 {
            firstNanoseconds = now
            firstRSSKilobytes = statusKilobytes("VmRSS")
        } else if now &- lastNanoseconds > longestGapNanoseconds {
            longestGapNanoseconds = now &- lastNanoseconds
        }
        lastNanoseconds = now
    }

    /// Prints the one line racecar-bench parses, with the process's peak RSS so far (the
    /// benchmark cannot take it from wait4: Linux carries the spawning process's peak over
    /// into a child started with vfork and exec).
    func report() {
        print(
            "noop count=\(count) first_ns=\(firstNanoseconds) last_ns=\(lastNanoseconds) max_gap_ns=\(longestGapNanoseconds) first_rss_kb=\(firstRSSKilobytes) peak_rss_kb=\(statusKilobytes("VmHWM")) "
                + "window_cpu_ns=\(cpuWindow.last_cpu_ns - cpuWindow.first_cpu_ns) "
                + "window_messages=\(cpuWindow.last_count - cpuWindow.first_count)"
        )
        fflush(nil)
    }
}

/// A `NAME: N kB` line of /proc/self/status (`VmRSS` now, `VmHWM` the peak), or -1.
func statusKilobytes(_ name: String) -> Int {
    process_status_kb(name)
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Does nothing with each message but count it: the host's per-message overhead, measured.
final class NoopConsumer: Consumer {
    static let subscriptions = [Subscription("bench")]
    // Unchecked: the host never calls an instance concurrently, and a dynamic exclusivity
    // check per message (a thread-local lookup from a dlopen'ed library) would cost more
    // than everything else this consumer does.
    @exclusivity(unchecked) private var tally = NoopTally()

    init() {}

    func process(_ message: Message) throws {
        tally.record(1)
    }

    func teardown() {
        tally.report()
    }
}

/// Does nothing with each batch but count its messages.
final class NoopBatchConsumer: BatchConsumer {
    static let subscriptions = [Subscription("bench")]
    // Unchecked: the host never calls an instance concurrently, and a dynamic exclusivity
    // check per message (a thread-local lookup from a dlopen'ed library) would cost more
    // than everything else this consumer does.
    @exclusivity(unchecked) private var tally = NoopTally()

    init() {}

    func processBatch(_ messages: MessageBatch) throws {
        tally.record(messages.count)
    }

    func teardown() {
        tally.report()
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer {
    RacecarPlugin.export(NoopConsumer.self, NoopBatchConsumer.self, SleepingConsumer.self)
}
