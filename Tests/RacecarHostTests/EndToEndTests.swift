import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// The real `racecar-host` binary and real plugins against librdkafka's mock cluster.
@Suite(.timeLimit(.minutes(5))) struct EndToEndTests {
    let cluster: MockCluster
    let workingDirectory = TestPaths.temporaryDirectory()

    init() throws {
        cluster = try MockCluster()
    }

    /// Settings that keep the tests quick: frequent commits, short sessions.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        [
            "RACECAR_BROKERS": cluster.bootstrapServers,
            "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
            "RACECAR_SESSION_TIMEOUT": "6",
            "RACECAR_HEARTBEAT_INTERVAL": "1",
            "RACECAR_MAX_WAIT_TIME": "0.1",
            "RACECAR_SOCKET_TIMEOUT": "10",
        ].merging(extra) { $1 }
    }

    func start(_ plugin: String, _ consumer: String, _ extra: [String: String] = [:]) throws -> HostProcess {
        try HostProcess(
            ["--plugin", plugin, consumer], environment: environment(extra), workingDirectory: workingDirectory)
    }

    func expectAllProcessedInOrder(
        _ lines: [String], partitions: Int, perPartition: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let offsets = ProcessedLine.offsetsByPartition(lines)
        for partition in 0..<Int32(partitions) {
            #expect(
                offsets[partition] == Array(0..<Int64(perPartition)), "partition \(partition)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func echoProcessesEveryMessageInPartitionOrderAndStopsCleanly() async throws {
        try cluster.createTopic("events", partitions: 3)
        try await cluster.produceNumbered(topic: "events", partitions: 3, perPartition: 50)
        let host = try start(TestPaths.plugin("EchoConsumer"), "EchoConsumer")
        let lines = try await host.waitFor("150 messages") { $0.count >= 150 }
        expectAllProcessedInOrder(lines, partitions: 3, perPartition: 50)
        #expect(lines.contains("events/1@7 key-7 value-1-7"))
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func cPluginProcessesMessagesLikeTheSwiftOnes() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 20)
        let host = try start(TestPaths.plugin("CountingCConsumer"), "CountingCConsumer")
        let lines = try await host.waitFor("40 messages") { $0.count >= 40 }
        expectAllProcessedInOrder(lines, partitions: 2, perPartition: 20)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(host.stderr.contains("CountingCConsumer processed 40 messages"))
    }

    @Test func swiftPluginProducesBytesThatAreNotText() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-bytes", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let host = try start(TestPaths.plugin("ScriptedTestConsumers"), "BytesProducingConsumer")
        let produced = try await KafkaTestClient(brokers: cluster.bootstrapServers).read(
            topic: "events-bytes", partitions: 1, count: 3)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(produced.map(\.valueBytes) == (0..<3).map { [0x00] + Array("value-0-\($0)".utf8) + [0xFF] })
        #expect(produced.map(\.keyBytes) == (0..<3).map { [0xDE, UInt8($0)] })
        for message in produced {
            #expect(message.headerBytes == ["binary": [0x00, 0x01, 0xFE], "empty": []])
        }
    }

    /// How a plugin gets headers: on demand through the host API (the Swift SDK, one message at
    /// a time and in batches, and a C plugin that sets RACECAR_HEADERS_ON_DEMAND), or in every
    /// message (C plugins built against ABI 1.0 or an older header, whose smaller descriptors
    /// have no flags: the garbage flags past their size must be ignored; and a C plugin built
    /// against ABI 1.1, whose descriptor ends before the declared settings).
    enum HeaderReader: String, CaseIterable {
        case swiftOnDemand, swiftBatchOnDemand, cOnDemand, cBuiltForABI10, cBuiltForABI11, cBuiltForOlderHeader

        func pluginAndConsumer() throws -> (String, String) {
            switch self {
            case .swiftOnDemand: (TestPaths.plugin("EchoConsumer"), "EchoConsumer")
            case .swiftBatchOnDemand: (TestPaths.plugin("ScriptedTestConsumers"), "HeaderEchoBatchConsumer")
            case .cOnDemand: (TestPaths.plugin("CountingCConsumer"), "CountingCConsumer")
            case .cBuiltForABI10: (try FixturePlugins.path("ABI_1_0"), "FixtureConsumer")
            case .cBuiltForABI11: (try FixturePlugins.path("ABI_1_1"), "FixtureConsumer")
            case .cBuiltForOlderHeader: (try FixturePlugins.path("OLDER_STRUCTS"), "FixtureConsumer")
            }
        }
    }

    @Test(arguments: HeaderReader.allCases)
    func consumersReadMessageHeaders(_ reader: HeaderReader) async throws {
        try cluster.createTopic("events", partitions: 1)
        for message in [
            ["-v", "hello", "-k", "k1", "--header", "trace=abc", "--header", "retry=2"],
            ["-v", "plain", "-k", "k2"],
        ] {
            let produced = try await HostProcess.run(
                ["produce", "-t", "events", "--brokers", cluster.bootstrapServers] + message,
                executable: TestPaths.racecarctl)
            #expect(produced.status == 0, "\(produced.stderr)")
        }
        let (plugin, consumer) = try reader.pluginAndConsumer()
        let host = try start(plugin, consumer)
        let lines = try await host.waitFor("2 messages") { $0.count >= 2 }
        #expect(lines == ["events/0@0 k1 hello trace=abc retry=2", "events/0@1 k2 plain"])
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        if reader == .swiftBatchOnDemand {
            // A message kept past its call: its librdkafka message is gone, so the host refuses.
            #expect(host.lines.last == "kept: 0 headers")
        }
    }

    @Test func batchConsumerProcessesEverythingInBatchesNoLargerThanFetchMessages() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 30)
        let host = try start(
            TestPaths.plugin("ScriptedTestConsumers"), "ScriptedBatchConsumer", ["RACECAR_FETCH_MESSAGES": "4"])
        let lines = try await host.waitFor("60 messages") { $0.filter { $0.hasPrefix("processed") }.count >= 60 }
        expectAllProcessedInOrder(lines, partitions: 2, perPartition: 30)
        let batchSizes = lines.filter { $0.hasPrefix("batch ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("count=") }.flatMap { Int($0.dropFirst("count=".count)) }
        }
        #expect(!batchSizes.isEmpty)
        #expect(batchSizes.allSatisfy { $0 >= 1 && $0 <= 4 })
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func archiveConsumerWritesOneFilePerBatch() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 25)
        let archive = workingDirectory.appendingPathComponent("archive")
        let host = try start(
            TestPaths.plugin("ArchiveEventsConsumer"), "ArchiveEventsConsumer",
            [
                "RACECAR_SETTINGS_ARCHIVE_DIR": archive.path,
                "RACECAR_FETCH_MESSAGES": "10",
            ])
        try await host.waitFor("25 archived messages") { lines in
            lines.compactMap { Int($0.split(separator: " ")[1]) }.reduce(0, +) >= 25
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: archive.path)
        var archived: [String] = []
        for file in files.sorted(by: { Int($0.split(separator: "-")[2])! < Int($1.split(separator: "-")[2])! }) {
            let parts = file.split(separator: "-")
            let lines = try String(contentsOf: archive.appendingPathComponent(file), encoding: .utf8).split(
                separator: "\n"
            ).map(String.init)
            #expect(lines.count == Int(parts[3])! - Int(parts[2])! + 1, "file name \(file) matches its contents")
            #expect(lines.count <= 10)
            archived += lines
        }
        #expect(archived == (0..<25).map { "value-0-\($0)" })
    }

    @Test func producingConsumerOutputLandsOnTheOutputTopic() async throws {
        try cluster.createTopic("pageviews", partitions: 2)
        try cluster.createTopic("pageviews-with-country", partitions: 2)
        let views = (0..<20).map { index in
            (
                key: Optional("\(index)"), value: "{\"id\": \(index), \"ip_address\": \"\(index * 12).1.2.3\"}",
                partition: Int32?.none
            )
        }
        try await cluster.produceOffPool(topic: "pageviews", messages: views)
        let host = try start(TestPaths.plugin("GeoCodingConsumer"), "GeoCodingConsumer")
        let client = KafkaTestClient(brokers: cluster.bootstrapServers)
        let outputs = try await client.readMessages(
            topic: "pageviews-with-country", partitions: 2, count: 20, timeout: .seconds(60))
        #expect(outputs.count == 20)
        #expect(Set(outputs.compactMap(\.key)) == Set((0..<20).map(String.init)))
        #expect(outputs.contains { $0.value == "{\"country\":\"US\",\"id\":10,\"ip_address\":\"120.1.2.3\"}" })
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func failedMessageIsRetriedAfterThePauseWhileOtherPartitionsFlow() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 10)
        let host = try start(
            TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer",
            [
                // Long enough for the other partition's 10 messages even on a loaded machine.
                "RACECAR_PAUSE_TIMEOUT": "5",
                "SCRIPTED_FAIL": "events/0@3",
            ])
        try await host.waitFor("the failure") { $0.has("failed events/0@3 retries=0") }
        let lines = try await host.waitFor("both partitions to finish") { lines in
            lines.has("processed events/0@9 retries=0") && lines.has("processed events/1@9 retries=0")
        }
        let failedAt = try #require(lines.time(of: "failed events/0@3 retries=0"))
        let retriedAt = try #require(lines.time(of: "processed events/0@3 retries=1"))
        let otherPartitionDoneAt = try #require(lines.time(of: "processed events/1@9 retries=0"))
        #expect(retriedAt - failedAt >= 4900, "paused for pause_timeout (5 s) before the retry")
        #expect(otherPartitionDoneAt < retriedAt, "the other partition flowed during the pause")
        let partition0 = lines.compactMap(ProcessedLine.init).filter { $0.partition == 0 }.map(\.offset)
        #expect(partition0 == Array(0...9), "nothing skipped, nothing repeated, in order")
        #expect(
            lines.firstIndex { $0.hasPrefix("processed events/0@4 ") }! > lines.firstIndex {
                $0.hasPrefix("processed events/0@3 retries=1 ")
            }!)
        // The Swift error's description reaches the host's log with where it happened.
        #expect(
            host.stderr.contains(
                "ScriptedConsumer failed at events/0@3, retries_count 0: scripted failure at events/0@3; retrying in 5 s"
            ))
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func sigtermCommitsSoARestartResumesWithoutReprocessing() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 25)
        let first = try start(
            TestPaths.plugin("EchoConsumer"), "EchoConsumer", ["RACECAR_OFFSET_COMMIT_INTERVAL": "3600"])
        try await first.waitFor("50 messages") { $0.count >= 50 }
        first.send(SIGTERM)
        #expect(try await first.waitForExit() == 0)

        let client = KafkaTestClient(brokers: cluster.bootstrapServers)
        #expect(
            try await client.committedOffsets(group: "echo-consumer", topic: "events", partitions: 2) == [0: 25, 1: 25])

        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5, startingAt: 25)
        let second = try start(TestPaths.plugin("EchoConsumer"), "EchoConsumer")
        let lines = try await second.waitFor("the 10 new messages") { $0.count >= 10 }
        let offsets = ProcessedLine.offsetsByPartition(lines)
        #expect(offsets[0] == Array(25..<30))
        #expect(offsets[1] == Array(25..<30))
        second.send(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    @Test func killNineThenRestartProcessesEveryMessageAtLeastOnce() async throws {
        try cluster.createTopic("events", partitions: 4)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 500)
        let first = try start(TestPaths.plugin("EchoConsumer"), "EchoConsumer", ["RACECAR_FETCH_MESSAGES": "10"])
        try await first.waitFor("some progress") { $0.count >= 300 }
        first.send(SIGKILL)
        _ = try await first.waitForExit()
        let seenBefore = first.lines.compactMap(ProcessedLine.init)

        let second = try start(TestPaths.plugin("EchoConsumer"), "EchoConsumer")
        let expected = Set(
            (0..<4).flatMap { partition in (0..<500).map { ProcessedLine("events/\(partition)@\($0)")! } })
        try await second.waitFor("every offset", timeout: .seconds(120)) { lines in
            expected.isSubset(of: Set(seenBefore).union(lines.compactMap(ProcessedLine.init)))
        }
        let resumed = ProcessedLine.offsetsByPartition(second.lines)
        // A later rebalance may make the second host repeat some offsets, but it never skips one.
        #expect(
            resumed.values.allSatisfy { Set($0) == Set($0.min()!...$0.max()!) },
            "each partition resumes without gaps")
        second.send(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }
}
