import CRdKafka
import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// Which librdkafka the host runs on: the suite runs once on Debian's librdkafka-dev and once
/// with a newer one on `LD_LIBRARY_PATH` (`.ci/run`); the host must use what was loaded.
@Suite(.timeLimit(.minutes(2))) struct LibrdkafkaVersionTests {
    @Test func theHostSaysWhichLibrdkafkaItLoadedAndItIsTheTestsOwn() async throws {
        let loaded = LibrdkafkaVersion.loadedText
        print("librdkafka loaded by the tests: \(loaded) (built against \(headerVersion))")
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_SUBSCRIBES_TO": "events"],
            workingDirectory: TestPaths.temporaryDirectory())
        _ = try await host.waitFor("the start-up line") { _ in host.stderr.contains(" consuming events as group ") }
        #expect(host.stderr.contains("as group echo-consumer on librdkafka \(loaded)"), "\(host.stderr)")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func theQueueThresholdDefaultFollowsTheLoadedVersion() async throws {
        let (status, dump, stderr) = try await HostProcess.run([
            "config", "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer",
        ])
        #expect(status == 0, "\(stderr)")
        let line = try #require(dump.split(separator: "\n").first { $0.contains("min_message_queue_size") })
        let version = LibrdkafkaVersion.loaded
        if version >= .fetchQueueBackoff {
            #expect(line.contains("100000  (default for librdkafka \(version))"), "\(line)")
        } else {
            #expect(line.contains("1000000  (default)"), "a 2.0.2-era librdkafka stalls below it: \(line)")
        }
    }
}

/// The header's version, as text, for the log: `RD_KAFKA_VERSION` is 0xMMmmrrxx.
private let headerVersion: String = {
    let packed = Int(RD_KAFKA_VERSION)
    return "\((packed >> 24) & 0xff).\((packed >> 16) & 0xff).\((packed >> 8) & 0xff)"
}()
