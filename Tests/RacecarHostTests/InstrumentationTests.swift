import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// What the host's logs and metrics say, end to end: which consumer, group and message a
/// line is about, where a plugin's init lines go, and the metrics of the last interval.
@Suite(.timeLimit(.minutes(2))) struct InstrumentationTests {
    @Test func logLinesNameTheConsumerTheGroupAndTheMessage() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "SCRIPTED_FAIL": "events/0@1", "RACECAR_PAUSE_TIMEOUT": "0.2",
            ],
            workingDirectory: TestPaths.temporaryDirectory())
        _ = try await host.waitFor("the retried message") { $0.has("processed events/0@2 retries=0") }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let position = "consumer=ScriptedConsumer group=scripted-consumer offset=1 partition=0 topic=events"
        #expect(
            host.stderr.contains("WARNING racecar \(position): scripted failure at events/0@1"),
            "the plugin's own line, logged while it processed the message: \(host.stderr)")
        #expect(
            host.stderr.contains("ERROR racecar \(position): ScriptedConsumer failed at events/0@1"),
            "the host's line about the failure: \(host.stderr)")
        #expect(
            host.stderr.contains(
                "INFO racecar consumer=ScriptedConsumer group=scripted-consumer: ScriptedConsumer stopped"),
            "the host's own lines name the consumer and group")
    }

    @Test func linesThePluginLogsFromItsInitFunctionGoToTheLogfile() async throws {
        let directory = TestPaths.temporaryDirectory()
        let logfile = directory.appendingPathComponent("host.log").path
        let path = try FixturePlugins.path("INIT_FAILS")
        let (status, _, stderr) = try await HostProcess.run(["--plugin", path, "FixtureConsumer", "--logfile", logfile])
        #expect(status == 78)
        #expect(stderr.contains("failed to initialise: license key missing"))
        let log = try String(contentsOfFile: logfile, encoding: .utf8)
        #expect(log.contains("WARNING racecar.plugin: fixture init is about to fail"), "log: \(log)")
        #expect(!stderr.contains("fixture init is about to fail"), "nothing bypasses the logfile: \(stderr)")
    }

    @Test func unresolvableDatadogHostNamesWhereItWasSet() async throws {
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"],
            environment: ["RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_HOST": "no-such-agent.invalid"])
        #expect(status == 78)
        #expect(
            stderr.contains("env RACECAR_DATADOG_HOST: invalid value no-such-agent.invalid for `datadog_host`"),
            "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
    }

    @Test func theLastIntervalsMetricsAreSentAtShutdown() async throws {
        let agent = try MetricsTests.Agent()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_HOST": "127.0.0.1",
                "RACECAR_DATADOG_PORT": String(agent.port), "RACECAR_DATADOG_NAMESPACE": "test",
            ],
            workingDirectory: TestPaths.temporaryDirectory())
        _ = try await host.waitFor("the assignment") { _ in host.stderr.contains("partitions assigned: events/0") }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        // The group is left during shutdown, after the last regular flush: only a final flush
        // reports how long leaving took.
        let tags = ["client": "racecar", "group_id": "scripted-consumer", "consumer": "ScriptedConsumer"]
        let lines = agent.receive(timeout: .seconds(5)) { StatsStream($0).has("test.consumer.leave_group", type: "ms") }
        #expect(StatsStream(lines).has("test.consumer.leave_group", type: "ms", tags: tags), "\(lines)")
    }
}
