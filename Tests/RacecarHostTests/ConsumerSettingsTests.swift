import Foundation
import RacecarKafka
import Testing

/// A consumer's own settings (`settings:` in its racecar.yml section, `RACECAR_SETTINGS_*`),
/// end to end: the real host hands them to real plugins, C (`setting`, `settings_json`) and
/// Swift (`ReadsSettings`), and refuses to start without a required one.
@Suite(.timeLimit(.minutes(5))) struct ConsumerSettingsTests {
    let cluster: MockCluster
    let directory = TestPaths.temporaryDirectory()

    init() throws {
        cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
    }

    func writeConfig(_ text: String) throws -> String {
        let path = directory.appendingPathComponent("racecar.yml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1"].merging(extra) { $1 }
    }

    /// Runs the fixture plugin until its create printed what it was given, then stops it.
    func settingsSeenByFixture(config: String, environment extra: [String: String] = [:]) async throws -> (
        json: String, greeting: String
    ) {
        let host = try HostProcess(
            ["--plugin", try FixturePlugins.path(nil), "FixtureConsumer", "--config", config],
            environment: environment(extra))
        let lines = try await host.waitFor("the fixture's settings") { lines in
            lines.contains { $0.hasPrefix("fixture greeting=") }
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(host.stderr)")
        let json = lines.first { $0.hasPrefix("fixture settings ") }.map { String($0.dropFirst(17)) } ?? ""
        let greeting = lines.first { $0.hasPrefix("fixture greeting=") }.map { String($0.dropFirst(17)) } ?? ""
        return (json, greeting)
    }

    @Test func fileSettingsMergeCommonUnderTheEnvironmentAndSubstituteVariables() async throws {
        let config = try writeConfig(
            """
            common:
              FixtureConsumer:
                settings:
                  greeting: hello from common
                  retries: 3
                  token: ${FIXTURE_TOKEN}
            production:
              FixtureConsumer:
                settings:
                  greeting: hello from production
                  ratio: 0.5
                  tags: [a, "b"]
                  quoted: "42"
            """)
        let seen = try await settingsSeenByFixture(
            config: config, environment: ["RACECAR_ENV": "production", "FIXTURE_TOKEN": "s3cret"])
        #expect(seen.greeting == "hello from production")
        let settings = try #require(
            try JSONSerialization.jsonObject(with: Data(seen.json.utf8)) as? [String: Any], "\(seen.json)")
        #expect(settings["greeting"] as? String == "hello from production")
        #expect(settings["retries"] as? Int == 3)
        #expect(settings["token"] as? String == "s3cret")
        #expect(settings["ratio"] as? Double == 0.5)
        #expect(settings["tags"] as? [String] == ["a", "b"])
        #expect(settings["quoted"] as? String == "42", "a quoted number stays text")
    }

    @Test func environmentVariablesOverrideTheFile() async throws {
        let config = try writeConfig(
            """
            development:
              FixtureConsumer:
                settings:
                  greeting: from the file
            """)
        let seen = try await settingsSeenByFixture(
            config: config, environment: ["RACECAR_SETTINGS_GREETING": "from the environment"])
        #expect(seen.greeting == "from the environment")
        #expect(seen.json == #"{"greeting":"from the environment"}"#)
    }

    @Test func aConsumerWithoutSettingsSeesNone() async throws {
        let config = try writeConfig("development:\n  log_level: info\n")
        let seen = try await settingsSeenByFixture(config: config)
        #expect(seen.greeting == "(unset)")
        #expect(seen.json == "{}")
    }

    @Test func aMissingRequiredSettingIsRefusedBeforeAnyConsumerIsCreated() async throws {
        let config = try writeConfig("development:\n  log_level: info\n")
        let result = try await HostProcess.run(
            ["--plugin", try FixturePlugins.path("REQUIRED_SETTING"), "FixtureConsumer", "--config", config],
            environment: environment())
        #expect(result.status == 78)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains("error") }
        #expect(
            errors == [
                "racecar-host: error: FixtureConsumer requires setting `api_url` (where the fixture sends nothing): "
                    + "set it under `settings:` in the FixtureConsumer section of racecar.yml, or "
                    + "RACECAR_SETTINGS_API_URL"
            ])
        #expect(!result.stdout.contains("fixture settings"), "no consumer was created")
    }

    @Test func settingsOutsideAConsumerSectionAreRefused() async throws {
        let config = try writeConfig("development:\n  settings:\n    greeting: hi\n")
        let result = try await HostProcess.run(
            ["--plugin", try FixturePlugins.path(nil), "FixtureConsumer", "--config", config],
            environment: environment())
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(config):3: `settings` belongs in a consumer's section"), "\(result.stderr)")
    }

    @Test func configShowsSettingsWithSecretsRedacted() async throws {
        let config = try writeConfig(
            """
            development:
              FixtureConsumer:
                settings:
                  greeting: hi
                  token: do-not-show
                  greting: typo
            """)
        let result = try await HostProcess.run(
            ["config", "--plugin", try FixturePlugins.path(nil), "FixtureConsumer", "--config", config],
            environment: environment())
        #expect(result.status == 0, "\(result.stderr)")
        let output = result.stdout + result.stderr
        #expect(!output.contains("do-not-show"))
        #expect(output.contains("token     [redacted]  (\(config):5)"), "\(output)")
        #expect(output.contains(#"greeting  "hi"  (\#(config):4)"#), "\(output)")
        #expect(output.contains("FixtureConsumer does not declare setting `greting`; did you mean `greeting`?"))
    }

    @Test func aSwiftConsumerGetsItsSettingsDecoded() async throws {
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let archive = directory.appendingPathComponent("from-settings")
        let config = try writeConfig(
            """
            common:
              ArchiveEventsConsumer:
                settings:
                  archive_dir: ${ARCHIVE_ROOT}/from-settings
            development: {}
            """)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ArchiveEventsConsumer"), "ArchiveEventsConsumer", "--config", config],
            environment: environment(["ARCHIVE_ROOT": directory.path]))
        try await host.waitFor("3 archived messages") { lines in
            lines.compactMap { Int($0.split(separator: " ")[1]) }.reduce(0, +) >= 3
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let archived = try FileManager.default.contentsOfDirectory(atPath: archive.path).sorted()
        #expect(!archived.isEmpty)
        #expect(archived.allSatisfy { $0.hasPrefix("events-0-") })
    }

    @Test func aSwiftConsumerMissingItsRequiredSettingIsRefused() async throws {
        let result = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("ArchiveEventsConsumer"), "ArchiveEventsConsumer"],
            environment: environment())
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "ArchiveEventsConsumer requires setting `archive_dir` (the folder batches are written to)"),
            "\(result.stderr)")
    }

    @Test func aSettingOfTheWrongTypeIsOneLineNamingItAndTheConsumer() async throws {
        let config = try writeConfig(
            "development:\n  ArchiveEventsConsumer:\n    settings:\n      archive_dir: [a, b]\n")
        let result = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("ArchiveEventsConsumer"), "ArchiveEventsConsumer", "--config", config],
            environment: environment())
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains("error:") }
        #expect(errors.count == 1, "\(result.stderr)")
        #expect(
            errors.first?.contains(
                "setting `archive_dir` of ArchiveEventsConsumer has the wrong type: expected text") == true,
            "\(result.stderr)")
    }
}
