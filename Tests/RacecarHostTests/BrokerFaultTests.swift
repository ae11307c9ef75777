import CRdKafka
import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// Faults injected into librdkafka's mock cluster while a real `racecar-host` consumes:
/// failing Fetch, OffsetCommit, JoinGroup, Heartbeat and Produce requests, and brokers going
/// down and coming back. The host must keep running, recover, lose nothing, commit what it
/// processed and still stop cleanly.
@Suite(.timeLimit(.minutes(3))) struct BrokerFaultTests {
    let workingDirectory = TestPaths.temporaryDirectory()
    static let group = "scripted-consumer"

    /// Waits until every position of `expected` was processed by one of `hosts`.
    func waitUntilProcessed(
        _ expected: Set<ProcessedLine>,
        by hosts: [HostProcess],
        tally: DeliveryTally,
        timeout: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let done = try await eventually(timeout: timeout, interval: .milliseconds(100)) {
            tally.update(hosts)
            return tally.covers(expected)
        }
        #expect(
            done,
            "every message processed: \(tally.missingSummary(from: expected)); log: \(notableLog(hosts.last?.stderr ?? ""))",
            sourceLocation: sourceLocation)
        if !done { throw TimedOut() }
    }

    /// Stops `host` with SIGTERM, expects a clean exit, and checks the group committed
    /// `perPartition` on each of `partitions` partitions of `events`.
    func stopAndCheckCommitted(
        _ host: HostProcess, cluster: MockCluster, partitions: Int, perPartition: Int, group: String = Self.group,
        tally: DeliveryTally? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(host.isRunning, "the host kept running through the faults", sourceLocation: sourceLocation)
        host.send(SIGTERM)
        #expect(
            try await host.waitForExit() == 0, "clean exit after the faults; log: \(notableLog(host.stderr))",
            sourceLocation: sourceLocation)
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: group, topic: "events", partitions: partitions)
        let everyPartitionAtEnd = Dictionary(
            uniqueKeysWithValues: (0..<Int32(partitions)).map { ($0, Int64(perPartition)) })
        #expect(committed == everyPartitionAtEnd, "everything processed is committed", sourceLocation: sourceLocation)
        if let tally {
            // At least once: a committed offset promises that everything before it was processed.
            tally.update([host])
            let promised = Set(
                committed.flatMap { partition, offset in
                    (0..<max(offset, 0)).map { ProcessedLine(topic: "events", partition: partition, offset: $0) }
                })
            let unprocessedBelowCommit = tally.missing(from: promised).count
            #expect(
                unprocessedBelowCommit == 0,
                "committed past unprocessed messages: \(tally.missingSummary(from: promised))",
                sourceLocation: sourceLocation)
        }
    }

    @Test func fetchErrorsDelayButLoseNothing() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 50)
        let host = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory)
        let tally = DeliveryTally()
        try await waitUntilProcessed(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 50), by: [host], tally: tally)

        // Every fetch for a while fails, with retriable errors; then new messages arrive.
        let errors = [
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        ]
        cluster.pushRequestErrors(.fetch, Array(repeating: errors, count: 6).flatMap { $0 })
        let producedAt = ContinuousClock.now
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 50, startingAt: 50)
        try await waitUntilProcessed(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 100), by: [host], tally: tally)
        let delay = ContinuousClock.now - producedAt
        print("BrokerFaultTests fetch errors held new messages back for \(delay)")
        #expect(
            delay > .seconds(1), "the 18 failed fetches held the new messages back (\(delay)): the faults were injected"
        )
        #expect(tally.duplicates == 0, "failed fetches repeat nothing")
        try await stopAndCheckCommitted(host, cluster: cluster, partitions: 4, perPartition: 100, tally: tally)
    }

    @Test func offsetCommitErrorsLoseNoCommit() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 50)
        let host = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory)
        let tally = DeliveryTally()
        try await waitUntilProcessed(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 50), by: [host], tally: tally)

        // The next commits fail; the messages processed meanwhile must still be committed.
        cluster.pushRequestErrors(
            .offsetCommit,
            [
                RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            ])
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 50, startingAt: 50)
        try await waitUntilProcessed(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 100), by: [host], tally: tally)
        let committedLater = try await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
            (try? await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
                group: Self.group, topic: "events", partitions: 4))
                == [0: 100, 1: 100, 2: 100, 3: 100]
        }
        #expect(
            committedLater,
            "a later periodic commit, not only the one at shutdown, stores the progress the failed commits missed")
        #expect(host.stderr.contains("offset commit failed"), "the injected errors reached the host's commits")
        try await stopAndCheckCommitted(host, cluster: cluster, partitions: 4, perPartition: 100)

        // A new host resumes exactly after the last processed message.
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 10, startingAt: 100)
        let restarted = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory)
        try await waitUntilProcessed(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 110), by: [host, restarted], tally: tally)
        #expect(tally.duplicates == 0, "nothing processed twice across the restart")
        try await stopAndCheckCommitted(restarted, cluster: cluster, partitions: 4, perPartition: 110)
    }

    @Test func groupRequestErrorsDelayJoiningAndRejoining() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 4, interval: .milliseconds(50))
        // The first joins fail with retriable coordinator errors.
        cluster.pushRequestErrors(
            .joinGroup, [RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS])
        let host = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory)
        try await host.waitFor("the first 100 messages", timeout: .seconds(40)) { $0.processedCount >= 100 }

        // Mid-stream, the coordinator announces a rebalance through a heartbeat, and the
        // rejoin fails a few times before it succeeds.
        cluster.pushRequestErrors(.joinGroup, [RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT])
        cluster.pushRequestErrors(.heartbeat, [RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS])
        try await host.waitFor("the rebalance the heartbeat error announced", timeout: .seconds(30)) { lines in
            lines.filter { $0.hasPrefix("assigned ") }.count >= 2
        }
        #expect(revokedPartitions(host.lines) == Set(0..<4), "the rebalance revoked the partitions")
        #expect(currentAssignment(host.lines) == Set(0..<4), "and assigned them back")

        // The stream goes on for a while after the rebalance; then the host catches up.
        let roundsAtAssignment = feeder.rounds
        #expect(try await eventually(timeout: .seconds(60)) { feeder.rounds >= roundsAtAssignment + 40 })
        let rounds = try await feeder.stop()
        let newest = Set(
            (0..<Int32(4)).map { ProcessedLine(topic: "events", partition: $0, offset: Int64(rounds - 1)) })
        try await host.waitFor("the newest message of each partition", timeout: .seconds(30)) { lines in
            newest.isSubset(of: lines.compactMap(ProcessedLine.init))
        }
        let tally = DeliveryTally()
        tally.update([host])
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: rounds)
        let skipped = tally.missing(from: expected).count
        #expect(skipped == 0, "nothing skipped around the rebalance: \(tally.missingSummary(from: expected))")
        // The group was stable when the rebalance began, so the commit on revocation succeeded.
        #expect(tally.duplicates == 0, "a rebalance of a stable group repeats nothing")
        try await stopAndCheckCommitted(host, cluster: cluster, partitions: 4, perPartition: rounds, tally: tally)
    }

    @Test func produceErrorsAreRetriedAndNothingIsMissingDownstream() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        try cluster.createTopic("events-out", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 25)
        // Only the host produces from here on: the errors are its.
        cluster.pushRequestErrors(
            .produce,
            [
                RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                // Not retriable: the delivery fails, so the host retries the message that produced it.
                RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
            ])
        let host = try startScriptedHost(
            "ScriptedProducingConsumer", cluster: cluster, workingDirectory: workingDirectory,
            ["RACECAR_PAUSE_TIMEOUT": "0.5"])
        let tally = DeliveryTally()
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: 25)
        try await waitUntilProcessed(expected, by: [host], tally: tally)
        let wanted = Set(expected.map { "\($0.partition)@\($0.offset)" })
        let outputs = try await readKeys(
            brokers: cluster.bootstrapServers, topic: "events-out", partitions: 2, timeout: .seconds(30)
        ) { keys in
            wanted.isSubset(of: keys)
        }
        let missing = wanted.subtracting(outputs)
        let missingOutputs = missing.count
        #expect(
            missingOutputs == 0,
            "every input produced its output at least once; missing e.g. \(missing.sorted().prefix(5))")
        #expect(
            host.lines.contains { $0.hasPrefix("on_error ") && $0.contains("too large") },
            "the permanent produce error failed a message, which was retried: \(host.lines.filter { $0.hasPrefix("on_error") })"
        )
        print("BrokerFaultTests produce errors: \(expected.count) inputs, \(tally.duplicates) processed twice")
        try await stopAndCheckCommitted(
            host, cluster: cluster, partitions: 4, perPartition: 25, group: "scripted-producing-consumer")
    }

    /// A fatal librdkafka error (here: a static member fenced by the coordinator) ends the host
    /// with the error named and a non-zero exit, after the graceful part of the shutdown; a
    /// restarted host picks up from the last commit, so nothing is lost.
    @Test func fatalKafkaErrorExitsNonZeroAndARestartLosesNothing() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 30)
        let fenced = try startScriptedHost(
            cluster: cluster, workingDirectory: workingDirectory,
            // 18 s of work in all, so that the fence (a heartbeat away) lands mid-topic on a loaded machine.
            ["SCRIPTED_SLEEP_MS": "300", "RACECAR_CONSUMER": "group.instance.id=racecar-static-1"])
        try await fenced.waitFor("some progress") { $0.processedCount >= 5 }
        cluster.pushRequestErrors(.heartbeat, [RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID])
        let status = try await fenced.waitForExit()
        #expect(status == 1, "a fatal Kafka error exits non-zero; log: \(notableLog(fenced.stderr))")
        #expect(
            fenced.stderr.contains("fatal Kafka error: Fatal consumer error: Broker: Static consumer fenced"),
            "the error is named: \(notableLog(fenced.stderr))")
        #expect(fenced.lines.processedCount < 60, "stopped before the end of the topic")

        // Whatever the fenced host did not commit, the next host processes.
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: Self.group, topic: "events", partitions: 2)
        let uncommitted = ProcessedLine.all(topic: "events", partitions: 2, perPartition: 30).filter {
            $0.offset >= max(committed[$0.partition] ?? 0, 0)
        }
        let restarted = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory)
        try await waitUntilProcessed(uncommitted, by: [restarted], tally: DeliveryTally())
        try await stopAndCheckCommitted(restarted, cluster: cluster, partitions: 2, perPartition: 30)
    }

    /// The only broker goes away mid-stream, for less than session_timeout (6 s) or for longer,
    /// when the group forgets the member, which must rejoin and resume from the last commit.
    @Test(arguments: [3, 9])
    func singleBrokerDownAndUpAgain(outageSeconds: Int) async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        // Messages keep coming; during the outage they wait in the producer.
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 4, interval: .milliseconds(50))
        let host = try startScriptedHost(
            cluster: cluster, workingDirectory: workingDirectory, ["SCRIPTED_SLEEP_MS": "2"])
        try await host.waitFor("some progress") { $0.processedCount >= 100 }

        cluster.setBrokerDown()
        try await Task.sleep(for: .seconds(outageSeconds))
        #expect(host.isRunning, "the host waits the outage out")
        cluster.setBrokerUp()

        let roundsAtRecovery = feeder.rounds
        #expect(
            try await eventually(timeout: .seconds(60)) { feeder.rounds >= roundsAtRecovery + 40 }, "the stream resumed"
        )
        let rounds = try await feeder.stop()
        let newest = Set(
            (0..<Int32(4)).map { ProcessedLine(topic: "events", partition: $0, offset: Int64(rounds - 1)) })
        try await host.waitFor("the newest message of each partition", timeout: .seconds(45)) { lines in
            newest.isSubset(of: lines.compactMap(ProcessedLine.init))
        }
        let tally = DeliveryTally()
        tally.update([host])
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: rounds)
        let skipped = tally.missing(from: expected).count
        #expect(
            skipped == 0,
            "nothing skipped around the outage: \(tally.missingSummary(from: expected)); log: \(notableLog(host.stderr))"
        )
        print(
            "BrokerFaultTests broker down \(outageSeconds) s: \(expected.count) messages, \(tally.duplicates) duplicates"
        )
        try await stopAndCheckCommitted(host, cluster: cluster, partitions: 4, perPartition: rounds, tally: tally)
    }

    @Test func partitionLeaderDownWhileOtherPartitionsKeepFlowing() async throws {
        let cluster = try MockCluster(brokers: 3)
        try cluster.createTopic("events", partitions: 4)
        for partition in Int32(0)..<4 {
            cluster.setLeader(topic: "events", partition: partition, broker: partition < 2 ? 1 : 2)
        }
        cluster.setGroupCoordinator(Self.group, broker: 3)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 50)
        let host = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory)
        let tally = DeliveryTally()
        try await waitUntilProcessed(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 50), by: [host], tally: tally)

        // Broker 1, leader of partitions 0 and 1, goes down; partitions 2 and 3 keep flowing.
        cluster.setBrokerDown(1)
        for partition in 2..<4 {
            try await cluster.produceOffPool(
                topic: "events",
                messages: (50..<100).map {
                    (key: "key-\($0)", value: "value-\(partition)-\($0)", partition: Int32(partition))
                })
        }
        let flowing = ProcessedLine.all(topic: "events", partitions: 4, perPartition: 100).filter { $0.partition >= 2 }
        try await waitUntilProcessed(flowing, by: [host], tally: tally, timeout: .seconds(30))

        cluster.setBrokerUp(1)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 50, startingAt: 100)
        // Partitions 2 and 3 got 50 more above; bring them level with 0 and 1 for the check.
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: 150).filter {
            $0.partition >= 2 || $0.offset < 100
        }
        try await waitUntilProcessed(expected, by: [host], tally: tally)
        #expect(tally.duplicates == 0, "a leader outage repeats nothing")
        #expect(host.isRunning)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: Self.group, topic: "events", partitions: 4)
        #expect(committed == [0: 100, 1: 100, 2: 150, 3: 150])
    }
}
