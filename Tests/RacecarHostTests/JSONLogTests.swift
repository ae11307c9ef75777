import Foundation
import RacecarKafka
import RacecarOperations
import Testing

/// `log_format: json`: every line the real host writes is one JSON object, with the position a
/// line is about as fields, librdkafka's own lines with their facility, on standard error, in
/// the logfile of a daemon, and from a supervisor and its workers.
@Suite(.timeLimit(.minutes(2))) struct JSONLogTests {
    /// Each non-empty line of `text` as a JSON object; records an issue for any other line.
    func objects(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)", sourceLocation: sourceLocation)
            return object
        }
    }

    @Test func everyLineIsAJSONObjectAndAFailureLineNamesItsMessage() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "SCRIPTED_FAIL": "events/0@1", "RACECAR_PAUSE_TIMEOUT": "0.2",
                "RACECAR_LOG_FORMAT": "json", "RACECAR_LOG_LEVEL": "debug",
                // librdkafka's consumer group debugging: lines of its own, each with a facility.
                "RACECAR_CONSUMER": "debug=cgrp",
            ],
            workingDirectory: TestPaths.temporaryDirectory())
        _ = try await host.waitFor("the retried message") { $0.has("processed events/0@2 retries=0") }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let lines = objects(host.stderr)
        #expect(lines.count > 10, "\(host.stderr)")
        for line in lines {
            #expect((line["time"] as? String)?.hasSuffix("Z") == true, "\(line)")
            #expect(line["level"] is String && line["message"] is String && line["label"] is String, "\(line)")
        }

        let failure = try #require(
            lines.first { ($0["message"] as? String)?.hasPrefix("ScriptedConsumer failed at events/0@1") == true },
            "the host's line about the failure: \(host.stderr)")
        #expect(failure["level"] as? String == "error")
        #expect(failure["consumer"] as? String == "ScriptedConsumer")
        #expect(failure["group"] as? String == "scripted-consumer")
        #expect(failure["topic"] as? String == "events")
        #expect(failure["partition"] as? Int == 0, "a number: \(failure)")
        #expect(failure["offset"] as? Int == 1, "a number: \(failure)")
        #expect(failure["error"] as? String == "scripted failure at events/0@1")

        let plugin = try #require(lines.first { $0["message"] as? String == "scripted failure at events/0@1" })
        #expect(plugin["level"] as? String == "warning" && plugin["offset"] as? Int == 1, "\(plugin)")

        let librdkafka = lines.filter { $0["facility"] != nil }
        #expect(!librdkafka.isEmpty, "librdkafka's own lines: \(host.stderr)")
        for line in librdkafka {
            #expect((line["facility"] as? String)?.isEmpty == false, "\(line)")
            #expect(
                (line["message"] as? String)?.hasPrefix("librdkafka") == false, "the message as librdkafka wrote it")
            #expect(line["consumer"] as? String == "ScriptedConsumer", "\(line)")
        }
    }

    @Test func anUnknownLogFormatIsOneLineNamingTheFlag() async throws {
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--log-format", "yaml"])
        #expect(status == 78)
        #expect(
            stderr
                == "racecar-host: error: flag --log-format: invalid value `yaml` for `log_format`: expected one of text, json\n",
            "\(stderr)")
    }

    @Test func theLineSayingWhyTheHostExitsIsJSONToo() async throws {
        let missing = TestPaths.temporaryDirectory().appendingPathComponent("libMissing.so").path
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", missing, "MissingConsumer", "--log-format", "json"])
        #expect(status == 78)
        let lines = objects(stderr)
        #expect(lines.count == 1, "\(stderr)")
        let last = try #require(lines.last)
        #expect(last["level"] as? String == "critical" && last["label"] as? String == "racecar", "\(last)")
        #expect((last["message"] as? String)?.contains(missing) == true, "names the plugin path: \(last)")
    }

    /// A supervised worker that crashes in JSON mode: its backtrace is one JSON object among the
    /// log lines; only the runtime's own text lines (the trap's message, the banner, and one for
    /// each thread that blocks the signal it suspends threads with) are not.
    @Test func aCrashingWorkersBacktraceIsOneJSONObject() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let supervisor = try HostProcess(
            ["--plugin", TestPaths.plugin("CrashTestConsumers"), "FatalErrorConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_PARALLEL_WORKERS": "1",
                "RACECAR_MAX_WAIT_TIME": "0.1", "RACECAR_LOG_FORMAT": "json", "CRASH_AT": "events/0@1",
            ],
            workingDirectory: TestPaths.temporaryDirectory())
        try await supervisor.waitForStderr("the crash line") { $0.contains(") killed by SIG") }
        supervisor.send(SIGTERM)
        _ = try await supervisor.waitForExit()
        var reports: [[String: Any]] = []
        var crashes = 0
        for line in supervisor.stderr.split(separator: "\n") where !line.isEmpty {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                if object["kind"] as? String == "crashReport" { reports.append(object) }
                // A crash line names the message in flight; a worker stopped by the SIGTERM before
                // it could handle it (just restarted) is not a crash.
                if (object["message"] as? String)?.contains(" during process of ") == true { crashes += 1 }
            } else {
                #expect(
                    line.contains("Fatal error: ") || line.hasPrefix("*** Signal ")
                        || line.hasPrefix("swift-runtime: failed to suspend thread "),
                    "only the runtime's own lines are text: \(line)")
            }
        }
        // The restarted worker may crash again before SIGTERM arrives: one report per crash.
        #expect(crashes >= 1 && reports.count == crashes, "a crash report per crash: \(supervisor.stderr)")
        let frames = (reports.first?["threads"] as? [[String: Any]])?.first?["frames"] as? [[String: Any]]
        #expect(frames?.isEmpty == false, "the crashed thread's frames: \(reports)")
    }

    @Test func aSupervisedDaemonWritesJSONToItsLogfile() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        let directory = TestPaths.temporaryDirectory()
        let logfile = directory.appendingPathComponent("echo.log").path
        let pidfile = directory.appendingPathComponent("echo.pid").path
        let launcher = try await HostProcess.run(
            [
                "--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer", "--daemonize", "--pidfile", pidfile,
                "--logfile", logfile, "--parallel-workers", "1", "--log-format", "json",
            ],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers])
        #expect(launcher.status == 0, "\(launcher.stderr)")
        let pid = try PidFile(path: pidfile).read()
        #expect(kill(pid, SIGTERM) == 0)
        let deadline = ContinuousClock.now + .seconds(30)
        while kill(pid, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(pid, 0) != 0, "the daemon stopped")

        let lines = objects(try String(contentsOfFile: logfile, encoding: .utf8))
        #expect(lines.contains { $0["label"] as? String == "racecar.supervisor" }, "the supervisor's lines")
        let worker = try #require(
            lines.first { ($0["message"] as? String)?.hasPrefix("EchoConsumer consuming events") == true },
            "the worker's start-up line")
        #expect(worker["worker"] as? Int == 0 && worker["pid"] is Int, "\(worker)")
        #expect(worker["consumer"] as? String == "EchoConsumer" && worker["group"] as? String == "echo-consumer")
    }
}
