import Foundation
import RacecarKafka
import Testing

/// A third language through the same C ABI: `Plugins/RustCountingConsumer`, a Rust crate with
/// no dependencies that mirrors racecar_plugin.h by hand, built with cargo and run by the real
/// `racecar-host` against librdkafka's mock cluster. It processes like the C plugin and produces
/// a copy of every message to `events-copied`.
@Suite(.timeLimit(.minutes(5))) struct RustPluginTests {
    let cluster: MockCluster
    let workingDirectory = TestPaths.temporaryDirectory()

    init() throws {
        cluster = try MockCluster()
    }

    /// The settings of ``EndToEndTests``: frequent commits, short sessions.
    func start(_ extra: [String: String] = [:], feature: String? = nil) async throws -> HostProcess {
        let environment = [
            "RACECAR_BROKERS": cluster.bootstrapServers,
            "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
            "RACECAR_SESSION_TIMEOUT": "6",
            "RACECAR_HEARTBEAT_INTERVAL": "1",
            "RACECAR_MAX_WAIT_TIME": "0.1",
            "RACECAR_SOCKET_TIMEOUT": "10",
        ].merging(extra) { $1 }
        return try HostProcess(
            ["--plugin", try await RustPlugin.path(feature: feature), "RustCountingConsumer"], environment: environment,
            workingDirectory: workingDirectory)
    }

    @Test func rustPluginProcessesAndProducesLikeTheCOne() async throws {
        try cluster.createTopic("events", partitions: 2)
        try cluster.createTopic("events-copied", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 20)
        let host = try await start()
        let lines = try await host.waitFor("40 messages") { $0.count >= 40 }
        let offsets = ProcessedLine.offsetsByPartition(lines)
        for partition in 0..<Int32(2) {
            #expect(offsets[partition] == Array(0..<20), "partition \(partition)")
        }
        #expect(lines.contains("events/1@7 key-7 value-1-7"))
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(host.stderr.contains("RustCountingConsumer processed 40 messages"))

        // One copy of each message in the same partition, in order, saying what it copies.
        let copies = try await KafkaTestClient(brokers: cluster.bootstrapServers).read(
            topic: "events-copied", partitions: 2, count: 40)
        for partition in 0..<2 {
            let copied = copies.filter { $0.value.hasPrefix("value-\(partition)-") }
            #expect(copied.map(\.value) == (0..<20).map { "value-\(partition)-\($0)" }, "partition \(partition)")
            #expect(copied.map(\.key) == (0..<20).map { "key-\($0)" })
            #expect(copied.map { $0.headers["copied-from"] } == (0..<20).map { "events/\(partition)@\($0)" })
        }
        #expect(
            try await KafkaTestClient(brokers: cluster.bootstrapServers).highWatermarks(
                topic: "events-copied", partitions: 2) == [0: 20, 1: 20],
            "nothing but the copies, each in its message's partition")
    }

    @Test func rustPluginReadsHeadersOnDemandAndCopiesThem() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-copied", partitions: 1)
        for message in [
            ["-v", "hello", "-k", "k1", "--header", "trace=abc", "--header", "retry=2"],
            ["-v", "plain", "-k", "k2"],
        ] {
            let produced = try await HostProcess.run(
                ["produce", "-t", "events", "--brokers", cluster.bootstrapServers] + message,
                executable: TestPaths.racecarctl)
            #expect(produced.status == 0, "\(produced.stderr)")
        }
        let host = try await start()
        let lines = try await host.waitFor("2 messages") { $0.count >= 2 }
        #expect(lines == ["events/0@0 k1 hello trace=abc retry=2", "events/0@1 k2 plain"])
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let copies = try await KafkaTestClient(brokers: cluster.bootstrapServers).read(
            topic: "events-copied", partitions: 1, count: 2)
        #expect(copies.map(\.value) == ["hello", "plain"])
        #expect(
            copies.map(\.headers) == [
                ["trace": "abc", "retry": "2", "copied-from": "events/0@0"], ["copied-from": "events/0@1"],
            ])
    }

    /// A copy the host refuses to produce (larger than the producer's `message.max.bytes`) fails
    /// the message: the plugin's NUL-terminated error text reaches the host's log, the message is
    /// retried, and the messages after it wait in their partition.
    @Test func rustPluginReportsAFailedProduceThroughTheErrorBuffer() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-copied", partitions: 1)
        try await cluster.produceOffPool(
            topic: "events",
            messages: [
                (key: "small", value: "fits", partition: 0),
                (key: "large", value: String(repeating: "x", count: 5000), partition: 0),
                (key: "after", value: "waits", partition: 0),
            ])
        let host = try await start(["RACECAR_PRODUCER": "message.max.bytes=1000", "RACECAR_PAUSE_TIMEOUT": "0.2"])
        try await host.waitFor("the first message") { $0.contains("events/0@0 small fits") }
        let failure =
            "RustCountingConsumer failed at events/0@1, retries_count 1: "
            + "RustCountingConsumer could not copy events/0@1: producing to events-copied failed: "
        let deadline = ContinuousClock.now + .seconds(60)
        while !host.stderr.contains(failure), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(host.stderr.contains(failure), "the failure and its retry were logged: \(host.stderr.suffix(2000))")
        #expect(host.lines == ["events/0@0 small fits"], "nothing printed for the failed message or after it")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(host.stderr.contains("RustCountingConsumer processed 1 messages"))
    }

    /// A panic in `process` (built with the crate's `test-panics` feature, which panics on a
    /// message keyed "panic") is caught on the plugin's side of the boundary and reported as a
    /// failure like any other: the host lives on, retries the message, and stops cleanly.
    @Test func rustPluginTurnsAPanicIntoAFailureInsteadOfUnwindingIntoTheHost() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-copied", partitions: 1)
        try await cluster.produceOffPool(
            topic: "events",
            messages: [
                (key: "calm", value: "fine", partition: 0),
                (key: "panic", value: "boom", partition: 0),
            ])
        let host = try await start(["RACECAR_PAUSE_TIMEOUT": "0.2"], feature: "test-panics")
        try await host.waitFor("the first message") { $0.contains("events/0@0 calm fine") }
        let failure =
            "RustCountingConsumer failed at events/0@1, retries_count 1: "
            + "RustCountingConsumer panicked in process: test-panics: a message keyed \"panic\""
        let deadline = ContinuousClock.now + .seconds(60)
        while !host.stderr.contains(failure), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(host.stderr.contains(failure), "the panic and its retry were logged: \(host.stderr.suffix(2000))")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(host.lines == ["events/0@0 calm fine"])
        #expect(host.stderr.contains("RustCountingConsumer processed 1 messages"))
    }
}
