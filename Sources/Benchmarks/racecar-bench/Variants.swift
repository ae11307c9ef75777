import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One consumer set-up the benchmark runs.
struct Variant {
    enum Kind {
        /// raw-consumer in `message` or `batch` mode.
        case raw(mode: String)
        /// racecar-host running `consumer` from `plugin` (a library file name) with
        /// `concurrency` instances, in worker processes of a supervisor when `parallelWorkers`
        /// is set, serving the HTTP endpoint on a free port when `endpoint` is set.
        case host(
            plugin: String, consumer: String, concurrency: Int, parallelWorkers: Int? = nil, endpoint: Bool = false)
    }

    /// Short name, used for group ids and the chart.
    let id: String
    /// What the table calls it.
    let title: String
    /// What the chart calls it.
    let chartLabel: String
    /// `message` or `batch`: which raw variant it is compared with.
    let mode: String
    let kind: Kind

    var isRaw: Bool { if case .raw = kind { return true } else { return false } }

    /// How many consumer instances the process runs, so how many teardown lines it prints.
    var instances: Int {
        if case .host(_, _, let concurrency, let workers, _) = kind { return concurrency * (workers ?? 1) }
        return 1
    }

    static let all: [Variant] = [
        Variant(
            id: "raw-message", title: "raw librdkafka C consumer, offset stored per message",
            chartLabel: "raw, per message", mode: "message", kind: .raw(mode: "message")),
        Variant(
            id: "raw-batch", title: "raw librdkafka C consumer, offsets stored per batch of 1000",
            chartLabel: "raw, batches", mode: "batch", kind: .raw(mode: "batch")),
        Variant(
            id: "host-swift-process", title: "racecar-host + no-op Swift plugin, `process`",
            chartLabel: "Swift plugin, process\n(vs raw per message)", mode: "message",
            kind: .host(plugin: "libNoopConsumer.so", consumer: "NoopConsumer", concurrency: 1)),
        Variant(
            id: "host-swift-batch", title: "racecar-host + no-op Swift plugin, `process_batch`",
            chartLabel: "Swift plugin, process_batch\n(vs raw batches)", mode: "batch",
            kind: .host(plugin: "libNoopConsumer.so", consumer: "NoopBatchConsumer", concurrency: 1)),
        Variant(
            id: "host-endpoint-batch",
            title: "racecar-host with the HTTP endpoint on (`http_port`) + no-op Swift plugin, `process_batch`",
            chartLabel: "HTTP endpoint on, process_batch\n(vs raw batches)", mode: "batch",
            kind: .host(plugin: "libNoopConsumer.so", consumer: "NoopBatchConsumer", concurrency: 1, endpoint: true)),
        Variant(
            id: "host-c-process", title: "racecar-host + no-op C plugin, `process`",
            chartLabel: "C plugin, process\n(vs raw per message)", mode: "message",
            kind: .host(plugin: "libNoopCConsumer.so", consumer: "NoopCConsumer", concurrency: 1)),
        Variant(
            id: "host-supervised-batch",
            title: "racecar-host supervising one worker (`parallel_workers: 1`) + no-op Swift plugin, `process_batch`",
            chartLabel: "supervised worker, process_batch\n(vs raw batches)", mode: "batch",
            kind: .host(
                plugin: "libNoopConsumer.so", consumer: "NoopBatchConsumer", concurrency: 1, parallelWorkers: 1)),
    ]

    /// The concurrency levels the sleeping consumer runs at unless told otherwise.
    static let defaultConcurrencyLevels = [1, 4, 16]

    /// `--variant` name for every sleeping run at once.
    static let concurrencyGroup = "concurrency"

    /// racecar-host running `SleepingConsumer` (a fixed sleep per message, like a wait on a
    /// database) with `concurrency` instances: what parallel instances buy a slow consumer.
    static func sleeping(concurrency: Int) -> Variant {
        Variant(
            id: "sleep-c\(concurrency)",
            title: "racecar-host + SleepingConsumer, `concurrency: \(concurrency)`",
            chartLabel: "sleeping, concurrency \(concurrency)",
            mode: "sleep",
            kind: .host(plugin: "libNoopConsumer.so", consumer: "SleepingConsumer", concurrency: concurrency)
        )
    }
}

