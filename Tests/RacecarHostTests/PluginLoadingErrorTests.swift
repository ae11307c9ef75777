import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// Each kind of bad input gives one clear line naming the problem and a non-zero exit: 78
/// (EX_CONFIG) when the configuration, plugin or consumer name is wrong, which starting again
/// cannot mend, and 1 for the rest.
@Suite(.timeLimit(.minutes(2))) struct PluginLoadingErrorTests {
    func expectError(
        _ arguments: [String], environment: [String: String] = [:], status expectedStatus: Int32 = 78,
        contains expected: [String]
    ) async throws {
        let (status, _, stderr) = try await HostProcess.run(arguments, environment: environment)
        #expect(status == expectedStatus, "stderr: \(stderr)")
        for text in expected { #expect(stderr.contains(text), "stderr: \(stderr)") }
        // Besides the host's own timestamped log lines (connecting, ...), one line: no stack trace.
        let other = stderr.split(separator: "\n").filter {
            $0.wholeMatch(of: /\d{4}-\d\d-\d\dT.* (INFO|WARNING) .*/) == nil
        }
        #expect(other.count == 1, "one line, no stack trace: \(stderr)")
        #expect(other.first?.hasPrefix("racecar-host: error: ") == true, "stderr: \(stderr)")
    }

    @Test func missingPluginFile() async throws {
        try await expectError(
            ["--plugin", "/nonexistent/libNope.so", "Nope"], contains: ["plugin not found: /nonexistent/libNope.so"])
    }

    @Test func fileThatIsNotASharedLibrary() async throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("libtext.so").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("not a library".utf8))
        try await expectError(["--plugin", path, "X"], contains: ["plugin \(path) is not a loadable shared library"])
    }

    @Test func libraryWithoutTheEntrySymbol() async throws {
        let path = try FixturePlugins.path("NO_SYMBOL")
        try await expectError(
            ["--plugin", path, "FixtureConsumer"],
            contains: [path, "does not export the entry symbol racecar_plugin_abi_v1"])
    }

    @Test func otherMajorABIVersion() async throws {
        let path = try FixturePlugins.path("OTHER_MAJOR")
        try await expectError(
            ["--plugin", path, "FixtureConsumer"], contains: [path, "plugin ABI 2.2", "speaks ABI 1.2"])
    }

    @Test func newerMinorABIVersion() async throws {
        let path = try FixturePlugins.path("NEWER_MINOR")
        try await expectError(
            ["--plugin", path, "FixtureConsumer"], contains: [path, "plugin ABI 1.3", "upgrade the host"])
    }

    @Test func consumerWithUnknownFlags() async throws {
        let path = try FixturePlugins.path("UNKNOWN_FLAGS")
        try await expectError(
            ["--plugin", path, "FixtureConsumer"],
            contains: [path, "consumer FixtureConsumer sets flags this host does not know (0x80)"])
    }

    @Test func initFunctionFails() async throws {
        let path = try FixturePlugins.path("INIT_FAILS")
        let (status, _, stderr) = try await HostProcess.run(["--plugin", path, "FixtureConsumer"])
        #expect(status == 78)
        #expect(stderr.contains("plugin \(path) failed to initialise: license key missing"))
    }

    @Test func unknownConsumerListsTheAvailableOnes() async throws {
        let path = TestPaths.plugin("ScriptedTestConsumers")
        try await expectError(
            ["--plugin", path, "NopeConsumer"],
            contains: [
                "has no consumer named NopeConsumer; it offers: ScriptedConsumer, ScriptedBatchConsumer, ScriptedProducingConsumer, ScriptedStatisticsConsumer"
            ])
    }

    @Test func unreachableBroker() async throws {
        try await expectError(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"],
            environment: ["RACECAR_BROKERS": "127.0.0.1:1", "RACECAR_SOCKET_TIMEOUT": "2"], status: 1,
            contains: ["cannot reach any Kafka broker at 127.0.0.1:1"]
        )
    }

    @Test func createFailureStopsWithThePluginsMessage() async throws {
        let cluster = try MockCluster()
        let path = try FixturePlugins.path("CREATE_FAILS")
        try await expectError(
            ["--plugin", path, "FixtureConsumer"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers], status: 1,
            contains: ["FixtureConsumer failed to start: cannot connect to the fixture database"]
        )
    }

    @Test func pluginBuiltWithOlderSmallerStructsStillRuns() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 5)
        let host = try HostProcess(
            ["--plugin", try FixturePlugins.path("OLDER_STRUCTS"), "FixtureConsumer"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1"],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        let lines = try await host.waitFor("5 messages") { $0.count >= 5 }
        #expect(ProcessedLine.offsetsByPartition(lines)[0] == Array(0..<5))
        host.send(SIGTERM)
        // The garbage teardown/destroy pointers past the old struct size must never be called.
        #expect(try await host.waitForExit() == 0)
    }
}
