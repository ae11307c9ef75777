import ArgumentParser
import Foundation
import RacecarKafka

#if canImport(Glibc)
    import Glibc
#endif

@main
struct RacecarBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "racecar-bench",
        abstract: "Measures racecar-host's throughput against a raw librdkafka consumer on librdkafka's mock cluster.",
        discussion: """
            Loads a topic of the mock cluster, then runs each consumer variant several times on a \
            fresh consumer group: the raw C consumer (offset stored per message, and per batch), \
            and racecar-host with the no-op Swift plugin (process, process_batch) and the no-op C \
            plugin. Every run must see every message and commit offsets equal to the high \
            watermarks. Also times one call across the plugin ABI.

            The concurrency runs show what `concurrency: N` buys a consumer that waits rather \
            than computes: racecar-host runs SleepingConsumer (from the no-op Swift plugin; it \
            sleeps --sleep-microseconds per message) at each --concurrency-level over a smaller \
            topic of its own, with the same checks.

            With --librdkafka DIR, every selected variant also runs against the librdkafka.so.1 in \
            DIR (`bash .ci/fetch-librdkafka` puts librdkafka 2.16 in .build/librdkafka-2.16), \
            each consumer process started with DIR first on its LD_LIBRARY_PATH, in rounds \
            interleaved with the runs against the system's librdkafka; the report has a table per \
            version, each with its own raw baseline. The mock cluster stays in the benchmark \
            process, on the system's librdkafka. Every consumer says which librdkafka it loaded \
            (raw-consumer prints it, racecar-host logs it, or /proc/PID/maps shows it), and a \
            run fails unless that is its version.

            Run it from the package with `swift run -c release racecar-bench`: it first builds \
            racecar-host, raw-consumer and the no-op plugins in the same configuration (`swift \
            build --product ...`), so that it never measures stale binaries.
            """
    )

    @Option(help: "Messages to load and consume per run. (default: 1000000; 20000 with --quick)")
    var messages: Int?

    @Option(help: "Bytes per message value.")
    var size: Int = 100

    @Option(help: "Partitions of the benchmark topic (the mock keeps at most about 5 MiB per partition).")
    var partitions: Int = 32

    @Option(help: "Runs per variant; the report shows medians. (default: 5; 1 with --quick)")
    var runs: Int?

    @Option(
        help:
            "Markdown report to write; the chart goes next to it as ratios.png. (default: Sources/Benchmarks/racecar-bench/results/RESULTS.md in the package; none with --quick)"
    )
    var output: String?

    @Flag(help: "Smoke run: few messages, one run, no files unless --output is given.")
    var quick = false

    @Option(help: "offset_commit_interval for every consumer, in seconds (racecar-host's default is 10).")
    var commitInterval: Double = 1

    @Option(
        name: .customLong("kafka-property"),
        help: ArgumentHelp(
            "A librdkafka consumer property, NAME=VALUE, for every consumer: raw-consumer and racecar-host (as RACECAR_CONSUMER). Repeatable.",
            valueName: "name=value"))
    var kafkaProperties: [String] = []

    @Option(
        name: .customLong("variant"),
        help: ArgumentHelp(
            "Run only this variant (repeatable): raw-message, raw-batch, host-swift-process, host-swift-batch, host-endpoint-batch, host-c-process, host-supervised-batch, sleep-cN for each --concurrency-level N, or concurrency for all the sleep-cN. (default: all)",
            valueName: "id"))
    var onlyVariants: [String] = []

    @Option(
        help:
            "Messages for the concurrency runs, in a topic of their own with --partitions partitions. (default: 3200; 320 with --quick)"
    )
    var sleepMessages: Int?

    @Option(help: "Microseconds SleepingConsumer sleeps per message in the concurrency runs.")
    var sleepMicroseconds: Int = 1000

    @Option(
        name: .customLong("concurrency-level"),
        help: ArgumentHelp(
            "A `concurrency` to run SleepingConsumer at (repeatable). (default: 1, 4 and 16)",
            valueName: "n"))
    var concurrencyLevels: [Int] = []

    @Option(help: "Seconds one run may take before the benchmark fails.")
    var timeout: Double = 300

    @Option(
        help:
            "Directory holding racecar-host, raw-consumer, libNoopConsumer.so and libNoopCConsumer.so; nothing is built. (default: this executable's, after building them)"
    )
    var buildDir: String?

    @Flag(
        help:
            "Keep every run's standard output and error (racecar-host's log) in the scratch directory, not only a failed run's."
    )
    var keepLogs = false

    @Flag(
        help:
            "Run racecar-host with datadog_enabled, sending its metrics to 127.0.0.1:9 (discard), to measure what recording and sending them costs."
    )
    var datadog = false

    @Flag(help: "Do not build racecar-host, raw-consumer and the no-op plugins first.")
    var noBuild = false

    @Option(
        name: .customLong("librdkafka"),
        help: ArgumentHelp(
            "A directory holding another librdkafka.so.1 (e.g. from `bash .ci/fetch-librdkafka`): also run every variant with it first on each consumer's LD_LIBRARY_PATH, and report both versions.",
            valueName: "dir"))
    var librdkafkaDirectory: String?

    mutating func validate() throws {
        if let messages, messages < 1 { throw ValidationError("--messages must be at least 1") }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
        guard size >= 0 else { throw ValidationError("--size must not be negative") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard commitInterval > 0 else { throw ValidationError("--commit-interval must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let sleepMessages, sleepMessages < 1 { throw ValidationError("--sleep-messages must be at least 1") }
        guard (0...60_000_000).contains(sleepMicroseconds) else {
            throw ValidationError("--sleep-microseconds must be from 0 to 60000000")
        }
        for level in concurrencyLevels where !(1...256).contains(level) {
            throw ValidationError("--concurrency-level \(level): racecar-host takes a concurrency from 1 to 256")
        }
        guard Set(concurrencyLevels).count == concurrencyLevels.count else {
            throw ValidationError("--concurrency-level: each level once")
        }
        let known = (Variant.all + allSleepingVariants).map(\.id) + [Variant.concurrencyGroup]
        for id in onlyVariants where !known.contains(id) {
            throw ValidationError("--variant \(id): expected one of \(known.joined(separator: ", "))")
        }
        if let librdkafkaDirectory, access(librdkafkaDirectory + "/librdkafka.so.1", R_OK) != 0 {
            throw ValidationError(
                "--librdkafka \(librdkafkaDirectory): no readable librdkafka.so.1 in it (`bash .ci/fetch-librdkafka` puts one in .build/librdkafka-2.16)"
            )
        }
        for property in kafkaProperties {
            guard let equals = property.firstIndex(of: "="), equals != property.startIndex, !property.contains(",")
            else {
                throw ValidationError("--kafka-property \(property): expected NAME=VALUE without commas")
            }
        }
    }

    /// SleepingConsumer at each concurrency level, lowest first.
    var allSleepingVariants: [Variant] {
        (concurrencyLevels.isEmpty ? Variant.defaultConcurrencyLevels : concurrencyLevels.sorted()).map(
            Variant.sleeping)
    }

    /// The variants `--variant` selects, the throughput ones and the sleeping ones.
    func selectedVariants() -> (throughput: [Variant], sleeping: [Variant]) {
        guard !onlyVariants.isEmpty else { return (Variant.all, allSleepingVariants) }
        let everySleeping = onlyVariants.contains(Variant.concurrencyGroup)
        return (
            Variant.all.filter { onlyVariants.contains($0.id) },
            allSleepingVariants.filter { everySleeping || onlyVariants.contains($0.id) }
        )
    }

    func run() throws {
        do {
            try benchmark()
        } catch {
            FileHandle.standardError.write(Data("racecar-bench: FAILED: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    private func benchmark() throws(BenchError) {
        let messageCount = messages ?? (quick ? 20_000 : 1_000_000)
        let sleepMessageCount = sleepMessages ?? (quick ? 320 : 3_200)
        let (variants, sleepingVariants) = selectedVariants()
        let runCount = runs ?? (quick ? 1 : 5)
        let defaultOutput =
            (packageDirectory(executableDirectory: executableDirectory()).map { $0 + "/" } ?? "")
            + "Sources/Benchmarks/racecar-bench/results/RESULTS.md"
        let outputPath = output ?? (quick ? nil : defaultOutput)
        let abiCalls = quick ? 1_000_000 : 10_000_000

        let ownDirectory = executableDirectory()
        let directory = buildDir ?? ownDirectory
        let configuration = URL(fileURLWithPath: ownDirectory).lastPathComponent
        if configuration != "release" && buildDir == nil {
            log("warning: this is a \(configuration) build; only `-c release` numbers mean anything")
        }
        let package = packageDirectory(executableDirectory: ownDirectory)
        if buildDir == nil && !noBuild {
            if let package {
                try buildDependencies(package: package, configuration: configuration)
            } else {
                log("not inside a package's .build directory; using the binaries next to this executable as they are")
            }
        }
        for artifact in ["racecar-host", "raw-consumer", "libNoopConsumer.so", "libNoopCConsumer.so"] {
            guard access(directory + "/" + artifact, F_OK) == 0 else {
                throw BenchError("\(directory)/\(artifact) is missing: build it with `swift build -c \(configuration)`")
            }
        }

        // The mock keeps about 5 MiB per partition; a record costs its value plus ~20 B.
        let largestTopic = max(variants.isEmpty ? 0 : messageCount, sleepingVariants.isEmpty ? 0 : sleepMessageCount)
        let perPartitionBytes = (largestTopic / partitions + 1) * (size + 20)
        let mockLimit = 5 * 1_048_576
        guard perPartitionBytes < mockLimit else {
            let needed = (largestTopic * (size + 20)) / mockLimit + 1
            throw BenchError(
                "\(largestTopic) messages of \(size) B need at least \(needed) partitions on the mock cluster (about 5 MiB each); pass --partitions \(needed)"
            )
        }

        // The benchmark's own librdkafka first: the system's, which the mock cluster runs on.
        let system = LibrdkafkaBuild.current()
        var builds = [system]
        if let librdkafkaDirectory {
            guard let resolved = realpath(librdkafkaDirectory, nil) else {
                throw BenchError("--librdkafka \(librdkafkaDirectory): \(String(cString: strerror(errno)))")
            }
            // Absolute: the consumers run in directories of their own.
            let libraryDirectory = String(cString: resolved)
            free(resolved)
            let other = try LibrdkafkaBuild.probe(directory: libraryDirectory, rawConsumer: directory + "/raw-consumer")
            guard other.version != system.version else {
                throw BenchError(
                    "--librdkafka \(librdkafkaDirectory) holds librdkafka \(other.version), the same version as the system's (\(system.path)): the runs could not tell which of the two a consumer loaded"
                )
            }
            builds.append(other)
        }
        log("librdkafka: \(builds.map { "\($0.version) (\($0.path))" }.joined(separator: " and "))")

        let loadBefore = Machine.loadAverage()
        // The revision the binaries were just built from: someone editing the tree during the
        // run must not change what the report says was measured.
        let revision = Machine.gitRevision(in: package)
        let command = (["swift", "run", "-c", configuration, "racecar-bench"] + CommandLine.arguments.dropFirst()).map(
            shellQuoted
        ).joined(separator: " ")
        log("command: \(command)")

        // The ABI timing runs first, while nothing else is busy.
        log("timing calls across the plugin ABI (\(abiCalls) calls each)")
        let abi = try ABICallCost.measure(
            cPlugin: directory + "/libNoopCConsumer.so",
            swiftPlugin: directory + "/libNoopConsumer.so",
            calls: abiCalls,
            repetitions: 5
        )
        let clockRead = ABICallCost.clockReadNanoseconds(reads: abiCalls)
        for measurement in abi {
            log(
                "  \(measurement.label): \(format(measurement.nanosecondsPerCall, 2)) ns per call, \(format(measurement.nanosecondsPerMessage, 2)) ns per message"
            )
        }

        let cluster: MockCluster
        do {
            cluster = try MockCluster(brokers: 1)
            if !variants.isEmpty { try cluster.createTopic("bench", partitions: partitions) }
            if !sleepingVariants.isEmpty { try cluster.createTopic("bench-sleep", partitions: partitions) }
        } catch {
            throw BenchError("starting the mock cluster: \(error)")
        }
        let brokers = cluster.bootstrapServers
        log("mock cluster at \(brokers)")
        var watermarks: [Int64] = []
        var loadSeconds = 0.0
        if !variants.isEmpty {
            log("loading \(messageCount) messages of \(size) B into \(partitions) partitions of bench")
            let loadStart = monotonicNanoseconds()
            watermarks = try loadTopic(
                brokers: brokers, topic: "bench", partitions: partitions, messages: messageCount, size: size)
            loadSeconds = Double(monotonicNanoseconds() - loadStart) / 1e9
            log("loaded in \(format(loadSeconds, 1)) s; offsets contiguous from 0 in every partition")
        }
        var sleepWatermarks: [Int64] = []
        if !sleepingVariants.isEmpty {
            log("loading \(sleepMessageCount) messages of \(size) B into \(partitions) partitions of bench-sleep")
            sleepWatermarks = try loadTopic(
                brokers: brokers, topic: "bench-sleep", partitions: partitions, messages: sleepMessageCount, size: size)
        }

        var scratchTemplate = Array("/tmp/racecar-bench.XXXXXX".utf8CString)
        guard let scratchPointer = mkdtemp(&scratchTemplate) else {
            throw BenchError("could not create a temporary directory")
        }
        let scratch = String(cString: scratchPointer)
        let settings = RunSettings(
            buildDirectory: directory,
            brokers: brokers,
            topic: "bench",
            partitions: partitions,
            messages: messageCount,
            highWatermarks: watermarks,
            commitIntervalSeconds: commitInterval,
            kafkaProperties: kafkaProperties,
            timeoutSeconds: timeout,
            scratchDirectory: scratch,
            consumerEnvironment: datadog
                ? ["RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_HOST": "127.0.0.1", "RACECAR_DATADOG_PORT": "9"]
                : [:],
            keepLogs: keepLogs,
            librdkafka: system,
            librdkafkaBuilds: builds
        )
        var sleepSettings = settings
        sleepSettings.topic = "bench-sleep"
        sleepSettings.messages = sleepMessageCount
        sleepSettings.highWatermarks = sleepWatermarks
        sleepSettings.consumerEnvironment["SLEEPING_CONSUMER_MICROSECONDS"] = String(sleepMicroseconds)

        // Each round runs every variant against each librdkafka in turn, so that a change in
        // the machine's load over the benchmark falls on both alike.
        var results: [String: [RunResult]] = [:]
        func key(_ build: LibrdkafkaBuild, _ variant: Variant) -> String { "\(build.version) \(variant.id)" }
        for run in 1...runCount {
            for build in builds {
                for (variant, variantSettings) in variants.map({ ($0, settings) })
                    + sleepingVariants.map({ ($0, sleepSettings) })
                {
                    var runSettings = variantSettings
                    runSettings.librdkafka = build
                    let result: RunResult
                    do {
                        result = try runOnce(variant, run: run, settings: runSettings)
                    } catch {
                        log("the failed run's files are in \(scratch)")
                        throw error
                    }
                    results[key(build, variant), default: []].append(result)
                    func consuming(_ result: RunResult) -> String {
                        guard let cpu = result.windowCPUNanoseconds, let messages = result.windowMessages,
                            messages > 0
                        else {
                            return ""
                        }
                        return
                            " (\(format(Double(cpu) / 1e9, 2)) s over \(grouped(Double(messages))) messages consuming)"
                    }
                    let instances =
                        result.instanceCounts.count > 1
                        ? ", messages per instance \(result.instanceCounts.min()!)-\(result.instanceCounts.max()!)"
                        : ""
                    log(
                        "run \(run)/\(runCount) \(variant.id): \(grouped(result.messagesPerSecond)) msgs/s, "
                            + "\(format(result.cpuSeconds, 2)) s CPU\(consuming(result)), "
                            + "\(format(Double(result.peakRSSBytes) / 1_048_576, 1)) MB peak RSS, "
                            + "longest gap \(format(Double(result.longestGapNanoseconds) / 1e6, 0)) ms, "
                            + "first message after \(format(Double(result.startToFirstNanoseconds) / 1e9, 1)) s\(instances); "
                            + "all \(runSettings.messages) seen and committed; \(result.librdkafka.description)")
                }
            }
        }
        if keepLogs {
            log("every run's standard output and error are in \(scratch)")
        } else {
            rmdir(scratch)
        }
        withExtendedLifetime(cluster) {}

        let passes = builds.map { build in
            LibrdkafkaPass(
                build: build,
                summaries: withRatios(
                    variants.map {
                        VariantSummary(variant: $0, runs: results[key(build, $0)] ?? [], messageSize: size)
                    }),
                concurrency: sleepingVariants.isEmpty
                    ? nil
                    : ConcurrencyReport(
                        messages: sleepMessageCount,
                        partitions: partitions,
                        sleepMicroseconds: sleepMicroseconds,
                        summaries: sleepingVariants.map {
                            ConcurrencySummary(variant: $0, runs: results[key(build, $0)] ?? [])
                        }
                    )
            )
        }
        let machine = Machine.current()
        var report = BenchReport(
            machine: machine,
            command: command,
            date: Date().ISO8601Format(),
            messages: messageCount,
            size: size,
            partitions: partitions,
            runs: runCount,
            commitIntervalSeconds: commitInterval,
            kafkaProperties: kafkaProperties,
            datadog: datadog,
            loadSeconds: loadSeconds,
            passes: passes,
            abi: abi,
            clockReadNanoseconds: clockRead,
            loadBefore: loadBefore,
            loadAfter: Machine.loadAverage(),
            revision: revision,
            chartFile: nil
        )
        let versions =
            report.comparesLibrdkafkas
            ? passes.map { $0.build.label }.joined(separator: " and ") + "; the mock cluster's \(machine.librdkafka)"
            : machine.librdkafka
        print("\nMachine: \(machine.cpuModel), \(machine.cores) cores; librdkafka \(versions)")
        if !variants.isEmpty {
            print(
                "\(grouped(Double(messageCount))) messages x \(size) B, \(partitions) partitions, median of \(runCount) run(s)"
            )
            for pass in passes {
                print(report.comparesLibrdkafkas ? "\nlibrdkafka \(pass.build.label):\n" : "")
                print(report.table(pass))
            }
        }
        if !sleepingVariants.isEmpty {
            print(
                "\nSleepingConsumer, \(sleepMicroseconds) us per message: \(grouped(Double(sleepMessageCount))) messages, "
                    + "\(partitions) partitions, median of \(runCount) run(s)")
            for pass in passes {
                guard let concurrency = pass.concurrency else { continue }
                print(report.comparesLibrdkafkas ? "\nlibrdkafka \(pass.build.label):\n" : "")
                print(concurrency.table)
            }
        }
        print("\nABI call cost (no-op plugins, in-process):\n")
        print(report.abiTable)
        print("\nclock_gettime(CLOCK_MONOTONIC): \(format(clockRead, 1)) ns")

        guard let outputPath else { return }
        let outputURL = URL(fileURLWithPath: outputPath)
        let outputDirectory = outputURL.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw BenchError("could not create \(outputDirectory.path): \(error)")
        }
        let chartPath = outputDirectory.appendingPathComponent("ratios.png").path
        let chartTitle =
            "racecar-host vs raw librdkafka: \(grouped(Double(messageCount))) x \(size) B, \(partitions) partitions, "
            + "median of \(runCount), \(machine.cpuModel), \(machine.cores) cores"
            + (kafkaProperties.isEmpty ? "" : "\n" + kafkaProperties.joined(separator: " "))
        let bars = passes.flatMap { pass in
            pass.summaries.map { summary in
                (
                    label: summary.variant.chartLabel
                        + (report.comparesLibrdkafkas ? "\nlibrdkafka \(pass.build.version)" : ""),
                    summary: summary
                )
            }
        }
        if let problem = drawChart(bars, to: chartPath, title: chartTitle) {
            log("warning: chart not drawn: \(problem)")
        } else {
            report.chartFile = "ratios.png"
            log("chart: \(chartPath)")
        }
        do {
            try report.markdown.write(to: outputURL, atomically: true, encoding: .utf8)
        } catch {
            throw BenchError("could not write \(outputPath): \(error)")
        }
        log("report: \(outputPath)")
    }
}

/// The products the benchmark runs, besides itself.
let benchmarkedProducts = ["racecar-host", "raw-consumer", "NoopConsumer", "NoopCConsumer"]

/// Builds the benchmarked products with `swift build` in the package this executable was
/// built from (`<package>/.build/.../<configuration>/racecar-bench`). `swift run` has released
/// the build lock by the time the benchmark runs.
func buildDependencies(package: String, configuration: String) throws(BenchError) {
    for product in benchmarkedProducts {
        log("swift build -c \(configuration) --product \(product)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "-c", configuration, "--product", product, "--package-path", package]
        // Build output goes to standard error, which holds the progress; standard output is the table.
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw BenchError("could not run swift build: \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError(
                "`swift build -c \(configuration) --product \(product)` failed; fix the build, or pass --no-build to use the existing binaries"
            )
        }
    }
}

/// The package this executable was built in: the directory holding the `.build` it lives in.
func packageDirectory(executableDirectory: String) -> String? {
    var url = URL(fileURLWithPath: executableDirectory)
    while url.path != "/" && url.lastPathComponent != ".build" { url.deleteLastPathComponent() }
    return url.lastPathComponent == ".build" ? url.deletingLastPathComponent().path : nil
}

/// Progress goes to standard error; the results table to standard output.
func log(_ text: String) {
    FileHandle.standardError.write(Data("racecar-bench: \(text)\n".utf8))
}

/// The directory of the running executable, where SwiftPM puts every product of a build.
func executableDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = length > 0 ? cString(Array(buffer.prefix(length))) : CommandLine.arguments[0]
    return URL(fileURLWithPath: path).deletingLastPathComponent().path
}

func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
