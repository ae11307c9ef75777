// swift-tools-version: 6.0
// A consumer in its own package, depending only on the racecar SDK. Build it with the same
// Swift toolchain as racecar-host: `swift build -c release`, then run
// `racecar-host --plugin .build/release/libUserBanConsumer.so UserBanConsumer`.
import PackageDescription

let package = Package(
    name: "UserBanConsumer",
    products: [
        .library(name: "UserBanConsumer", type: .dynamic, targets: ["UserBanConsumer"])
    ],
    dependencies: [
        // In your own project, point this at the racecar-host repository and a version.
        .package(name: "racecar-host", path: "../..")
    ],
    targets: [
        .target(name: "UserBanConsumer", dependencies: [.product(name: "RacecarSDK", package: "racecar-host")])
    ]
)
