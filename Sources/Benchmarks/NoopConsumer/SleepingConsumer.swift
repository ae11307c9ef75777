import RacecarSDK

#if canImport(Glibc)
    import Glibc
#endif

/// Sleeps a fixed time per message, as a consumer waiting on a database would, and counts
/// what it saw: racecar-bench runs it with `concurrency` 1, 4 and 16 to show what parallel
/// instances buy a consumer whose time goes to waiting rather than computing.
///
/// The sleep is `SLEEPING_CONSUMER_MICROSECONDS` (default 1000; 0 for none) per message,
/// with `nanosleep`. Each instance prints one teardown line in the no-op consumers' format, so with
/// `concurrency: N` there are N lines:
///
///     noop count=N first_ns=F last_ns=L max_gap_ns=G peak_rss_kb=K busy_ns=B
///
/// where `first_ns` is when the instance began its first message and `last_ns` when it
/// finished its last (CLOCK_MONOTONIC), `max_gap_ns` the longest wait between finishing one
/// message and being handed the next, and `busy_ns` the time spent inside `process`, sleep
/// included. An instance that got no partition prints `count=0 first_ns=0 last_ns=0`.
final class SleepingConsumer: Consumer {
    static let subscriptions = [Subscription("bench")]

    private let pause: timespec
    /// False for a 0 µs sleep: then `process` only counts, without a system call.
    private let sleeps: Bool
    private var count = 0
    private var firstNanoseconds: UInt64 = 0
    private var lastNanoseconds: UInt64 = 0
    private var longestGapNanoseconds: UInt64 = 0
    private var busyNanoseconds: UInt64 = 0

    init() throws {
        var microseconds = 1000
        if let text = getenv("SLEEPING_CONSUMER_MICROSECONDS") {
            guard let value = Int(String(cString: text)), value >= 0, value <= 60_000_000 else {
                throw SleepingConsumerError(
                    "SLEEPING_CONSUMER_MICROSECONDS must be a whole number of microseconds from 0 to 60000000, not \(String(cString: text))"
                )
            }
            microseconds = value
        }
        pause = timespec(tv_sec: microseconds / 1_000_000, tv_nsec: (microseconds % 1_000_000) * 1000)
        sleeps = microseconds > 0
    }

    func process(_ message: Message) throws {
        let start = monotonicNanoseconds()
        var request = pause
        var remaining = timespec()
        // A signal (SIGTERM asking for a graceful stop) cuts a sleep short: finish it.
        while sleeps && nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        let end = monotonicNanoseconds()

        if count == 0 {
            firstNanoseconds = start
        } else if start &- lastNanoseconds > longestGapNanoseconds {
            longestGapNanoseconds = start &- lastNanoseconds
        }
        count += 1
        lastNanoseconds = end
        busyNanoseconds &+= end &- start
    }

    func teardown() {
        print(
            "noop count=\(count) first_ns=\(firstNanoseconds) last_ns=\(lastNanoseconds) max_gap_ns=\(longestGapNanoseconds) peak_rss_kb=\(statusKilobytes("VmHWM")) busy_ns=\(busyNanoseconds)"
        )
        fflush(nil)
    }
}

struct SleepingConsumerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
