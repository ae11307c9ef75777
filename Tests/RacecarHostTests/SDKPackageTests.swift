import Foundation
import RacecarKafka
import Testing

/// The SDK is a package of its own that a plugin depends on alone, by path or by repository URL
/// and version; what a plugin builds against it loads into the real host.
@Suite(.timeLimit(.minutes(10))) struct SDKPackageTests {
    let directory = TestPaths.temporaryDirectory()

    @Test func theUserBanExampleBuildsAgainstTheSDKAloneAndProcessesMessages() async throws {
        let example = TestPaths.repository.appendingPathComponent("examples/UserBanConsumer")
        let scratch = directory.appendingPathComponent("build")
        let swift = try PackageBuild.swift()
        let dependencies = try await PackageBuild.run(
            swift, ["package", "--scratch-path", scratch.path, "show-dependencies", "--format", "json"], in: example)
        #expect(dependencies.status == 0, "\(dependencies.output)")
        #expect(try Self.dependencyNames(dependencies.output) == ["racecar-sdk"], "the SDK, and nothing under it")

        let build = try await PackageBuild.run(swift, ["build", "--scratch-path", scratch.path], in: example)
        try #require(build.status == 0, "\(build.output)")

        let cluster = try MockCluster()
        try cluster.createTopic("user_banned", partitions: 1)
        try await cluster.produceOffPool(
            topic: "user_banned", messages: [(nil, #"{"user_id": 7}"#, nil), (nil, #"{"user_id": 8}"#, nil)])
        let host = try HostProcess(
            ["--plugin", scratch.appendingPathComponent("debug/libUserBanConsumer.so").path, "UserBanConsumer"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1"])
        try await host.waitForStderr("both users banned") {
            $0.contains("banning user 7") && $0.contains("banning user 8")
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func aPluginDependsOnTheSDKByRepositoryURLAndVersion() async throws {
        // The SDK folder as a repository of its own, tagged with the SDK's version, as it is published.
        let repository = directory.appendingPathComponent("racecar-sdk")
        try FileManager.default.copyItem(at: TestPaths.repository.appendingPathComponent("SDK"), to: repository)
        try? FileManager.default.removeItem(at: repository.appendingPathComponent(".build"))
        for arguments in [
            ["init", "-q"], ["add", "."],
            ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "SDK"],
            ["tag", "0.2.0"],
        ] {
            let git = try await PackageBuild.run("/usr/bin/git", arguments, in: repository)
            try #require(git.status == 0, "git \(arguments): \(git.output)")
        }

        let plugin = directory.appendingPathComponent("BannedByURL")
        let sources = plugin.appendingPathComponent("Sources/UserBanConsumer")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: TestPaths.repository.appendingPathComponent(
                "examples/UserBanConsumer/Sources/UserBanConsumer/UserBanConsumer.swift"),
            to: sources.appendingPathComponent("UserBanConsumer.swift"))
        try """
        // swift-tools-version: 6.0
        import PackageDescription

        let package = Package(
            name: "BannedByURL",
            products: [.library(name: "UserBanConsumer", type: .dynamic, targets: ["UserBanConsumer"])],
            dependencies: [.package(url: "\(repository.absoluteString)", from: "0.2.0")],
            targets: [
                .target(name: "UserBanConsumer", dependencies: [.product(name: "RacecarSDK", package: "racecar-sdk")])
            ]
        )
        """.write(to: plugin.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)

        let build = try await PackageBuild.run(try PackageBuild.swift(), ["build"], in: plugin)
        try #require(build.status == 0, "\(build.output)")
        let resolved = try String(contentsOf: plugin.appendingPathComponent("Package.resolved"), encoding: .utf8)
        #expect(resolved.contains(#""version" : "0.2.0""#), "\(resolved)")

        let config = try await HostProcess.run(
            [
                "config", "--plugin", plugin.appendingPathComponent(".build/debug/libUserBanConsumer.so").path,
                "UserBanConsumer",
            ])
        #expect(config.status == 0, "\(config.stderr)")
        #expect(config.stdout.contains("user_banned"))
    }

    /// The names of the packages in `swift package show-dependencies --format json`, depth first.
    private static func dependencyNames(_ json: String) throws -> [String] {
        struct Node: Decodable {
            var name: String
            var dependencies: [Node]
        }
        func names(_ node: Node) -> [String] { [node.name] + node.dependencies.flatMap(names) }
        // The output may begin with resolution messages before the JSON.
        let start = try #require(json.firstIndex(of: "{"))
        let root = try JSONDecoder().decode(Node.self, from: Data(json[start...].utf8))
        return root.dependencies.flatMap(names)
    }
}
