import Foundation
import RacecarKafka
import Testing

/// Running a consumer by name, as Racecar does (`racecar-host EchoConsumer`): the library that
/// offers it is found in the folders of `plugin_path`; and `--plugin` without a name runs the
/// library's only consumer.
@Suite(.timeLimit(.minutes(5))) struct PluginPathTests {
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

    /// A new folder holding symbolic links to the shipped `plugins` (or copies, which are other
    /// files), named like them.
    func pluginFolder(_ plugins: [String], copies: Bool = false) throws -> URL {
        let folder = TestPaths.temporaryDirectory()
        for plugin in plugins {
            let link = folder.appendingPathComponent("lib\(plugin).so")
            let target = URL(fileURLWithPath: TestPaths.plugin(plugin))
            if copies {
                try FileManager.default.copyItem(at: target, to: link)
            } else {
                try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
            }
        }
        return folder
    }

    /// Runs `racecar-host` to completion in the working directory.
    func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let host = try HostProcess(arguments, environment: environment(extra), workingDirectory: workingDirectory)
        let status = try await host.waitForExit()
        return (status, host.lines.joined(separator: "\n"), host.stderr)
    }

    /// The lines of `stderr` that are not the host's own timestamped log lines.
    func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT.* (INFO|WARNING) .*/) == nil }
    }

    func expectAllProcessedInOrder(_ lines: [String], partitions: Int, perPartition: Int) {
        let offsets = ProcessedLine.offsetsByPartition(lines)
        for partition in 0..<Int32(partitions) {
            #expect(offsets[partition] == Array(0..<Int64(perPartition)), "partition \(partition)")
        }
    }

    @Test func aConsumerNamedAloneRunsFromTheLibraryInPluginPath() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 10)
        let folder = try pluginFolder(["EchoConsumer", "CountingCConsumer"])
        let notALibrary = folder.appendingPathComponent("libnotes.so").path
        _ = FileManager.default.createFile(atPath: notALibrary, contents: Data("not a library".utf8))
        // Colon-separated like $PATH; a folder that does not exist is passed over.
        let host = try HostProcess(
            ["EchoConsumer"], environment: environment(["RACECAR_PLUGIN_PATH": "/nonexistent/plugins:\(folder.path)"]),
            workingDirectory: workingDirectory)
        let lines = try await host.waitFor("20 messages") { $0.count >= 20 }
        expectAllProcessedInOrder(lines, partitions: 2, perPartition: 10)
        #expect(lines.contains("events/1@7 key-7 value-1-7"), "EchoConsumer's format")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(
            host.stderr.contains(
                "skipped a library in plugin_path: plugin \(notALibrary) is not a loadable shared library"),
            "a library that cannot be described is a warning: \(host.stderr)")
    }

    @Test func pluginPathFromRacecarYmlFindsTheConsumersLibrary() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 10)
        let folder = try pluginFolder(["EchoConsumer", "CountingCConsumer"])
        let yaml = "development:\n  plugin_path:\n    - \(folder.path)\n"
        _ = FileManager.default.createFile(
            atPath: workingDirectory.appendingPathComponent("racecar.yml").path, contents: Data(yaml.utf8))
        let host = try HostProcess(
            ["CountingCConsumer"], environment: environment(), workingDirectory: workingDirectory)
        let lines = try await host.waitFor("10 messages") { $0.count >= 10 }
        expectAllProcessedInOrder(lines, partitions: 1, perPartition: 10)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(host.stderr.contains("CountingCConsumer processed 10 messages"), "\(host.stderr)")
    }

    @Test func configFindsTheConsumerInPluginPathToo() async throws {
        let folder = try pluginFolder(["EchoConsumer", "CountingCConsumer"])
        // The same files reached through a second name of the folder are the same libraries.
        let alias = TestPaths.temporaryDirectory().appendingPathComponent("alias")
        try FileManager.default.createSymbolicLink(at: alias, withDestinationURL: folder)
        let (status, stdout, stderr) = try await run(
            ["config", "EchoConsumer"], ["RACECAR_PLUGIN_PATH": "\(folder.path),\(alias.path)"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.hasPrefix("effective configuration for EchoConsumer:"), "\(stdout)")
        #expect(
            stdout.split(separator: "\n").contains {
                $0.contains("plugin_path") && $0.contains("\(folder.path):\(alias.path)")
                    && $0.contains("env RACECAR_PLUGIN_PATH")
            }, "\(stdout)")
    }

    @Test func twoLibrariesOfferingTheConsumerAreRefusedNamingBoth() async throws {
        let first = try pluginFolder(["EchoConsumer"], copies: true)
        let second = try pluginFolder(["EchoConsumer", "CountingCConsumer"], copies: true)
        let (status, _, stderr) = try await run(
            ["EchoConsumer"], ["RACECAR_PLUGIN_PATH": "\(first.path),\(second.path)"])
        #expect(status == 78, "\(stderr)")
        let errors = errorLines(stderr)
        #expect(errors.count == 1, "one line: \(stderr)")
        let firstPath = first.appendingPathComponent("libEchoConsumer.so").path
        let secondPath = second.appendingPathComponent("libEchoConsumer.so").path
        #expect(
            errors.first?.hasPrefix(
                "racecar-host: error: consumer EchoConsumer is offered by 2 libraries in plugin_path: \(firstPath) and \(secondPath)"
            ) == true, "\(stderr)")
    }

    @Test func noLibraryOfferingTheConsumerListsTheFoldersAndTheConsumersFound() async throws {
        let folder = try pluginFolder(["EchoConsumer", "CountingCConsumer"])
        let (status, _, stderr) = try await run(
            ["TapDanceConsumer"], ["RACECAR_PLUGIN_PATH": "\(folder.path):/nonexistent/plugins"])
        #expect(status == 78, "\(stderr)")
        let errors = errorLines(stderr)
        #expect(errors.count == 1, "one line: \(stderr)")
        #expect(
            errors.first?.hasPrefix(
                "racecar-host: error: no library in plugin_path offers consumer TapDanceConsumer; searched "
                    + "\(folder.path), /nonexistent/plugins (not a readable folder); "
                    + "consumers found: CountingCConsumer, EchoConsumer") == true, "\(stderr)")
    }

    @Test func aLibraryThatCannotBeDescribedIsNamedWhenNothingOffersTheConsumer() async throws {
        // The consumer's own library, refused for its ABI: the error says why it was not found.
        let folder = TestPaths.temporaryDirectory()
        let newer = try FixturePlugins.path("NEWER_MINOR")
        let linked = folder.appendingPathComponent("libfixture.so")
        try FileManager.default.createSymbolicLink(at: linked, withDestinationURL: URL(fileURLWithPath: newer))
        let (status, _, stderr) = try await run(["FixtureConsumer"], ["RACECAR_PLUGIN_PATH": folder.path])
        #expect(status == 78, "\(stderr)")
        #expect(errorLines(stderr).count == 1, "one line: \(stderr)")
        #expect(
            stderr.contains("consumers found: none; skipped: plugin \(linked.path) was built for plugin ABI"),
            "\(stderr)")
    }

    @Test func withNeitherPluginNorPluginPathTheErrorSaysWhatToSet() async throws {
        let (status, _, stderr) = try await run(["EchoConsumer"])
        #expect(status == 78, "\(stderr)")
        #expect(
            stderr.hasPrefix("racecar-host: error: no library to run EchoConsumer from: name it with --plugin"),
            "\(stderr)")
        let (nothing, _, nothingStderr) = try await run([])
        #expect(nothing == 64, "\(nothingStderr)")
        #expect(nothingStderr.hasPrefix("racecar-host: error: name the consumer to run"), "\(nothingStderr)")
    }

    @Test func pluginWithOneConsumerRunsItWhenNoneIsNamed() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 10)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("CountingCConsumer")], environment: environment(),
            workingDirectory: workingDirectory)
        let lines = try await host.waitFor("10 messages") { $0.count >= 10 }
        expectAllProcessedInOrder(lines, partitions: 1, perPartition: 10)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(host.stderr.contains("CountingCConsumer processed 10 messages"), "\(host.stderr)")
    }

    @Test(arguments: [[String](), ["config"]])
    func pluginWithSeveralConsumersListsThemWhenNoneIsNamed(command: [String]) async throws {
        let path = TestPaths.plugin("ScriptedTestConsumers")
        let (status, _, stderr) = try await run(command + ["--plugin", path])
        #expect(status == 64, "\(stderr)")
        #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
        #expect(stderr.hasPrefix("racecar-host: error: plugin \(path) offers "), "\(stderr)")
        #expect(
            stderr.contains("name the one to run, e.g. racecar-host --plugin \(path) ScriptedConsumer"), "\(stderr)")
        for consumer in [
            "ScriptedConsumer", "ScriptedBatchConsumer", "ScriptedProducingConsumer", "ScriptedStatisticsConsumer",
            "HeaderEchoBatchConsumer",
        ] {
            #expect(stderr.contains(consumer), "lists \(consumer): \(stderr)")
        }
    }
}
