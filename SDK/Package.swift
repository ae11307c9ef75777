// swift-tools-version: 6.0
// The racecar-host SDK: everything a consumer plugin builds against, and nothing else (no
// librdkafka, no host code, no dependencies). A plugin depends on this package alone:
//
//     .package(path: "../racecar-host/SDK")
//     .package(url: "https://github.com/racecar-host/racecar-sdk", from: "0.2.0")
import PackageDescription

let package = Package(
    name: "racecar-sdk",
    products: [
        // The C ABI: `racecar_plugin.h`, for plugins in C or any language that calls C.
        .library(name: "CRacecarPlugin", targets: ["CRacecarPlugin"]),
        // The Swift layer over it: `Consumer`, `BatchConsumer`, `RacecarPlugin.export`.
        .library(name: "RacecarSDK", targets: ["RacecarSDK"]),
        // The test kit: drives a consumer through its vtable, as the host does.
        .library(name: "RacecarTesting", targets: ["RacecarTesting"]),
    ],
    targets: [
        .target(name: "CRacecarPlugin", path: "CRacecarPlugin"),
        .target(name: "RacecarSDK", dependencies: ["CRacecarPlugin"], path: "RacecarSDK"),
        .target(name: "RacecarTesting", dependencies: ["RacecarSDK", "CRacecarPlugin"], path: "RacecarTesting"),
    ]
)
