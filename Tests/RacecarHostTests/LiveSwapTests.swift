import Foundation
import RacecarKafka
import Testing

/// Live swap: `racecarctl reload` and SIGHUP swap the real host's consumer for a new build of
/// its plugin, against the mock cluster, without leaving the group; broken builds and
/// configurations are refused while the running version keeps processing.
///
/// VersionedConsumer (`Tests/Fixtures/versioned_consumer.c`) prints `<position> v<n>` per
/// message and a line per lifecycle call, so every line says which build did what.
@Suite(.timeLimit(.minutes(4))) struct LiveSwapTests {
    let directory = TestPaths.temporaryDirectory()
    var pidfile: String { directory.appendingPathComponent("host.pid").path }
    /// The library the host runs, which a deploy replaces.
    var library: String { directory.appendingPathComponent("libversioned.so").path }

    /// Installs `build` as ``library`` the way a deploy does: a new file renamed over the old.
    func install(_ build: String) throws {
        let partial = library + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try FileManager.default.copyItem(atPath: build, toPath: partial)
        #expect(rename(partial, library) == 0)
    }

    /// The host running ``library``'s VersionedConsumer with quick group settings.
    func startHost(cluster: MockCluster, _ extra: [String: String] = [:]) throws -> HostProcess {
        let environment = quickGroupEnvironment(cluster).merging(["RACECAR_PIDFILE": pidfile]) { $1 }
            .merging(extra) { $1 }
        return try HostProcess(
            ["--plugin", library, "VersionedConsumer"], environment: environment, workingDirectory: directory)
    }

    /// `racecarctl reload`, with `--plugin` when given.
    func reload(_ plugin: String? = nil) async throws -> (status: Int32, stderr: String) {
        let result = try await HostProcess.run(
            ["reload", "--pidfile", pidfile] + (plugin.map { ["--plugin", $0] } ?? []),
            executable: TestPaths.racecarctl)
        return (result.status, result.stderr)
    }

    /// The positions processed by build `version`, in the order they were printed.
    func processed(by version: Int, in lines: [String]) -> [ProcessedLine] {
        lines.filter { $0.hasSuffix(" v\(version)") }.compactMap(ProcessedLine.init)
    }

    /// The lifecycle lines (`v1 create`, ...), in order.
    func lifecycle(_ lines: [String]) -> [String] {
        lines.filter { $0.hasPrefix("v") }
    }

    /// Checks that each message of `expected` was processed exactly once.
    func expectExactlyOnce(
        _ expected: Set<ProcessedLine>, in lines: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let positions = lines.compactMap(ProcessedLine.init)
        var seen: [ProcessedLine: Int] = [:]
        for position in positions { seen[position, default: 0] += 1 }
        let twice = seen.filter { $0.value > 1 }.keys
        #expect(
            twice.isEmpty, "processed twice: \(twice.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) })",
            sourceLocation: sourceLocation)
        let lost = expected.subtracting(positions)
        #expect(lost.isEmpty, "never processed: \(lost.count) messages", sourceLocation: sourceLocation)
    }

    /// The log up to the host's `stopping` line: what happened while it consumed.
    func logBeforeStopping(_ host: HostProcess) -> String {
        let log = host.stderr
        return log.range(of: "VersionedConsumer stopping").map { String(log[..<$0.lowerBound]) } ?? log
    }

    @Test func aNewBuildSwapsInUnderLoadWithoutLeavingTheGroup() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        try install(FixturePlugins.versioned(1))
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 4, interval: .milliseconds(10))
        let host = try startHost(cluster: cluster)
        try await host.waitFor("v1 to process 200 messages") { processed(by: 1, in: $0).count >= 200 }

        try install(FixturePlugins.versioned(2))
        let reloaded = try await reload()
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stderr.contains("swapped in place"), "\(reloaded.stderr)")
        try await host.waitFor("v2 to process 200 messages") { processed(by: 2, in: $0).count >= 200 }
        host.send(SIGUSR1)
        try await host.waitForStderr("the dump to name both versions") {
            $0.contains("plugin loaded: \(library) (ABI 1.2, SDK fixture)")
                && $0.contains("previous plugin: \(library)")
        }
        let rounds = try await feeder.stop()
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: rounds)
        try await host.waitFor("every message processed") { expected.isSubset(of: $0.compactMap(ProcessedLine.init)) }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(notableLog(host.stderr))")

        let lines = host.lines
        expectExactlyOnce(expected, in: lines)
        for partition in Int32(0)..<4 {
            let old = processed(by: 1, in: lines).filter { $0.partition == partition }.map(\.offset)
            let new = processed(by: 2, in: lines).filter { $0.partition == partition }.map(\.offset)
            #expect((old.max() ?? -1) < (new.min() ?? .max), "events/\(partition): v1 after v2")
        }
        // The old instance is finished and gone before the new one exists, and the new one hears
        // of the assignment it takes over.
        #expect(
            lifecycle(lines) == [
                "v1 create", "v1 assigned 4", "v1 teardown", "v1 destroy", "v2 create", "v2 assigned 4",
                "v2 teardown", "v2 destroy",
            ])
        let consuming = logBeforeStopping(host)
        #expect(
            consuming.components(separatedBy: "partitions assigned").count == 2,
            "one assignment: \(notableLog(consuming))")
        #expect(!consuming.contains("partitions revoked"), "no rebalance: \(notableLog(consuming))")
    }

    @Test func aBrokenNewVersionIsRefusedAndTheRunningOneKeepsProcessing() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try install(FixturePlugins.versioned(1))
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5)
        let host = try startHost(cluster: cluster)
        try await host.waitFor("v1 to process the first messages") { processed(by: 1, in: $0).count >= 10 }

        let notALibrary = directory.appendingPathComponent("notes.so").path
        try "not a library".write(toFile: notALibrary, atomically: true, encoding: .utf8)
        let missing = directory.appendingPathComponent("missing.so").path
        let broken: [(plugin: String, reason: String)] = [
            (missing, "plugin not found: \(missing)"),
            (notALibrary, "plugin \(notALibrary) is not a loadable shared library"),
            (try FixturePlugins.path("OTHER_MAJOR"), "was built for plugin ABI 2."),
            (try FixturePlugins.path("INIT_FAILS"), "failed to initialise: license key missing"),
            (try FixturePlugins.versioned(2, "CREATE_FAILS"), "v2 cannot reach its database"),
        ]
        var perPartition = 5
        for (plugin, reason) in broken {
            let refused = try await reload(plugin)
            #expect(refused.status == 1, "\(plugin): \(refused.stderr)")
            #expect(refused.stderr.contains(reason), "\(refused.stderr)")
            #expect(refused.stderr.contains("keeps running \(library)"), "\(refused.stderr)")
            #expect(host.stderr.contains(reason), "the host logs the reason too")
            try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5, startingAt: perPartition)
            perPartition += 5
            let expected = ProcessedLine.all(topic: "events", partitions: 2, perPartition: perPartition)
            try await host.waitFor("v1 to go on processing after refusing \(plugin)") {
                expected.isSubset(of: processed(by: 1, in: $0))
            }
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(notableLog(host.stderr))")
        expectExactlyOnce(ProcessedLine.all(topic: "events", partitions: 2, perPartition: perPartition), in: host.lines)
        #expect(lifecycle(host.lines) == ["v1 create", "v1 assigned 2", "v1 teardown", "v1 destroy"])
    }

    @Test func theConfigurationIsReadAgainAtEachReload() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try install(FixturePlugins.versioned(1))
        let configFile = directory.appendingPathComponent("racecar.yml")
        try "development:\n  pause_timeout: 2\n".write(to: configFile, atomically: true, encoding: .utf8)
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 2, interval: .milliseconds(10))
        let host = try startHost(cluster: cluster)
        try await host.waitFor("v1 to process") { processed(by: 1, in: $0).count >= 50 }

        try "development:\n  pause_timeout: lots\n".write(to: configFile, atomically: true, encoding: .utf8)
        let invalid = try await reload()
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("pause_timeout"), "\(invalid.stderr)")
        #expect(invalid.stderr.contains("racecar.yml:2"), "names the file and line: \(invalid.stderr)")
        #expect(invalid.stderr.contains("keeps running"), "\(invalid.stderr)")

        try "development:\n  pause_timeout: 5\n".write(to: configFile, atomically: true, encoding: .utf8)
        let inPlace = try await reload()
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
        #expect(inPlace.stderr.contains("swapped in place"), "pause_timeout applies in place: \(inPlace.stderr)")

        try "development:\n  pause_timeout: 5\n  client_id: reloaded-client\n".write(
            to: configFile, atomically: true, encoding: .utf8)
        let newClient = try await reload()
        #expect(newClient.status == 0, "\(newClient.stderr)")
        #expect(newClient.stderr.contains("with a new Kafka client, since client_id changed"), "\(newClient.stderr)")
        try await host.waitForStderr("the host to say why it restarted its client") {
            $0.contains("restarting the Kafka client for the new version of VersionedConsumer, since client_id changed")
        }
        let processedBefore = processed(by: 1, in: host.lines).count
        try await host.waitFor("processing on the new client") {
            processed(by: 1, in: $0).count >= processedBefore + 50
        }

        let rounds = try await feeder.stop()
        let expected = ProcessedLine.all(topic: "events", partitions: 2, perPartition: rounds)
        try await host.waitFor("every message processed") { expected.isSubset(of: $0.compactMap(ProcessedLine.init)) }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(notableLog(host.stderr))")
        // The client restart committed and left before joining again: nothing is processed twice.
        expectExactlyOnce(expected, in: host.lines)
    }

    @Test func twentyReloadsInARow() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try install(FixturePlugins.versioned(1))
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 2, interval: .milliseconds(10))
        let host = try startHost(cluster: cluster)
        try await host.waitFor("v1 to process") { processed(by: 1, in: $0).count >= 20 }
        let before = residentKilobytes(host.pid)

        for attempt in 1...20 {
            if attempt.isMultiple(of: 2) {
                let reloaded = try await reload()
                #expect(reloaded.status == 0, "reload \(attempt): \(reloaded.stderr)")
            } else {
                // SIGHUP, as `systemctl reload` sends it, reloads from the same path.
                host.send(SIGHUP)
                try await host.waitForStderr("reload \(attempt) to swap") {
                    $0.components(separatedBy: "swapped in place").count == attempt + 1
                }
            }
        }
        let after = residentKilobytes(host.pid)
        let rounds = try await feeder.stop()
        let expected = ProcessedLine.all(topic: "events", partitions: 2, perPartition: rounds)
        try await host.waitFor("every message processed") { expected.isSubset(of: $0.compactMap(ProcessedLine.init)) }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(notableLog(host.stderr))")
        expectExactlyOnce(expected, in: host.lines)
        #expect(lifecycle(host.lines).filter { $0 == "v1 create" }.count == 21)
        #expect(!logBeforeStopping(host).contains("partitions revoked"), "no rebalance in 20 reloads")
        print("20 reloads: resident memory \(before) kB before, \(after) kB after")
    }

    @Test func aCreateFailureDuringTheSwapRollsBack() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try install(FixturePlugins.versioned(1))
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5)
        let host = try startHost(cluster: cluster, ["RACECAR_CONCURRENCY": "2"])
        try await host.waitFor("v1 to process") { processed(by: 1, in: $0).count >= 10 }

        // The check creates one instance, which works; the swap creates two, and the second fails.
        let rolledBack = try await reload(FixturePlugins.versioned(2, "SECOND_CREATE_FAILS"))
        #expect(rolledBack.status == 1)
        #expect(rolledBack.stderr.contains("v2 cannot open a second connection"), "\(rolledBack.stderr)")
        #expect(rolledBack.stderr.contains("rolled back to the previous version"), "\(rolledBack.stderr)")
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5, startingAt: 5)
        let expected = ProcessedLine.all(topic: "events", partitions: 2, perPartition: 10)
        try await host.waitFor("v1 to process again") { expected.isSubset(of: processed(by: 1, in: $0)) }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(notableLog(host.stderr))")
        expectExactlyOnce(expected, in: host.lines)
        let calls = lifecycle(host.lines)
        #expect(calls.filter { $0 == "v1 create" }.count == 4, "two instances, then two again: \(calls)")
        #expect(calls.filter { $0 == "v2 create" }.count == 1, "\(calls)")
        #expect(calls.filter { $0 == "v2 destroy" }.count == 1, "the created v2 instance is destroyed: \(calls)")
        #expect(processed(by: 2, in: host.lines).isEmpty)
    }
}

