// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "racecar-host",
    products: [
        .executable(name: "racecar-host", targets: ["racecar-host"]),
        .executable(name: "racecarctl", targets: ["racecarctl"]),
        .library(name: "EchoConsumer", type: .dynamic, targets: ["EchoConsumer"]),
        .library(name: "ArchiveEventsConsumer", type: .dynamic, targets: ["ArchiveEventsConsumer"]),
        .library(name: "GeoCodingConsumer", type: .dynamic, targets: ["GeoCodingConsumer"]),
        .library(name: "CountingCConsumer", type: .dynamic, targets: ["CountingCConsumer"]),
        .library(name: "ScriptedTestConsumers", type: .dynamic, targets: ["ScriptedTestConsumers"]),
        .library(name: "CrashTestConsumers", type: .dynamic, targets: ["CrashTestConsumers"]),
        .library(name: "NoopConsumer", type: .dynamic, targets: ["NoopConsumer"]),
        .library(name: "NoopCConsumer", type: .dynamic, targets: ["NoopCConsumer"]),
        .executable(name: "raw-consumer", targets: ["raw-consumer"]),
        .executable(name: "racecar-bench", targets: ["racecar-bench"]),
        .executable(name: "reload-bench", targets: ["reload-bench"]),
    ],
    dependencies: [
        // The plugin contract (the C header, the Swift SDK and its test kit) is its own small
        // package, so that plugins depend on it alone.
        .package(path: "SDK"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The HTTP endpoint and its client: swift-nio (NIOCore, NIOPosix, NIOHTTP1) needs no
        // FoundationNetworking, which FlyingFox imported: that loaded libcurl and its chain into
        // every host process, 3.6 MB of an idle host's RSS, for code none of them called.
        // swift-nio adds about 46 s to a first debug build (README, The HTTP endpoint).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The host, one target per layer. Allowed imports (checked by .ci/check-layers):
        // runtime -> Kafka, plugin hosting, configuration, instrumentation; plugin hosting ->
        // configuration; Kafka -> configuration; instrumentation -> none of ours; operations ->
        // runtime and below; endpoint -> configuration, instrumentation; supervision ->
        // operations, endpoint, plugin hosting, configuration, instrumentation; the executables
        // compose them.
        .systemLibrary(
            name: "CRdKafka",
            path: "Sources/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(name: "CGlibcMalloc", path: "Sources/CGlibcMalloc"),
        .systemLibrary(name: "CProcessControl", path: "Sources/CProcessControl"),
        .target(
            name: "RacecarConfiguration",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "RacecarInstrumentation",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "RacecarKafka",
            dependencies: ["CRdKafka", "RacecarConfiguration", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "RacecarPluginHosting",
            dependencies: [
                .product(name: "CRacecarPlugin", package: "SDK"), "RacecarConfiguration",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RacecarRuntime",
            dependencies: [
                "RacecarConfiguration",
                "RacecarInstrumentation",
                "RacecarKafka",
                "RacecarPluginHosting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "RacecarOperations",
            dependencies: [
                "RacecarConfiguration",
                "RacecarInstrumentation",
                "RacecarRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP endpoint: probes, Prometheus metrics, status, control.
        .target(
            name: "RacecarEndpoint",
            dependencies: [
                "RacecarConfiguration",
                "RacecarInstrumentation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The supervisor of parallel_workers: worker processes, restarts, their status.
        .target(
            name: "RacecarSupervision",
            dependencies: [
                "CProcessControl",
                "RacecarConfiguration",
                "RacecarEndpoint",
                "RacecarInstrumentation",
                "RacecarOperations",
                "RacecarPluginHosting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "racecarctl",
            dependencies: [
                "RacecarConfiguration",
                "RacecarEndpoint",
                "RacecarInstrumentation",
                "RacecarKafka",
                "RacecarOperations",
                "RacecarPluginHosting",
                "RacecarSupervision",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "racecar-host",
            dependencies: [
                "CGlibcMalloc",
                "RacecarConfiguration",
                "RacecarEndpoint",
                "RacecarInstrumentation",
                "RacecarKafka",
                "RacecarOperations",
                "RacecarPluginHosting",
                "RacecarRuntime",
                "RacecarSupervision",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Consumers we ship.
        .target(
            name: "EchoConsumer", dependencies: [.product(name: "RacecarSDK", package: "SDK")],
            path: "Plugins/EchoConsumer"),
        .target(
            name: "ArchiveEventsConsumer", dependencies: [.product(name: "RacecarSDK", package: "SDK")],
            path: "Plugins/ArchiveEventsConsumer"),
        .target(
            name: "GeoCodingConsumer", dependencies: [.product(name: "RacecarSDK", package: "SDK")],
            path: "Plugins/GeoCodingConsumer"),
        .target(
            name: "CountingCConsumer", dependencies: [.product(name: "CRacecarPlugin", package: "SDK")],
            path: "Plugins/CountingCConsumer",
            publicHeadersPath: "."),

        // The throughput benchmark (`swift run -c release racecar-bench`) and what it runs: the
        // raw librdkafka consumer it compares against, the no-op plugins, and their reading of
        // their own memory.
        .target(name: "CProcessStatus", path: "Sources/Benchmarks/CProcessStatus"),
        .target(
            name: "NoopConsumer", dependencies: [.product(name: "RacecarSDK", package: "SDK"), "CProcessStatus"],
            path: "Sources/Benchmarks/NoopConsumer"),
        .target(
            name: "NoopCConsumer", dependencies: [.product(name: "CRacecarPlugin", package: "SDK"), "CProcessStatus"],
            path: "Sources/Benchmarks/NoopCConsumer", publicHeadersPath: "."),
        .executableTarget(
            name: "raw-consumer", dependencies: ["CRdKafka", "CProcessStatus"],
            path: "Sources/Benchmarks/raw-consumer"),
        .executableTarget(
            name: "racecar-bench",
            dependencies: [
                "RacecarKafka",
                .product(name: "CRacecarPlugin", package: "SDK"),
                "CRdKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Benchmarks/racecar-bench",
            exclude: ["results"]
        ),

        // Live swap under a steady stream (`swift run -c release reload-bench`).
        .executableTarget(
            name: "reload-bench",
            dependencies: ["RacecarKafka", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Benchmarks/reload-bench"
        ),

        // Tests.
        .target(
            name: "ScriptedTestConsumers", dependencies: [.product(name: "RacecarSDK", package: "SDK")],
            path: "Tests/Plugins/ScriptedTestConsumers"),
        .target(
            name: "CrashTestConsumers", dependencies: [.product(name: "RacecarSDK", package: "SDK")],
            path: "Tests/Plugins/CrashTestConsumers"),
        .testTarget(
            name: "RacecarTestingTests",
            dependencies: [.product(name: "RacecarTesting", package: "SDK"), "GeoCodingConsumer"]
        ),
        .testTarget(
            name: "RacecarHostTests",
            dependencies: [
                "CRdKafka",
                "RacecarConfiguration",
                "RacecarEndpoint",
                "RacecarInstrumentation",
                "RacecarKafka",
                "RacecarOperations",
                "RacecarPluginHosting",
                "RacecarRuntime",
                "RacecarSupervision",
                .product(name: "RacecarSDK", package: "SDK"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)
