import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarOperations
import RacecarSupervision
import Testing

/// `parallel_workers`: the real `racecar-host` as a supervisor of worker processes, each a
/// member of the group, against the mock cluster. Racecar's specs for sharing partitions, then
/// what the supervisor promises: restarts, no orphans, graceful stops, giving up, and the
/// operations that keep working (status, pidfile, daemonizing, liveness, SIGUSR1).
@Suite(.timeLimit(.minutes(3))) struct SupervisedWorkersTests {
    let directory = TestPaths.temporaryDirectory()

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A supervisor of `workers` ScriptedConsumer workers, with the quick group settings of
    /// ``startScriptedHost(_:cluster:workingDirectory:_:)``.
    func startSupervisor(workers: Int, cluster: MockCluster, _ extra: [String: String] = [:]) throws -> HostProcess {
        try startScriptedHost(
            cluster: cluster, workingDirectory: directory,
            ["RACECAR_PARALLEL_WORKERS": String(workers)].merging(extra) { $1 })
    }

    /// Waits for every message of `expected` to be processed by some worker.
    func waitForEveryMessage(_ expected: Set<ProcessedLine>, in supervisor: HostProcess) async throws {
        try await supervisor.waitFor("every message processed", timeout: .seconds(90)) { lines in
            expected.isSubset(of: Set(lines.compactMap(ProcessedLine.init)))
        }
    }

    @Test func sixPartitionsAndThreeWorkersGiveEachWorkerTwo() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 6)
        try await cluster.produceNumbered(topic: "events", partitions: 6, perPartition: 20)
        let supervisor = try startSupervisor(workers: 3, cluster: cluster)

        try await supervisor.waitForStderr("three workers owning two partitions each") { log in
            let owned = WorkerAssignments(log: log).bySlot
            return owned.count == 3 && owned.values.allSatisfy { $0.count == 2 }
                && owned.values.reduce(into: Set<Int32>()) { $0.formUnion($1) } == Set(0..<6)
        }
        try await waitForEveryMessage(
            ProcessedLine.all(topic: "events", partitions: 6, perPartition: 20), in: supervisor)
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
    }

    @Test func threePartitionsAndFiveWorkersLeaveTwoIdle() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 3)
        try await cluster.produceNumbered(topic: "events", partitions: 3, perPartition: 20)
        let supervisor = try startSupervisor(workers: 5, cluster: cluster)

        let pids = try await supervisor.waitForEveryWorkerConsuming()
        #expect(Set(pids).count == 5, "five worker processes")
        try await supervisor.waitForStderr("three workers owning a partition each, two idle") { log in
            let owned = WorkerAssignments(log: log)
            let busy = pids.map { owned.byPID[$0] ?? [] }.filter { !$0.isEmpty }
            return busy.count == 3 && busy.allSatisfy { $0.count == 1 }
                && busy.reduce(into: Set<Int32>()) { $0.formUnion($1) } == Set(0..<3)
        }
        try await waitForEveryMessage(
            ProcessedLine.all(topic: "events", partitions: 3, perPartition: 20), in: supervisor)
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
    }

    @Test func aKilledWorkerIsRestartedAndNothingIsLost() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 4, interval: .milliseconds(50))
        let supervisor = try startSupervisor(workers: 2, cluster: cluster)
        try await supervisor.waitFor("100 messages processed") { $0.processedCount >= 100 }

        let victim = try #require(try await supervisor.waitForEveryWorkerConsuming().last)
        kill(victim, SIGKILL)
        try await supervisor.waitForStderr("the supervisor to name the slot, the pid and the signal") {
            $0.contains("worker 1 of ScriptedConsumer (pid \(victim)) killed by SIGKILL")
        }
        let restarted = try await supervisor.waitForStatus("worker 1 restarted and consuming") { status in
            status.workers[1].restarts == 1 && status.workers[1].state == .consuming
        }
        #expect(restarted.workers[1].pid != victim)
        #expect(restarted.workers[1].lastExit?.signal == "SIGKILL")
        #expect(supervisor.stderr.contains("restarted worker 1 of ScriptedConsumer"))

        // The stream goes on, and the killed worker's partitions are processed again.
        let processedAtRestart = supervisor.lines.processedCount
        try await supervisor.waitFor("processing to go on") { $0.processedCount >= processedAtRestart + 200 }
        let rounds = try await feeder.stop()
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: rounds)
        try await waitForEveryMessage(expected, in: supervisor)
        let tally = DeliveryTally()
        tally.update([supervisor])
        print("SupervisedWorkersTests: \(expected.count) messages, \(tally.duplicates) processed twice after kill -9")
        #expect(tally.unexpected(given: expected).isEmpty)

        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
    }

    @Test func killingTheSupervisorLeavesNoWorkerBehind() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        let supervisor = try startSupervisor(workers: 2, cluster: cluster)
        let pids = try await supervisor.waitForEveryWorkerConsuming()
        #expect(pids.count == 2 && !pids.contains(where: processIsGone))

        supervisor.send(SIGKILL)
        let killedAt = ContinuousClock.now
        // Idle, the workers are gone in about 0.1 s: each stops gracefully on the signal the kernel
        // sends it (commit, leave the group). The bound is for a worker that never notices; CI's
        // load, the crash soak running beside this, once stretched the graceful stop past 2 s.
        let gone = try await eventually(timeout: .seconds(5), interval: .milliseconds(20)) {
            pids.allSatisfy(processIsGone)
        }
        #expect(
            gone,
            "no worker outlives its supervisor by more than 5 s; still running: \(pids.filter { !processIsGone($0) })")
        print("SupervisedWorkersTests: workers gone \(ContinuousClock.now - killedAt) after kill -9 of the supervisor")
        // What the next supervisor to start would remove.
        SupervisorDirectory(supervisorPID: supervisor.pid).remove()
    }

    @Test func sigtermStopsEveryWorkerGracefullyAndExitsZero() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        try await cluster.produceNumbered(topic: "events", partitions: 4, perPartition: 10)
        let supervisor = try startSupervisor(workers: 3, cluster: cluster)
        let pids = try await supervisor.waitForEveryWorkerConsuming()
        try await waitForEveryMessage(
            ProcessedLine.all(topic: "events", partitions: 4, perPartition: 10), in: supervisor)

        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
        #expect(pids.allSatisfy(processIsGone))
        for (slot, pid) in pids.enumerated() {
            #expect(supervisor.stderr.contains("worker \(slot) of ScriptedConsumer (pid \(pid)) stopped"))
            #expect(supervisor.stderr.contains("pid=\(pid) worker=\(slot): ScriptedConsumer stopped"))
        }
        #expect(supervisor.stderr.contains("every worker of ScriptedConsumer stopped"))
        #expect(!FileManager.default.fileExists(atPath: SupervisorDirectory(supervisorPID: supervisor.pid).path))
    }

    @Test func aSlotThatFailsOnEveryStartMakesTheSupervisorGiveUp() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        let plugin = try FixturePlugins.path("CREATE_FAILS")
        let started = ContinuousClock.now
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", plugin, "FixtureConsumer", "--parallel-workers", "2"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1"])
        #expect(status == 1, "\(stderr.suffix(2000))")
        #expect(stderr.contains("FixtureConsumer failed to start: cannot connect to the fixture database"))
        #expect(stderr.contains("exited with status 1 after"))
        #expect(stderr.contains("restarting it in 0.25 s (failure 1 in a row)"))
        #expect(stderr.contains("restarting it in 5 s (failure 10 in a row)"))
        let last = try #require(stderr.split(separator: "\n").last)
        #expect(
            last.hasPrefix("racecar-host: error: worker ")
                && last.contains(
                    "of FixtureConsumer failed 11 times in a row, each within 60 s of its start (last: exited with "
                        + "status 1); stopped the other workers and gave up"),
            "\(last)")
        print("SupervisedWorkersTests: gave up after \(ContinuousClock.now - started)")
    }

    @Test func aWorkerThatCannotLoadThePluginMakesTheSupervisorGiveUpAtOnce() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        let plugin = try FixturePlugins.path("INIT_FAILS")
        let (status, _, stderr) = try await HostProcess.run(
            ["--plugin", plugin, "FixtureConsumer", "--parallel-workers", "2"],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers])
        #expect(status == 78, "\(stderr.suffix(2000))")
        #expect(stderr.contains("plugin \(plugin) failed to initialise: license key missing"))
        #expect(!stderr.contains("restarting it"))
        #expect(stderr.contains("exited with status 78, which starting again cannot fix; stopped the other workers"))
    }

    @Test func aConfigurationErrorStopsTheSupervisorBeforeAnyWorker() async throws {
        let (status, _, stderr) = try await HostProcess.run([
            "--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer", "--parallel-workers", "2",
            "--fetch-messages", "0",
        ])
        #expect(status == 78)
        #expect(stderr.contains("invalid value `0` for `fetch_messages`"))
        #expect(!stderr.contains("started worker"))
    }

    @Test func racecarctlStatusListsTheWorkers() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        let pidfile = path("scripted.pid")
        let supervisor = try startSupervisor(workers: 2, cluster: cluster, ["RACECAR_PIDFILE": pidfile])
        let pids = try await supervisor.waitForEveryWorkerConsuming()
        #expect(try PidFile(path: pidfile).read() == supervisor.pid, "the pidfile names the supervisor")

        kill(pids[0], SIGKILL)
        try await supervisor.waitForStatus("worker 0 back") {
            $0.workers[0].restarts == 1 && $0.workers[0].state == .consuming
        }
        let result = try await HostProcess.run(["status", "--pidfile", pidfile], executable: TestPaths.racecarctl)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first?.hasPrefix("supervisor \(supervisor.pid) of ScriptedConsumer: running, up ") == true, "\(lines)"
        )
        #expect(
            lines.dropFirst().first?.split(separator: " ") == [
                "slot", "pid", "state", "uptime", "restarts", "last", "exit",
            ])
        // The slots' table, before each worker's own status.
        let rows = lines.dropFirst(2).prefix { $0.first?.isNumber == true }.map {
            $0.split(separator: " ", omittingEmptySubsequences: true)
        }
        #expect(rows.count == 2, "\(lines)")
        let restartedPID = try #require(supervisor.supervisorStatus?.workers[0].pid)
        #expect(
            rows.first.map { Array($0.prefix(3)) + [$0[4]] } == ["0", "\(restartedPID)", "consuming", "1"], "\(lines)")
        #expect(lines[2].contains("killed by SIGKILL, ") && lines[2].hasSuffix(" ago"), "\(lines)")
        #expect(
            rows.last.map { Array($0.prefix(3)) + $0.suffix(2) } == ["1", "\(pids[1])", "consuming", "0", "-"],
            "\(lines)")

        let json = try await HostProcess.run(
            ["status", "--pidfile", pidfile, "--json"], executable: TestPaths.racecarctl)
        let decoded = try JSONDecoder().decode(SupervisorStatus.self, from: Data(json.stdout.utf8))
        #expect(decoded.workerPIDs == [restartedPID, pids[1]])

        // The supervisor is this test's child: racecarctl sees it exit once the test reaps it.
        let stop = try HostProcess(["stop", "--pidfile", pidfile], executable: TestPaths.racecarctl)
        #expect(try await supervisor.waitForExit() == 0)
        #expect(try await stop.waitForExit() == 0, "\(stop.stderr)")
        #expect([restartedPID, pids[1]].allSatisfy(processIsGone))
        #expect(!FileManager.default.fileExists(atPath: pidfile))
    }

    @Test func racecarctlStatusOfASingleHostPrintsItsPartitions() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        let pidfile = path("single.pid")
        let host = try startScriptedHost(cluster: cluster, workingDirectory: directory, ["RACECAR_PIDFILE": pidfile])
        try await host.waitForStderr("the host to be assigned") { $0.contains("partitions assigned: events/0") }
        var output = ""
        let listed = try await eventually(timeout: .seconds(10)) {
            output =
                (try? await HostProcess.run(["status", "--pidfile", pidfile], executable: TestPaths.racecarctl))?
                .stdout ?? ""
            return output.split(separator: "\n").contains { $0.hasPrefix("events/0 ") }
        }
        #expect(listed, "\(output)")
        #expect(output.hasPrefix("ScriptedConsumer (pid \(host.pid)) in group scripted-consumer"), "\(output)")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: SupervisorDirectory(supervisorPID: host.pid).path))
    }

    @Test func aDaemonizedSupervisorReturnsOnceEveryWorkerConsumesAndStopsWithRacecarctl() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        let (pidfile, logfile) = (path("daemon.pid"), path("daemon.log"))
        let launcher = try await HostProcess.run(
            [
                "--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer", "--parallel-workers", "2",
                "--daemonize", "--pidfile", pidfile, "--logfile", logfile,
            ],
            environment: ["RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_SESSION_TIMEOUT": "6"])
        #expect(launcher.status == 0, "\(launcher.stderr)")
        let log = try String(contentsOfFile: logfile, encoding: .utf8)
        for slot in 0..<2 {
            #expect(log.contains("worker \(slot) of ScriptedConsumer (pid "), "\(log)")
        }
        #expect(log.components(separatedBy: ") consuming\n").count == 3, "both workers consume already: \(log)")
        let pid = try PidFile(path: pidfile).read()
        let status = try SupervisorStatus.read(from: SupervisorDirectory(supervisorPID: pid).statusFile)
        #expect(status.workers.map(\.state) == [.consuming, .consuming])

        let stop = try await HostProcess.run(["stop", "--pidfile", pidfile], executable: TestPaths.racecarctl)
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(processIsGone(pid) && status.workerPIDs.allSatisfy(processIsGone))
        #expect(!FileManager.default.fileExists(atPath: pidfile))
    }

    @Test func theLivenessFileIsFreshWhileEveryWorkerPolls() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        let probe = path("alive")
        let probeEnvironment = ["RACECAR_LIVENESS_PROBE_FILE_PATH": probe, "RACECAR_LIVENESS_PROBE_MAX_INTERVAL": "3"]
        let supervisor = try startSupervisor(
            workers: 2, cluster: cluster, probeEnvironment.merging(["RACECAR_LIVENESS_PROBE_ENABLED": "true"]) { $1 })
        _ = try await supervisor.waitForEveryWorkerConsuming()
        #expect(
            try await eventually(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: "\(probe).worker-1") })
        let alive = try await HostProcess.run(
            ["liveness-probe"], environment: probeEnvironment, executable: TestPaths.racecarctl)
        #expect(alive.status == 0, "\(alive.stderr)")
        for slot in 0..<2 { #expect(FileManager.default.fileExists(atPath: "\(probe).worker-\(slot)")) }

        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0)
        for file in [probe, "\(probe).worker-0", "\(probe).worker-1"] {
            #expect(!FileManager.default.fileExists(atPath: file), "\(file) removed")
        }
    }

    @Test func sigusr1ReachesEveryWorkerAndEachJoinsWithItsSlotsInstanceID() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 10)
        let supervisor = try startSupervisor(workers: 2, cluster: cluster, ["RACECAR_GROUP_INSTANCE_ID": "scripted"])
        _ = try await supervisor.waitForEveryWorkerConsuming()
        try await waitForEveryMessage(
            ProcessedLine.all(topic: "events", partitions: 2, perPartition: 10), in: supervisor)

        supervisor.send(SIGUSR1)
        try await supervisor.waitForStderr("both workers' configuration") {
            $0.components(separatedBy: "effective configuration for ScriptedConsumer:").count == 3
        }
        let dump = supervisor.stderr.split(separator: "\n")
        for slot in 0..<2 {
            #expect(
                dump.contains {
                    $0.hasPrefix("  group_instance_id ")
                        && $0.contains(" scripted-\(slot)  (env RACECAR_GROUP_INSTANCE_ID)")
                },
                "worker \(slot) joins as scripted-\(slot)")
        }
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0)
    }
}