/// What one run of one variant measured.
struct RunResult {
    let run: Int
    let messages: Int
    /// First to last message, in nanoseconds, as the consumer measured it.
    let consumeNanoseconds: UInt64
    /// Process start to first message: start-up plus the group join.
    let startToFirstNanoseconds: UInt64
    let userSeconds: Double
    let systemSeconds: Double
    var cpuSeconds: Double { userSeconds + systemSeconds }
    /// The consuming process's CPU from its first message to (nearly) its last, and the
    /// messages in between: the per-message cost without start-up, join and idle polling.
    let windowCPUNanoseconds: UInt64?
    let windowMessages: Int?
    /// A supervisor's CPU without its worker's (which the supervisor logs as it reaps it).
    let supervisorOwnCPUSeconds: Double?
    /// The consumer's own VmHWM at the end (see NoopReport).
    let peakRSSBytes: Int
    /// The consumer's VmRSS at its first message: the process and librdkafka before the
    /// prefetched queue has had time to grow (nil where the consumer does not report it).
    let firstRSSBytes: Int?
    /// The longest wait between two consecutive messages (or batches) the consumer saw.
    let longestGapNanoseconds: UInt64
    /// Messages each instance saw, in the order the instances reported (one for every variant
    /// but the sleeping ones at `concurrency` > 1).
    let instanceCounts: [Int]
    /// Time each instance spent inside `process`, where the consumer reports it (SleepingConsumer).
    let instanceBusyNanoseconds: [UInt64]?
    /// The librdkafka the process loaded (checked against the run's build when known).
    let librdkafka: LoadedLibrdkafka

    var messagesPerSecond: Double { Double(messages) / (Double(consumeNanoseconds) / 1e9) }
}

/// The CPU a supervisor's worker used, from the line the supervisor logs as it reaps a worker
/// that stopped (`worker 0 of C (pid N) stopped after 12.3 s, 0.95 s of CPU`); nil for a
/// single process.
func workerCPUSeconds(supervisorLog: String) -> Double? {
    let seconds = supervisorLog.split(separator: "\n").compactMap { line -> Double? in
        guard line.contains(") stopped after "), let end = line.range(of: " s of CPU", options: .backwards) else {
            return nil
        }
        return Double(line[..<end.lowerBound].split(separator: " ").last ?? "")
    }
    return seconds.isEmpty ? nil : seconds.reduce(0, +)
}

/// Everything a run needs to know about the set-up.
struct RunSettings {
    let buildDirectory: String
    let brokers: String
    var topic: String
    let partitions: Int
    var messages: Int
    var highWatermarks: [Int64]
    let commitIntervalSeconds: Double
    /// Extra librdkafka consumer properties, `name=value`, for every consumer.
    let kafkaProperties: [String]
    let timeoutSeconds: Double
    let scratchDirectory: String
    /// Extra environment for the consumer process (SLEEPING_CONSUMER_MICROSECONDS).
    var consumerEnvironment: [String: String] = [:]
    /// Keep a passed run's standard output and error too.
    var keepLogs = false
    /// The librdkafka the consumer must load: its directory, if any, goes first on the
    /// process's LD_LIBRARY_PATH.
    var librdkafka: LibrdkafkaBuild
    /// Every librdkafka of the benchmark, to name the file a consumer mapped.
    var librdkafkaBuilds: [LibrdkafkaBuild]
}

/// Variables of the benchmark's own environment that a consumer process never inherits:
/// they could change its configuration or behaviour.
func isConsumerSetting(_ name: String) -> Bool {
    name.hasPrefix("RACECAR_") || name == "NOOP_SKIP_CLOCK" || name == "SLEEPING_CONSUMER_MICROSECONDS"
}

