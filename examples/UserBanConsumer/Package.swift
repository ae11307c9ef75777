// swift-tools-version: 6.0
// A consumer in its own package, depending only on the racecar SDK package (no librdkafka, no
// host code). Build it with the same Swift toolchain as racecar-host: `swift build -c release`,
// then run `racecar-host --plugin .build/release/libUserBanConsumer.so UserBanConsumer`.
import PackageDescription

let package = Package(
    name: "UserBanConsumer",
    products: [
        .library(name: "UserBanConsumer", type: .dynamic, targets: ["UserBanConsumer"])
    ],
    dependencies: [
        // In your own project: `.package(url: "<the SDK's repository>", from: "0.2.0")`, or the
        // path of the SDK folder of a racecar-host checkout, as here.
        .package(path: "../../SDK")
    ],
    targets: [
        .target(name: "UserBanConsumer", dependencies: [.product(name: "RacecarSDK", package: "SDK")])
    ]
)
