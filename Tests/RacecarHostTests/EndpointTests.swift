import CRdKafka
import Foundation
import RacecarConfiguration
import RacecarEndpoint
import RacecarInstrumentation
import RacecarKafka
import RacecarSupervision
import Testing

/// The HTTP endpoint end to end: the real binary and plugins against the mock cluster, asked
/// over HTTP on a port the host chose itself (`http_port: 0`).
@Suite(.timeLimit(.minutes(3))) struct EndpointTests {
    let cluster: MockCluster
    let directory = TestPaths.temporaryDirectory()
    static let token = "t0ken-for-tests"

    init() throws {
        cluster = try MockCluster()
    }

    func start(_ extra: [String: String] = [:]) throws -> HostProcess {
        try startScriptedHost(
            cluster: cluster, workingDirectory: directory,
            ["RACECAR_HTTP_PORT": "0", "RACECAR_HTTP_CONTROL_TOKEN": Self.token].merging(extra) { $1 })
    }

    /// The sockets process `pid` has open, by inode (`socket:[12345]` in /proc/PID/fd).
    static func sockets(of pid: Int32) -> Set<String> {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return Set(
            descriptors.compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
            }
            .filter { $0.hasPrefix("socket:") })
    }

    /// A file that does not exist yet: the blocking consumer waits for it.
    func releaseFile() -> String { directory.appendingPathComponent("release-\(UUID().uuidString)").path }

    func release(_ path: String) { #expect(FileManager.default.createFile(atPath: path, contents: Data())) }

    @Test func livenessFailsWhileThePollLoopIsStuckInThePluginAndRecovers() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 2)
        let file = releaseFile()
        let host = try start([
            "SCRIPTED_BLOCK_AT": "events/0@2", "SCRIPTED_BLOCK_UNTIL": file, "RACECAR_LIVENESS_PROBE_MAX_INTERVAL": "1",
        ])
        let endpoint = try await Endpoint(of: host)
        try await host.waitFor("the first messages") { $0.has("processed events/0@1 retries=0") }
        #expect(try await endpoint.get("/health/live").status == 200)
        try await endpoint.waitFor("ready", "/health/ready") { status, _ in status == 200 }

        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 1, startingAt: 2)
        try await host.waitFor("the consumer to block") { $0.has("blocking events/0@2") }
        let stuck = try await endpoint.waitFor("liveness to fail", "/health/live") { status, _ in status == 503 }
        let reason = try #require(try Endpoint.object(stuck.body)["reason"] as? String)
        #expect(
            reason.contains("the poll loop last ran") && reason.contains("liveness_probe_max_interval 1 s"), "\(reason)"
        )

        release(file)
        try await host.waitFor("the blocked message") { $0.has("processed events/0@2 retries=0") }
        try await endpoint.waitFor("liveness to recover", "/health/live") { status, _ in status == 200 }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func livenessFailsWhenAPluginCallOnAWorkerThreadRunsPastItsLimit() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 1)
        let file = releaseFile()
        let host = try start([
            "RACECAR_CONCURRENCY": "2", "SCRIPTED_BLOCK_AT": "events/0@1", "SCRIPTED_BLOCK_UNTIL": file,
            "RACECAR_LIVENESS_PROBE_MAX_CALL_DURATION": "1",
        ])
        let endpoint = try await Endpoint(of: host)
        try await host.waitFor("the first messages") {
            $0.has("processed events/0@0 retries=0") && $0.has("processed events/1@0 retries=0")
        }
        #expect(try await endpoint.get("/health/live").status == 200)

        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 1, startingAt: 1)
        try await host.waitFor("the consumer to block") { $0.has("blocking events/0@1") }
        let stuck = try await endpoint.waitFor("liveness to fail", "/health/live") { status, _ in status == 503 }
        let reason = try #require(try Endpoint.object(stuck.body)["reason"] as? String)
        #expect(reason.contains("in one call into the plugin") && reason.contains("max_call_duration 1 s"), "\(reason)")
        let status = try await endpoint.status()
        #expect(status.lastPollAt > wallClockSeconds() - 2, "the poll loop itself keeps running")

        release(file)
        try await endpoint.waitFor("liveness to recover", "/health/live") { status, _ in status == 200 }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func readinessFailsUntilTheHostHasAnAssignment() async throws {
        try cluster.createTopic("events", partitions: 1)
        // The coordinator refuses the host's JoinGroup until the test lets it in.
        cluster.pushRequestErrors(
            .joinGroup, Array(repeating: RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, count: 500))
        let host = try start()
        let endpoint = try await Endpoint(of: host)
        try await host.waitForStderr("the host to poll") { $0.contains("ScriptedConsumer consuming events") }
        let joining = try await endpoint.waitFor("a status", "/status") { status, body in body.contains("membership") }
        #expect(joining.body.contains(#""membership":"joining""#), "\(joining.body)")
        let ready = try await endpoint.get("/health/ready")
        #expect(ready.status == 503)
        #expect(
            (try Endpoint.object(ready.body)["reason"] as? String)?.contains("no assignment yet") == true, "\(ready)")
        #expect(try await endpoint.get("/health/live").status == 200, "a host waiting for the group is alive")
        let head = try await endpoint.send("HEAD", "/health/ready")
        #expect(head.status == 503 && head.body.isEmpty, "a probe by HEAD: the status, no body: \(head)")

        cluster.clearRequestErrors(.joinGroup)
        try await endpoint.waitFor("readiness", "/health/ready") { status, _ in status == 200 }
        let status = try await endpoint.status()
        #expect(status.membership == .assigned && status.memberID != nil)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(host.stderr)")
    }

    @Test func metricsCountWhatWasProcessedFailedAndDeadLettered() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-dead", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 6)
        let host = try start([
            "SCRIPTED_FAIL": "events/0@2", "SCRIPTED_FAIL_TIMES": "99", "RACECAR_PAUSE_TIMEOUT": "0.1",
            "RACECAR_DEAD_LETTER_TOPIC": "events-dead", "RACECAR_MAX_RETRIES": "1",
        ])
        let endpoint = try await Endpoint(of: host)
        let lines = try await host.waitFor("every message") { $0.has("processed events/0@5 retries=0") }
        let processed = lines.filter { $0.hasPrefix("processed ") }.count
        let failed = lines.filter { $0.hasPrefix("failed ") }.count
        #expect(processed == 5 && failed == 2, "\(lines)")

        let metrics = try await endpoint.waitFor("the counters", "/metrics") { _, text in
            prometheusSamples("consumer_messages", in: text).map(\.value).reduce(0, +) == Double(processed)
        }.body
        #expect(
            prometheusSamples("consumer_process_message_errors", in: metrics).map(\.value).reduce(0, +)
                == Double(failed))
        #expect(prometheusSamples("consumer_dead_letters", in: metrics).map(\.value) == [1])
        #expect(
            prometheusSamples("consumer_messages", in: metrics).first?.labels.contains(#"topic="events""#) == true)
        let lag = try await endpoint.waitFor("the lag gauge", "/metrics") { _, text in
            prometheusSamples("consumer_lag", in: text).map(\.value) == [0]
        }
        #expect(
            prometheusSamples("consumer_lag", in: lag.body).first?.labels.contains(#"group_id="scripted-consumer""#)
                == true)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func statusLagIsTheHighWatermarkMinusTheCommittedOffset() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 20)
        let file = releaseFile()
        let pidfile = directory.appendingPathComponent("host.pid").path
        let host = try start([
            "RACECAR_CONCURRENCY": "2", "SCRIPTED_BLOCK_AT": "events/0@20", "SCRIPTED_BLOCK_UNTIL": file,
            "RACECAR_PIDFILE": pidfile,
        ])
        let endpoint = try await Endpoint(of: host)
        let caughtUp = try await endpoint.waitForStatus("the first commit") {
            $0.partition("events", 0)?.committed == 20
        }
        #expect(caughtUp.partition("events", 0)?.highWatermark == 20)
        #expect(caughtUp.partition("events", 0)?.lag == 0)
        #expect(
            caughtUp.plugin.path == TestPaths.plugin("ScriptedTestConsumers") && caughtUp.plugin.abiVersion == "1.2")

        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 10, startingAt: 20)
        try await host.waitFor("the consumer to block") { $0.has("blocking events/0@20") }
        let behind = try await endpoint.waitForStatus("the new high watermark") {
            $0.partition("events", 0)?.highWatermark == 30
        }
        let partition = try #require(behind.partition("events", 0))
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: "scripted-consumer", topic: "events", partitions: 1)
        #expect(partition.committed == committed[0], "the group's committed offset: \(committed)")
        #expect(partition.lag == 30 - 20 && partition.lag == partition.highWatermark! - partition.committed!)

        // The endpoint answers from the loop's latest status; host.json is rewritten every second.
        let byURL = try await HostProcess.run(["status", "--url", endpoint.url], executable: TestPaths.racecarctl)
        #expect(byURL.status == 0, "\(byURL.stderr)")
        #expect(statusRow(byURL.stdout, host: host) == ["20", "30", "10"], "\(byURL.stdout)")
        var byPidfile = ""
        let shown = try await eventually(timeout: .seconds(10)) {
            byPidfile =
                (try? await HostProcess.run(["status", "--pidfile", pidfile], executable: TestPaths.racecarctl))?
                .stdout ?? ""
            return statusRow(byPidfile, host: host) == ["20", "30", "10"]
        }
        #expect(shown, "racecarctl status --pidfile: \(byPidfile)")

        release(file)
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(host.stderr)")
    }

    /// The committed offset, high watermark and lag of events/0 in `racecarctl status` output.
    func statusRow(_ output: String, host: HostProcess) -> [String]? {
        let lines = output.split(separator: "\n")
        guard lines.first?.hasPrefix("ScriptedConsumer (pid \(host.pid)) in group scripted-consumer") == true else {
            return nil
        }
        let row = lines.first { $0.hasPrefix("events/0 ") }?.split(separator: " ")
        return row.map { $0.dropFirst(2).prefix(3).map(String.init) }
    }

    @Test func pauseAndResumeThroughTheEndpointNeedTheToken() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 1)
        let host = try start(["RACECAR_PAUSE_TIMEOUT": "0.2"])
        let endpoint = try await Endpoint(of: host)
        try await host.waitFor("the first messages") {
            $0.has("processed events/0@0 retries=0") && $0.has("processed events/1@0 retries=0")
        }
        let pause = #"{"topic": "events", "partition": 0}"#
        let withoutToken = try await endpoint.send("POST", "/control/pause", body: pause)
        #expect(withoutToken.status == 401 && withoutToken.body.contains("Authorization: Bearer"), "\(withoutToken)")
        let wrongToken = try await endpoint.send("POST", "/control/pause", token: "guess", body: pause)
        #expect(wrongToken.status == 403 && wrongToken.body.contains(#""error""#), "\(wrongToken)")
        let malformed = try await endpoint.send("POST", "/control/pause", token: Self.token, body: #"{"topic": 3}"#)
        #expect(malformed.status == 400 && malformed.body.contains("expected a JSON body"), "\(malformed)")
        let oversized = try await endpoint.send(
            "POST", "/control/pause", token: Self.token, body: String(repeating: " ", count: 2 << 20))
        #expect(oversized.status == 413 && oversized.body.contains("larger than 1 MiB"), "\(oversized)")
        let reload = try await endpoint.send("POST", "/control/reload", token: Self.token)
        #expect(reload.status == 202 && reload.body.contains("swapped in place"), "\(reload)")
        #expect(try await endpoint.send("POST", "/control/reload").status == 401, "reloading needs the token too")

        #expect(try await endpoint.send("POST", "/control/pause", token: Self.token, body: pause).status == 202)
        let paused = try await endpoint.waitForStatus("the manual pause") {
            $0.partition("events", 0)?.pauseReason == .manual
        }
        #expect(paused.partition("events", 0)?.position == 1, "the position stays known while paused")
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 1, startingAt: 1)
        let flowing = try await host.waitFor("the other partition") { $0.has("processed events/1@1 retries=0") }
        #expect(!flowing.has("processed events/0@1 retries=0"), "the paused partition waits")

        let resume = try await endpoint.send("POST", "/control/resume", token: Self.token, body: pause)
        #expect(resume.status == 202, "\(resume)")
        try await host.waitFor("the resumed partition") { $0.has("processed events/0@1 retries=0") }
        try await endpoint.waitForStatus("the pause lifted") { $0.partition("events", 0)?.paused == false }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func aManualPauseOutlivesAFailurePause() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 2)
        // A failure pause long enough for the manual pause to arrive while it lasts.
        let host = try start(["SCRIPTED_FAIL": "events/0@1", "RACECAR_PAUSE_TIMEOUT": "20"])
        let endpoint = try await Endpoint(of: host)
        try await host.waitFor("the failure") { $0.has("failed events/0@1 retries=0") }
        let pause = #"{"topic": "events", "partition": 0}"#
        #expect(try await endpoint.send("POST", "/control/pause", token: Self.token, body: pause).status == 202)
        // Logged only when the failure pause ends while the manual pause holds the partition.
        try await host.waitForStderr("the failure pause to end") {
            $0.contains("events/0: failure pause over; it stays paused until it is resumed (manual)")
        }
        #expect(!host.lines.has("processed events/0@1 retries=1"), "the manual pause holds the partition")
        let status = try await endpoint.waitForStatus("the manual pause") {
            $0.partition("events", 0)?.pauseReason == .manual
        }
        #expect(status.partition("events", 0)?.pausedUntil == nil, "until resumed")
        let resumed = try await endpoint.send("POST", "/control/resume", token: Self.token, body: pause)
        #expect(resumed.status == 202)
        try await host.waitFor("the retry") { $0.has("processed events/0@1 retries=1") }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func aNonLoopbackAddressWithoutATokenIsRefusedAtStartUp() async throws {
        try cluster.createTopic("events", partitions: 1)
        let result = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_HTTP_PORT": "0", "RACECAR_HTTP_HOST": "0.0.0.0",
            ])
        #expect(result.status == 78)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(
            result.stderr.contains("`http_host` 0.0.0.0 (from env RACECAR_HTTP_HOST) is not a loopback address")
                && result.stderr.contains("http_control_token"), "\(result.stderr)")
    }

    @Test func aPortInUseEndsTheHostWithOneLine() async throws {
        try cluster.createTopic("events", partitions: 1)
        let first = try start()
        let taken = try await Endpoint(of: first)
        let port = try #require(taken.url.split(separator: ":").last.map(String.init))
        let second = try await HostProcess.run(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_HTTP_PORT": port])
        #expect(second.status == 1)
        let errors = second.stderr.split(separator: "\n").filter { $0.hasPrefix("racecar-host: error: ") }
        #expect(
            errors == [
                "racecar-host: error: the HTTP endpoint cannot listen on 127.0.0.1:\(port): Address already in use "
                    + "(errno 98) (check http_host and http_port)"
            ], "\(second.stderr)")
        first.send(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }

    /// A worker started while the supervisor listens (a restart) inherits none of its sockets:
    /// swift-nio opens them without close-on-exec, and a lingering worker holding the listening
    /// socket would keep the port from the next supervisor.
    @Test func aRestartedWorkerHoldsNoneOfTheSupervisorsSockets() async throws {
        try cluster.createTopic("events", partitions: 1)
        let supervisor = try start(["RACECAR_PARALLEL_WORKERS": "1"])
        let endpoint = try await Endpoint(of: supervisor)
        let first = try #require(
            try await supervisor.waitForStatus("the worker") { $0.workers[0].pid != nil }.workers[0].pid)
        _ = try await endpoint.get("/status")
        kill(first, SIGKILL)
        let restarted = try #require(
            try await supervisor.waitForStatus("the restarted worker") {
                $0.workers[0].pid != nil && $0.workers[0].pid != first && $0.workers[0].state == .consuming
            }.workers[0].pid)
        let supervisorSockets = Self.sockets(of: supervisor.pid)
        #expect(!supervisorSockets.isEmpty, "the listening socket")
        #expect(Self.sockets(of: restarted).isDisjoint(with: supervisorSockets))
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0)
    }

    @Test func aSupervisorServesEveryWorkerStatusMetricsAndControl() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 3)
        let supervisor = try start(["RACECAR_PARALLEL_WORKERS": "2"])
        let endpoint = try await Endpoint(of: supervisor)
        let answer = try await endpoint.waitFor("both workers assigned", "/status") { _, body in
            guard let status = try? StatusCoding.decode(SupervisorStatus.self, from: Data(body.utf8)) else {
                return false
            }
            let hosts = status.workers.compactMap(\.host)
            return hosts.count == 2 && hosts.allSatisfy { $0.membership == .assigned }
                && hosts.flatMap(\.partitions).count == 2
        }
        let status = try StatusCoding.decode(SupervisorStatus.self, from: Data(answer.body.utf8))
        #expect(status.workers.map { $0.host?.workerSlot } == [0, 1])
        #expect(status.workers.map { $0.host?.pid } == status.workers.map(\.pid))
        try await endpoint.waitFor("ready", "/health/ready") { code, _ in code == 200 }
        #expect(try await endpoint.get("/health/live").status == 200)
        // Two workers joining the mock may both process a message once (see Running): the
        // counters sum to what the workers printed.
        let metrics = try await endpoint.waitFor("every message counted", "/metrics") { _, text in
            let printed = supervisor.lines.filter { $0.hasPrefix("processed ") }.count
            return printed >= 6
                && prometheusSamples("consumer_messages", in: text).map(\.value).reduce(0, +)
                    == Double(printed)
        }.body
        let workers = Set(
            prometheusSamples("consumer_messages", in: metrics).compactMap { sample in
                ["0", "1"].first { sample.labels.contains(#"worker="\#($0)""#) }
            })
        #expect(workers == ["0", "1"], "\(metrics)")
        #expect(metrics.components(separatedBy: "# TYPE consumer_messages counter").count == 2, "one TYPE line")

        let owner = try #require(status.workers.first { $0.host?.partition("events", 0) != nil })
        let pause = #"{"topic": "events", "partition": 0}"#
        #expect(try await endpoint.send("POST", "/control/pause", token: Self.token, body: pause).status == 202)
        try await endpoint.waitFor("the owner's manual pause", "/status") { _, body in
            let status = try? StatusCoding.decode(SupervisorStatus.self, from: Data(body.utf8))
            return status?.workers[owner.slot].host?.partition("events", 0)?.pauseReason == .manual
        }
        let text = try await HostProcess.run(["status", "--url", endpoint.url], executable: TestPaths.racecarctl)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(
            text.stdout.contains("worker 0: ScriptedConsumer") && text.stdout.contains("worker 1: ScriptedConsumer"))
        #expect(text.stdout.contains("manual"), "\(text.stdout)")
        let reload = try await endpoint.send("POST", "/control/reload", token: Self.token)
        #expect(reload.status == 202 && reload.body.contains("every worker runs"), "\(reload)")
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0)
    }
}
