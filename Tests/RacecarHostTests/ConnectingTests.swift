import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// What the host says and does while it cannot reach Kafka yet: the brokers it tries, a name
/// that does not resolve, the wait, and a stop before it connected.
@Suite(.timeLimit(.minutes(2))) struct ConnectingTests {
    let echo = ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"]

    @Test func theHostSaysWhichBrokersItConnectsToAndThatItIsStillWaiting() async throws {
        let started = ContinuousClock.now
        let (status, _, stderr) = try await HostProcess.run(
            echo, environment: ["RACECAR_BROKERS": "127.0.0.1:1", "RACECAR_SOCKET_TIMEOUT": "6"])
        let elapsed = ContinuousClock.now - started
        #expect(status == 1)
        #expect(stderr.contains("connecting to Kafka at 127.0.0.1:1 (socket_timeout 6 s)"), "\(stderr)")
        #expect(
            stderr.contains("still waiting for a Kafka broker at 127.0.0.1:1 to answer (5 s of socket_timeout 6 s)"),
            "\(stderr)")
        #expect(stderr.contains("racecar-host: error: cannot reach any Kafka broker at 127.0.0.1:1"), "\(stderr)")
        // Well short of the default 30 s, with room for a machine the whole suite loads at once.
        #expect(elapsed >= .seconds(6) && elapsed < .seconds(25), "socket_timeout still bounds the wait: \(elapsed)")
    }

    @Test func aBrokerNameThatDoesNotResolveIsReportedAtOnce() async throws {
        let started = ContinuousClock.now
        let (status, _, stderr) = try await HostProcess.run(
            echo, environment: ["RACECAR_BROKERS": "kafka.invalid:9092"])
        #expect(status == 1)
        #expect(stderr.contains("cannot resolve the broker host name kafka.invalid: "), "\(stderr)")
        #expect(ContinuousClock.now - started < .seconds(10), "not after socket_timeout's 30 s")
    }

    @Test func aStopWhileConnectingEndsAtOnceSayingNothingWasConsumed() async throws {
        // Both limits long, so that a stop that waited for either is told from a loaded machine.
        let host = try HostProcess(
            echo,
            environment: [
                "RACECAR_BROKERS": "127.0.0.1:1", "RACECAR_SOCKET_TIMEOUT": "60", "RACECAR_SHUTDOWN_TIMEOUT": "60",
            ], workingDirectory: TestPaths.temporaryDirectory())
        _ = try await host.waitFor("the connecting line") { _ in host.stderr.contains("connecting to Kafka at") }
        let stopped = ContinuousClock.now
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let took = ContinuousClock.now - stopped
        print("a stop while connecting took \(took)")
        #expect(took < .seconds(30), "not after socket_timeout or shutdown_timeout (60 s each): \(took)")
        #expect(host.stderr.contains("EchoConsumer stopped before it had connected to Kafka"), "\(host.stderr)")
        #expect(!host.stderr.contains("did not finish within shutdown_timeout"), "\(host.stderr)")
    }
}
