import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarOperations
import Testing

/// `--daemonize`: the process that was started returns only once the daemon consumes, or
/// prints why it could not and exits non-zero, with or without a logfile.
@Suite(.timeLimit(.minutes(2))) struct DaemonTests {
    let directory = TestPaths.temporaryDirectory()

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func theStartingProcessReturnsOnceTheDaemonConsumes() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        let (pidfile, logfile) = (path("echo.pid"), path("echo.log"))
        let launcher = try await HostProcess.run(
            [
                "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--daemonize", "--pidfile", pidfile,
                "--logfile", logfile,
            ],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers])
        #expect(launcher.status == 0, "\(launcher.stderr)")
        let log = try String(contentsOfFile: logfile, encoding: .utf8)
        #expect(log.contains("EchoConsumer consuming events as group echo-consumer"), "consuming already: \(log)")
        let pid = try PidFile(path: pidfile).read()
        #expect(kill(pid, SIGTERM) == 0)
        let deadline = ContinuousClock.now + .seconds(30)
        while kill(pid, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(pid, 0) != 0, "the daemon stopped")
    }

    @Test func aDaemonThatCannotStartFailsTheStartingProcessEvenWithoutALogfile() async throws {
        let (status, _, stderr) = try await HostProcess.run([
            "--plugin", "/nonexistent/libNope.so", "Nope", "--daemonize", "--pidfile", path("nope.pid"),
        ])
        #expect(status == 78, "the daemon's own exit status: \(stderr)")
        #expect(
            stderr
                == "racecar-host: error: plugin not found: /nonexistent/libNope.so (check the --plugin path; build plugins with `swift build`)\n",
            "\(stderr)")
    }

    @Test func aLivePidfileFailsTheStartingProcess() async throws {
        let pidfile = path("live.pid")
        try "\(getpid())\n".write(toFile: pidfile, atomically: true, encoding: .utf8)
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--daemonize", "--pidfile", pidfile],
            environment: ["RACECAR_BROKERS": "127.0.0.1:1"])
        #expect(status == 1, "\(stderr)")
        #expect(stderr.contains("racecar-host: error: ") && stderr.contains("\(getpid())"), "\(stderr)")
    }
}
