import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// Two real `racecar-host` processes in one consumer group on a live stream: a second host
/// joins mid-stream, then the first is stopped mid-stream, gracefully or with kill -9.
///
/// The group's coordinator is a broker of its own behind a slow link (see
/// ``slowCoordinatorCluster()``), so that the mock's SyncGroup handling does not turn a
/// cooperative handover into a failed commit. Two behaviours of the environment shape what can
/// be asserted:
///
/// - librdkafka's mock coordinator refuses OffsetCommit with REBALANCE_IN_PROGRESS while a
///   rebalance is joining (a real broker accepts commits of the current generation then).
///   An eager member is revoked exactly then, so its commit on revocation fails on the mock
///   and whatever it processed since its last periodic commit is processed again by the
///   partitions' next owner. Duplicates at an eager join are printed, not asserted zero.
/// - librdkafka 2.0.2 treats ILLEGAL_GENERATION on an OffsetCommit sent while the consumer
///   waits to rejoin as a lost assignment (confluentinc/librdkafka#4059, fixed upstream in
///   #4908). With cooperative-sticky and a commit every second, every rebalance then revokes
///   everything. Those expectations are marked as a known issue; the scenario with commits
///   only on revocation and shutdown shows the host's incremental handover itself is clean.
@Suite(.timeLimit(.minutes(3))) struct GroupRebalanceTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var cooperative: Bool
        var stop: Int32
        /// offset_commit_interval, seconds.
        var commitInterval: Int

        var testDescription: String {
            "\(cooperative ? "cooperative-sticky" : "eager"), \(stop == SIGTERM ? "SIGTERM" : "kill -9"), commits every \(commitInterval) s"
        }

        static let all = [
            Scenario(cooperative: false, stop: SIGTERM, commitInterval: 1),
            Scenario(cooperative: false, stop: SIGKILL, commitInterval: 1),
            Scenario(cooperative: true, stop: SIGTERM, commitInterval: 1),
            Scenario(cooperative: true, stop: SIGKILL, commitInterval: 1),
            Scenario(cooperative: true, stop: SIGTERM, commitInterval: 60),
        ]

        var environment: [String: String] {
            var environment = [
                // About 160 messages a second arrive on 8 partitions; a host handles about 300 a
                // second (3 ms per message), so the hosts work through a backlog after each rebalance.
                "SCRIPTED_SLEEP_MS": "3",
                // Small chunks keep each host polling (and so answering rebalances) every 150 ms.
                "RACECAR_FETCH_MESSAGES": "50",
                "RACECAR_OFFSET_COMMIT_INTERVAL": String(commitInterval),
            ]
            if cooperative { environment["RACECAR_PARTITION_ASSIGNMENT_STRATEGY"] = "cooperative-sticky" }
            return environment
        }

        /// Whether librdkafka#4059 can strike: periodic commits while a cooperative rebalance runs,
        /// on a librdkafka that has the bug.
        var hitsLostAssignmentBug: Bool {
            GroupRebalanceTests.loadedHasLostAssignmentBug && cooperative && commitInterval < 5
        }
    }

    static let partitions = 8
    let workingDirectory = TestPaths.temporaryDirectory()

    @Test(arguments: Scenario.all)
    func secondHostJoinsThenFirstStopsAndNothingIsLost(_ scenario: Scenario) async throws {
        let cluster = try Self.slowCoordinatorCluster()
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: Self.partitions, interval: .milliseconds(50))
        let everyPartition = Set(0..<Int32(Self.partitions))

        let first = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory, scenario.environment)
        try await first.waitFor("the first host to process 200 messages") { $0.processedCount >= 200 }
        #expect(currentAssignment(first.lines) == everyPartition, "alone, the first host owns every partition")

        // A second host joins mid-stream and takes some partitions over.
        let second = try startScriptedHost(cluster: cluster, workingDirectory: workingDirectory, scenario.environment)
        // Waits for a settled split rather than taking one snapshot: on a loaded machine a host
        // can be expelled and rejoin, and a snapshot could land in the middle of that.
        try await second.waitFor("both hosts to own partitions, split between them") { secondLines in
            let firstOwned = currentAssignment(first.lines)
            let secondOwned = currentAssignment(secondLines)
            return secondLines.processedCount >= 100 && !firstOwned.isEmpty && !secondOwned.isEmpty
                && firstOwned.isDisjoint(with: secondOwned) && firstOwned.union(secondOwned) == everyPartition
        }

        let firstAtStop = first.lines
        let secondAtStop = second.lines
        let firstOwned = currentAssignment(firstAtStop)
        let secondOwned = currentAssignment(secondAtStop)
        let revokedAtJoin = revokedPartitions(firstAtStop)
        if !scenario.cooperative {
            #expect(revokedAtJoin == everyPartition, "an eager rebalance revokes every partition")
        }
        let tally = DeliveryTally()
        tally.update([first, second])
        let duplicatesAtJoin = tally.duplicates
        let lostAtJoin = Self.lostAssignment(first)
        withKnownIssue(Self.lostAssignmentIssue, isIntermittent: true) {
            if scenario.cooperative {
                #expect(
                    revokedAtJoin == secondOwned,
                    "the first host is revoked only the partitions that move (revoked \(revokedAtJoin.sorted()), moved \(secondOwned.sorted()))"
                )
                #expect(
                    duplicatesAtJoin == 0,
                    "an incremental handover commits the moved partitions first: nothing processed twice; first host's log: \(notableLog(first.stderr))"
                )
            }
        } when: {
            Self.loadedHasLostAssignmentBug && (scenario.hitsLostAssignmentBug || lostAtJoin)
        }

        // The first host stops mid-stream; the second takes everything over.
        first.send(scenario.stop)
        #expect(try await first.waitForExit() == (scenario.stop == SIGTERM ? 0 : 128 + SIGKILL))
        try await second.waitFor("the second host to own every partition", timeout: .seconds(60)) {
            currentAssignment($0) == everyPartition
        }
        // Keep the stream running a little longer, then let the second host drain it.
        let roundsAtTakeover = feeder.rounds
        #expect(try await eventually(timeout: .seconds(60)) { feeder.rounds >= roundsAtTakeover + 20 })
        let rounds = try await feeder.stop()
        let expected = ProcessedLine.all(topic: "events", partitions: Self.partitions, perPartition: rounds)
        let drained = try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
            tally.update([first, second])
            return tally.covers(expected)
        }
        #expect(
            drained,
            "every message processed at least once: \(tally.missingSummary(from: expected)); second host's log: \(notableLog(second.stderr))"
        )
        let secondRevoked = revokedPartitions(second.lines)
        second.send(SIGTERM)
        #expect(try await second.waitForExit() == 0)
        tally.update([first, second])
        let phantoms = tally.unexpected(given: expected)
        #expect(phantoms.isEmpty, "only produced positions were processed")

        // What the first host finished in its final assignment, the second must not repeat
        // after a graceful stop: the stop committed it before leaving the group.
        let handedOver = finalAssignmentWork(of: first.lines, owned: firstOwned)
        let repeatedAfterStop = Set(second.lines[secondAtStop.count...].compactMap(ProcessedLine.init)).intersection(
            handedOver)
        print(
            "GroupRebalanceTests [\(scenario.testDescription)]: \(expected.count) messages, \(tally.total) processed, "
                + "\(tally.duplicates) duplicates (\(duplicatesAtJoin) at the join, \(repeatedAfterStop.count) of the stopped host's final work)"
        )
        if scenario.stop == SIGTERM {
            #expect(
                repeatedAfterStop.isEmpty,
                "a graceful stop hands over without repeats; repeated \(repeatedAfterStop.count), e.g. \(repeatedAfterStop.prefix(3).map { "\($0.partition)@\($0.offset)" }); first host's log: \(notableLog(first.stderr))"
            )
        }
        withKnownIssue(Self.lostAssignmentIssue, isIntermittent: true) {
            if scenario.cooperative {
                #expect(
                    secondRevoked.isEmpty,
                    "cooperative-sticky: the second host keeps its partitions when the first leaves")
            }
            if scenario.cooperative, scenario.stop == SIGTERM {
                #expect(
                    tally.duplicates == 0,
                    "incremental, graceful handovers process nothing twice; logs: \(notableLog(first.stderr)) / \(notableLog(second.stderr))"
                )
            }
        } when: {
            Self.loadedHasLostAssignmentBug
                && (scenario.hitsLostAssignmentBug || Self.lostAssignment(first) || Self.lostAssignment(second))
        }
    }

    /// librdkafka 2.0.2 has #4059 (fixed upstream in #4908); 2.16.1, the newer release the suite
    /// also runs on, does not, so there the cooperative-sticky promises are asserted plainly.
    static let loadedHasLostAssignmentBug = LibrdkafkaVersion.loaded < LibrdkafkaVersion(2, 16, 0)

    static let lostAssignmentIssue: Comment = """
        A member lost its assignment, so that handover was not graceful: librdkafka 2.0.2 treats \
        ILLEGAL_GENERATION on a commit (or heartbeat) during a cooperative rebalance as a lost \
        assignment (confluentinc/librdkafka#4059), and the mock coordinator expels a member that \
        rejoins late
        """

    /// Whether librdkafka dropped the host's assignment (#4059 on 2.0.2): the handover then
    /// repeats uncommitted work.
    static func lostAssignment(_ host: HostProcess) -> Bool {
        host.stderr.contains("assignment lost")
    }

    /// The consumer group of ScriptedConsumer.
    static let group = "scripted-consumer"

    /// A mock cluster of two brokers for the `events` topic: broker 1 leads every partition and
    /// answers at once, broker 2 coordinates the group and answers after 250 ms.
    ///
    /// librdkafka's mock coordinator completes a SyncGroup round as soon as the leader's
    /// SyncGroup (which carries every member's assignment) arrives, and refuses a follower's
    /// SyncGroup that arrives after it with INVALID_REQUEST, where Kafka answers it with the
    /// follower's assignment (src/rdkafka_mock_cgrp.c: `rd_kafka_mock_cgrp_sync_check`, and
    /// `rd_kafka_mock_cgrp_check_state`, which takes SyncGroup only while syncing; named
    /// `rd_kafka_mock_cgrp_classic_*` in 2.16). The follower rejoins at once, the mock goes
    /// back to joining, and the leader's commit on revocation, sent from the rebalance callback
    /// a few milliseconds later, is refused with REBALANCE_IN_PROGRESS: the partitions' new
    /// owner repeats what the leader processed during the join. Both members get their
    /// JoinGroup responses together, and the leader then asks the coordinator for metadata
    /// before it assigns, so a slow link to the coordinator puts a round trip between the
    /// follower's SyncGroup and the leader's: the follower wins by 250 ms rather than by the
    /// millisecond or so it wins by (usually) on a fast link. Fetches and produce requests go
    /// to broker 1 and run at full speed.
    static func slowCoordinatorCluster() throws -> MockCluster {
        let cluster = try MockCluster(brokers: 2)
        try cluster.createTopic("events", partitions: partitions)
        for partition in 0..<Int32(partitions) {
            cluster.setLeader(topic: "events", partition: partition, broker: 1)
        }
        cluster.setGroupCoordinator(group, broker: 2)
        try cluster.setRoundTripTime(.milliseconds(250), broker: 2)
        return cluster
    }

    /// The positions the first host processed on `owned` partitions since it was last assigned them.
    private func finalAssignmentWork(of lines: [String], owned: Set<Int32>) -> Set<ProcessedLine> {
        var work: Set<ProcessedLine> = []
        for line in lines {
            if line.hasPrefix("assigned ") {
                let assigned = partitionsListed(on: line)
                work = work.filter { !assigned.contains($0.partition) }
            } else if let position = ProcessedLine(line), line.hasPrefix("processed "),
                owned.contains(position.partition)
            {
                work.insert(position)
            }
        }
        return work
    }
}
