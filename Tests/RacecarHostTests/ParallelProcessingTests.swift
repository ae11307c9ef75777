import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// `concurrency: N`: N instances in one process, each owning a disjoint set of partitions.
@Suite(.timeLimit(.minutes(3))) struct ParallelProcessingTests {
    let cluster: MockCluster
    let workingDirectory = TestPaths.temporaryDirectory()

    init() throws {
        cluster = try MockCluster()
    }

    func start(_ extra: [String: String], consumer: String = "ScriptedConsumer") throws -> HostProcess {
        let environment = [
            "RACECAR_BROKERS": cluster.bootstrapServers,
            "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
            "RACECAR_MAX_WAIT_TIME": "0.1",
            "RACECAR_SESSION_TIMEOUT": "6",
            "RACECAR_HEARTBEAT_INTERVAL": "1",
        ].merging(extra) { $1 }
        return try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), consumer], environment: environment,
            workingDirectory: workingDirectory)
    }

    /// The instance that printed each processed line, by partition.
    func instances(_ lines: [String]) -> [Int32: Set<String>] {
        var result: [Int32: Set<String>] = [:]
        for line in lines {
            guard let processed = ProcessedLine(line),
                let by = line.split(separator: " ").first(where: { $0.hasPrefix("by=") })
            else { continue }
            result[processed.partition, default: []].insert(String(by))
        }
        return result
    }

    @Test(arguments: ["ScriptedConsumer", "ScriptedBatchConsumer"])
    func everyMessageInPartitionOrderWithNoInstanceCalledConcurrently(consumer: String) async throws {
        try cluster.createTopic("events", partitions: 8)
        try await cluster.produceNumbered(topic: "events", partitions: 8, perPartition: 150)
        let host = try start(
            ["RACECAR_CONCURRENCY": "4", "SCRIPTED_SLEEP_MS": "1", "RACECAR_FETCH_MESSAGES": "20"], consumer: consumer)
        let lines = try await host.waitFor("1200 messages") { $0.filter { $0.hasPrefix("processed ") }.count >= 1200 }
        let offsets = ProcessedLine.offsetsByPartition(lines)
        for partition in 0..<Int32(8) {
            #expect(offsets[partition] == Array(0..<150), "partition \(partition) complete and in order")
        }
        #expect(!lines.contains { $0.hasPrefix("OVERLAP") }, "no instance was called from two threads at once")
        let owners = instances(lines)
        #expect(owners.values.allSatisfy { $0.count == 1 }, "each partition stays with one instance: \(owners)")
        #expect(Set(owners.values.flatMap { $0 }).count == 4, "all four instances got partitions: \(owners)")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: consumer == "ScriptedConsumer" ? "scripted-consumer" : "scripted-batch-consumer", topic: "events",
            partitions: 8
        )
        #expect(committed == Dictionary(uniqueKeysWithValues: (0..<Int32(8)).map { ($0, 150) }))
    }

    @Test func failureInOneInstanceRetriesWhileTheOthersFlow() async throws {
        try cluster.createTopic("events", partitions: 4)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 20)
        // A pause long enough for the other partitions' 20 messages even on a loaded machine.
        let host = try start(["RACECAR_CONCURRENCY": "2", "SCRIPTED_FAIL": "events/0@3", "RACECAR_PAUSE_TIMEOUT": "3"])
        let lines = try await host.waitFor("everything") { lines in
            (0..<4).allSatisfy { lines.has("processed events/\($0)@19 retries=0") }
        }
        let offsets = ProcessedLine.offsetsByPartition(lines)
        #expect(offsets[0] == Array(0..<20), "the failed message was retried, nothing skipped or repeated")
        let failedAt = try #require(lines.time(of: "failed events/0@3 retries=0"))
        let retriedAt = try #require(lines.time(of: "processed events/0@3 retries=1"))
        #expect(retriedAt - failedAt >= 2950)
        for partition in 1..<4 {
            let finished = try #require(lines.time(of: "processed events/\(partition)@19 retries=0"))
            #expect(finished < retriedAt, "partition \(partition) flowed during the pause")
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func slowMessageDoesNotTripMaxPollIntervalAndFullQueuesPause() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 400)
        let host = try start([
            "RACECAR_CONCURRENCY": "2", "RACECAR_FETCH_MESSAGES": "10", "RACECAR_LOG_LEVEL": "debug",
            "RACECAR_MAX_POLL_INTERVAL": "7", "RACECAR_SESSION_TIMEOUT": "6",
            // One message takes longer than max_poll_interval: with one polling thread it would be evicted.
            "SCRIPTED_SLOW": "events/0@5:8500",
        ])
        let lines = try await host.waitFor("both partitions", timeout: .seconds(90)) { lines in
            lines.has("processed events/0@399 retries=0") && lines.has("processed events/1@399 retries=0")
        }
        let offsets = ProcessedLine.offsetsByPartition(lines)
        #expect(offsets[0] == Array(0..<400))
        #expect(offsets[1] == Array(0..<400))
        #expect(!host.stderr.contains("assignment lost"), "the host kept polling, so it stayed in the group")
        #expect(
            host.stderr.contains("messages queued for instance"), "the slow partition's queue filled and it was paused")
        #expect(host.stderr.contains("caught up, resuming"))
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func secondHostJoiningMidStreamLosesNothing() async throws {
        try cluster.createTopic("events", partitions: 6)
        try await cluster.produceNumbered(topic: "events", partitions: 6, perPartition: 300)
        // About 6 s of work for the first host alone, so the second joins mid-stream.
        let environment = ["RACECAR_CONCURRENCY": "3", "SCRIPTED_SLEEP_MS": "10", "RACECAR_FETCH_MESSAGES": "20"]
        let first = try start(environment)
        try await first.waitFor("some progress") { $0.filter { $0.hasPrefix("processed ") }.count >= 200 }
        let second = try start(environment)
        // However long the join takes on a loaded machine, messages produced after it land on partitions the
        // second host owns, so it must process some of them.
        try await second.waitFor("the second host owns partitions") { _ in
            second.stderr.contains("partitions assigned: events/")
        }
        try await cluster.produceNumbered(topic: "events", partitions: 6, perPartition: 100, startingAt: 300)
        let expected = Set(
            (0..<6).flatMap { partition in (0..<400).map { ProcessedLine("events/\(partition)@\($0)")! } })
        try await second.waitFor("every message across both hosts", timeout: .seconds(120)) { secondLines in
            expected.isSubset(of: Set((first.lines + secondLines).compactMap(ProcessedLine.init)))
        }
        #expect(!(first.lines + second.lines).contains { $0.hasPrefix("OVERLAP") })
        #expect(second.lines.contains { $0.hasPrefix("processed ") }, "the second host took partitions over")
        for host in [first, second] {
            let offsets = ProcessedLine.offsetsByPartition(host.lines)
            for (partition, seen) in offsets {
                #expect(
                    seen == seen.sorted() || Set(seen).count < seen.count,
                    "partition \(partition) in order within a host")
            }
        }
        first.send(SIGTERM)
        second.send(SIGTERM)
        #expect(try await first.waitForExit() == 0)
        #expect(try await second.waitForExit() == 0)
    }
}
