import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarOperations
import Testing

/// Racecar's operations features: pidfiles, daemonizing, racecarctl stop, the liveness probe.
@Suite(.timeLimit(.minutes(2))) struct OperationsTests {
    let cluster: MockCluster
    let directory = TestPaths.temporaryDirectory()
    let racecarctl = TestPaths.racecarctl

    init() async throws {
        cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
    }

    var environment: [String: String] {
        [
            "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
            "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
        ]
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func pidfileNamesTheRunningHostRefusesASecondAndIsRemovedAtExit() async throws {
        let pidfile = path("echo.pid")
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--pidfile", pidfile],
            environment: environment, workingDirectory: directory
        )
        try await host.waitFor("messages") { $0.count >= 3 }
        #expect(try PidFile(path: pidfile).read() == host.pid)

        let second = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--pidfile", pidfile],
            environment: environment)
        #expect(second.status == 1)
        #expect(second.stderr.contains("names process \(host.pid), which is still running"))

        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: pidfile))
    }

    @Test func daemonizedHostRunsDetachedAndRacecarctlStopsIt() async throws {
        let pidfile = path("daemon.pid")
        let logfile = path("daemon.log")
        let launcher = try await HostProcess.run(
            [
                "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--daemonize", "--pidfile", pidfile,
                "--logfile", logfile,
            ],
            environment: environment
        )
        #expect(launcher.status == 0, "the launching process returns at once: \(launcher.stderr)")
        let pid = try await eventuallyValue { try? PidFile(path: pidfile).read() }
        #expect(pid != getpid() && kill(pid, 0) == 0, "the daemon is alive")
        let processed = try await eventuallyValue { () -> String? in
            let log = (try? String(contentsOfFile: logfile, encoding: .utf8)) ?? ""
            return log.contains("events/0@2 key-2 value-0-2") ? log : nil
        }
        #expect(processed.contains("partitions assigned"), "logs go to the logfile too")

        let stop = try await HostProcess.run(["stop", "--pidfile", pidfile], executable: racecarctl)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(kill(pid, 0) != 0, "the daemon has exited")
        #expect(!FileManager.default.fileExists(atPath: pidfile))
        #expect(
            try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
                group: "echo-consumer", topic: "events", partitions: 1) == [0: 3])
    }

    @Test func livenessProbeSucceedsWhileTheHostPollsAndFailsAfterItStops() async throws {
        let probeFile = path("alive")
        var settings = environment
        settings["RACECAR_LIVENESS_PROBE_ENABLED"] = "true"
        settings["RACECAR_LIVENESS_PROBE_FILE_PATH"] = probeFile
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"], environment: settings,
            workingDirectory: directory)
        try await host.waitFor("messages") { $0.count >= 3 }
        let probeEnvironment = [
            "RACECAR_LIVENESS_PROBE_FILE_PATH": probeFile, "RACECAR_LIVENESS_PROBE_MAX_INTERVAL": "15",
        ]
        let alive = try await HostProcess.run(["liveness-probe"], environment: probeEnvironment, executable: racecarctl)
        #expect(alive.status == 0, "\(alive.stderr)")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let dead = try await HostProcess.run(["liveness-probe"], environment: probeEnvironment, executable: racecarctl)
        #expect(dead.status == 1)
        #expect(dead.stderr.contains("was not touched within"))
    }

    @Test func racecarctlStopWithoutAPidfileIsAClearError() async throws {
        let result = try await HostProcess.run(["stop", "--pidfile", path("missing.pid")], executable: racecarctl)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot read pidfile \(path("missing.pid"))"))
    }

    /// Polls `body` until it returns a value.
    func eventuallyValue<Value>(timeout: Duration = .seconds(30), _ body: () throws -> Value?) async throws -> Value {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try body() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out")
        throw TimedOut()
    }
}
