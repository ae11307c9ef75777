import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// The command line as a newcomer meets it: versions, a mistyped command, the help, what
/// `config` says about where values came from, and a mistyped consumer section.
@Suite(.timeLimit(.minutes(2))) struct CommandLineTests {
    let echo = ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"]

    @Test func versionNamesTheHostSDKABIAndTheLibrdkafkaLoaded() async throws {
        let (status, stdout, _) = try await HostProcess.run(["--version"])
        #expect(status == 0)
        #expect(
            stdout.contains(
                "racecar-host 0.2.0 (SDK 0.2.0, plugin ABI 1.2, librdkafka \(LibrdkafkaVersion.loadedText))"),
            "\(stdout)")
    }

    @Test(arguments: [("cofnig", "config"), ("mock-clustr", "mock-cluster"), ("rnu", "run")])
    func aMistypedCommandIsNamedWithASuggestion(typed: String, meant: String) async throws {
        let (status, _, stderr) = try await HostProcess.run([typed])
        #expect(status == 64)
        #expect(
            stderr.hasPrefix("racecar-host: error: `\(typed)` is not a racecar-host command; did you mean `\(meant)`?"),
            "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
    }

    @Test func helpListsTheCommonSettingFlags() async throws {
        let (status, stdout, _) = try await HostProcess.run(["help", "run"])
        #expect(status == 0)
        for flag in ["--brokers", "--group-id", "--environment", "--config", "--daemonize", "--pidfile", "--logfile"] {
            #expect(stdout.contains(flag), "help run shows \(flag): \(stdout)")
        }
        #expect(stdout.contains("\"Configuration\""), "and says where the full list is: \(stdout)")
    }

    @Test func configShowsTheDerivedGroupIDTheEnvironmentAndTheFile() async throws {
        let directory = TestPaths.temporaryDirectory()
        let file = directory.appendingPathComponent("racecar.yml").path
        try "common:\n  group_id_prefix: prod.\nstaging: {}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (status, stdout, stderr) = try await HostProcess.run(
            ["config"] + echo + ["--config", file, "--environment", "staging"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("environment staging, from \(file)"), "\(stdout)")
        #expect(
            stdout.contains("prod.echo-consumer  (derived from the consumer name with group_id_prefix prod.)"),
            "\(stdout)")
        let empty = directory.appendingPathComponent("empty.yml").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let (_, noFile, _) = try await HostProcess.run(["config"] + echo + ["--config", empty])
        #expect(noFile.contains("environment development, no racecar.yml read"), "\(noFile)")
    }

    @Test func aMistypedConsumerSectionIsAnErrorWithASuggestion() async throws {
        let file = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml").path
        try "development:\n  EchoConsumr:\n    fetch_messages: 5\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let (status, _, stderr) = try await HostProcess.run(["config"] + echo + ["--config", file])
        #expect(status == 78)
        #expect(stderr.hasPrefix("racecar-host: error: \(file):"), "names the file and line: \(stderr)")
        #expect(
            stderr.contains("section `EchoConsumr` names no consumer of this plugin; did you mean `EchoConsumer`?"),
            "\(stderr)")
    }

    @Test func aSectionForAnotherPluginsConsumerIsOnlyAWarning() async throws {
        let file = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml").path
        try "development:\n  GeoCodingConsumer:\n    fetch_messages: 5\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let (status, stdout, stderr) = try await HostProcess.run(["config"] + echo + ["--config", file])
        #expect(status == 0, "a racecar.yml shared by several plugins still loads: \(stderr)")
        #expect(
            stderr.contains("ignoring section `GeoCodingConsumer`: the plugin offers no such consumer"), "\(stderr)")
        #expect(stdout.contains("fetch_messages"))
    }
}
