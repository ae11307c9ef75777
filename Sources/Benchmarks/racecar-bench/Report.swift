import CRdKafka
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The machine the numbers came from.
struct Machine {
    let cpuModel: String
    let cores: Int
    let memory: String
    let kernel: String
    let librdkafka: String

    /// /proc/loadavg's 1, 5 and 15 minute averages: other work on the machine skews the numbers.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The commit the benchmark was built from, marked when the tree has uncommitted changes.
    static func gitRevision(in package: String?) -> String? {
        func git(_ arguments: [String]) -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git"] + (package.map { ["-C", $0] } ?? []) + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let revision = git(["rev-parse", "--short", "HEAD"]) else { return nil }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
        return revision + (dirty ? " with uncommitted changes" : "")
    }

    static func current() -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let totalKilobytes = meminfo.split(separator: "\n")
            .first { $0.hasPrefix("MemTotal:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Machine(
            cpuModel: model,
            cores: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
            memory: totalKilobytes.map { String(format: "%.1f GiB", Double($0) / 1_048_576) } ?? "unknown",
            kernel: "Linux \(release) \(machine)",
            librdkafka: String(cString: rd_kafka_version_str())
        )
    }
}

/// The median of each measure over a variant's runs.
struct VariantSummary {
    let variant: Variant
    let runs: [RunResult]
    let messagesPerSecond: Double
    let megabytesPerSecond: Double
    let cpuSecondsPerMillion: Double
    /// CPU per million messages while consuming, where every run measured it.
    let consumingCPUSecondsPerMillion: Double?
    /// A supervisor's own CPU per run, without its worker's.
    let supervisorOwnCPUSeconds: Double?
    let peakRSSMegabytes: Double
    /// RSS at the first message, where every run reported it.
    let firstRSSMegabytes: Double?
    let startToFirstSeconds: Double
    let longestGapMilliseconds: Double
    /// Against the raw consumer of the same mode; nil for the raw consumers themselves.
    var throughputRatio: Double?
    var cpuRatio: Double?
    var consumingCPURatio: Double?
    /// Megabytes above the raw consumer of the same mode, at the first message and at the peak.
    var firstRSSOverRaw: Double?
    var peakRSSOverRaw: Double?

