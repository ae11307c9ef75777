import Foundation
import Testing

@testable import RacecarConfiguration
@testable import RacecarKafka
@testable import RacecarSupervision

/// The supervisor's pure decisions: when to restart and when to give up, how an exit reads, what
/// the status file holds and how `racecarctl status` prints it, and what a worker derives from
/// its slot.
@Suite struct SupervisionTests {
    let policy = RestartPolicy()

    @Test func restartsBackOffExponentiallyUpToTheCap() {
        let delays = (1...8).map { policy.delay(beforeRestart: $0) }
        #expect(
            delays == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5),
                .seconds(5),
            ])
    }

    @Test func theEleventhFailureInARowGivesUp() {
        let crash = WorkerExit.killed(signal: SIGSEGV, coreDumped: false)
        #expect(policy.decision(after: crash, failuresInARow: 1) == .restart(after: .milliseconds(250)))
        #expect(policy.decision(after: crash, failuresInARow: 10) == .restart(after: .seconds(5)))
        #expect(policy.decision(after: crash, failuresInARow: 11) == .giveUp)
    }

    @Test func aWorkerThatStayedUpAMinuteStartsTheCountOver() {
        #expect(policy.failuresInARow(previous: 7, uptime: .seconds(59)) == 8)
        #expect(policy.failuresInARow(previous: 7, uptime: .seconds(60)) == 1)
    }

    @Test func aConfigurationOrUsageErrorGivesUpAtOnce() {
        #expect(policy.decision(after: .exited(status: 78), failuresInARow: 1) == .giveUp)
        #expect(policy.decision(after: .exited(status: 64), failuresInARow: 1) == .giveUp)
        #expect(policy.decision(after: .exited(status: 1), failuresInARow: 1) == .restart(after: .milliseconds(250)))
        #expect(policy.decision(after: .exited(status: 0), failuresInARow: 1) == .restart(after: .milliseconds(250)))
    }

    @Test func waitStatusesReadAsExitsAndSignalsByName() {
        #expect(WorkerExit(waitStatus: 0) == .exited(status: 0))
        #expect(WorkerExit(waitStatus: 1 << 8).description == "exited with status 1")
        #expect(WorkerExit(waitStatus: 78 << 8).status == 78)
        #expect(WorkerExit(waitStatus: SIGSEGV).description == "killed by SIGSEGV")
        #expect(WorkerExit(waitStatus: SIGABRT | 0x80).description == "killed by SIGABRT (core dumped)")
        #expect(WorkerExit(waitStatus: SIGKILL).signalName == "SIGKILL")
        #expect(WorkerExit(waitStatus: 0).isClean && !WorkerExit(waitStatus: SIGTERM).isClean)
        #expect(WorkerExit.name(ofSignal: SupervisorSignals.consumingSignal) == "SIGRTMIN+4")
        #expect(WorkerExit.name(ofSignal: SIGTRAP) == "SIGTRAP")
    }

    @Test func givingUpSaysWhyAndExitsWithTheWorkersStatusWhenRestartingCannotHelp() {
        let loop = SupervisorError.gaveUp(
            consumer: "EchoConsumer", slot: 2, failures: 11, last: .killed(signal: SIGSEGV, coreDumped: false),
            permanent: false)
        #expect(
            loop.description
                == "worker 2 of EchoConsumer failed 11 times in a row, each within 60 s of its start (last: killed by "
                + "SIGSEGV); stopped the other workers and gave up. Its log lines above say why: fix that, then start again"
        )
        #expect(loop.status == 1)
        let configuration = SupervisorError.gaveUp(
            consumer: "EchoConsumer", slot: 0, failures: 1, last: .exited(status: 78), permanent: true)
        #expect(configuration.description.hasPrefix("worker 0 of EchoConsumer exited with status 78, which starting"))
        #expect(configuration.status == 78)
    }

    func sampleStatus() -> SupervisorStatus {
        var consuming = SupervisorStatus.Worker(slot: 0, state: .consuming)
        consuming.pid = 4265
        consuming.startedAt = 1_000
        var restarting = SupervisorStatus.Worker(slot: 1, state: .restarting)
        restarting.restarts = 3
        restarting.lastExit = .init(.killed(signal: SIGSEGV, coreDumped: false), at: 1_190)
        restarting.restartAt = 1_202
        return SupervisorStatus(
            supervisorPID: 4263, consumer: "EchoConsumer", startedAt: 990, state: .running,
            workers: [consuming, restarting])
    }

    @Test func theStatusFileRoundTripsAsJSON() throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("status.json").path
        try sampleStatus().write(to: path)
        #expect(try SupervisorStatus.read(from: path) == sampleStatus())
        let json = try String(contentsOfFile: path, encoding: .utf8)
        #expect(json.contains(#""signal":"SIGSEGV""#) && json.contains(#""state":"restarting""#), "\(json)")
    }

    @Test func statusPrintsALineAboutTheSupervisorAndARowPerWorker() {
        #expect(
            sampleStatus().text(now: 1_200) == """
                supervisor 4263 of EchoConsumer: running, up 3m 30s, 2 workers
                slot  pid   state             uptime  restarts  last exit
                0     4265  consuming         3m 20s  0         -
                1     -     restarting in 2s  -       3         killed by SIGSEGV, 10s ago

                """)
    }

    @Test func aWorkersSlotDerivesItsInstanceIDAndLivenessFile() throws {
        let environment = [
            "RACECAR_WORKER_SLOT": "2", "RACECAR_SUPERVISOR_PID": "4263", "RACECAR_WORKER_CALL_SLOT": "/dev/shm/x",
            "RACECAR_GROUP_INSTANCE_ID": "billing", "RACECAR_LIVENESS_PROBE_FILE_PATH": "/tmp/alive",
        ]
        let (config, warnings) = try ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil, environment: environment
        ).load(for: .forTesting(name: "EchoConsumer", topics: ["events"]))
        #expect(warnings.isEmpty, "the supervisor's variables are no unknown keys: \(warnings)")
        #expect(config.worker == WorkerIdentity(slot: 2, supervisorPID: 4263))
        #expect(config.consumerConfiguration(groupID: "g")["group.instance.id"] == "billing-2")
        #expect(config.livenessProbeFilePath == "/tmp/alive.worker-2")
    }

    @Test func withoutASlotNothingIsDerived() throws {
        let (config, _) = try ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil,
            environment: ["RACECAR_GROUP_INSTANCE_ID": "billing", "RACECAR_PARALLEL_WORKERS": "3"]
        ).load(for: .forTesting(name: "EchoConsumer", topics: ["events"]))
        #expect(config.worker == nil && config.parallelWorkers == 3)
        #expect(config.consumerConfiguration(groupID: "g")["group.instance.id"] == "billing")
        #expect(config.livenessProbeFilePath == "/tmp/racecar-liveness")
    }

    @Test func aMalformedSlotIsAnError() throws {
        #expect(throws: ConfigError.self) {
            try WorkerIdentity.current(in: ["RACECAR_WORKER_SLOT": "two", "RACECAR_SUPERVISOR_PID": "1"])
        }
        #expect(throws: ConfigError.self) { try WorkerIdentity.current(in: ["RACECAR_WORKER_SLOT": "1"]) }
        #expect(try WorkerIdentity.current(in: [:]) == nil)
    }

    @Test func parallelWorkersTakesOneTo256() {
        for (value, valid) in [("0", false), ("1", true), ("256", true), ("257", false)] {
            let loaded = try? ConfigLoader(
                configPath: emptyConfigFile, environmentName: nil, environment: ["RACECAR_PARALLEL_WORKERS": value]
            ).load(for: .forTesting(name: "EchoConsumer", topics: ["events"]))
            #expect((loaded != nil) == valid, "parallel_workers \(value)")
        }
    }
}
