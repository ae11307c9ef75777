import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarSupervision
import Testing

/// A long supervised run with a plugin that segfaults on scripted positions and workers killed
/// (kill -9) from outside while it runs: with `max_crashes: 1` each poison position costs one
/// crash and goes to the dead-letter topic; every other position is processed at least once,
/// the group commits everything, and SIGTERM stops the supervisor cleanly.
@Suite(.timeLimit(.minutes(15))) struct CrashSoakTests {
    static let partitions = 16
    static let perPartition = 1_250
    /// Each crash costs a worker, a restart and a rejoin of the group, and the mock cluster's
    /// rebalance waits for the dead member (session_timeout - 1 s to elect, the dead member's
    /// session to expire): about 10 s a round, measured on two cores. Workers that crash in the
    /// same round share its rebalance, and with a poison message every 100 positions each
    /// worker soon reaches one, so the rounds, not the crashes, set the length: the 200 crashes
    /// took 590 s with 4 workers, 315 s with 8.
    static let workers = 8
    /// 1 % of the positions crash the plugin.
    static let poisonCount = 200
    static let kills = 3
    static let seed: UInt64 = 0xC2A5_0A4C

    @Test func crashesAndKilledWorkersLoseNothing() async throws {
        var random = ReplayableRandom(seed: Self.seed)
        let directory = TestPaths.temporaryDirectory()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: Self.partitions)
        try cluster.createTopic("events-dlq", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: Self.partitions, perPartition: Self.perPartition)
        let expected = ProcessedLine.all(topic: "events", partitions: Self.partitions, perPartition: Self.perPartition)

        var poison: Set<ProcessedLine> = []
        while poison.count < Self.poisonCount {
            poison.insert(
                ProcessedLine(
                    topic: "events", partition: Int32.random(in: 0..<Int32(Self.partitions), using: &random),
                    offset: Int64.random(in: 0..<Int64(Self.perPartition), using: &random)))
        }
        let environment = [
            "RACECAR_BROKERS": cluster.bootstrapServers,
            "RACECAR_PARALLEL_WORKERS": String(Self.workers),
            "RACECAR_MAX_CRASHES": "1",
            "RACECAR_DEAD_LETTER_TOPIC": "events-dlq",
            "RACECAR_MAX_RETRIES": "1",
            "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
            "RACECAR_SESSION_TIMEOUT": "5",
            "RACECAR_HEARTBEAT_INTERVAL": "0.5",
            "RACECAR_MAX_WAIT_TIME": "0.1",
            "CRASH_AT": poison.map { "events/\($0.partition)@\($0.offset)" }.sorted().joined(separator: ","),
            // What this checks needs no backtrace, and 200 backtracer processes would load the
            // machine that the rest of the suite shares (CrashAttributionTests times crashes).
            "SWIFT_BACKTRACE": "enable=no",
        ]
        let supervisor = try HostProcess(
            ["--plugin", try FixturePlugins.crashing(), "SegfaultConsumer"], environment: environment,
            workingDirectory: directory)
        let started = ContinuousClock.now
        let tally = DeliveryTally()
        var killed: [Int32] = []

        // kill -9 a random running worker at a few random points of progress.
        let killPoints = (0..<Self.kills).map { _ in Int.random(in: 1_000..<(expected.count - 2_000), using: &random) }
            .sorted()
        for point in killPoints {
            let reached = try await eventually(timeout: .seconds(400), interval: .milliseconds(50)) {
                tally.update([supervisor])
                return tally.distinct >= point
            }
            #expect(reached, "\(point) positions processed before a kill; log: \(notableLog(supervisor.stderr))")
            var running: [Int32] = []
            _ = try await eventually(timeout: .seconds(15), interval: .milliseconds(20)) {
                let workers = supervisor.supervisorStatus?.workers ?? []
                running = workers.filter { $0.state == .consuming }.compactMap(\.pid)
                return !running.isEmpty
            }
            try #require(!running.isEmpty, "a worker consuming; log: \(notableLog(supervisor.stderr))")
            let victim = running[Int.random(in: 0..<running.count, using: &random)]
            kill(victim, SIGKILL)
            killed.append(victim)
            // A worker chosen as it reached a crash position dies of its own signal first.
            try await supervisor.waitForStderr("the supervisor to see worker \(victim) killed") {
                $0.contains("(pid \(victim)) killed by")
            }
        }

        // Done once every position was processed or declared poison; a supervisor that makes no
        // progress for 60 s is stuck, and waiting longer would not help.
        var lastTotal = tally.total
        var lastProgress = ContinuousClock.now
        var declared: Set<ProcessedLine> = []
        let finished = try await eventually(timeout: .seconds(780), interval: .milliseconds(200)) {
            tally.update([supervisor])
            if tally.total != lastTotal { (lastTotal, lastProgress) = (tally.total, .now) }
            declared = poisonedPositions(in: supervisor.stderr)
            let done =
                poison.isSubset(of: declared) && expected.subtracting(declared).allSatisfy { tally.counts[$0] != nil }
            return done || ContinuousClock.now - lastProgress > .seconds(60)
        }
        #expect(finished, "gave up waiting")
        let processedAll = Double(ContinuousClock.now - started)
        #expect(poison.isSubset(of: declared), "every scripted position crashed and was declared poison")
        #expect(
            tally.counts.keys.filter(poison.contains).isEmpty, "a poison position is never processed to completion")

        // The dead-letter topic holds every declared position, with the error headers.
        let client = KafkaTestClient(brokers: cluster.bootstrapServers)
        // At least once: a worker that dies before committing past a dead-lettered position copies it
        // again, so the topic is read to its high watermark until it covers every declared position.
        var dead: [KafkaTestClient.ReadMessage] = []
        var deadPositions: [ProcessedLine: [String: String]] = [:]
        _ = try await eventually(timeout: .seconds(60), interval: .milliseconds(250)) {
            guard let end = try? await client.highWatermarks(topic: "events-dlq", partitions: 1)[0],
                let read = try? await client.read(topic: "events-dlq", partitions: 1, count: Int(end))
            else { return false }
            dead = read
            deadPositions = [:]
            for message in dead {
                guard let partition = message.headers["racecar-original-partition"].flatMap({ Int32($0) }),
                    let offset = message.headers["racecar-original-offset"].flatMap({ Int64($0) })
                else { continue }
                deadPositions[ProcessedLine(topic: "events", partition: partition, offset: offset)] = message.headers
            }
            return declared.isSubset(of: deadPositions.keys)
        }
        #expect(Set(deadPositions.keys) == declared, "every declared poison position, and only those, dead-lettered")
        for position in poison {
            let headers = deadPositions[position]
            #expect(headers?["racecar-original-topic"] == "events", "\(position)")
            // A kill -9 that reaches a worker while it is dying of the segfault names SIGKILL.
            #expect(
                ["crashed the consumer: SIGSEGV in process", "crashed the consumer: SIGKILL in process"].contains(
                    headers?["racecar-error"]), "\(position): \(headers ?? [:])")
            #expect(headers?["racecar-crashes"] == "1", "\(position)")
        }
        #expect(dead.allSatisfy { $0.headers["racecar-original-offset"] != nil }, "each copy names its position")
        for message in dead {
            guard let partition = message.headers["racecar-original-partition"],
                let offset = message.headers["racecar-original-offset"]
            else { continue }
            #expect(message.value == "value-\(partition)-\(offset)", "the dead-lettered copy is the original message")
        }
        // A kill -9 that lands while the plugin runs counts as a crash of the message in flight:
        // with max_crashes 1 that message is dead-lettered, named with SIGKILL, not lost.
        let innocent = declared.subtracting(poison)
        for position in innocent {
            #expect(
                deadPositions[position]?["racecar-error"] == "crashed the consumer: SIGKILL in process",
                "only a kill -9 in flight dead-letters a position that does not crash: \(position)")
        }
        #expect(innocent.count <= Self.kills)

        // Nothing lost: every position processed or dead-lettered.
        let lost = expected.filter { tally.counts[$0] == nil && deadPositions[$0] == nil }
        #expect(lost.isEmpty, "0 lost: \(tally.missingSummary(from: expected.subtracting(declared)))")
        #expect(tally.unexpected(given: expected).isEmpty, "only produced positions were processed")

        let group = RacecarConfig().effectiveGroupID(consumer: "SegfaultConsumer")
        let watermarks = try await client.highWatermarks(topic: "events", partitions: Self.partitions)
        #expect(watermarks.values.allSatisfy { $0 == Int64(Self.perPartition) })
        let committedAll = try await eventually(timeout: .seconds(30), interval: .milliseconds(250)) {
            (try? await client.committedOffsets(group: group, topic: "events", partitions: Self.partitions))
                == watermarks
        }
        #expect(committedAll, "committed offsets reach the high watermarks; log: \(notableLog(supervisor.stderr))")

        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
        tally.update([supervisor])
        let restarts = supervisor.stderr.split(separator: "\n").filter { $0.contains("; restarting it in ") }.count
        let killedWhileCrashing = poison.filter {
            deadPositions[$0]?["racecar-error"] == "crashed the consumer: SIGKILL in process"
        }.count
        print(
            "CrashSoakTests: \(expected.count) messages over \(Self.partitions) partitions, \(Self.workers) workers, "
                + "\(tally.total) processed, \(tally.duplicates) duplicates, \(poison.count) poison positions "
                + "(\(declared.count) dead-lettered, \(innocent.count) of them by a kill -9 in flight, \(dead.count) copies in the dead-letter topic), \(killed.count) "
                + "workers killed (\(killedWhileCrashing) while dying of a poison message), \(restarts) restarts; "
                + "everything processed in "
                + "\(String(format: "%.1f", processedAll)) s, \(ContinuousClock.now - started) in all")
    }
}

extension Double {
    /// A duration in seconds.
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = Double(seconds) + Double(attoseconds) / 1e18
    }
}
