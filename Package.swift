// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "racecar-host",
    products: [
        .executable(name: "racecar-host", targets: ["racecar-host"]),
        .executable(name: "racecarctl", targets: ["racecarctl"]),
        .library(name: "RacecarSDK", targets: ["RacecarSDK"]),
        .library(name: "RacecarTesting", targets: ["RacecarTesting"]),
        .library(name: "EchoConsumer", type: .dynamic, targets: ["EchoConsumer"]),
        .library(name: "ArchiveEventsConsumer", type: .dynamic, targets: ["ArchiveEventsConsumer"]),
        .library(name: "GeoCodingConsumer", type: .dynamic, targets: ["GeoCodingConsumer"]),
        .library(name: "CountingCConsumer", type: .dynamic, targets: ["CountingCConsumer"]),
        .library(name: "ScriptedTestConsumers", type: .dynamic, targets: ["ScriptedTestConsumers"]),
        .library(name: "NoopConsumer", type: .dynamic, targets: ["NoopConsumer"]),
        .library(name: "NoopCConsumer", type: .dynamic, targets: ["NoopCConsumer"]),
        .executable(name: "raw-consumer", targets: ["raw-consumer"]),
        .executable(name: "racecar-bench", targets: ["racecar-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // The plugin contract: the C header plugin authors read, and the Swift layer over it.
        .target(name: "CRacecarPlugin", path: "SDK/CRacecarPlugin"),
        .target(name: "RacecarSDK", dependencies: ["CRacecarPlugin"], path: "SDK/RacecarSDK"),
        .target(name: "RacecarTesting", dependencies: ["RacecarSDK", "CRacecarPlugin"], path: "SDK/RacecarTesting"),

        // The host.
        .systemLibrary(
            name: "CRdKafka",
            path: "Sources/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(name: "CGlibcMalloc", path: "Sources/CGlibcMalloc"),
        .target(
            name: "RacecarHost",
            dependencies: [
                "CRacecarPlugin",
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "racecarctl",
            dependencies: [
                "RacecarHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "racecar-host",
            dependencies: [
                "RacecarHost",
                "CGlibcMalloc",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Consumers we ship.
        .target(name: "EchoConsumer", dependencies: ["RacecarSDK"], path: "Plugins/EchoConsumer"),
        .target(name: "ArchiveEventsConsumer", dependencies: ["RacecarSDK"], path: "Plugins/ArchiveEventsConsumer"),
        .target(name: "GeoCodingConsumer", dependencies: ["RacecarSDK"], path: "Plugins/GeoCodingConsumer"),
        .target(
            name: "CountingCConsumer", dependencies: ["CRacecarPlugin"], path: "Plugins/CountingCConsumer",
            publicHeadersPath: "."),

        // The throughput benchmark (`swift run -c release racecar-bench`) and what it runs.
        // The benchmark consumers' reading of their own memory (raw-consumer and the no-op plugins).
        .target(name: "CProcessStatus"),
        .target(name: "NoopConsumer", dependencies: ["RacecarSDK", "CProcessStatus"], path: "Plugins/NoopConsumer"),
        .target(
            name: "NoopCConsumer", dependencies: ["CRacecarPlugin", "CProcessStatus"], path: "Plugins/NoopCConsumer",
            publicHeadersPath: "."),
        .executableTarget(
            name: "raw-consumer", dependencies: ["CRdKafka", "CProcessStatus"], path: "Sources/raw-consumer"),
        .executableTarget(
            name: "racecar-bench",
            dependencies: [
                "RacecarHost",
                "CRacecarPlugin",
                "CRdKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/racecar-bench",
            exclude: ["results"]
        ),

        // Tests.
        .target(
            name: "ScriptedTestConsumers", dependencies: ["RacecarSDK"], path: "Tests/Plugins/ScriptedTestConsumers"),
        .testTarget(
            name: "RacecarTestingTests",
            dependencies: ["RacecarTesting", "GeoCodingConsumer"]
        ),
        .testTarget(
            name: "RacecarHostTests",
            dependencies: ["RacecarHost", "CRdKafka"]
        ),
    ]
)
