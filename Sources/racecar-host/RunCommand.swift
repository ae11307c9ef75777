import ArgumentParser
import Foundation
import Logging
import RacecarConfiguration
import RacecarInstrumentation
import RacecarOperations
import RacecarPluginHosting
import RacecarRuntime
import RacecarSupervision
import ServiceLifecycle
import Synchronization

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a consumer (the default command)."
    )

    @OptionGroup var options: ConsumerOptions

    func run() throws {
        var startup: DaemonStartup?
        do {
            try runHost(daemonStartup: &startup)
        } catch {
            // The one place a failure is printed: everything deferred has run by now.
            FileHandle.standardError.write(Data("racecar-host: error: \(error)\n".utf8))
            // A daemon's standard error may go nowhere: the process that started it prints it too.
            startup?.failed(error.description, status: error.status)
            throw ExitCode(error.status)
        }
    }

    private func runHost(daemonStartup: inout DaemonStartup?) throws(UserError) {
        // A worker that a supervisor started dies with it: arranged before anything else.
        let worker = try attachToSupervisor()
        AllocatorTuning.apply()
        // Forking is only safe while this is the only thread: daemonize before anything else.
        let early: RacecarConfig
        do {
            early = try options.loadBeforePlugin()
        } catch {
            throw .configuration("\(error)")
        }
        // Workers leave daemonizing, the pidfile and parallel_workers to their supervisor.
        if early.daemonize, worker == nil { daemonStartup = Daemon.detach(logfile: early.logfile) }
        let startup = daemonStartup
        if worker == nil, early.parallelWorkers != nil { return try supervise(early: early, startup: startup) }

        // Before any other thread exists, so that every thread inherits the blocked signals.
        let configDump = ConfigDumpSlot()
        let signals = ShutdownSignal.install { configDump.print() }
        defer { signals.markFinished() }

        // Before the plugin is loaded, so that what it logs from its init function goes where
        // the operator asked; every source of logfile and log_level applies already.
        try logOutput(early).bootstrap(
            level: early.logLevel, format: LogFormat(early), metadata: worker?.logMetadata ?? [:])

        let descriptor: ConsumerDescriptor
        let config: RacecarConfig
        let warnings: [String]
        do {
            (descriptor, config, warnings) = try options.load()
        } catch {
            throw .configuration("\(error)")
        }
        configDump.set(config.dump(consumer: descriptor.name))
        signals.setShutdownTimeout(config.shutdownTimeout)
        let logger = Logger(label: "racecar")
        for warning in warnings { logger.warning("\(warning)") }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: ConsumerService(stop: signals.stop) { [stop = signals.stop] in
                    try ConsumerRuntime.run(
                        consumer: descriptor, config: config, stop: stop, logger: logger,
                        crashedPositionsPath: worker?.crashedPositionsFile,
                        consuming: {
                            startup?.ready()
                            worker?.reportConsuming()
                        })
                },
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        ]
        if let factory = try DogStatsDBackend.bootstrap(config, logger: logger) {
            services.append(.init(service: MetricsFlushService(factory: factory)))
        }

        let pidFile = worker == nil ? try writePidFile(config, consumer: descriptor.name) : nil
        defer { pidFile?.remove() }

        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        if let failure = runToCompletion({ try await group.run() }) { throw UserError("\(failure)") }
    }

    /// `parallel_workers`: this process runs no consumer and opens no Kafka connection, but
    /// supervises worker processes that do.
    private func supervise(early: RacecarConfig, startup: DaemonStartup?) throws(UserError) {
        // Before any other thread exists, so that every thread inherits the blocked signals.
        let signals = SupervisorSignals.block()
        try logOutput(early).bootstrap(level: early.logLevel, format: LogFormat(early))
        // Checks the whole configuration once, before any worker starts; the plugin is only
        // described, so none of its code with effects runs in the supervisor.
        let descriptor: ConsumerDescriptor
        let config: RacecarConfig
        let warnings: [String]
        do {
            (descriptor, config, warnings) = try options.load(initializingPlugin: false)
        } catch {
            throw .configuration("\(error)")
        }
        let logger = Logger(label: "racecar.supervisor")
        for warning in warnings { logger.warning("\(warning)") }
        let metrics = try DogStatsDBackend.bootstrap(config, logger: logger).map { factory in
            SupervisorMetrics(
                consumer: descriptor.name, groupID: config.effectiveGroupID(consumer: descriptor.name),
                clientID: config.clientID, flush: factory.flush)
        }
        let pidFile = try writePidFile(config, consumer: descriptor.name)
        defer { pidFile?.remove() }
        let supervisor = Supervisor(
            consumer: descriptor.name, config: config, signals: signals, startup: startup, logger: logger,
            metrics: metrics)
        do {
            try supervisor.run()
        } catch {
            throw UserError(error.description, status: error.status)
        }
    }

    /// The supervisor that started this process, if one did, which it now dies with.
    private func attachToSupervisor() throws(UserError) -> SupervisedWorker? {
        let identity: WorkerIdentity?
        do {
            identity = try WorkerIdentity.current(in: ProcessInfo.processInfo.environment)
        } catch {
            throw .configuration("\(error)")
        }
        guard let identity else { return nil }
        do {
            return try SupervisedWorker.attach(identity)
        } catch {
            throw UserError(error.description)
        }
    }

    /// Where log lines go: `logfile`, else standard error.
    private func logOutput(_ early: RacecarConfig) throws(UserError) -> LogOutput {
        do {
            return try early.logfile.map { try LogOutput.file(at: $0) } ?? .standardError
        } catch {
            let source = early.sources[.logfile]
            throw .configuration(
                "\(ConfigError.invalidValue(key: "logfile", value: early.logfile ?? "", source: source, expected: "a writable file path (\(error))"))"
            )
        }
    }

    /// Writes `pidfile` (by default with `--daemonize`, named after the consumer).
    private func writePidFile(_ config: RacecarConfig, consumer: String) throws(UserError) -> PidFile? {
        let pidFile = (config.pidfile ?? (config.daemonize ? PidFile.defaultPath(consumer: consumer) : nil)).map(
            PidFile.init)
        do {
            try pidFile?.write()
        } catch {
            throw UserError("\(error)")
        }
        return pidFile
    }
}

/// Runs `body` on the cooperative pool and blocks this thread until it finishes; returns what
/// it threw. The command itself stays synchronous so that daemonizing forks a process with
/// one thread.
private func runToCompletion(_ body: @escaping @Sendable () async throws -> Void) -> (any Error)? {
    let finished = DispatchSemaphore(value: 0)
    let failure = Mutex<(any Error)?>(nil)
    Task {
        do {
            try await body()
        } catch {
            failure.withLock { $0 = error }
        }
        finished.signal()
    }
    finished.wait()
    return failure.withLock { $0 }
}
