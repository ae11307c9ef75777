import ArgumentParser
import Foundation
import RacecarKafka
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Measures live swap under a steady stream: racecar-host runs EchoConsumer (a Swift plugin)
/// against the mock cluster while messages flow, and is reloaded again and again with
/// `racecarctl reload`. Reports the pause each reload causes, the messages processed twice or
/// never, and the resident memory each reload costs.
@main
struct ReloadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload-bench",
        abstract: "Measures racecar-host's live swap: pause per reload, duplicates, losses, memory per reload.",
        discussion: """
            Run it from the package with `swift run -c release reload-bench`; it uses the \
            racecar-host, racecarctl and libEchoConsumer.so next to it (build them first with \
            `swift build -c release`).

            The pause window of a reload is from `racecarctl reload` being started to the first \
            message processed after the swap; the gap is the longest time between two processed \
            messages around it (at the producer's pace of one message per partition every \
            --interval-ms, a gap of about that is no pause at all).
            """
    )

    @Option(help: "Messages to produce while reloading.")
    var messages = 100_000

    @Option(help: "Reloads, spread over the stream.")
    var reloads = 50

    @Option(help: "Partitions of the topic.")
    var partitions = 8

    @Option(help: "Run the host with parallel_workers N (0: one process).")
    var workers = 0

    func run() throws {
        do {
            try measure()
        } catch {
            FileHandle.standardError.write(Data("reload-bench: FAILED: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    private func measure() throws {
        let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("reload-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let library = work.appendingPathComponent("libEchoConsumer.so").path
        try FileManager.default.copyItem(
            atPath: binaries.appendingPathComponent("libEchoConsumer.so").path, toPath: library)
        let pidfile = work.appendingPathComponent("host.pid").path
        // No racecar.yml is read there.
        guard FileManager.default.changeCurrentDirectoryPath(work.path) else {
            throw Failure("cannot enter \(work.path)")
        }

        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: partitions)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RACECAR_") }
        environment["RACECAR_BROKERS"] = cluster.bootstrapServers
        environment["RACECAR_PIDFILE"] = pidfile
        environment["RACECAR_START_FROM_BEGINNING"] = "true"
        environment["RACECAR_MAX_WAIT_TIME"] = "0.1"
        environment["RACECAR_SESSION_TIMEOUT"] = "6"
        environment["RACECAR_HEARTBEAT_INTERVAL"] = "1"
        if workers > 0 { environment["RACECAR_PARALLEL_WORKERS"] = String(workers) }
        let host = try OutputRecorder(
            executable: binaries.appendingPathComponent("racecar-host").path,
            arguments: ["--plugin", library, "EchoConsumer"], environment: environment,
            log: work.appendingPathComponent("host.log").path)

        // A steady stream for about 20 s: every round due is produced at once, so that a slow
        // delivery only bunches rounds up.
        let rounds = max(messages / partitions, 1)
        let interval = 20.0 / Double(rounds)
        let producer = Thread {
            let start = Date()
            var round = 0
            while round < rounds {
                let due = min(rounds, Int(Date().timeIntervalSince(start) / interval) + 1)
                let batch = (round..<due).flatMap { round in
                    (0..<partitions).map {
                        (key: Optional("k\(round)"), value: "v\(round)", partition: Optional(Int32($0)))
                    }
                }
                try? cluster.produce(topic: "events", messages: batch)
                round = due
                Thread.sleep(forTimeInterval: interval)
            }
        }
        producer.start()
        try host.waitUntil(timeout: 60) { $0.count >= partitions * 10 }

        let memoryBefore = residentKilobytes(of: host.pid, workers: workers)
        var windows: [Double] = []
        let spacing = 18.0 / Double(reloads + 1)
        for _ in 0..<reloads {
            Thread.sleep(forTimeInterval: spacing)
            let started = Date().timeIntervalSince1970
            let ctl = try OutputRecorder(
                executable: binaries.appendingPathComponent("racecarctl").path,
                arguments: ["reload", "--pidfile", pidfile], environment: environment,
                log: work.appendingPathComponent("ctl.log").path)
            guard ctl.waitForExit() == 0 else { throw Failure("racecarctl reload failed: \(ctl.logText)") }
            windows.append(started)
        }
        let memoryAfter = residentKilobytes(of: host.pid, workers: workers)
        let expected = rounds * partitions
        try host.waitUntil(timeout: 120) { Set($0.map(\.position)).count >= expected }
        kill(host.pid, SIGTERM)
        _ = host.waitForExit()

        let lines = host.lines
        let swaps = swapTimes(in: host.logText)
        guard swaps.count == reloads else { throw Failure("\(swaps.count) swaps in the log for \(reloads) reloads") }
        var pauses: [Double] = []
        var gaps: [Double] = []
        for (started, swapped) in zip(windows, swaps) {
            guard let next = lines.firstIndex(where: { $0.arrival > swapped }) else { continue }
            pauses.append((lines[next].arrival - started) * 1000)
            let before = next > 0 ? lines[next - 1].arrival : started
            gaps.append((lines[next].arrival - before) * 1000)
        }
        // What each swap itself took, as the host logs it: `swapped in place in N ms`.
        let swapDurations = host.logText.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "swapped in place in ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber })
        }
        // The same measure away from the reloads, for comparison.
        let swapIndexes = Set(
            lines.indices.filter { index in
                swaps.contains { lines[index].arrival > $0 && (index == 0 || lines[index - 1].arrival <= $0) }
            })
        let usualGaps = lines.indices.dropFirst().filter { !swapIndexes.contains($0) }.map {
            (lines[$0].arrival - lines[$0 - 1].arrival) * 1000
        }
        var seen: [String: Int] = [:]
        for line in lines { seen[line.position, default: 0] += 1 }
        let duplicates = seen.values.reduce(0) { $0 + max($1 - 1, 0) }
        let lost = expected - seen.count
        let mode = workers > 0 ? "parallel_workers \(workers)" : "one process"
        print(
            """
            reload-bench: \(expected) messages over \(partitions) partitions, \(reloads) reloads of EchoConsumer, \(mode)
              pause window (reload started -> first message after the swap): median \(format(median(pauses))) ms, max \(format(pauses.max() ?? 0)) ms
              the swap itself (no polling meanwhile), per instance: median \(format(median(swapDurations))) ms, max \(format(swapDurations.max() ?? 0)) ms
              processing gap around the swap: median \(format(median(gaps))) ms, max \(format(gaps.max() ?? 0)) ms; away from reloads: max \(format(usualGaps.max() ?? 0)) ms
              processed twice: \(duplicates), never processed: \(lost)
              resident memory: \(memoryBefore) kB before, \(memoryAfter) kB after: \(format(Double(memoryAfter - memoryBefore) / Double(reloads))) kB per reload
            """)
        if duplicates > 0 || lost > 0 { throw Failure("\(duplicates) duplicates, \(lost) lost") }
    }

    /// When each swap finished, from the host's log (`... swapped in place ...` or, supervised,
    /// `reloaded ...: every worker runs ...`), in seconds since 1970.
    private func swapTimes(in log: String) -> [Double] {
        log.split(separator: "\n").filter {
            workers > 0 ? $0.contains(": every worker runs ") : $0.contains("swapped in place in")
        }.compactMap { logTime(String($0.prefix(23))) }
    }
}

/// A line's `2026-12-02T01:06:29.145` (UTC) in seconds since 1970.
func logTime(_ text: String) -> Double? {
    let parts = text.split(whereSeparator: { "-T:.".contains($0) }).compactMap { Int32($0) }
    guard parts.count == 7 else { return nil }
    var time = tm()
    time.tm_year = parts[0] - 1900
    time.tm_mon = parts[1] - 1
    time.tm_mday = parts[2]
    time.tm_hour = parts[3]
    time.tm_min = parts[4]
    time.tm_sec = parts[5]
    return Double(timegm(&time)) + Double(parts[6]) / 1000
}

/// The host's resident memory, with its workers' when it supervises.
func residentKilobytes(of pid: Int32, workers: Int) -> Int {
    var pids = [pid]
    if workers > 0, let data = FileManager.default.contents(atPath: "/dev/shm/racecar-\(pid)/status.json"),
        let status = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let slots = status["workers"] as? [[String: Any]]
    {
        pids += slots.compactMap { ($0["pid"] as? NSNumber)?.int32Value }
    }
    return pids.reduce(0) { total, pid in
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return total }
        return total + (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0)
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }
