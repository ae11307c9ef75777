import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// A long run with everything going wrong at once: the plugin fails at random positions, the
/// broker goes down and comes back, and the host is killed (kill -9) or stopped (SIGTERM) and
/// restarted mid-stream. At the end every offset of every partition was processed at least
/// once and the group's commits promise nothing that was not processed.
@Suite(.timeLimit(.minutes(6))) struct SoakTests {
    static let partitions = 8
    static let perPartition = 2_500
    static let seed: UInt64 = 0x5EED_2026

    enum Disruption: String, CustomStringConvertible {
        case kill = "kill -9 and restart"
        case stop = "SIGTERM and restart"
        case brokerBounce = "broker down and up"

        var description: String { rawValue }
    }

    @Test func everyOffsetSurvivesFailuresOutagesAndRestarts() async throws {
        var random = ReplayableRandom(seed: Self.seed)
        let workingDirectory = TestPaths.temporaryDirectory()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: Self.partitions)
        // 20,000 small messages: a few hundred kilobytes per partition, far below the mock's 5 MiB.
        try await cluster.produceNumbered(topic: "events", partitions: Self.partitions, perPartition: Self.perPartition)
        let expected = ProcessedLine.all(topic: "events", partitions: Self.partitions, perPartition: Self.perPartition)

        var failing: Set<ProcessedLine> = []
        while failing.count < 60 {
            failing.insert(
                ProcessedLine(
                    topic: "events", partition: Int32.random(in: 0..<Int32(Self.partitions), using: &random),
                    offset: Int64.random(in: 0..<Int64(Self.perPartition), using: &random)))
        }
        let environment = [
            "SCRIPTED_FAIL": failing.map { "events/\($0.partition)@\($0.offset)" }.sorted().joined(separator: ","),
            "SCRIPTED_SLEEP_MS": "1",
            "RACECAR_PAUSE_TIMEOUT": "0.2",
        ]
        // Kills and stops alternate; broker outages come in between, in a seeded order.
        var disruptions: [Disruption] = [.kill, .stop, .kill, .stop, .kill, .stop]
        for _ in 0..<3 { disruptions.insert(.brokerBounce, at: Int.random(in: 0...disruptions.count, using: &random)) }

        var hosts = [try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory, environment)]
        let tally = DeliveryTally()
        let started = ContinuousClock.now
        var log: [String] = []
        for disruption in disruptions {
            // Let the current host make some progress first, so every disruption is mid-stream.
            let before = tally.distinct
            let progress = Int.random(in: 1_000...2_000, using: &random)
            let progressed = try await eventually(timeout: .seconds(60), interval: .milliseconds(100)) {
                tally.update(hosts)
                return tally.distinct >= min(before + progress, expected.count)
            }
            #expect(
                progressed, "the host made progress after the last disruption; log: \(notableLog(hosts.last!.stderr))")
            if tally.distinct == expected.count { break }
            let current = hosts.last!
            switch disruption {
            case .kill:
                current.send(SIGKILL)
                #expect(try await current.waitForExit() == 128 + SIGKILL)
                hosts.append(try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory, environment))
            case .stop:
                current.send(SIGTERM)
                #expect(
                    try await current.waitForExit() == 0,
                    "a stop mid-stream is clean; log: \(notableLog(current.stderr))")
                hosts.append(try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory, environment))
            case .brokerBounce:
                cluster.setBrokerDown()
                try await Task.sleep(for: .milliseconds(Int.random(in: 500...2_500, using: &random)))
                #expect(current.isRunning, "the host rides out the outage")
                cluster.setBrokerUp()
            }
            log.append(
                "\(disruption) at \(tally.distinct) done, \((ContinuousClock.now - started).components.seconds) s")
        }

        // Within a partition a correct host processes in offset order (a failed message is
        // retried before the next), so once the newest offset of each partition is done,
        // everything should be; a gap found then is a skipped message, not slowness.
        let newest = Set(
            (0..<Int32(Self.partitions)).map {
                ProcessedLine(topic: "events", partition: $0, offset: Int64(Self.perPartition - 1))
            })
        // A host that processes nothing for 30 s while messages wait is stuck: stop waiting then.
        var lastTotal = tally.total
        var lastProgress = ContinuousClock.now
        _ = try await eventually(timeout: .seconds(90), interval: .milliseconds(200)) {
            tally.update(hosts)
            if tally.total != lastTotal { (lastTotal, lastProgress) = (tally.total, .now) }
            return newest.allSatisfy { tally.counts[$0] != nil } || ContinuousClock.now - lastProgress > .seconds(30)
        }
        let caughtUp = newest.allSatisfy { tally.counts[$0] != nil }
        let last = hosts.last!
        #expect(caughtUp, "the newest message of every partition processed; log: \(notableLog(last.stderr))")
        // After a late outage the last host may still be re-processing from older commits; its
        // periodic commits reach the end once it is done.
        let client = KafkaTestClient(brokers: cluster.bootstrapServers)
        let everyPartitionAtEnd = Dictionary(
            uniqueKeysWithValues: (0..<Int32(Self.partitions)).map { ($0, Int64(Self.perPartition)) })
        if caughtUp {
            let committedAll = try await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
                (try? await client.committedOffsets(
                    group: "scripted-consumer", topic: "events", partitions: Self.partitions))
                    == everyPartitionAtEnd
            }
            #expect(committedAll, "the running host commits everything; log: \(notableLog(last.stderr))")
        }
        last.send(SIGTERM)
        #expect(try await last.waitForExit() == 0)
        tally.update(hosts)

        // Nothing skipped: every offset 0..<n of every partition, and nothing else.
        let skipped = tally.missing(from: expected).count
        #expect(skipped == 0, "every offset processed at least once: \(tally.missingSummary(from: expected))")
        let phantoms = tally.unexpected(given: expected)
        #expect(phantoms.isEmpty, "only produced positions were processed")
        let committed = try await client.committedOffsets(
            group: "scripted-consumer", topic: "events", partitions: Self.partitions)
        #expect(
            committed.values.allSatisfy { $0 == Int64(Self.perPartition) },
            "the last stop committed everything: \(committed.sorted { $0.key < $1.key })")
        // Every scripted failure happened and was retried past.
        let failedLines = Set(
            hosts.flatMap {
                $0.lines.filter { $0.hasPrefix("failed ") }.compactMap {
                    ProcessedLine(String($0.dropFirst("failed ".count)))
                }
            })
        let neverFailed = failing.subtracting(failedLines).count
        #expect(neverFailed == 0 || skipped > 0, "every scripted failure happened at least once")

        print(
            "SoakTests: \(expected.count) messages, \(tally.total) processed, \(tally.duplicates) duplicates, "
                + "\(failedLines.count) positions failed, \(hosts.count) hosts, \(ContinuousClock.now - started); \(log.joined(separator: "; "))"
        )
    }
}
