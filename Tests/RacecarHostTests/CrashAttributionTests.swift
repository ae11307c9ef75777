import Foundation
import RacecarKafka
import RacecarOperations
import RacecarPluginHosting
import Testing

/// The real `racecar-host` with plugins that crash at a scripted position: the host dies of the
/// signal promptly, without the runtime's crash handler and the host's signal thread getting in
/// each other's way, and the in-flight call slot names the call and messages that crashed it.
@Suite(.timeLimit(.minutes(3))) struct CrashAttributionTests {
    let cluster: MockCluster
    let workingDirectory = TestPaths.temporaryDirectory()

    init() throws {
        cluster = try MockCluster()
    }

    /// A plugin crash, and how it shows.
    enum Crash: String, CaseIterable, Sendable {
        case cSegfaultInProcess, swiftFatalErrorInProcess, swiftForceUnwrapInProcess
        case cAbortInProcessBatch, swiftFatalErrorInProcessBatch

        func pluginAndConsumer() throws -> (String, String) {
            switch self {
            case .cSegfaultInProcess: (try FixturePlugins.crashing(), "SegfaultConsumer")
            case .cAbortInProcessBatch: (try FixturePlugins.crashing(), "AbortingBatchConsumer")
            case .swiftFatalErrorInProcess: (TestPaths.plugin("CrashTestConsumers"), "FatalErrorConsumer")
            case .swiftForceUnwrapInProcess: (TestPaths.plugin("CrashTestConsumers"), "ForceUnwrapConsumer")
            case .swiftFatalErrorInProcessBatch: (TestPaths.plugin("CrashTestConsumers"), "FatalErrorBatchConsumer")
            }
        }

        var isBatch: Bool { self == .cAbortInProcessBatch || self == .swiftFatalErrorInProcessBatch }

        /// The signal the process dies of.
        var signal: Int32 {
            switch self {
            case .cSegfaultInProcess: SIGSEGV
            case .cAbortInProcessBatch: SIGABRT
            case .swiftFatalErrorInProcess, .swiftForceUnwrapInProcess, .swiftFatalErrorInProcessBatch:
                // A Swift trap is `ud2` on x86_64 and `brk` on arm64.
                #if arch(x86_64)
                    SIGILL
                #else
                    SIGTRAP
                #endif
            }
        }
    }

    /// What one crashed run left behind.
    struct CrashedRun {
        var host: HostProcess
        var status: Int32
        var slot: InFlightCallSlot
    }

    /// Starts `consumer` with a slot file the test created, crashing at `position`; waits for the
    /// crash and the exit, and measures the time between them.
    ///
    /// The exit must come within 20 s of the first crash output, a bound that only a held process
    /// misses (the runtime's crash handler once waited 32 s for the host's signal thread); the
    /// time measured, well under 2 s on an idle machine, is printed. The runtime's default
    /// backtrace (every thread, symbolicated) took over 10 s in CI with the whole suite running.
    func crash(
        _ plugin: String, _ consumer: String, at position: String, _ extra: [String: String] = [:]
    ) async throws -> CrashedRun {
        let slotPath = InFlightCallSlotTests.slotPath()
        _ = try InFlightCallSlot(creatingAt: slotPath, instances: 1)
        defer { unlink(slotPath) }
        let environment = [
            "RACECAR_BROKERS": cluster.bootstrapServers,
            "RACECAR_MAX_WAIT_TIME": "0.1",
            "RACECAR_SOCKET_TIMEOUT": "10",
            InFlightCallSlot.environmentVariable: slotPath,
            "CRASH_AT": position,
        ].merging(extra) { $1 }
        let host = try HostProcess(
            ["--plugin", plugin, consumer], environment: environment, workingDirectory: workingDirectory)
        // The first line the runtime's crash handler (or a Swift trap) writes.
        try await host.waitForStderr("the crash") { stderr in
            ["while processing a crash", "Fatal error:", "*** Signal", "*** Program crashed"].contains {
                stderr.contains($0)
            }
        }
        let crashed = ContinuousClock.now
        let status = try await host.waitForExit(timeout: .seconds(20))
        let crashToExit = ContinuousClock.now - crashed
        print("\(consumer) crashed at \(position): exited \(crashToExit) after the first crash output")
        // Read through a mapping of its own, as a supervisor reads a dead worker's slot.
        return CrashedRun(host: host, status: status, slot: try InFlightCallSlot(openingAt: slotPath))
    }

    @Test(arguments: Crash.allCases)
    func slotNamesTheCrashingCallAndTheHostDiesPromptly(_ crash: Crash) async throws {
        try cluster.createTopic("events", partitions: 2)
        // A batch consumer's crashing batch ends at the crash position: nothing comes after it.
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: crash.isBatch ? 6 : 8)
        let (plugin, consumer) = try crash.pluginAndConsumer()
        let run = try await self.crash(plugin, consumer, at: "events/1@5")

        #expect(run.status == 128 + crash.signal, "\(run.host.stderr.suffix(3000))")
        #expect(!run.host.stderr.contains("effective configuration for"), "SIGUSR1's dump ran during the crash")
        let call = try #require(run.slot.read(), "nothing in flight; stderr: \(run.host.stderr.suffix(2000))")
        #expect(call.consumer == consumer)
        #expect(call.processID == run.host.pid)
        if crash.isBatch {
            // The batch started after the last message of partition 1 that a batch finished.
            let done = ProcessedLine.offsetsByPartition(run.host.lines)[1] ?? []
            let first = (done.max() ?? -1) + 1
            #expect(call.description == "process_batch of events/1@\(first == 5 ? "5" : "\(first)-5")")
        } else {
            #expect(call.description == "process of events/1@5")
            #expect(!run.host.lines.contains { $0.hasPrefix("processed events/1@5 ") })
        }
    }

    @Test func workerBacktraceSettingPrintsOnlyTheCrashedThreadAndExitsPromptly() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 4)
        let run = try await crash(
            TestPaths.plugin("CrashTestConsumers"), "FatalErrorConsumer", at: "events/0@2",
            [CrashReporting.backtraceEnvironmentVariable: CrashReporting.workerBacktraceSetting])

        #expect(run.status == 128 + Crash.swiftFatalErrorInProcess.signal)
        #expect(run.slot.read()?.description == "process of events/0@2")
        let stderr = run.host.stderr
        #expect(stderr.contains("Fatal error: FatalErrorConsumer crashes at events/0@2"))
        #expect(stderr.components(separatedBy: "\nThread ").count == 2, "one thread shown: \(stderr.suffix(3000))")
        #expect(stderr.contains("FatalErrorConsumer.process(_:)"))
        #expect(!stderr.contains("Registers:") && !stderr.contains("Images ("))
        #expect(!stderr.contains("effective configuration for"))
    }
}