extension LiveSwapTests {
    @Test func aSupervisorSwapsANewBuildIntoOneWorkerAfterTheOther() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 4)
        try install(FixturePlugins.versioned(1))
        let feeder = Feeder(cluster: cluster, topic: "events", partitions: 4, interval: .milliseconds(10))
        let supervisor = try startHost(cluster: cluster, ["RACECAR_PARALLEL_WORKERS": "2"])
        _ = try await supervisor.waitForEveryWorkerConsuming()
        // The group settles first: two workers joining the mock rebalance, and may process
        // messages twice then (see Running); what the reload does is measured from here.
        try await supervisor.waitForStderr("each worker owning two partitions") { log in
            let owned = WorkerAssignments(log: log).bySlot
            return owned.count == 2 && owned.values.allSatisfy { $0.count == 2 }
        }
        try await supervisor.waitFor("v1 to process") { processed(by: 1, in: $0).count >= 100 }
        let settledLines = supervisor.lines.count
        let settledLog = supervisor.stderr.count

        try install(FixturePlugins.versioned(2))
        let reloaded = try await reload()
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stderr.contains("every worker runs \(library)"), "\(reloaded.stderr)")
        try await supervisor.waitFor("v2 to process") { processed(by: 2, in: $0).count >= 100 }
        let rounds = try await feeder.stop()
        let expected = ProcessedLine.all(topic: "events", partitions: 4, perPartition: rounds)
        try await supervisor.waitFor("every message processed") {
            expected.isSubset(of: $0.compactMap(ProcessedLine.init))
        }
        let status = try #require(supervisor.supervisorStatus)
        #expect(status.plugin == library)
        let printed = try await HostProcess.run(["status", "--pidfile", pidfile], executable: TestPaths.racecarctl)
        #expect(printed.stdout.contains("plugin \(library), before it \(library)"), "\(printed.stdout)")
        #expect(status.workers.allSatisfy { $0.restarts == 0 }, "no worker restarted")
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")

        let lines = supervisor.lines
        let before = Set(lines[..<settledLines].compactMap(ProcessedLine.init))
        let after = lines[settledLines...].compactMap(ProcessedLine.init)
        #expect(before.isDisjoint(with: after), "processed again after the reload")
        expectExactlyOnce(expected.subtracting(before), in: Array(lines[settledLines...]))
        let log = supervisor.stderr
        let first = try #require(log.range(of: "worker 0 of VersionedConsumer runs"))
        let second = try #require(log.range(of: "worker 1 of VersionedConsumer runs"))
        #expect(first.lowerBound < second.lowerBound, "one worker after the other")
        let consuming = String(logBeforeStopping(supervisor).dropFirst(settledLog))
        #expect(!consuming.contains("partitions revoked"), "no rebalance: \(notableLog(consuming))")
    }

    @Test func aSupervisorRefusesABrokenBuildAndRollsBackOneThatCrashes() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try install(FixturePlugins.versioned(1))
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 10)
        let supervisor = try startHost(cluster: cluster, ["RACECAR_PARALLEL_WORKERS": "2"])
        _ = try await supervisor.waitForEveryWorkerConsuming()
        try await supervisor.waitFor("v1 to process") { processed(by: 1, in: $0).count >= 20 }

        // Checked once, by the supervisor: no worker hears of it.
        let refused = try await reload(try FixturePlugins.versioned(2, "CREATE_FAILS"))
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("every worker of VersionedConsumer keeps running"), "\(refused.stderr)")
        #expect(refused.stderr.contains("v2 cannot reach its database"), "\(refused.stderr)")

        // This one passes the check and swaps, then crashes on its first message, again and
        // again: max_crashes (3) crashes within a minute roll every worker back to v1, which
        // the deploy has replaced on disk since, but the supervisor kept.
        try install(FixturePlugins.versioned(2, "CRASHES"))
        _ = try await reload()
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 10, startingAt: 10)
        try await supervisor.waitForStderr("the rollback", timeout: .seconds(90)) {
            $0.contains("rolling VersionedConsumer back to \(library): the new version failed 3 times within a minute")
        }
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 10, startingAt: 20)
        let expected = ProcessedLine.all(topic: "events", partitions: 2, perPartition: 30)
        try await supervisor.waitFor("v1 to process every message again", timeout: .seconds(90)) {
            expected.isSubset(of: processed(by: 1, in: $0))
        }
        supervisor.send(SIGTERM)
        #expect(try await supervisor.waitForExit() == 0, "\(notableLog(supervisor.stderr))")
        #expect(processed(by: 2, in: supervisor.lines).isEmpty)
    }
}

/// Resident memory of process `pid`, from /proc (0 if it cannot be read).
func residentKilobytes(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}
