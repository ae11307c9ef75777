import Foundation
import Testing

@testable import RacecarConfiguration
@testable import RacecarInstrumentation
@testable import RacecarKafka
@testable import RacecarPluginHosting
@testable import RacecarRuntime

@Suite struct ConsumerGroupNameTests {
    @Test(
        arguments: [
            ("UserBanConsumer", nil, nil, "user-ban-consumer"),
            ("BaconConsumer", nil, "kevin.", "kevin.bacon-consumer"),
            ("EchoConsumer", "explicit", "ignored.", "explicit"),
            ("HTTPConsumer", nil, nil, "httpconsumer"),
        ] as [(String, String?, String?, String)])
    func derivesGroupIDLikeRacecar(name: String, explicit: String?, prefix: String?, expected: String) {
        #expect(ConsumerGroupName.derive(consumerName: name, explicit: explicit, prefix: prefix) == expected)
    }
}

@Suite struct PluginCompatibilityTests {
    @Test func acceptsSameMajorAndOlderOrEqualMinor() throws {
        try PluginLoader.checkCompatibility(major: PluginLoader.abiMajor, minor: 0, path: "p.so")
        try PluginLoader.checkCompatibility(major: PluginLoader.abiMajor, minor: PluginLoader.abiMinor, path: "p.so")
    }

    @Test func refusesNewerMinorNamingBothVersions() {
        #expect(
            throws: PluginLoadError.incompatibleABI(
                path: "p.so", pluginMajor: PluginLoader.abiMajor, pluginMinor: PluginLoader.abiMinor + 1,
                hostMajor: PluginLoader.abiMajor, hostMinor: PluginLoader.abiMinor
            )
        ) {
            try PluginLoader.checkCompatibility(
                major: PluginLoader.abiMajor, minor: PluginLoader.abiMinor + 1, path: "p.so")
        }
    }

    @Test func refusesOtherMajor() {
        #expect(throws: PluginLoadError.self) {
            try PluginLoader.checkCompatibility(major: PluginLoader.abiMajor + 1, minor: 0, path: "p.so")
        }
    }
}

@Suite struct PausePolicyTests {
    @Test func fixedPauseRepeatsTheTimeout() {
        let policy = PausePolicy(pauseTimeout: .seconds(10), exponentialBackoff: false, maxPauseTimeout: nil)
        #expect(policy.decision(afterFailures: 1) == .retry(after: .seconds(10)))
        #expect(policy.decision(afterFailures: 5) == .retry(after: .seconds(10)))
    }

    @Test func exponentialBackoffDoublesUpToTheMaximum() {
        let policy = PausePolicy(pauseTimeout: .seconds(2), exponentialBackoff: true, maxPauseTimeout: .seconds(10))
        #expect(
            (1...5).map { policy.decision(afterFailures: $0) } == [
                .retry(after: .seconds(2)), .retry(after: .seconds(4)), .retry(after: .seconds(8)),
                .retry(after: .seconds(10)), .retry(after: .seconds(10)),
            ])
        #expect(policy.decision(afterFailures: 10_000) == .retry(after: .seconds(10)))
    }

    @Test func zeroStopsAndMinusOnePausesIndefinitely() {
        #expect(
            PausePolicy(pauseTimeout: .seconds(0), exponentialBackoff: false, maxPauseTimeout: nil).decision(
                afterFailures: 1)
                == .stop)
        #expect(
            PausePolicy(pauseTimeout: .seconds(-1), exponentialBackoff: false, maxPauseTimeout: nil).decision(
                afterFailures: 1)
                == .pauseIndefinitely)
    }
}

@Suite struct LogLineTests {
    @Test func timestampIsUTCToTheMillisecond() throws {
        let before = Date()
        let timestamp = LineLogHandler.timestamp()
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}/) != nil, "\(timestamp)")
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(parser.date(from: timestamp + "Z"))
        #expect(abs(parsed.timeIntervalSince(before)) < 2, "\(timestamp) is now, in UTC")
    }
}

@Suite struct ReusableErrorBufferTests {
    @Test func readsWhatThePluginWroteAndClears() {
        let buffer = ReusableErrorBuffer()
        #expect(buffer.message == "")
        _ = "boom at 3".withCString { strncpy(buffer.pointer.pointee.message, $0, buffer.pointer.pointee.capacity) }
        #expect(buffer.message == "boom at 3")
        buffer.clear()
        #expect(buffer.message == "")
    }

    @Test func aMessageWithoutTerminatorEndsAtTheCapacity() {
        let buffer = ReusableErrorBuffer()
        let capacity = buffer.pointer.pointee.capacity
        buffer.pointer.pointee.message.update(repeating: CChar(UInt8(ascii: "x")), count: capacity)
        #expect(buffer.message == String(repeating: "x", count: capacity))
    }
}
