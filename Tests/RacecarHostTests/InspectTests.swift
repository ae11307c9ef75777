import Foundation
import RacecarOperations
import RacecarPluginHosting
import Testing

/// `racecar-host inspect`: what each shipped plugin declares in its source, as text and as
/// JSON, read from the descriptor alone (never the init function), and one line with status 1
/// for each kind of bad input.
@Suite(.timeLimit(.minutes(2))) struct InspectTests {
    /// The JSON `inspect --json` prints, decoded independently of the host's own model.
    struct Plugin: Decodable, Equatable {
        var path: String
        var abiMajor: UInt32
        var abiMinor: UInt32
        var sdkVersion: String?
        var toolchain: String?
        var toolchainWarning: String?
        var consumers: [Consumer]
    }

    struct Consumer: Decodable, Equatable {
        var name: String
        var subscriptions: [Subscription]
        var groupId: String
        var groupIdDerived = true
        var fetchMessages: Int?
        var maxWaitTime: Double?
        var batch = false
        var flags = ["headers_on_demand"]
        var hooks = InspectTests.swiftHooks
        var settings: [Setting] = []
    }

    struct Subscription: Decodable, Equatable {
        var topic: String
        var startFromBeginning = true
        var kafkaProperties: [String] = []
    }

    struct Setting: Decodable, Equatable {
        var name: String
        var description: String?
        var required: Bool
        var secret: Bool
    }

    /// Every Swift consumer gets these from the SDK; `on_statistics` only with `ReceivesStatistics`.
    static let swiftHooks = ["teardown", "destroy", "on_error", "on_partitions_assigned", "on_partitions_revoked"]
    static let events = [Subscription(topic: "events")]

    /// What each shipped plugin's source declares.
    static let declared: [String: [Consumer]] = [
        "EchoConsumer": [Consumer(name: "EchoConsumer", subscriptions: events, groupId: "echo-consumer")],
        "ArchiveEventsConsumer": [
            Consumer(
                name: "ArchiveEventsConsumer", subscriptions: events, groupId: "archive-events-consumer",
                fetchMessages: 100, batch: true,
                settings: [
                    Setting(
                        name: "archive_dir", description: "the folder batches are written to", required: true,
                        secret: false)
                ])
        ],
        "GeoCodingConsumer": [
            Consumer(
                name: "GeoCodingConsumer", subscriptions: [Subscription(topic: "pageviews")],
                groupId: "geo-coding-consumer")
        ],
        "CountingCConsumer": [
            Consumer(
                name: "CountingCConsumer", subscriptions: events, groupId: "counting-cconsumer",
                hooks: ["teardown", "destroy"])
        ],
        "ScriptedTestConsumers": [
            Consumer(
                name: "ScriptedConsumer",
                subscriptions: [Subscription(topic: "events", kafkaProperties: ["fetch.error.backoff.ms=250"])],
                groupId: "scripted-consumer"),
            Consumer(
                name: "ScriptedBatchConsumer", subscriptions: events, groupId: "scripted-batch-consumer",
                fetchMessages: 10, batch: true),
            Consumer(name: "ScriptedProducingConsumer", subscriptions: events, groupId: "scripted-producing-consumer"),
            Consumer(
                name: "ScriptedStatisticsConsumer", subscriptions: events, groupId: "scripted-statistics-consumer",
                hooks: swiftHooks + ["on_statistics"]),
            Consumer(
                name: "HeaderEchoBatchConsumer", subscriptions: events, groupId: "header-echo-batch-consumer",
                batch: true),
            Consumer(name: "BytesProducingConsumer", subscriptions: events, groupId: "bytes-producing-consumer"),
        ],
    ]

    static let shippedPlugins = declared.keys.sorted()

    func inspect(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await HostProcess.run(["inspect"] + arguments)
    }

    func inspectJSON(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Plugin {
        let (status, stdout, stderr) = try await inspect(["--json", path])
        #expect(status == 0, "\(stderr)", sourceLocation: sourceLocation)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Plugin.self, from: Data(stdout.utf8))
    }

    /// The text `inspect` prints for `consumer`, as the README's keys name its defaults.
    func expectedText(_ consumer: Consumer) -> [String] {
        func row(_ label: String, _ value: String) -> String {
            "  " + label.padding(toLength: 16, withPad: " ", startingAt: 0) + value
        }
        var lines = ["consumer \(consumer.name)"]
        for subscription in consumer.subscriptions {
            let properties =
                subscription.kafkaProperties.isEmpty
                ? "" : "; librdkafka \(subscription.kafkaProperties.joined(separator: ", "))"
            lines.append(
                row(
                    "subscription",
                    "\(subscription.topic) (start_from_beginning \(subscription.startFromBeginning)\(properties))"))
        }
        lines.append(
            row("group_id", consumer.groupId + (consumer.groupIdDerived ? " (derived from the consumer name)" : "")))
        lines.append(row("fetch_messages", consumer.fetchMessages.map(String.init) ?? "1000 (the host's default)"))
        lines.append(row("max_wait_time", consumer.maxWaitTime.map { "\($0) s" } ?? "1 s (the host's default)"))
        lines.append(row("batch", consumer.batch ? "yes (process_batch)" : "no (process)"))
        lines.append(row("flags", consumer.flags.isEmpty ? "(none)" : consumer.flags.joined(separator: ", ")))
        lines.append(row("hooks", consumer.hooks.isEmpty ? "(none)" : consumer.hooks.joined(separator: ", ")))
        if consumer.settings.isEmpty { lines.append(row("settings", "(none)")) }
        for setting in consumer.settings {
            let marks = [setting.required ? "required" : nil, setting.secret ? "secret" : nil].compactMap { $0 }
            let detail = marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"
            lines.append(row("setting", setting.name + detail + (setting.description.map { ": \($0)" } ?? "")))
        }
        return lines
    }

    @Test(arguments: shippedPlugins)
    func jsonListsWhatThePluginDeclares(plugin: String) async throws {
        let path = TestPaths.plugin(plugin)
        let inspected = try await inspectJSON(path)
        #expect(inspected.path == path)
        #expect(inspected.abiMajor == PluginLoader.abiMajor && inspected.abiMinor == PluginLoader.abiMinor)
        #expect(inspected.consumers == Self.declared[plugin])
        if plugin == "CountingCConsumer" {
            #expect(inspected.sdkVersion == "c-header" && inspected.toolchain == "c")
        } else {
            #expect(inspected.sdkVersion == "swift-sdk \(BuildInfo.sdkVersion)")
            #expect(inspected.toolchain?.hasPrefix("swift-") == true, "\(inspected)")
        }
        #expect(inspected.toolchainWarning == nil, "built with the host's toolchain")
    }

    @Test func jsonIsOneObjectWithSortedKeysAndExplicitNulls() async throws {
        let (status, stdout, stderr) = try await inspect(["--json", TestPaths.plugin("ArchiveEventsConsumer")])
        #expect(status == 0, "\(stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let consumer = try #require((object["consumers"] as? [[String: Any]])?.first)
        #expect(consumer["max_wait_time"] is NSNull, "a default the plugin leaves to the host is null: \(consumer)")
        #expect(consumer["fetch_messages"] as? Int == 100)
        #expect(object["toolchain_warning"] is NSNull)
        // Pretty-printed: the top level's keys are the lines indented by two spaces.
        let topLevelKeys = stdout.split(separator: "\n").filter { $0.hasPrefix("  \"") }.compactMap {
            $0.dropFirst(3).split(separator: "\"").first.map(String.init)
        }
        #expect(
            topLevelKeys == [
                "abi_major", "abi_minor", "consumers", "path", "sdk_version", "toolchain", "toolchain_warning",
            ])
    }

    @Test(arguments: shippedPlugins)
    func textListsWhatThePluginDeclares(plugin: String) async throws {
        let path = TestPaths.plugin(plugin)
        let (status, stdout, stderr) = try await inspect([path])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.isEmpty, "\(stderr)")
        let sections = stdout.components(separatedBy: "\n\n")
        let header = sections[0].split(separator: "\n").map(String.init)
        let abi = "\(PluginLoader.abiMajor).\(PluginLoader.abiMinor)"
        #expect(header.first == "plugin \(path)")
        #expect(header.contains("  abi             \(abi) (this host speaks \(abi))"), "\(stdout)")
        let sdk = plugin == "CountingCConsumer" ? "c-header" : "swift-sdk \(BuildInfo.sdkVersion)"
        #expect(header.contains("  sdk_version     \(sdk)"), "\(stdout)")
        let consumers = sections.dropFirst().map { $0.split(separator: "\n").map(String.init) }
        #expect(consumers == (Self.declared[plugin] ?? []).map(expectedText))
    }

    @Test func anOlderPluginsHooksAndFlagsPastItsStructSizesAreNotRead() async throws {
        // The OLDER_STRUCTS fixture sets teardown, destroy and the headers flag as garbage past
        // the sizes it declares.
        let inspected = try await inspectJSON(try FixturePlugins.path("OLDER_STRUCTS"))
        #expect(inspected.abiMajor == 1 && inspected.abiMinor == 0)
        #expect(inspected.sdkVersion == "fixture" && inspected.toolchain == "c")
        #expect(
            inspected.consumers == [
                Consumer(
                    name: "FixtureConsumer", subscriptions: [Subscription(topic: "events")],
                    groupId: "fixture-consumer", flags: [], hooks: [])
            ])
    }

    @Test func inspectRunsNoInitFunction() async throws {
        // INIT_FAILS's init logs a warning, then fails: `run` shows both, `inspect` neither.
        let path = try FixturePlugins.path("INIT_FAILS")
        let (runStatus, _, runStderr) = try await HostProcess.run(["--plugin", path, "FixtureConsumer"])
        #expect(runStatus == 78)
        #expect(runStderr.contains("fixture init is about to fail"), "\(runStderr)")
        #expect(runStderr.contains("failed to initialise: license key missing"), "\(runStderr)")

        let (status, stdout, stderr) = try await inspect([path])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.isEmpty, "nothing of init ran: \(stderr)")
        #expect(stdout.contains("consumer FixtureConsumer"), "\(stdout)")
        let inspected = try await inspectJSON(path)
        #expect(inspected.consumers.map(\.name) == ["FixtureConsumer"])
    }

    /// A bad plugin makes one line naming the file and the problem, and status 1.
    func expectBadInput(_ path: String, contains expected: [String], sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        for arguments in [[path], ["--json", path]] {
            let (status, stdout, stderr) = try await inspect(arguments)
            #expect(status == 1, "\(arguments): \(stderr)", sourceLocation: sourceLocation)
            #expect(stdout.isEmpty, "\(stdout)", sourceLocation: sourceLocation)
            #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)", sourceLocation: sourceLocation)
            #expect(stderr.hasPrefix("racecar-host: error: "), "\(stderr)", sourceLocation: sourceLocation)
            for text in [path] + expected {
                #expect(stderr.contains(text), "\(stderr)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func missingFile() async throws {
        try await expectBadInput("/nonexistent/libNope.so", contains: ["plugin not found"])
    }

    @Test func fileThatIsNotASharedLibrary() async throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("libtext.so").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("not a library".utf8))
        try await expectBadInput(path, contains: ["is not a loadable shared library"])
    }

    @Test func libraryWithoutTheEntrySymbol() async throws {
        try await expectBadInput(
            try FixturePlugins.path("NO_SYMBOL"), contains: ["does not export the entry symbol racecar_plugin_abi_v1"])
    }

    @Test func otherMajorABIVersion() async throws {
        try await expectBadInput(
            try FixturePlugins.path("OTHER_MAJOR"),
            contains: [
                "plugin ABI \(PluginLoader.abiMajor + 1).\(PluginLoader.abiMinor)",
                "speaks ABI \(PluginLoader.abiMajor).\(PluginLoader.abiMinor)",
            ])
    }

    @Test func newerMinorABIVersion() async throws {
        try await expectBadInput(
            try FixturePlugins.path("NEWER_MINOR"),
            contains: ["plugin ABI \(PluginLoader.abiMajor).\(PluginLoader.abiMinor + 1)", "upgrade the host"])
    }

    @Test func consumerWithFlagsTheHostDoesNotKnow() async throws {
        try await expectBadInput(
            try FixturePlugins.path("UNKNOWN_FLAGS"), contains: ["sets flags this host does not know (0x80)"])
    }

    @Test func aMistypedInspectIsNamedWithASuggestion() async throws {
        let (status, _, stderr) = try await HostProcess.run(["inspetc", TestPaths.plugin("EchoConsumer")])
        #expect(status == 64)
        #expect(
            stderr.hasPrefix("racecar-host: error: `inspetc` is not a racecar-host command; did you mean `inspect`?"),
            "\(stderr)")
    }
}
