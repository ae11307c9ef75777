import Foundation
import RacecarKafka
import RacecarSupervision
import Testing

/// `group_instance_id` under a supervisor: two workers over four partitions, one killed
/// (kill -9) while messages flow; measured from the kill to the next message of the killed
/// worker's partitions, with and without static membership, and what the surviving worker saw.
///
/// A measurement, not a check of "no rebalance": librdkafka's mock cluster does not implement
/// static membership. Its JoinGroup handling (`rd_kafka_mock_cgrp_classic_member_add` in
/// src/rdkafka_mock_cgrp.c) looks members up by member id only and stores the group.instance.id
/// without using it (older versions' `rd_kafka_mock_cgrp_member_add` is not even given it), so a
/// restarted static member (which joins with an empty member id) is a new member: "member join"
/// starts a rebalance of everyone, and the dead member with the same instance id stays until its
/// session times out. On a real broker the instance id maps to the old member: no rebalance.
@Suite(.timeLimit(.minutes(4))) struct StaticMembershipTests {
    /// What one kill cost.
    struct Recovery: CustomStringConvertible {
        var groupInstanceID: String?
        /// From the kill to the first message of the killed worker's partitions processed after it.
        var resumed: Duration
        /// From the kill to the restarted worker's first assignment.
        var reassigned: Duration?
        /// The surviving worker's `partitions revoked` / `partitions assigned` lines after the kill.
        var survivorRebalanceLines: [String]
        /// The longest pause, from the kill to the end of the observation, in the partitions the
        /// surviving worker had before the kill (whoever processes them afterwards).
        var survivorLongestPause: Duration

        var description: String {
            let mode = groupInstanceID.map { "group_instance_id \($0)" } ?? "dynamic members"
            let assigned = reassigned.map { "\($0)" } ?? "never"
            return "\(mode): resumed after \(resumed), restarted worker assigned after \(assigned), survivor saw "
                + "\(survivorRebalanceLines.count) rebalance lines, its longest pause \(survivorLongestPause)"
        }
    }

    /// The monotonic clock in milliseconds, as the scripted consumers print it (`at=`).
    static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000
    }

    /// The `(partition, at)` of each `processed ...` line.
    static func processedTimes(_ lines: [String]) -> [(partition: Int32, at: Int)] {
        lines.compactMap { line in
            guard line.hasPrefix("processed "), let position = ProcessedLine(line),
                let at = line.range(of: " at=").flatMap({ Int(line[$0.upperBound...]) })
            else { return nil }
            return (position.partition, at)
        }
    }

    func measureKill(groupInstanceID: String?) async throws -> Recovery {
        let directory = TestPaths.temporaryDirectory()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 4, interval: .milliseconds(20))
        var extra = ["RACECAR_PARALLEL_WORKERS": "2"]
        if let groupInstanceID { extra["RACECAR_GROUP_INSTANCE_ID"] = groupInstanceID }
        let supervisor = try startScriptedHost(cluster: cluster, workingDirectory: directory, extra)

        let pids = try await supervisor.waitForEveryWorkerConsuming()
        try await supervisor.waitForStderr("each worker owning two partitions") { log in
            let owned = WorkerAssignments(log: log)
            return pids.allSatisfy { owned.byPID[$0]?.count == 2 }
        }
        // The group is settled once both workers process their partitions.
        try await supervisor.waitFor("messages of every partition") { lines in
            Set(Self.processedTimes(lines.suffix(200)).map(\.partition)) == Set(0..<4)
        }
        let (survivor, victim) = (pids[0], pids[1])
        let owned = WorkerAssignments(log: supervisor.stderr).byPID
        let victimPartitions = owned[victim] ?? []
        let survivorPartitions = owned[survivor] ?? []
        let logBefore = supervisor.stderr.count
        let linesBefore = supervisor.lines.count

        let killedAt = Self.monotonicMilliseconds()
        let killed = ContinuousClock.now
        kill(victim, SIGKILL)
        var reassigned: Duration?
        var resumedAt: Int?
        _ = try await eventually(timeout: .seconds(60), interval: .milliseconds(10)) {
            if reassigned == nil {
                let assignments = WorkerAssignments(log: supervisor.stderr)
                if let restarted = assignments.latestPID[1], restarted != victim,
                    !(assignments.byPID[restarted] ?? []).isEmpty
                {
                    reassigned = ContinuousClock.now - killed
                }
            }
            let after = Self.processedTimes(Array(supervisor.lines.dropFirst(linesBefore)))
            resumedAt = after.first { victimPartitions.contains($0.partition) && $0.at > killedAt }?.at
            return resumedAt != nil && reassigned != nil
        }
        let resumed = try #require(resumedAt, "the killed worker's partitions resume")

        // Let the survivor run a while after the restart, then look at what it saw.
        try await supervisor.waitFor("two seconds of messages after the resume") { lines in
            Self.processedTimes(lines.suffix(50)).contains { $0.at > resumed + 2_000 }
        }
        let logAfter = String(supervisor.stderr.dropFirst(logBefore))
        let rebalanceLines = logAfter.split(separator: "\n").filter { line in
            line.contains(" pid=\(survivor)")
                && (line.contains(": partitions revoked: ") || line.contains(": partitions assigned: "))
        }.map(String.init)
        let survivorTimes = Self.processedTimes(Array(supervisor.lines.dropFirst(linesBefore))).filter {
            survivorPartitions.contains($0.partition)
        }.map(\.at)
        // Gaps between the messages of the survivor's partitions, from the kill to now.
        var longest = 0
        var previous = killedAt
        for at in survivorTimes.sorted() + [Self.monotonicMilliseconds()] {
            longest = max(longest, at - previous)
            previous = at
        }
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
        _ = try await feeder.stop()
        return Recovery(
            groupInstanceID: groupInstanceID, resumed: .milliseconds(resumed - killedAt), reassigned: reassigned,
            survivorRebalanceLines: rebalanceLines, survivorLongestPause: .milliseconds(longest))
    }

    @Test func crashToResumeWithAndWithoutStaticMembership() async throws {
        let dynamic = try await measureKill(groupInstanceID: nil)
        let stable = try await measureKill(groupInstanceID: "scripted")
        print("StaticMembershipTests: \(dynamic); \(stable)")
        print("  dynamic survivor: \(dynamic.survivorRebalanceLines.joined(separator: " | "))")
        print("  static survivor: \(stable.survivorRebalanceLines.joined(separator: " | "))")
    }
}