/// Runs one variant once on a fresh consumer group and checks it saw everything.
func runOnce(_ variant: Variant, run: Int, settings: RunSettings) throws(BenchError) -> RunResult {
    let group =
        "bench-\(variant.id)-\(settings.librdkafka.version)-\(run)-\(getpid())-\(monotonicNanoseconds() / 1_000_000)"
    let label = "\(variant.id) run \(run) on librdkafka \(settings.librdkafka.label)"
    let workDirectory = settings.scratchDirectory + "/" + group
    guard mkdir(workDirectory, 0o755) == 0 else {
        throw BenchError("\(label): could not create \(workDirectory): \(String(cString: strerror(errno)))")
    }
    let commitMilliseconds = Int((settings.commitIntervalSeconds * 1000).rounded())

    // The consumer sees the benchmark's environment minus anything that could change its
    // configuration.
    var environment = ProcessInfo.processInfo.environment.filter { !isConsumerSetting($0.key) }
    environment.merge(settings.consumerEnvironment) { _, new in new }
    if let directory = settings.librdkafka.directory {
        environment = prependingLibraryPath(directory, to: environment)
    }
    let executable: String
    let arguments: [String]
    switch variant.kind {
    case .raw(let mode):
        executable = settings.buildDirectory + "/raw-consumer"
        arguments =
            [settings.brokers, group, settings.topic, String(settings.messages), mode, String(commitMilliseconds)]
            + settings.kafkaProperties
    case .host(let plugin, let consumer, let concurrency, let parallelWorkers, let endpoint):
        executable = settings.buildDirectory + "/racecar-host"
        arguments = ["--plugin", settings.buildDirectory + "/" + plugin, consumer]
        environment["RACECAR_BROKERS"] = settings.brokers
        environment["RACECAR_GROUP_ID"] = group
        environment["RACECAR_SUBSCRIBES_TO"] = settings.topic
        environment["RACECAR_OFFSET_COMMIT_INTERVAL"] = String(settings.commitIntervalSeconds)
        if concurrency != 1 {
            environment["RACECAR_CONCURRENCY"] = String(concurrency)
        }
        // The worker's CPU time reaches the benchmark through the supervisor, which reaps it.
        if let parallelWorkers { environment["RACECAR_PARALLEL_WORKERS"] = String(parallelWorkers) }
        // Port 0: a free one, so that runs never collide; /metrics is then fed on every call.
        if endpoint { environment["RACECAR_HTTP_PORT"] = "0" }
        if !settings.kafkaProperties.isEmpty {
            environment["RACECAR_CONSUMER"] = settings.kafkaProperties.joined(separator: ",")
        }
    }

    let committed = try CommittedOffsets(
        brokers: settings.brokers, group: group, topic: settings.topic, partitions: settings.partitions)
    let child = try ChildProcess(
        executable: executable,
        arguments: arguments,
        environment: environment,
        directory: workDirectory,
        standardOutputPath: workDirectory + "/stdout.txt",
        standardErrorPath: workDirectory + "/stderr.txt"
    )
    let deadline = child.startNanoseconds + UInt64(settings.timeoutSeconds * 1e9)
    func failure(_ text: String) -> BenchError {
        BenchError(
            "\(label) (group \(group)): \(text)\n  command: \(executable) \(arguments.joined(separator: " "))\n  last lines of its standard error:\n\(child.standardErrorTail())"
        )
    }

    // racecar-host's librdkafka, for when its log does not say: the file it mapped, read while
    // it runs (the dynamic loader maps it after posix_spawn has returned).
    var mappedLibrdkafkaPath: String?
    let outcome: ChildOutcome
    if variant.isRaw {
        // raw-consumer stops by itself after the expected number of messages.
        guard let finished = child.waitForExit(timeoutSeconds: settings.timeoutSeconds) else {
            child.send(SIGKILL)
            throw failure("did not finish within \(Int(settings.timeoutSeconds)) s")
        }
        outcome = finished
    } else {
        // racecar-host runs until told to stop: stop it once the group has committed
        // everything, the point where an operator could stop it losing nothing.
        var lastSeen: [Int64] = []
        while true {
            if mappedLibrdkafkaPath == nil { mappedLibrdkafkaPath = mappedLibrdkafka(process: String(child.pid)) }
            if let early = child.poll() {
                throw failure(
                    "racecar-host exited (\(early.summary)) before committing every message; committed: \(describe(lastSeen, against: settings.highWatermarks))"
                )
            }
            if let offsets = committed.read(timeoutMilliseconds: 2_000) {
                lastSeen = offsets
                if offsets == settings.highWatermarks { break }
            }
            if monotonicNanoseconds() > deadline {
                child.send(SIGKILL)
                throw failure(
                    "the group did not commit every message within \(Int(settings.timeoutSeconds)) s; committed: \(describe(lastSeen, against: settings.highWatermarks))"
                )
            }
            usleep(100_000)
        }
        child.send(SIGTERM)
        guard let finished = child.waitForExit(timeoutSeconds: 60) else {
            child.send(SIGKILL)
            throw failure("did not stop within 60 s of SIGTERM")
        }
        outcome = finished
    }

    guard outcome.exitStatus == 0 else { throw failure("ended with \(outcome.summary)") }
    let librdkafka = LoadedLibrdkafka(
        output: variant.isRaw ? child.standardOutput : child.standardError,
        printed: variant.isRaw,
        mappedPath: mappedLibrdkafkaPath,
        builds: settings.librdkafkaBuilds
    )
    let expected = settings.librdkafka
    if let version = librdkafka.version {
        guard version == expected.version else {
            throw failure(
                "loaded \(librdkafka.description), not \(expected.version) from \(expected.path)"
                    + (expected.directory.map {
                        ", though \($0) was first on its LD_LIBRARY_PATH: LD_PRELOAD or a DT_RPATH in the binary beats that"
                    } ?? "")
            )
        }
    } else if expected.directory != nil {
        throw failure(
            "could not tell which librdkafka it loaded: \(librdkafka.description); expected \(expected.version) from \(expected.path)"
        )
    }
    // One teardown line per consumer instance: with `concurrency: N`, N lines to add up.
    let lines = child.standardOutput.split(separator: "\n").filter { $0.hasPrefix("noop count=") }
    let reports = lines.compactMap { NoopReport(String($0)) }
    guard !lines.isEmpty, reports.count == lines.count else {
        throw failure(
            "printed no (or an unreadable) `noop count=... first_ns=... last_ns=...` line; standard output: \(child.standardOutput.prefix(500))"
        )
    }
    guard reports.count == variant.instances else {
        throw failure(
            "printed \(reports.count) teardown lines, expected one per instance (\(variant.instances)): is every instance torn down exactly once?"
        )
    }
    let report = NoopReport(combining: reports)
    guard report.count == settings.messages else {
        let perInstance =
            reports.count > 1 ? " (per instance: \(reports.map { String($0.count) }.joined(separator: ", ")))" : ""
        throw failure("saw \(report.count) messages\(perInstance), expected exactly \(settings.messages)")
    }
    guard let peakRSSKilobytes = report.peakRSSKilobytes, peakRSSKilobytes > 0 else {
        throw failure("did not report its peak RSS (peak_rss_kb)")
    }
    guard report.firstNanoseconds > child.startNanoseconds, report.lastNanoseconds > report.firstNanoseconds else {
        throw failure(
            "implausible times: started \(child.startNanoseconds), first \(report.firstNanoseconds), last \(report.lastNanoseconds)"
        )
    }
    guard let finalOffsets = committed.read(timeoutMilliseconds: 10_000) else {
        throw failure("could not read the group's committed offsets after the run")
    }
    guard finalOffsets == settings.highWatermarks else {
        throw failure(
            "committed offsets differ from the high watermarks after the run: \(describe(finalOffsets, against: settings.highWatermarks))"
        )
    }
    let workerCPU = workerCPUSeconds(supervisorLog: child.standardError)
    // Passed: the scratch files are no longer needed, unless asked for.
    if !settings.keepLogs {
        for file in ["stdout.txt", "stderr.txt"] { unlink(workDirectory + "/" + file) }
        rmdir(workDirectory)
    }

    return RunResult(
        run: run,
        messages: report.count,
        consumeNanoseconds: report.lastNanoseconds - report.firstNanoseconds,
        startToFirstNanoseconds: report.firstNanoseconds - child.startNanoseconds,
        userSeconds: outcome.userSeconds,
        systemSeconds: outcome.systemSeconds,
        windowCPUNanoseconds: report.windowCPUNanoseconds,
        windowMessages: report.windowMessages,
        supervisorOwnCPUSeconds: workerCPU.map { outcome.userSeconds + outcome.systemSeconds - $0 },
        peakRSSBytes: peakRSSKilobytes * 1024,
        firstRSSBytes: report.firstRSSKilobytes.flatMap { $0 > 0 ? $0 * 1024 : nil },
        longestGapNanoseconds: report.longestGapNanoseconds ?? 0,
        instanceCounts: reports.map(\.count),
        instanceBusyNanoseconds: reports.allSatisfy { $0.busyNanoseconds != nil }
            ? reports.map { $0.busyNanoseconds! } : nil,
        librdkafka: librdkafka
    )
}

