import Foundation
import Glibc
import Logging
import RacecarConfiguration
import RacecarInstrumentation
import RacecarOperations
import RacecarPluginHosting

/// Runs `parallel_workers` worker processes of one consumer and keeps them running, holding no
/// Kafka connection of its own (nginx's master process, Karafka's swarm supervisor).
///
/// Each worker is this executable started again with the same arguments (``WorkerLauncher``)
/// and the worker's variables (``WorkerIdentity``), and runs the consumer as a single host does,
/// as one member of the group. Everything happens on the thread that calls ``run()``, which
/// must live as long as the supervisor: the kernel signals a worker when the thread that started
/// it exits. That thread waits for signals and timers in one loop:
///
/// - a worker that exits while the supervisor runs is started again as ``RestartPolicy`` says,
///   or the supervisor gives up, stops the other workers and fails;
/// - SIGTERM, SIGINT or SIGQUIT sends SIGTERM to every worker; one still running
///   `shutdown_timeout` + 2 s later gets SIGKILL; a second stop signal kills them at once;
/// - SIGUSR1 is forwarded to every worker, which prints its configuration;
/// - SIGHUP (`racecarctl reload`) checks a new version of the plugin once, then swaps it into
///   one worker after the other (``RollingReload``), and rolls every worker back if one fails
///   to swap or the new version crashes `max_crashes` times within a minute;
/// - the status file (``SupervisorStatus``) is rewritten on every change, and the liveness file
///   (``SupervisorLiveness``) touched while every slot is alive.
package final class Supervisor {
    /// How long a worker may take to stop beyond `shutdown_timeout`, after which its own timeout
    /// should have ended it, before it is killed.
    static let stopGrace: Duration = .seconds(2)

    /// Why the supervisor is stopping its workers, and until when they may take.
    private struct Stop {
        var deadline: ContinuousClock.Instant
        /// The failure to report once every worker stopped; `nil` after a stop signal.
        var failure: SupervisorError?
        /// Workers that stopped other than cleanly, described.
        var unclean: [String] = []
        var killed = false
    }

    private let consumer: String
    private let shutdownTimeout: Duration
    private let policy: RestartPolicy
    private let signals: SupervisorSignals
    private let startup: DaemonStartup?
    private let logger: Logger
    private let launcher: WorkerLauncher
    private let directory: SupervisorDirectory
    private let startedAt = Date().timeIntervalSince1970
    private var liveness: SupervisorLiveness?
    private var slots: [WorkerSlot]
    /// Each worker's consumer instances, one call slot record each.
    private let instances: Int
    /// The messages that crashed workers, which the next workers avoid.
    private var poison: PoisonTracker
    /// Whether a dead-letter topic takes poison messages, for the log.
    private let deadLetterTopic: String?
    /// What a crashing worker's backtracer writes, unless the operator set SWIFT_BACKTRACE.
    private let backtraceSetting: String
    private var stop: Stop?
    private var reportedReady = false
    /// How reloads check new versions; `nil`: SIGHUP is refused.
    private let reloads: SupervisorReloads?
    /// The version workers start with, and the one it replaced.
    private var plugin: CheckedPlugin?
    private var previousPlugin: CheckedPlugin?
    private var rollout: RollingReload?
    private let metrics: SupervisorMetrics?

    /// Prepares a supervisor of `config.parallelWorkers` workers (at least one) of `consumer`.
    ///
    /// - Parameters:
    ///   - signals: The signals blocked before any thread existed.
    ///   - startup: Where a daemon reports that it came up: once every worker consumes.
    ///   - metrics: Counts restarts and crashes, when a metrics backend is configured.
    ///   - reloads: How a reload checks a new version, and the version workers start with.
    package init(
        consumer: String, config: RacecarConfig, signals: SupervisorSignals, startup: DaemonStartup?,
        logger: Logger, policy: RestartPolicy = RestartPolicy(), metrics: SupervisorMetrics? = nil,
        reloads: SupervisorReloads? = nil
    ) {
        self.reloads = reloads
        plugin = reloads?.initial
        self.consumer = consumer
        self.metrics = metrics
        shutdownTimeout = config.shutdownTimeout
        self.policy = policy
        self.signals = signals
        self.startup = startup
        var logger = logger
        logger[metadataKey: "consumer"] = "\(consumer)"
        self.logger = logger
        launcher = WorkerLauncher()
        directory = SupervisorDirectory(supervisorPID: getpid())
        let count = max(config.parallelWorkers ?? 1, 1)
        slots = (0..<count).map(WorkerSlot.init)
        instances = config.concurrency
        poison = PoisonTracker(maxCrashes: config.maxCrashes)
        deadLetterTopic = config.deadLetterTopic
        backtraceSetting = CrashReporting.workerBacktraceSetting(
            logFormat: LogFormat(rawValue: config.logFormat) ?? .text)
        if config.livenessProbeEnabled {
            liveness = SupervisorLiveness(
                path: config.livenessProbeFilePath, maxInterval: config.livenessProbeMaxInterval, slots: count)
        }
    }

    /// Starts the workers and supervises them until a stop signal, or until a slot keeps failing.
    ///
    /// - Throws: ``SupervisorError`` when the supervisor gave up on a slot, could not start a
    ///   worker, or workers did not stop cleanly; every worker has exited by then.
    package func run() throws(SupervisorError) {
        try directory.create(slots: slots.count, instances: instances)
        defer {
            liveness?.remove()
            directory.remove()
            metrics?.flushNow()
        }
        let workers = "\(slots.count) worker\(slots.count == 1 ? "" : "s")"
        logger.info("supervising \(workers) of \(consumer) (pid \(getpid()), status in \(directory.statusFile))")
        for index in slots.indices where stop == nil { start(index) }
        while stop == nil || slots.contains(where: { $0.pid != nil }) {
            if let event = signals.next(timeout: timeUntilNextDue()) { handle(event) }
            reapExitedWorkers()
            let now = ContinuousClock.now
            for index in slots.indices where stop == nil && slots[index].restartDue.map({ $0 <= now }) == true {
                start(index)
            }
            killWorkersPastTheDeadline()
            if stop == nil { advanceRollout() }
            if stop == nil { liveness?.update(slots, now: now) }
            metrics?.flushIfDue()
        }
        guard let stop else { return }
        if let failure = stop.failure { throw failure }
        guard stop.unclean.isEmpty else { throw .uncleanStop(consumer: consumer, workers: stop.unclean) }
        logger.info("every worker of \(consumer) stopped")
    }

    // MARK: Events

    private func handle(_ event: SupervisorSignals.Event) {
        switch event {
        case .stop(let signal):
            if stop == nil {
                logger.info("\(WorkerExit.name(ofSignal: signal)): stopping every worker of \(consumer)")
                beginStop(failure: nil)
            } else if stop?.killed == false {
                logger.warning("\(WorkerExit.name(ofSignal: signal)) again while stopping: killing every worker")
                killRunningWorkers()
            }
        case .dump:
            for slot in slots { if let pid = slot.pid { kill(pid, SIGUSR1) } }
        case .reload:
            beginReload()
        case .childExited:
            reapExitedWorkers()
        case .consuming(let pid):
            guard let index = slots.firstIndex(where: { $0.pid == pid }) else { return }
            slots[index].isConsuming = true
            slots[index].hasConsumed = true
            logger.info("worker \(index) of \(consumer) (pid \(pid)) consuming")
            publish()
            if !reportedReady, slots.allSatisfy(\.hasConsumed) {
                reportedReady = true
                startup?.ready()
            }
        }
    }

    /// Starts slot `index`'s worker; a failure to start one stops the others.
    private func start(_ index: Int) {
        let isRestart = slots[index].lastExit != nil
        let pid: Int32
        do {
            // A record left by the previous worker must not be taken for the new one's.
            if isRestart { try directory.resetCallSlot(slot: index, instances: instances) }
            pid = try launcher.launch(adding: workerVariables(slot: index))
        } catch {
            logger.critical("\(error)")
            slots[index].restartDue = nil
            slots[index].restartAt = nil
            beginStop(failure: error)
            return
        }
        slots[index].pid = pid
        slots[index].started = .now
        slots[index].startedAt = Date().timeIntervalSince1970
        slots[index].isConsuming = false
        slots[index].isStopping = false
        slots[index].restartDue = nil
        slots[index].restartAt = nil
        if isRestart {
            slots[index].restarts += 1
            metrics?.restarted(slot: index)
        }
        let restart = isRestart ? ", restart \(slots[index].restarts)" : ""
        logger.info("\(isRestart ? "restarted" : "started") worker \(index) of \(consumer) (pid \(pid))\(restart)")
        publish()
    }

    /// What a worker finds in its environment besides the supervisor's own.
    private func workerVariables(slot: Int) -> [String: String] {
        [
            WorkerIdentity.slotVariable: String(slot),
            WorkerIdentity.supervisorVariable: String(getpid()),
            WorkerIdentity.callSlotVariable: directory.callSlotFile(slot: slot),
            WorkerIdentity.pluginVariable: plugin?.path ?? "",
            WorkerIdentity.pluginFileVariable: plugin?.copy ?? "",
            // A crashing worker reports briefly and exits at once, unless the operator chose otherwise.
            CrashReporting.backtraceEnvironmentVariable: launcher.environment[
                CrashReporting.backtraceEnvironmentVariable] ?? backtraceSetting,
        ]
    }

    /// Collects every worker that exited, without waiting.
    private func reapExitedWorkers() {
        while true {
            var status: Int32 = 0
            var usage = rusage()
            let pid = wait4(-1, &status, WNOHANG, &usage)
            guard pid > 0 else { return }
            guard let index = slots.firstIndex(where: { $0.pid == pid }) else { continue }
            workerExited(
                index, WorkerExit(waitStatus: status),
                cpuSeconds: Self.seconds(usage.ru_utime) + Self.seconds(usage.ru_stime))
        }
    }

    private static func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

    /// Records how slot `index`'s worker ended, having used `cpuSeconds` of CPU, and restarts
    /// it, or gives up, or, while stopping, notes whether it stopped cleanly.
    private func workerExited(_ index: Int, _ exit: WorkerExit, cpuSeconds: Double) {
        guard let pid = slots[index].pid, let started = slots[index].started else { return }
        let uptime = ContinuousClock.now - started
        slots[index].pid = nil
        // What the worker left in its process group dies with it: a worker killed while the Swift
        // runtime's swift-backtrace child ran would leave that child behind for good.
        kill(-pid, SIGKILL)
        slots[index].started = nil
        slots[index].startedAt = nil
        slots[index].isConsuming = false
        slots[index].isStopping = false
        let inFlight = exit.isClean ? [] : directory.callsInFlight(slot: index, pid: pid)
        slots[index].lastExit = (exit, Date().timeIntervalSince1970, inFlight.map(\.description))
        let worker = "worker \(index) of \(consumer) (pid \(pid))"
        let during = inFlight.isEmpty ? "" : " during \(inFlight.map(\.description).joined(separator: ", "))"
        let ranFor = "\(formatSeconds((uptime.inSeconds * 10).rounded() / 10)) s"
        let after = "after \(ranFor)\(during)"
        defer { publish() }

        if stop != nil {
            if exit.isClean {
                let cpu = formatSeconds((cpuSeconds * 1000).rounded() / 1000)
                logger.info("\(worker) stopped after \(ranFor), \(cpu) s of CPU")
            } else {
                logger.error("\(worker) \(exit) while stopping")
                stop?.unclean.append("\(worker) \(exit)")
            }
            return
        }
        if let signal = exit.signalName { metrics?.crashed(slot: index, signal: signal) }
        slots[index].failuresInARow = policy.failuresInARow(previous: slots[index].failuresInARow, uptime: uptime)
        // A crash of a version being rolled out counts against the version, not the messages.
        let blamesNewVersion = newVersionFailed(slot: index, exit)
        if !blamesNewVersion, let signal = exit.signalName, !inFlight.isEmpty, recordCrash(inFlight, signal: signal) {
            // Singling out a poison message takes crashes by design: progress, not a crash loop.
            slots[index].failuresInARow = 1
        }
        let failures = slots[index].failuresInARow
        switch policy.decision(after: exit, failuresInARow: failures) {
        case .restart(let delay):
            slots[index].restartDue = .now + delay
            slots[index].restartAt = Date().timeIntervalSince1970 + delay.inSeconds
            let restart = "restarting it in \(formatSeconds(delay)) s (failure \(failures) in a row)"
            if exit.isClean {
                let unasked = "without being asked to stop (was it sent SIGTERM directly?)"
                logger.warning("\(worker) exited with status 0 \(after) \(unasked); \(restart)")
            } else {
                logger.error("\(worker) \(exit) \(after); \(restart)")
            }
        case .giveUp:
            let failure = SupervisorError.gaveUp(
                consumer: consumer, slot: index, failures: failures, last: exit,
                permanent: RestartPolicy.isPermanent(exit))
            logger.critical("\(worker) \(exit) \(after); giving up: stopping every other worker")
            beginStop(failure: failure)
        }
    }

    /// Counts a crash against the messages in flight and, once one crashed `max_crashes` workers
    /// or a batch crashed, tells the next workers what to avoid.
    ///
    /// - Returns: Whether the next workers avoid something new.
    private func recordCrash(_ calls: [InFlightCall], signal: String) -> Bool {
        var changed = false
        for call in calls {
            guard let position = call.position else { continue }
            switch poison.record(call, signal: signal) {
            case .noPosition:
                continue
            case .counted(let crashes):
                logger.error(
                    "\(position) crashed \(consumer) \(crashes) of max_crashes \(poison.maxCrashes) times")
            case .narrowed:
                changed = true
                logger.error("\(position) crashed \(consumer) in process_batch: retrying it one message at a time")
            case .poisoned(let crashes):
                changed = true
                let next =
                    deadLetterTopic.map { "it goes to dead-letter topic \($0)" }
                    ?? "its partition stays paused until restart (set dead_letter_topic to move past it)"
                let verdict =
                    "\(position) crashed \(consumer) \(crashes) times (max_crashes \(poison.maxCrashes)): it is not "
                    + "processed again; \(next)"
                logger.critical("\(verdict)")
            }
        }
        guard changed else { return false }
        do {
            try poison.positions.write(to: directory.crashedPositionsFile)
        } catch {
            logger.critical("cannot write \(directory.crashedPositionsFile): \(error)")
        }
        return true
    }

    // MARK: Stopping

    /// Asks every running worker to stop, and stops restarting them.
    private func beginStop(failure: SupervisorError?) {
        guard stop == nil else { return }
        stop = Stop(deadline: .now + shutdownTimeout + Self.stopGrace, failure: failure)
        for index in slots.indices {
            slots[index].restartDue = nil
            slots[index].restartAt = nil
            guard let pid = slots[index].pid else { continue }
            slots[index].isStopping = true
            kill(pid, SIGTERM)
        }
        publish()
    }

    private func killWorkersPastTheDeadline() {
        guard let stop, !stop.killed, ContinuousClock.now >= stop.deadline else { return }
        for slot in slots {
            guard let pid = slot.pid else { continue }
            let limit =
                "shutdown_timeout (\(formatSeconds(shutdownTimeout)) s) and \(formatSeconds(Self.stopGrace)) s more"
            logger.error("worker \(slot.index) of \(consumer) (pid \(pid)) did not stop within \(limit): killing it")
        }
        killRunningWorkers()
    }

    private func killRunningWorkers() {
        stop?.killed = true
        for slot in slots { if let pid = slot.pid { kill(pid, SIGKILL) } }
    }

    // MARK: Timers and status

    /// How long the loop may wait for a signal: until the next restart or the stop deadline, at
    /// most a second (the liveness file's pace), a moment while a reload rolls.
    private func timeUntilNextDue() -> Duration {
        let now = ContinuousClock.now
        var next = now + (rollout?.finishedAt == nil && rollout != nil ? .milliseconds(20) : .seconds(1))
        for slot in slots { if let due = slot.restartDue { next = min(next, due) } }
        if let stop, !stop.killed { next = min(next, stop.deadline) }
        return max(next - now, .zero)
    }

    /// Rewrites the status file.
    private func publish() {
        var status = SupervisorStatus(
            supervisorPID: getpid(), consumer: consumer, startedAt: startedAt,
            state: stop == nil ? .running : .stopping,
            workers: slots.map(\.status))
        status.plugin = plugin?.path
        status.previousPlugin = previousPlugin?.path
        do {
            try status.write(to: directory.statusFile)
        } catch {
            logger.warning("cannot write the status file \(directory.statusFile): \(error)")
        }
    }

    // MARK: Reloading

    /// SIGHUP: checks the version asked for once, then starts swapping it in worker by worker.
    private func beginReload() {
        guard stop == nil else { return }
        // From racecarctl, through the pidfile's channel, or from the endpoint, through the folder's.
        let fromPidfile = reloads?.channel?.takeRequest()
        let fromEndpoint = fromPidfile == nil ? directory.reloadChannel.takeRequest() : nil
        let request = fromPidfile ?? fromEndpoint
        let replyTo = fromEndpoint != nil ? directory.reloadChannel : reloads?.channel
        guard let reloads, let running = plugin else {
            return answer(request?.id, on: replyTo, succeeded: false, "this supervisor cannot reload its workers")
        }
        guard rollout == nil || rollout?.finishedAt != nil else {
            return answer(
                request?.id, on: replyTo, succeeded: false, "a reload is rolling already; try again once it finished")
        }
        logger.info("reloading \(consumer)\(request?.plugin.map { " from \($0)" } ?? ""): checking the new version")
        switch reloads.check(request?.plugin, running) {
        case .refused(let reason):
            let message = "reload refused, every worker of \(consumer) keeps running \(running.path): \(reason)"
            logger.error("\(message)")
            answer(request?.id, on: replyTo, succeeded: false, message)
        case .passed(let target):
            logger.info("the new version of \(consumer) passed its check: swapping it into one worker after the other")
            previousPlugin = running
            plugin = target
            rollout = RollingReload(
                requestID: request?.id, replyTo: replyTo, target: target, previous: running,
                pending: Array(slots.indices))
            publish()
        }
    }

    /// Moves the rollout on: reads the answer of the worker swapping, asks the next one, reports
    /// once every worker swapped, and ends the watch a minute later.
    private func advanceRollout() {
        guard var rollout else { return }
        defer { if self.rollout != nil { self.rollout = rollout } }
        let now = ContinuousClock.now
        if let inFlight = rollout.inFlight {
            if slots[inFlight.slot].pid != inFlight.pid {
                // The worker exited meanwhile; its next worker starts with the new version.
                rollout.inFlight = nil
            } else if let result = directory.reloadChannel(slot: inFlight.slot).result(),
                result.id == inFlight.requestID
            {
                rollout.inFlight = nil
                guard result.succeeded else {
                    self.rollout = rollout
                    return rollBack("worker \(inFlight.slot) failed to swap: \(result.message)")
                }
                rollout.swapped.append(inFlight.slot)
                logger.info("worker \(inFlight.slot) of \(consumer) runs \(rollout.target.path)")
            } else if now - inFlight.since > RollingReload.swapTimeout {
                self.rollout = rollout
                return rollBack(
                    "worker \(inFlight.slot) did not swap within \(RollingReload.swapTimeout.components.seconds) s")
            } else {
                return
            }
        }
        while rollout.inFlight == nil, !rollout.pending.isEmpty {
            // A worker still starting hears no reload yet: the ones that consume or wait to
            // restart (and start with the new version) go first.
            guard let next = rollout.pending.firstIndex(where: { slots[$0].pid == nil || slots[$0].isConsuming })
            else { break }
            let index = rollout.pending.remove(at: next)
            guard let pid = slots[index].pid else {
                rollout.swapped.append(index)
                continue
            }
            let request = ReloadChannel.Request(plugin: rollout.target.path, checkedCopy: rollout.target.copy)
            do {
                try directory.reloadChannel(slot: index).send(request)
            } catch {
                self.rollout = rollout
                return rollBack("cannot ask worker \(index) to swap: \(error.localizedDescription)")
            }
            kill(pid, SIGHUP)
            rollout.inFlight = .init(slot: index, pid: pid, requestID: request.id, since: now)
        }
        if rollout.inFlight == nil, rollout.pending.isEmpty, rollout.finishedAt == nil {
            rollout.finishedAt = now
            let message = "reloaded \(consumer): every worker runs \(rollout.target.path)"
            logger.info("\(message)")
            answer(rollout.requestID, on: rollout.replyTo, succeeded: true, message)
            publish()
        }
        if rollout.isOver(at: now) { self.rollout = nil }
    }

    /// Whether slot `index`'s worker ran the version a rollout swaps in and failed; once that
    /// version failed `max_crashes` times within a minute, every worker rolls back.
    private func newVersionFailed(slot index: Int, _ exit: WorkerExit) -> Bool {
        guard !exit.isClean, var rollout, rollout.swapped.contains(index) || rollout.inFlight?.slot == index
        else { return false }
        let crashes = rollout.recordCrash(at: .now)
        self.rollout = rollout
        if crashes >= poison.maxCrashes {
            rollBack(
                "the new version failed \(crashes) times within a minute (max_crashes \(poison.maxCrashes)), "
                    + "the last time worker \(index) \(exit)")
        }
        return true
    }

    /// Stops the rollout and takes every worker back to the previous version: running workers
    /// swap back, workers that start from now on load it.
    private func rollBack(_ reason: String) {
        guard let rollout else { return }
        self.rollout = nil
        plugin = rollout.previous
        previousPlugin = rollout.target
        logger.critical("rolling \(consumer) back to \(rollout.previous.path): \(reason)")
        let request = ReloadChannel.Request(plugin: rollout.previous.path, checkedCopy: rollout.previous.copy)
        for index in rollout.swapped + (rollout.inFlight.map { [$0.slot] } ?? []) {
            guard let pid = slots[index].pid else { continue }
            try? directory.reloadChannel(slot: index).send(request)
            kill(pid, SIGHUP)
        }
        if rollout.finishedAt == nil {
            answer(
                rollout.requestID, on: rollout.replyTo, succeeded: false, "reload of \(consumer) rolled back: \(reason)"
            )
        }
        publish()
    }

    /// Publishes a reload's outcome where it was asked for (racecarctl's or the endpoint's channel).
    private func answer(_ requestID: String?, on channel: ReloadChannel?, succeeded: Bool, _ message: String) {
        if !succeeded { logger.error("\(message)") }
        channel?.publish(.init(id: requestID, succeeded: succeeded, message: message))
    }
}