    init(variant: Variant, runs: [RunResult], messageSize: Int) {
        self.variant = variant
        self.runs = runs
        messagesPerSecond = median(runs.map(\.messagesPerSecond))
        megabytesPerSecond = median(runs.map { $0.messagesPerSecond * Double(messageSize) / 1e6 })
        cpuSecondsPerMillion = median(runs.map { $0.cpuSeconds / Double($0.messages) * 1e6 })
        let windows = runs.compactMap { run -> Double? in
            guard let cpu = run.windowCPUNanoseconds, let messages = run.windowMessages, messages > 0 else {
                return nil
            }
            return Double(cpu) / 1e9 / Double(messages) * 1e6
        }
        consumingCPUSecondsPerMillion = windows.count == runs.count ? median(windows) : nil
        let supervisors = runs.compactMap(\.supervisorOwnCPUSeconds)
        supervisorOwnCPUSeconds = supervisors.count == runs.count ? median(supervisors) : nil
        peakRSSMegabytes = median(runs.map { Double($0.peakRSSBytes) / 1_048_576 })
        let firstRSS = runs.compactMap(\.firstRSSBytes)
        firstRSSMegabytes = firstRSS.count == runs.count ? median(firstRSS.map { Double($0) / 1_048_576 }) : nil
        startToFirstSeconds = median(runs.map { Double($0.startToFirstNanoseconds) / 1e9 })
        longestGapMilliseconds = median(runs.map { Double($0.longestGapNanoseconds) / 1e6 })
    }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Adds each racecar-host variant's ratios to the raw consumer of its mode.
func withRatios(_ summaries: [VariantSummary]) -> [VariantSummary] {
    summaries.map { summary in
        var result = summary
        guard !summary.variant.isRaw,
            let raw = summaries.first(where: { $0.variant.isRaw && $0.variant.mode == summary.variant.mode })
        else { return result }
        result.throughputRatio = summary.messagesPerSecond / raw.messagesPerSecond
        result.cpuRatio = summary.cpuSecondsPerMillion / raw.cpuSecondsPerMillion
        if let consuming = summary.consumingCPUSecondsPerMillion, let rawConsuming = raw.consumingCPUSecondsPerMillion {
            result.consumingCPURatio = consuming / rawConsuming
        }
        result.peakRSSOverRaw = summary.peakRSSMegabytes - raw.peakRSSMegabytes
        if let first = summary.firstRSSMegabytes, let rawFirst = raw.firstRSSMegabytes {
            result.firstRSSOverRaw = first - rawFirst
        }
        return result
    }
}

func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var result = ""
    for (index, character) in digits.reversed().enumerated() {
        if index > 0 && index % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return String(result.reversed())
}

/// The runs of every selected variant against one librdkafka.
struct LibrdkafkaPass {
    let build: LibrdkafkaBuild
    /// The throughput variants, with ratios to the raw consumer of this same pass.
    let summaries: [VariantSummary]
    /// The sleeping consumer's runs, when any ran.
    let concurrency: ConcurrencyReport?
}

/// Everything the report shows.
struct BenchReport {
    let machine: Machine
    let command: String
    let date: String
    let messages: Int
    let size: Int
    let partitions: Int
    let runs: Int
    let commitIntervalSeconds: Double
    let kafkaProperties: [String]
    /// Whether racecar-host ran with `datadog_enabled` (`--datadog`).
    let datadog: Bool
    let loadSeconds: Double
    /// One per librdkafka, the benchmark's own first.
    let passes: [LibrdkafkaPass]
    let abi: [ABICallMeasurement]
    let clockReadNanoseconds: Double
    let loadBefore: String
    let loadAfter: String
    let revision: String?
    var chartFile: String?

    /// Whether the variants ran against a second librdkafka (`--librdkafka`).
    var comparesLibrdkafkas: Bool { passes.count > 1 }

    var hasThroughputRuns: Bool { passes.contains { !$0.summaries.isEmpty } }

    var hasConcurrencyRuns: Bool { passes.contains { $0.concurrency != nil } }

    /// What the report calls a pass's librdkafka in its headings.
    func heading(_ pass: LibrdkafkaPass) -> String {
        "librdkafka \(pass.build.version)" + (pass.build.directory.map { " from `\($0)`" } ?? " (system)")
    }

    /// A run's variant in the tables of every run: with its librdkafka when there are two.
    func runLabel(_ variant: Variant, _ pass: LibrdkafkaPass) -> String {
        comparesLibrdkafkas ? "\(variant.id) (\(pass.build.version))" : variant.id
    }

    /// A pass's results table (also printed to standard output).
    func table(_ pass: LibrdkafkaPass) -> String {
        var lines = [
            "| variant | msgs/s | MB/s | CPU s per 1M msgs | CPU s per 1M consuming | RSS at first message MB | peak RSS MB | throughput vs raw | CPU vs raw | consuming CPU vs raw | RSS vs raw MB: first, peak | longest gap ms | start + join s |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for summary in pass.summaries {
            let baseline = summary.variant.isRaw ? "baseline (\(summary.variant.mode))" : "–"
            lines.append(
                "| \(summary.variant.title) | \(grouped(summary.messagesPerSecond)) | \(format(summary.megabytesPerSecond, 1)) "
                    + "| \(format(summary.cpuSecondsPerMillion, 2)) "
                    + "| \(summary.consumingCPUSecondsPerMillion.map { format($0, 2) } ?? "–") "
                    + "| \(summary.firstRSSMegabytes.map { format($0, 1) } ?? "–") "
                    + "| \(format(summary.peakRSSMegabytes, 1)) "
                    + "| \(summary.throughputRatio.map { format($0, 2) + "×" } ?? baseline) "
                    + "| \(summary.cpuRatio.map { format($0, 2) + "×" } ?? (summary.variant.isRaw ? "baseline" : "–")) "
                    + "| \(summary.consumingCPURatio.map { format($0, 2) + "×" } ?? (summary.variant.isRaw ? "baseline" : "–")) "
                    + "| \(rssOverRaw(summary)) "
                    + "| \(format(summary.longestGapMilliseconds, 0)) | \(format(summary.startToFirstSeconds, 1)) |")
        }
        let supervisors = pass.summaries.compactMap { summary in
            summary.supervisorOwnCPUSeconds.map { "`\(summary.variant.id)` \(format($0, 3)) s" }
        }
        if !supervisors.isEmpty {
            lines.append(
                "\nThe supervisor's own CPU per run, start to exit, its worker's left out (median): "
                    + supervisors.joined(separator: ", ") + ".")
        }
        return lines.joined(separator: "\n")
    }