/// Partitions whose committed offset differs from the high watermark, briefly.
func describe(_ committed: [Int64], against watermarks: [Int64]) -> String {
    guard committed.count == watermarks.count else { return "nothing yet" }
    let differing = committed.indices.filter { committed[$0] != watermarks[$0] }
    if differing.isEmpty { return "all equal to the high watermarks" }
    let shown = differing.prefix(6).map {
        "p\($0)=\(committed[$0] < 0 ? "none" : String(committed[$0]))/\(watermarks[$0])"
    }
    return
        "\(differing.count) partitions behind (\(shown.joined(separator: ", "))\(differing.count > 6 ? ", ..." : ""))"
}

/// The line every no-op consumer (and each instance of SleepingConsumer) prints at the end:
/// `noop count=N first_ns=F last_ns=L max_gap_ns=G peak_rss_kb=K`, and `busy_ns=B` from
/// SleepingConsumer.
///
/// The consumer reports its peak RSS (VmHWM) itself because wait4 cannot: Linux carries the
/// spawning process's peak over into a child started with vfork (posix_spawn) and exec, so
/// ru_maxrss would show the benchmark's own peak, mock cluster data included.
struct NoopReport {
    let count: Int
    let firstNanoseconds: UInt64
    let lastNanoseconds: UInt64
    let longestGapNanoseconds: UInt64?
    let peakRSSKilobytes: Int?
    /// VmRSS at the first message, where the consumer reports it.
    let firstRSSKilobytes: Int?
    /// Time spent inside `process`, where the consumer reports it.
    let busyNanoseconds: UInt64?
    /// The process's CPU time while consuming, and the messages it covers (`cpu_window` in
    /// process_status.h); nil when several instances each measured their process (`concurrency`).
    let windowCPUNanoseconds: UInt64?
    let windowMessages: Int?

