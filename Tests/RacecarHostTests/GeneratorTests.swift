import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// `racecar-host init` and `racecar-host new` on the real binary: the racecar.yml loads, and each
/// generated package builds, passes its own tests and runs in the host against the mock cluster.
@Suite(.timeLimit(.minutes(10))) struct GeneratorTests {
    let directory = TestPaths.temporaryDirectory()
    let sdk = TestPaths.repository.appendingPathComponent("SDK").path

    /// Runs `racecar-host` to completion in `folder`.
    func host(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) async throws -> (
        status: Int32, stdout: [String], stderr: String
    ) {
        let process = try HostProcess(arguments, environment: environment, workingDirectory: folder)
        let status = try await process.waitForExit()
        return (status, process.lines, process.stderr)
    }

    // MARK: init

    @Test func initWritesARacecarYmlWhoseEveryKeyLoads() async throws {
        let written = try await host(["init"], in: directory)
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.first == "wrote racecar.yml (sections common, development and production)")
        #expect(written.stdout.contains { $0.contains("racecar-host new TapDance") }, "names the next step")
        let path = directory.appendingPathComponent("racecar.yml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)

        let development = try load(path, environment: "development")
        #expect(development.brokers == ["localhost:9092"])
        #expect(development.sessionTimeout == .seconds(6) && development.offsetCommitInterval == .seconds(1))
        let production = try load(path, environment: "production", variables: ["KAFKA_BROKERS": "kafka1:9092"])
        #expect(production.brokers == ["kafka1:9092"])
        #expect(production.groupIDPrefix == "prod." && production.clientID == "my-app")
        #expect(production.offsetCommitInterval == .seconds(10) && production.pauseTimeout == .seconds(10))
        #expect(production.deadLetterTopic == nil, "commented out")

        // Every commented-out key, restored, is a key too, and the consumer section applies.
        let restoredPath = directory.appendingPathComponent("restored.yml").path
        try uncommentingSettings(text).write(toFile: restoredPath, atomically: true, encoding: .utf8)
        let restored = try load(restoredPath, environment: "production")
        #expect(restored.pauseWithExponentialBackoff && restored.maxPauseTimeout == .seconds(300))
        #expect(restored.deadLetterTopic == "dead-letters" && restored.maxRetries == 5)
        #expect(restored.fetchMessages == 500 && restored.subscribesTo == ["tap_dance"])
        _ = try load(restoredPath, environment: "development")

        let again = try await host(["init"], in: directory)
        #expect(again.status == 1)
        #expect(
            again.stderr == "racecar-host: error: racecar.yml already exists; not overwriting it "
                + "(pass --path FILE to write another file)\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "the file is untouched")

        let elsewhere = try await host(["init", "--path", "config/racecar.yml"], in: directory)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        let other = try String(
            contentsOfFile: directory.appendingPathComponent("config/racecar.yml").path, encoding: .utf8)
        #expect(other == text)
    }

    /// Loads racecar.yml as the host does for a `TapDanceConsumer` subscribed to `tap_dance`; an
    /// unknown key is an error.
    func load(_ path: String, environment: String, variables: [String: String] = [:]) throws -> RacecarConfig {
        let loader = ConfigLoader(
            configPath: path, environmentName: environment, environment: variables,
            clientPropertyCheck: RacecarConfig.validateClientProperties)
        let consumer = ConsumerDefaults(
            name: "TapDanceConsumer", subscriptions: [.init(topic: "tap_dance", startFromBeginning: true)])
        let (config, warnings) = try loader.load(for: consumer, offered: ["TapDanceConsumer"])
        #expect(warnings.isEmpty)
        return config
    }

    /// `text` with its commented-out settings (`# key: value`, `# Section:`) restored; comments that
    /// explain never start with a word and a colon.
    func uncommentingSettings(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let indent = line.prefix { $0 == " " }
            guard line.dropFirst(indent.count).hasPrefix("# ") else { return String(line) }
            let setting = line.dropFirst(indent.count + 2)
            let word = setting.drop { $0 == " " }.prefix { $0.isLetter || $0 == "_" }
            let isSetting = !word.isEmpty && setting.drop { $0 == " " }.dropFirst(word.count).first == ":"
            return isSetting ? String(indent + setting) : String(line)
        }.joined(separator: "\n")
    }

    // MARK: new

    /// A consumer `racecar-host new` writes and builds, and what it subscribes to.
    struct Generated: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var topic: String
        var consumer: String { "\(name)Consumer" }
        var testDescription: String { "new \(([name] + arguments).joined(separator: " "))" }
    }

    static let swiftConsumers = [
        Generated(name: "TapDance", arguments: [], topic: "tap_dance"),
        Generated(name: "Batchy", arguments: ["--batch"], topic: "batchy"),
    ]

    static let cConsumers = [
        Generated(name: "TapDance", arguments: ["--language", "c"], topic: "tap_dance"),
        Generated(name: "Batchy", arguments: ["--language", "c", "--batch"], topic: "batchy"),
    ]

    /// Runs `new`, checks what it wrote and printed, and returns the package folder.
    func generate(_ generated: Generated, files: [String]) async throws -> URL {
        let package = directory.appendingPathComponent(generated.name)
        let made = try await host(["new", generated.name, "--sdk", sdk] + generated.arguments, in: directory)
        #expect(made.status == 0, "\(made.stderr)")
        for file in files {
            #expect(FileManager.default.fileExists(atPath: package.appendingPathComponent(file).path), "\(file)")
            #expect(made.stdout.contains("  \(generated.name)/\(file)"), "lists \(file)")
        }
        #expect(made.stdout.contains("  cd \(generated.name)"), "says what to run next")
        return package
    }

    @Test(arguments: swiftConsumers)
    func swiftConsumerBuildsPassesItsTestAndRunsInTheHost(_ generated: Generated) async throws {
        let type = generated.consumer
        let package = try await generate(
            generated,
            files: [
                "Package.swift", "Sources/\(type)/\(type).swift", "Tests/\(type)Tests/\(type)Tests.swift",
                ".gitignore", "README.md",
            ])
        let manifest = try String(contentsOf: package.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.hasPrefix("// swift-tools-version: 6.0\n"))
        #expect(manifest.contains(#".package(path: "\#(sdk)")"#), "depends on the SDK by its absolute path")
        #expect(manifest.contains("type: .dynamic"))
        let readme = try String(contentsOf: package.appendingPathComponent("README.md"), encoding: .utf8)
        for command in [
            "swift build -c release", "swift test", "racecar-host --plugin .build/release/lib\(type).so \(type)",
            "-static-stdlib",
        ] {
            #expect(readme.contains(command), "README: \(command)")
        }

        // Built once, tests included, with its own scratch path; `swift test` then only runs them.
        let swift = try PackageBuild.swift()
        let scratch = package.appendingPathComponent(".build").path
        // Tens of megabytes per build, left in the temporary folder otherwise.
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let built = try await PackageBuild.run(
            swift, ["build", "--build-tests", "--scratch-path", scratch], in: package)
        try #require(built.status == 0, "swift build: \(built.output.suffix(3000))")
        #expect(!built.output.contains("warning:"), "\(built.output)")
        let tested = try await PackageBuild.run(
            swift, ["test", "--skip-build", "--scratch-path", scratch], in: package)
        #expect(tested.status == 0, "swift test: \(tested.output.suffix(3000))")
        #expect(tested.output.contains("Test run with 1 test in 1 suite passed"), "\(tested.output.suffix(3000))")

        try await expectEveryMessageProcessed(
            plugin: package.appendingPathComponent(".build/debug/lib\(type).so").path, generated)
    }

    @Test(arguments: cConsumers)
    func cConsumerBuildsWithMakeAndRunsInTheHost(_ generated: Generated) async throws {
        let source = "\(generated.topic)_consumer.c"
        let package = try await generate(generated, files: [source, "Makefile", ".gitignore", "README.md"])
        let makefile = try String(contentsOf: package.appendingPathComponent("Makefile"), encoding: .utf8)
        #expect(makefile.contains("RACECAR_SDK ?= \(sdk)\n"))
        let code = try String(contentsOf: package.appendingPathComponent(source), encoding: .utf8)
        let isBatch = generated.arguments.contains("--batch")
        #expect(code.contains(".process_batch = ") == isBatch && code.contains(".process = ") == !isBatch)

        let built = try await PackageBuild.run("/usr/bin/env", ["make"], in: package)
        try #require(built.status == 0, "make: \(built.output)")
        #expect(built.output.contains("-shared -fPIC -Wall -Werror -I \"\(sdk)/CRacecarPlugin/include\""))

        try await expectEveryMessageProcessed(
            plugin: package.appendingPathComponent("lib\(generated.consumer).so").path, generated)
    }

    /// Loads `plugin` into the host against a mock cluster with messages in the consumer's
    /// placeholder topic: every one is logged as `<topic>/<partition>@<offset>`, in order, and
    /// SIGTERM stops the host cleanly.
    func expectEveryMessageProcessed(plugin: String, _ generated: Generated) async throws {
        let cluster = try MockCluster()
        try cluster.createTopic(generated.topic, partitions: 2)
        try await cluster.produceNumbered(topic: generated.topic, partitions: 2, perPartition: 10)
        let host = try HostProcess(
            ["--plugin", plugin, generated.consumer],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "RACECAR_SOCKET_TIMEOUT": "10",
            ],
            workingDirectory: directory)
        // The consumer logs through the host, to standard error.
        func logged() -> [ProcessedLine] {
            host.stderr.split(separator: "\n").compactMap { line in
                line.range(of: ": \(generated.topic)/").flatMap {
                    ProcessedLine(String(line[$0.lowerBound...].dropFirst(2)))
                }
            }
        }
        try await host.waitFor("20 logged messages") { _ in logged().count >= 20 }
        var offsets: [Int32: [Int64]] = [:]
        for line in logged() {
            #expect(line.topic == generated.topic)
            offsets[line.partition, default: []].append(line.offset)
        }
        #expect(offsets == [0: Array(0..<10), 1: Array(0..<10)])
        #expect(host.stderr.contains("\(generated.topic)/1@7 value-1-7"), "logs the value")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(host.stderr.suffix(2000))")
    }

    // MARK: Finding the SDK

    @Test func sdkDefaultsToTheCheckoutTheHostWasBuiltIn() async throws {
        let made = try await host(["new", "TapDance", "--language", "c"], in: directory)
        #expect(made.status == 0, "\(made.stderr)")
        let makefile = try String(
            contentsOf: directory.appendingPathComponent("TapDance/Makefile"), encoding: .utf8)
        let checkout = URL(fileURLWithPath: TestPaths.host).resolvingSymlinksInPath()
        #expect(checkout.path.hasPrefix(TestPaths.repository.path + "/"))
        #expect(makefile.contains("RACECAR_SDK ?= \(TestPaths.repository.appendingPathComponent("SDK").path)\n"))
    }

    @Test func sdkPathVariableNamesTheSDKAndItsPackageIdentity() async throws {
        // An SDK folder named otherwise: its name is the package identity the manifest must use.
        let renamed = directory.appendingPathComponent("racecar-sdk")
        try FileManager.default.createSymbolicLink(atPath: renamed.path, withDestinationPath: sdk)
        let made = try await host(["new", "TapDance"], in: directory, environment: ["RACECAR_SDK_PATH": renamed.path])
        #expect(made.status == 0, "\(made.stderr)")
        let manifest = try String(
            contentsOf: directory.appendingPathComponent("TapDance/Package.swift"), encoding: .utf8)
        #expect(manifest.contains(#".package(path: "\#(renamed.path)")"#))
        #expect(manifest.contains(#".product(name: "RacecarSDK", package: "racecar-sdk")"#))
    }

    @Test func anInstalledHostFindsTheSDKInShareOrSaysToPassIt() async throws {
        // A copy outside the checkout, as installed: nothing above it is an SDK.
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let installed = bin.appendingPathComponent("racecar-host").path
        try FileManager.default.copyItem(atPath: TestPaths.host, toPath: installed)
        let work = directory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        let missing = try HostProcess(["new", "TapDance"], executable: installed, workingDirectory: work)
        #expect(try await missing.waitForExit() == 1)
        #expect(missing.stderr.hasPrefix("racecar-host: error: the racecar SDK was not found"))
        #expect(missing.stderr.hasSuffix("; pass --sdk PATH, the SDK folder of a racecar-host checkout\n"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty, "nothing written")

        let share = directory.appendingPathComponent("share/racecar-host")
        try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: share.appendingPathComponent("SDK").path, withDestinationPath: sdk)
        let found = try HostProcess(
            ["new", "TapDance", "--language", "c"], executable: installed, workingDirectory: work)
        #expect(try await found.waitForExit() == 0, "\(found.stderr)")
        let makefile = try String(contentsOf: work.appendingPathComponent("TapDance/Makefile"), encoding: .utf8)
        #expect(makefile.contains("RACECAR_SDK ?= \(share.appendingPathComponent("SDK").path)\n"))
    }

    // MARK: Bad input

    /// A mistake `new` refuses, and what its one line must say.
    struct BadInput: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var message: String
        var testDescription: String { "new " + arguments.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " ") }
    }

    static let badInputs = [
        BadInput(arguments: ["tap-dance"], message: "`tap-dance` is not a valid consumer name"),
        BadInput(arguments: ["9Lives"], message: "`9Lives` is not a valid consumer name"),
        BadInput(arguments: [""], message: "an empty name is not a valid consumer name"),
        BadInput(arguments: ["Batch"], message: "`Batch` would make a consumer named BatchConsumer, which is a type"),
        BadInput(arguments: ["TapDance", "--language", "rust"], message: "unknown language `rust` for TapDance"),
        BadInput(arguments: ["TapDance", "--path", "existing"], message: "existing already exists"),
        BadInput(arguments: ["TapDance", "--sdk", "existing"], message: "--sdk existing is not the racecar SDK"),
    ]

    @Test(arguments: badInputs)
    func newRefusesBadInputInOneLine(_ input: BadInput) async throws {
        let existing = directory.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        let sdkArguments = input.arguments.contains("--sdk") ? [] : ["--sdk", sdk]
        let refused = try await host(["new"] + input.arguments + sdkArguments, in: directory)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("racecar-host: error: \(input.message)"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "one line: \(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["existing"], "nothing written")
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing.path).isEmpty)
    }

    @Test func consumerSuffixIsNotDoubled() async throws {
        let made = try await host(["new", "TapDanceConsumer", "--language", "c", "--sdk", sdk], in: directory)
        #expect(made.status == 0, "\(made.stderr)")
        let code = try String(
            contentsOf: directory.appendingPathComponent("TapDanceConsumer/tap_dance_consumer.c"), encoding: .utf8)
        #expect(code.contains(#".name = "TapDanceConsumer""#))
        #expect(code.contains(#".topic = "tap_dance""#))
    }
}