    private func rssOverRaw(_ summary: VariantSummary) -> String {
        guard let peak = summary.peakRSSOverRaw else { return summary.variant.isRaw ? "baseline" : "–" }
        let signed = { (value: Double) in (value < 0 ? "−" : "+") + format(abs(value), 1) }
        return "\(summary.firstRSSOverRaw.map(signed) ?? "–"), \(signed(peak))"
    }

    var abiTable: String {
        var lines = [
            "| call | ns per call | ns per message |",
            "| --- | ---: | ---: |",
        ]
        for measurement in abi {
            lines.append(
                "| \(measurement.label) | \(format(measurement.nanosecondsPerCall, 1)) | \(format(measurement.nanosecondsPerMessage, 2)) |"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// How many runs of each variant had a gap long enough to be a fetch stall.
    var stallSummary: String {
        passes.filter { !$0.summaries.isEmpty }.map { pass in
            let counts = pass.summaries.map { summary in
                let stalled = summary.runs.filter { $0.longestGapNanoseconds >= 250_000_000 }.count
                return "\(summary.variant.id) \(stalled) of \(summary.runs.count)"
            }.joined(separator: ", ")
            return comparesLibrdkafkas ? "on \(pass.build.version): \(counts)" : counts
        }.joined(separator: "; ")
    }

    /// The Machine section's librdkafka line.
    private var librdkafkaLine: String {
        guard comparesLibrdkafkas, let own = passes.first else {
            return
                "librdkafka \(machine.librdkafka); the mock cluster runs inside the benchmark process, on the same cores as the consumer"
        }
        let others = passes.dropFirst().map { pass in
            "\(pass.build.version) (`\(pass.build.path)`, first on every consumer process's `LD_LIBRARY_PATH` for its runs)"
        }
        return
            "librdkafka \(own.build.version) (the system's, `\(own.build.path)`) and \(listed(others)); the consumers are built against the system's headers, and the same binaries load either. The mock cluster runs inside the benchmark process, on the system's librdkafka \(machine.librdkafka) for every run, on the same cores as the consumer"
    }

    /// How the runs checked the librdkafka each consumer process loaded.
    private var librdkafkaCheck: String {
        let hostRuns =
            passes.flatMap { pass in pass.summaries.filter { !$0.variant.isRaw }.flatMap(\.runs) }
            + passes.flatMap { $0.concurrency?.summaries.flatMap(\.runs) ?? [] }
        let logged = hostRuns.filter { $0.librdkafka.source == .logged }.count
        let unknown = hostRuns.filter { $0.librdkafka.version == nil }.count
        let versions =
            comparesLibrdkafkas
            ? "the librdkafka of its table (\(passes.map(\.build.version).joined(separator: " or ")))"
            : "librdkafka \(passes.first?.build.version ?? machine.librdkafka)"
        let fallback =
            logged == hostRuns.count
            ? ""
            : " (it did in \(logged) of \(hostRuns.count) runs; in the others /proc/PID/maps named the file it loaded\(unknown > 0 ? ", except in \(unknown), which went unchecked" : ""))"
        return
            "that it loaded \(versions): raw-consumer prints `rd_kafka_version_str()`, racecar-host logs it at start-up\(fallback)"
    }

    var markdown: String {
        let megabytes = Double(messages * size) / 1e6
        var text = """
            # racecar-host throughput benchmark

            Generated by `racecar-bench` on \(date). Do not edit by hand: run the command below again.

            ```sh
            \(command)
            ```

            ## Machine

            - CPU: \(machine.cpuModel), \(machine.cores) cores online
            - Memory: \(machine.memory); \(machine.kernel)
            - \(librdkafkaLine)
            - Load average (1, 5, 15 min) before: \(loadBefore); after: \(loadAfter)
            - Code: \(revision.map { "git \($0)" } ?? "unknown revision")


            """
        if hasThroughputRuns {
            text += throughputSections(megabytes: megabytes)
        }
        let concurrencyPasses = passes.filter { $0.concurrency != nil }
        if let first = concurrencyPasses.first?.concurrency {
            let tables =
                comparesLibrdkafkas
                ? concurrencyPasses.map { "### \(heading($0))\n\n\($0.concurrency!.table)" }.joined(separator: "\n\n")
                : first.table
            text += first.section(size: size, commitIntervalSeconds: commitIntervalSeconds, tables: tables)
        }
        text += """
            ## Cost of one call across the plugin ABI

            \(abiTable)

            Measured in-process: the benchmark `dlopen`s the no-op plugins, creates an instance through the vtable and calls it \(grouped(Double(abi.first?.callsPerRepetition ?? 0))) times in a loop with one prepared `racecar_message` (median of 5 repetitions). The plugins' clock reads are switched off for this (`NOOP_SKIP_CLOCK`), so a call is the indirect call, the Swift SDK's trampoline for Swift plugins, and a counter increment. For scale: one `clock_gettime(CLOCK_MONOTONIC)` costs \(format(clockReadNanoseconds, 1)) ns here, and the no-op consumers make one per message (per batch for `process_batch`) in the throughput runs.\(comparesLibrdkafkas ? " No librdkafka is involved, so this ran once." : "")


            """
        if hasThroughputRuns {
            text += """
                ## Every run

                | variant | run | msgs/s | consume s | CPU s (user + sys) | RSS at first message MB | peak RSS MB | longest gap ms | start + join s |
                | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |

                """
            for pass in passes {
                for summary in pass.summaries {
                    for run in summary.runs {
                        text +=
                            "| \(runLabel(summary.variant, pass)) | \(run.run) | \(grouped(run.messagesPerSecond)) | \(format(Double(run.consumeNanoseconds) / 1e9, 3)) "
                            + "| \(format(run.cpuSeconds, 2)) (\(format(run.userSeconds, 2)) + \(format(run.systemSeconds, 2))) "
                            + "| \(run.firstRSSBytes.map { format(Double($0) / 1_048_576, 1) } ?? "–") "
                            + "| \(format(Double(run.peakRSSBytes) / 1_048_576, 1)) | \(format(Double(run.longestGapNanoseconds) / 1e6, 0)) "
                            + "| \(format(Double(run.startToFirstNanoseconds) / 1e9, 2)) |\n"
                    }
                }
            }
        }
        if hasConcurrencyRuns {
            text += (hasThroughputRuns ? "\n" : "") + ConcurrencyReport.everyRunHeader
            for pass in passes {
                guard let concurrency = pass.concurrency else { continue }
                text += concurrency.everyRunRows { runLabel($0, pass) }
            }
        }
        return text
    }

    /// Set-up, results and chart of the throughput variants.
    private func throughputSections(megabytes: Double) -> String {
        let versions = passes.map(\.build.version)
        let perVariant =
            comparesLibrdkafkas
            ? "per variant on each librdkafka, interleaved (each round runs every variant on \(listed(versions)) in turn)"
            : "per variant, interleaved"
        var text = """
            ## Set-up

            - \(grouped(Double(messages))) messages of \(size) B (\(format(megabytes, 1)) MB of values) in topic `bench` with \(partitions) partitions of librdkafka's mock cluster, loaded in \(format(loadSeconds, 1)) s; offsets checked contiguous from 0 in every partition.
            - Every run uses a fresh consumer group and reads the topic from the beginning. \(runs) run\(runs == 1 ? "" : "s") \(perVariant); every column is the median over the runs.
            - All consumers use racecar-host's default librdkafka properties (ConfigKey.swift: `fetch.wait.max.ms=1000`, `fetch.max.bytes=10485760`, `queued.min.messages=1000000`, or from librdkafka 2.2.0 on `queued.min.messages=100000` with `fetch.queue.backoff.ms=10`, ...; `enable.auto.offset.store=false`), except `offset_commit_interval` = \(format(commitIntervalSeconds, 1)) s for all of them, so that a finished run is committed soon (racecar-host commits asynchronously from its loop at that interval; the raw consumer lets librdkafka auto-commit at the same interval)\(kafkaProperties.isEmpty ? "" : ", and these librdkafka properties for all of them: " + kafkaProperties.map { "`\($0)`" }.joined(separator: ", "))\(datadog ? ". racecar-host runs with `datadog_enabled`, sending its metrics to 127.0.0.1:9 every second (`--datadog`)" : "").
            - The raw consumer (`Sources/Benchmarks/raw-consumer/main.c`) does the host's work with nothing on top: `rd_kafka_consumer_poll`, store the offset (`rd_kafka_offset_store` per message, or `rd_kafka_offsets_store` with the last offset per partition per batch of up to 1000 polled messages), auto-commit; after the last message it commits synchronously and leaves the group.
            - racecar-host runs the no-op plugins (`Sources/Benchmarks/NoopConsumer`, `Sources/Benchmarks/NoopCConsumer`) with `fetch_messages` 1000; the benchmark sends SIGTERM once the group's committed offsets equal the high watermarks. Note that racecar-host stores offsets once per run of consecutive messages of one partition in a polled chunk, in `process` mode too, while the raw per-message consumer stores after every message: the per-message comparison includes that difference. racecar-host also fixes glibc's mmap threshold at 128 KiB when it starts (`Sources/racecar-host/AllocatorTuning.swift`), so librdkafka's fetch buffers go back to the system when freed; the raw consumer runs with glibc's defaults, as a plain librdkafka program would (`MALLOC_MMAP_THRESHOLD_=131072` in its environment gives it the same setting).

            ## Results


            """
        for pass in passes where !pass.summaries.isEmpty {
            if comparesLibrdkafkas { text += "### \(heading(pass))\n\n" }
            text += table(pass) + "\n\n"
        }
        text += """
            - **msgs/s, MB/s**: messages (and value bytes, 1 MB = 10^6 B) from the first message to the last as the consumer saw them (CLOCK_MONOTONIC); the group join and start-up are excluded and shown in the last column.
            - **CPU s per 1M msgs**: user + system CPU of the whole consumer process (from `wait4`), start to exit, per million messages; for a supervised worker, the supervisor's and the worker's together.
            - **CPU s per 1M consuming**: the CPU time of the process that consumes (every thread, `CLOCK_PROCESS_CPUTIME_ID`), read by the consumer at its first message and each time its count passes a multiple of 1,024, per million messages between the first and the last reading: the per-message cost without start-up, the group join and the idle polling until the benchmark's SIGTERM, which make the whole-process figure vary from run to run. For a supervised worker it is the worker's alone (the supervisor's own CPU for the whole run is in the supervised line below the table).
            - **RSS at first message, peak RSS**: the consumer process's resident set size (VmRSS) when its first message arrived, and its maximum (VmHWM) at the end; the consumer reads both from /proc/self/status (1 MB here = 2^20 B). The first is the process itself, libraries and runtime included, before librdkafka's prefetch queue has had time to grow; peak minus first is mostly that queue: fetched messages waiting to be consumed, which grows faster the more the fetcher outruns the consumer, so it varies a lot from run to run for raw and host alike.
            - **RSS vs raw**: megabytes above the raw consumer of the same mode, at the first message and at the peak (medians' difference).
            - **longest gap**: the longest wait between two consecutive messages (batches, for the batch variants) inside the run. Gaps of hundreds of milliseconds are time spent waiting for librdkafka to fetch, not processing: DESIGN.md's "1-second fetch stall" (`queued.min.messages`), or a long-poll fetch (`fetch.wait.max.ms`, racecar-host's `max_wait_time`) holding the connection. They hit raw and host consumers alike, at random, and make single runs of a 1-second workload noisy; `--kafka-property queued.min.messages=...` or `--kafka-property fetch.wait.max.ms=...` shows their effect.
            - **vs raw**: racecar-host's figure divided by the raw consumer's of the same mode\(comparesLibrdkafkas ? " on the same librdkafka" : "") (`process` and the C plugin against per-message storing, `process_batch` against per-batch storing). Throughput above 1 is better; CPU above 1 is worse.
            - **Stalls**: runs with a gap of 250 ms or more: \(stallSummary).
            - **Correctness**: every run checked that the consumer saw exactly \(grouped(Double(messages))) messages, that the group's committed offsets equal the high watermarks of all \(partitions) partitions, and \(librdkafkaCheck); a failure stops the benchmark.


            """
        if let chartFile {
            text += "![throughput and CPU of racecar-host relative to the raw consumer](\(chartFile))\n\n"
        } else {
            text += "(No chart: python3 with matplotlib was not available when this ran.)\n\n"
        }
        return text
    }
}

/// Draws the ratios of each racecar-host variant with python3 and matplotlib, a pair of bars
/// each, labelled with `label`; returns a reason when it could not.
func drawChart(_ summaries: [(label: String, summary: VariantSummary)], to path: String, title: String) -> String? {
    let hosts = summaries.filter { $0.summary.throughputRatio != nil && $0.summary.cpuRatio != nil }
    guard !hosts.isEmpty else { return "no racecar-host variant to draw" }
    let script = """
        import sys
        try:
            import matplotlib
        except ImportError:
            sys.stderr.write("matplotlib is not installed (pip install matplotlib)\\n")
            sys.exit(3)
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        out, title = sys.argv[1], sys.argv[2]
        rows = [sys.argv[i:i + 3] for i in range(3, len(sys.argv), 3)]
        labels = [r[0] for r in rows]
        throughput = [float(r[1]) for r in rows]
        cpu = [float(r[2]) for r in rows]
        fig, ax = plt.subplots(figsize=(max(9, 1.6 * len(rows)), 4.8), dpi=120)
        x = range(len(rows))
        width = 0.38
        a = ax.bar([i - width / 2 for i in x], throughput, width, label="throughput vs raw (higher is better)", color="#3b78c2")
        b = ax.bar([i + width / 2 for i in x], cpu, width, label="CPU per message vs raw (lower is better)", color="#e08a2c")
        ax.bar_label(a, fmt="%.2f", padding=2)
        ax.bar_label(b, fmt="%.2f", padding=2)
        ax.axhline(1.0, color="black", linewidth=1, linestyle="--")
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels)
        ax.set_ylabel("racecar-host / raw librdkafka consumer")
        ax.set_ylim(0, max(throughput + cpu + [1.0]) * 1.2)
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        fig.savefig(out)
        """
    var arguments = ["python3", "-c", script, path, title]
    for (label, summary) in hosts {
        arguments += [label, String(summary.throughputRatio!), String(summary.cpuRatio!)]
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    do {
        try process.run()
    } catch {
        return "python3 could not be started: \(error)"
    }
    let errorOutput = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let text = String(decoding: errorOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if process.terminationStatus == 127 { return "python3 is not installed" }
        return text.isEmpty ? "python3 exited with status \(process.terminationStatus)" : text
    }
    return nil
}