    init?(_ line: String) {
        var fields: [String: String] = [:]
        for part in line.split(separator: " ").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let count = fields["count"].flatMap({ Int($0) }),
            let first = fields["first_ns"].flatMap({ UInt64($0) }),
            let last = fields["last_ns"].flatMap({ UInt64($0) })
        else { return nil }
        self.count = count
        self.firstNanoseconds = first
        self.lastNanoseconds = last
        self.longestGapNanoseconds = fields["max_gap_ns"].flatMap { UInt64($0) }
        self.peakRSSKilobytes = fields["peak_rss_kb"].flatMap { Int($0) }
        self.firstRSSKilobytes = fields["first_rss_kb"].flatMap { Int($0) }
        self.busyNanoseconds = fields["busy_ns"].flatMap { UInt64($0) }
        self.windowCPUNanoseconds = fields["window_cpu_ns"].flatMap { UInt64($0) }
        self.windowMessages = fields["window_messages"].flatMap { Int($0) }
    }

    /// The whole process from its instances' lines: the counts added up, from the earliest
    /// first message to the latest last one (instances that saw nothing report 0 for both and
    /// are left out of the times), the longest gap and peak RSS of any instance.
    init(combining reports: [NoopReport]) {
        let active = reports.filter { $0.count > 0 }
        count = reports.reduce(0) { $0 + $1.count }
        firstNanoseconds = active.map(\.firstNanoseconds).min() ?? 0
        lastNanoseconds = active.map(\.lastNanoseconds).max() ?? 0
        longestGapNanoseconds = reports.compactMap(\.longestGapNanoseconds).max()
        peakRSSKilobytes = reports.compactMap(\.peakRSSKilobytes).max()
        firstRSSKilobytes = active.compactMap(\.firstRSSKilobytes).max()
        busyNanoseconds =
            reports.allSatisfy { $0.busyNanoseconds != nil }
            ? reports.reduce(0) { $0 + $1.busyNanoseconds! } : nil
        windowCPUNanoseconds = active.count == 1 ? active[0].windowCPUNanoseconds : nil
        windowMessages = active.count == 1 ? active[0].windowMessages : nil
    }
}
