import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// Configuration as an operator uses it: racecar.yml sections, flags and signals on the real binary.
@Suite(.timeLimit(.minutes(3))) struct ConfigEndToEndTests {
    @Test func environmentAndConsumerSectionsChooseTheGroupAndTopic() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("audit", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        try await cluster.produceNumbered(topic: "audit", partitions: 2, perPartition: 10)
        let directory = TestPaths.temporaryDirectory()
        let yaml = """
            common:
              brokers: ["${MOCK_BROKERS}"]
              max_wait_time: 0.1
            staging:
              group_id_prefix: staging.
              EchoConsumer:
                subscribes_to: [audit]
            """
        _ = FileManager.default.createFile(
            atPath: directory.appendingPathComponent("racecar.yml").path, contents: Data(yaml.utf8))
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--offset-commit-interval", "1"],
            environment: ["MOCK_BROKERS": cluster.bootstrapServers, "RACECAR_ENV": "staging"],
            workingDirectory: directory
        )
        let lines = try await host.waitFor("20 audit messages") { $0.count >= 20 }
        #expect(lines.allSatisfy { $0.hasPrefix("audit/") }, "subscribed to the consumer section's topic only")
        let client = KafkaTestClient(brokers: cluster.bootstrapServers)
        let deadline = ContinuousClock.now + .seconds(20)
        var committed: [Int32: Int64] = [:]
        while ContinuousClock.now < deadline {
            committed = try await client.committedOffsets(group: "staging.echo-consumer", topic: "audit", partitions: 2)
            if committed == [0: 10, 1: 10] { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(committed == [0: 10, 1: 10], "committed under the prefixed group while running")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func offsetCommitOnIdleRecommitsWhileNothingArrives() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let host = try HostProcess(
            [
                "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--offset-commit-on-idle",
                "--offset-commit-interval=0.5", "--log-level=debug",
            ],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1"],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        try await host.waitFor("3 messages") { $0.count >= 3 }
        let deadline = ContinuousClock.now + .seconds(20)
        func recommits() -> Int {
            host.stderr.components(separatedBy: "committing 1 stored offsets (offset_commit_on_idle)").count - 1
        }
        let before = recommits()
        while recommits() < before + 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(recommits() >= before + 3, "the idle consumer keeps re-committing its position")
        #expect(host.lines.count == 3)
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: "echo-consumer", topic: "events", partitions: 1)
        #expect(committed == [0: 3])
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func sigusr1PrintsTheConfigurationAndKeepsRunning() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 2)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--sasl-password", "hunter2"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1"],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        try await host.waitFor("the first messages") { $0.count >= 2 }
        host.send(SIGUSR1)
        let deadline = ContinuousClock.now + .seconds(10)
        while !host.stderr.contains("liveness_probe_max_interval"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(host.stderr.contains("effective configuration for EchoConsumer:"))
        #expect(host.stderr.contains("[redacted]  (flag --sasl-password)"))
        #expect(!host.stderr.contains("hunter2"))
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 1, startingAt: 2)
        try await host.waitFor("a message after the dump") { $0.count >= 3 }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func configCommandShowsValuesAndSources() async throws {
        let (status, stdout, _) = try await HostProcess.run(
            [
                "config", "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--fetch-messages=42",
                "--no-start-from-beginning",
            ],
            environment: ["RACECAR_CLIENT_ID": "from-env", "RACECAR_SSL_KEY_PASSWORD": "s3cret"]
        )
        #expect(status == 0)
        #expect(stdout.contains("fetch_messages"))
        #expect(
            stdout.range(of: #"fetch_messages\s+42\s+\(flag --fetch-messages\)"#, options: .regularExpression) != nil)
        #expect(
            stdout.range(of: #"client_id\s+from-env\s+\(env RACECAR_CLIENT_ID\)"#, options: .regularExpression) != nil)
        #expect(stdout.range(of: #"start_from_beginning\s+false"#, options: .regularExpression) != nil)
        #expect(stdout.range(of: #"subscribes_to\s+events\s+\(plugin\)"#, options: .regularExpression) != nil)
        #expect(!stdout.contains("s3cret"))
    }

    @Test func pluginSubscriptionPropertiesCrossTheABI() async throws {
        let (status, stdout, _) = try await HostProcess.run([
            "config", "--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer",
        ])
        #expect(status == 0)
        #expect(stdout.contains("librdkafka properties from the plugin: fetch.error.backoff.ms=250"))
    }

    @Test func badValueIsOneLineNamingTheVariable() async throws {
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"],
            environment: ["RACECAR_OFFSET_COMMIT_INTERVAL": "soon"]
        )
        #expect(status == 78, "EX_CONFIG: starting again cannot mend it")
        #expect(
            stderr
                == "racecar-host: error: env RACECAR_OFFSET_COMMIT_INTERVAL: invalid value `soon` for `offset_commit_interval`: expected a number of seconds greater than 0\n"
        )
    }

    @Test func unknownFlagIsOneLineWithASuggestion() async throws {
        let (status, _, stderr) = try await HostProcess.run([
            "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--fetch-mesages", "3",
        ])
        #expect(status == 78)
        #expect(stderr.contains("unknown configuration key `--fetch-mesages`; did you mean `--fetch-messages`?"))
    }
}
