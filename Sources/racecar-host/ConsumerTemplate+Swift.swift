import Foundation

/// The Swift package: the consumer, a test that drives it through the SDK's `ConsumerHarness`,
/// and the README with the commands to build, test and run it.
extension ConsumerTemplate {
    var swiftFiles: [(path: String, contents: String)] {
        let type = name.typeName
        return [
            ("Package.swift", packageManifest),
            ("Sources/\(type)/\(type).swift", isBatch ? swiftBatchConsumer : swiftConsumer),
            ("Tests/\(type)Tests/\(type)Tests.swift", isBatch ? swiftBatchTest : swiftTest),
            (".gitignore", ".build/\n.swiftpm/\n"),
            ("README.md", swiftReadme),
        ]
    }

    private var packageManifest: String {
        let type = name.typeName
        // A path dependency's package identity is its folder's name.
        let sdkPackage = swiftLiteral(URL(fileURLWithPath: sdk).lastPathComponent)
        return #"""
            // swift-tools-version: 6.0
            // \#(type): a racecar-host consumer plugin, made by `racecar-host new \#(name.base)`. It depends
            // on the racecar SDK alone; build it with the same Swift toolchain as racecar-host (README.md).
            import PackageDescription

            let package = Package(
                name: "\#(type)",
                products: [
                    // The shared library racecar-host loads: .build/release/\#(library).
                    .library(name: "\#(type)", type: .dynamic, targets: ["\#(type)"])
                ],
                dependencies: [
                    // The SDK folder of a racecar-host checkout or installation.
                    .package(path: "\#(swiftLiteral(sdk))")
                ],
                targets: [
                    .target(name: "\#(type)", dependencies: [.product(name: "RacecarSDK", package: "\#(sdkPackage)")]),
                    .testTarget(
                        name: "\#(type)Tests",
                        dependencies: ["\#(type)", .product(name: "RacecarTesting", package: "\#(sdkPackage)")]
                    ),
                ]
            )

            """#
    }

    /// What a message becomes in the log: `<topic>/<partition>@<offset> <value>`.
    private var logLine: String {
        #"log("\(message.topic)/\(message.partition)@\(message.offset) \(message.value ?? "")")"#
    }

    private var swiftConsumer: String {
        #"""
        import RacecarSDK

        /// Consumes `\#(topic)` and logs each message. Put your code in `process`.
        final class \#(name.typeName): Consumer {
            // The placeholder topic, like Racecar's `subscribes_to`: change it to yours (one Subscription
            // per topic). Operators can override it with `subscribes_to` in racecar.yml.
            static let subscriptions = [Subscription("\#(topic)")]

            /// Called for each message, in order within its partition.
            ///
            /// A thrown error pauses the partition for `pause_timeout` seconds, then this message is
            /// retried: nothing is skipped.
            func process(_ message: Message) throws {
                \#(logLine)
            }
        }

        // The entry point racecar-host looks for: the consumers this library offers.
        @_cdecl("racecar_plugin_abi_v1")
        public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(\#(name.typeName).self) }

        """#
    }

    private var swiftBatchConsumer: String {
        #"""
        import RacecarSDK

        /// Consumes `\#(topic)` in batches and logs each message. Put your code in `processBatch`.
        final class \#(name.typeName): BatchConsumer {
            // The placeholder topic, like Racecar's `subscribes_to`: change it to yours (one Subscription
            // per topic). Operators can override it with `subscribes_to` in racecar.yml.
            static let subscriptions = [Subscription("\#(topic)")]

            /// Called with up to `fetch_messages` messages of one partition at a time, in offset order.
            ///
            /// A thrown error pauses the partition for `pause_timeout` seconds, then the batch is retried:
            /// nothing is skipped. Throw `PartialBatchFailure(processedCount:underlying:)` to retry only the
            /// messages after the first `processedCount`.
            func processBatch(_ messages: MessageBatch) throws {
                for message in messages {
                    \#(logLine)
                }
            }
        }

        // The entry point racecar-host looks for: the consumers this library offers.
        @_cdecl("racecar_plugin_abi_v1")
        public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(\#(name.typeName).self) }

        """#
    }

    private var swiftTest: String {
        let type = name.typeName
        return #"""
            import RacecarTesting
            import Testing

            @testable import \#(type)

            /// \#(type) run as racecar-host runs it, through the plugin's entry points, without Kafka.
            @Suite struct \#(type)Tests {
                @Test func logsEachMessageWithItsPosition() throws {
                    let harness = try ConsumerHarness(\#(type).self)
                    try harness.process(TestMessage(topic: "\#(topic)", partition: 2, offset: 7, value: "hello"))
                    #expect(harness.logs.map(\.message) == ["\#(topic)/2@7 hello"])
                }
            }

            """#
    }

    private var swiftBatchTest: String {
        let type = name.typeName
        return #"""
            import RacecarTesting
            import Testing

            @testable import \#(type)

            /// \#(type) run as racecar-host runs it, through the plugin's entry points, without Kafka.
            @Suite struct \#(type)Tests {
                @Test func logsEveryMessageOfABatch() throws {
                    let harness = try ConsumerHarness(\#(type).self)
                    let batch = (0..<3).map { offset in
                        TestMessage(topic: "\#(topic)", partition: 1, offset: Int64(offset), value: "v\(offset)")
                    }
                    try harness.processBatch(batch)
                    #expect(harness.logs.map(\.message) == (0..<3).map { "\#(topic)/1@\($0) v\($0)" })
                }
            }

            """#
    }

    private var swiftReadme: String {
        let type = name.typeName
        return #"""
            # \#(type)

            A consumer plugin for racecar-host, made by `racecar-host new \#(name.base)\#(isBatch ? " --batch" : "")`:
            a shared library that racecar-host loads and hands Kafka messages to. It subscribes to the
            placeholder topic `\#(topic)` and logs each message. Put your code in `\#(isBatch ? "processBatch" : "process")` in
            `Sources/\#(type)/\#(type).swift`, and change the topic there.

            ## Build, test, run

            ```sh
            \#(commands.joined(separator: "\n"))
            ```

            `swift test` runs `Tests/\#(type)Tests`, which hand messages to the consumer through
            `ConsumerHarness` (the SDK's `RacecarTesting`) as racecar-host would, without Kafka.

            racecar-host reads `racecar.yml` from the folder it runs in (`racecar-host init` writes one),
            `RACECAR_*` variables and flags; it connects to Kafka at localhost:9092 unless told otherwise.
            For a Kafka in memory, run `racecar-host mock-cluster --topic \#(topic) --sample-messages 5` in
            another terminal and paste the `export RACECAR_BROKERS=...` line it prints before the run command.

            ## Rules

            - Build with the same Swift toolchain as the racecar-host that loads the plugin: Swift has no
              stable ABI on Linux (racecar-host warns when the toolchains differ).
            - Never build with `-static-stdlib`: the plugin and the host share one Swift runtime.
            - Depend on the racecar SDK alone (`Package.swift` names its folder, \#(sdk)): the host brings
              Kafka and everything else.
            - racecar-host never unloads a plugin (Swift libraries cannot be unloaded safely).

            """#
    }

    /// `text` inside a Swift string literal.
    private func swiftLiteral(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
