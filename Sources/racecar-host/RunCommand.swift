import ArgumentParser
import Foundation
import Logging
import Metrics
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
        var logFormat = LogFormat.text
        do {
            try runHost(daemonStartup: &startup, logFormat: &logFormat)
        } catch {
            // The one place a failure is printed: everything deferred has run by now.
            LogOutput.standardError.writeFailure(error.description, format: logFormat)
            // A daemon's standard error may go nowhere: the process that started it prints it too.
            startup?.failed(error.description, status: error.status)
            throw ExitCode(error.status)
        }
    }

    /// Runs the host (or its supervisor), leaving in `logFormat` the format its log lines take
    /// once the configuration says.
    private func runHost(daemonStartup: inout DaemonStartup?, logFormat: inout LogFormat) throws(UserError) {
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
        logFormat = LogFormat(early)
        // Workers leave daemonizing, the pidfile and parallel_workers to their supervisor.
        if early.daemonize, worker == nil { daemonStartup = Daemon.detach(logfile: early.logfile) }
        let startup = daemonStartup
        if worker == nil, early.parallelWorkers != nil { return try supervise(early: early, startup: startup) }

        // Before any other thread exists, so that every thread inherits the blocked signals.
        let configDump = ConfigDumpSlot()
        let reloader = ReloaderSlot()
        let signals = ShutdownSignal.install(onDump: { configDump.print() }, onReload: { reloader.request() })
        defer { signals.markFinished() }

        // Before the plugin is loaded, so that what it logs from its init function goes where
        // the operator asked; every source of logfile and log_level applies already.
        try logOutput(early).bootstrap(
            level: early.logLevel, format: LogFormat(early), metadata: worker?.logMetadata ?? [:])

        let plugin: LoadedPlugin
        let descriptor: ConsumerDescriptor
        let config: RacecarConfig
        let warnings: [String]
        // A worker runs the version its supervisor names, from the supervisor's checked copy.
        var options = options
        let reloadedPlugin = worker.flatMap { _ in ProcessInfo.processInfo.environment[WorkerIdentity.pluginVariable] }
        let pluginFile = ProcessInfo.processInfo.environment[WorkerIdentity.pluginFileVariable]
        if let reloadedPlugin, !reloadedPlugin.isEmpty { options.plugin = reloadedPlugin }
        do {
            (plugin, descriptor, config, warnings) = try options.loadPlugin(
                openingCopy: reloadedPlugin?.isEmpty == false ? pluginFile : nil)
        } catch {
            throw .configuration("\(error)")
        }
        let version = PluginVersion(plugin)
        configDump.set(config.dump(consumer: descriptor.name) + version.dumpLines(previous: nil))
        signals.setShutdownTimeout(config.shutdownTimeout)
        let logger = Logger(label: "racecar")
        for warning in warnings { logger.warning("\(warning)") }
        let endpoint = try HostEndpoint(
            config: config, worker: worker, logger: logger, reload: { try await reloader.reloadNow() })
        defer { endpoint.finish() }

        let swaps = SwapMailbox()
        let pidPath = config.pidfile ?? (config.daemonize ? PidFile.defaultPath(consumer: descriptor.name) : nil)
        let hostReloader = HostReloader(
            options: options, consumer: descriptor, config: config, version: version, mailbox: swaps,
            stop: signals.stop,
            channel: worker.map {
                SupervisorDirectory(supervisorPID: $0.identity.supervisorPID).reloadChannel(slot: $0.identity.slot)
            }
                ?? pidPath.map(ReloadChannel.init(pidfile:)),
            logger: logger
        ) { [signals] config, consumer, version, previous in
            configDump.set(config.dump(consumer: consumer.name) + version.dumpLines(previous: previous))
            signals.setShutdownTimeout(config.shutdownTimeout)
        }
        reloader.set(hostReloader)
        defer { hostReloader.removeCopies() }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: ConsumerService(stop: signals.stop) { [stop = signals.stop] in
                    try ConsumerRuntime.run(
                        consumer: descriptor, config: config, stop: stop, logger: logger,
                        crashedPositionsPath: worker?.crashedPositionsFile, swaps: swaps,
                        operations: endpoint.operations,
                        consuming: {
                            startup?.ready()
                            worker?.reportConsuming()
                        })
                },
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        ]
        var metricsFactories: [any MetricsFactory] = []
        if let factory = try DogStatsDBackend.make(config, logger: logger) {
            metricsFactories.append(factory)
            services.append(.init(service: MetricsFlushService(factory: factory)))
        }

        endpoint.bootstrapMetrics(metricsFactories)
        services += endpoint.services

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
        let plugin: String
        let descriptor: ConsumerDescriptor
        let config: RacecarConfig
        let warnings: [String]
        do {
            let loaded: LoadedPlugin
            (loaded, descriptor, config, warnings) = try options.loadPlugin(initializingPlugin: false)
            plugin = loaded.path
        } catch {
            throw .configuration("\(error)")
        }
        let logger = Logger(label: "racecar.supervisor")
        for warning in warnings { logger.warning("\(warning)") }
        let metrics = try DogStatsDBackend.make(config, logger: logger).map { factory in
            // The supervisor's own metrics (restarts, crashes) go to DogStatsD; its endpoint serves
            // the workers' Prometheus text.
            MetricsSystem.bootstrap(factory)
            return SupervisorMetrics(
                consumer: descriptor.name, groupID: config.effectiveGroupID(consumer: descriptor.name),
                clientID: config.clientID, flush: factory.flush)
        }
        let pidFile = try writePidFile(config, consumer: descriptor.name)
        defer { pidFile?.remove() }
        // Workers run a copy, so that a rollback finds the bytes they ran even after a deploy
        // replaced the file.
        let copies = PluginCopies()
        defer { copies.removeAll() }
        let initial: CheckedPlugin
        do {
            initial = CheckedPlugin(path: plugin, copy: try copies.copy(plugin))
        } catch {
            throw .configuration(error.description)
        }
        let reloads = SupervisorReloads(initial: initial, channel: pidFile.map { ReloadChannel(pidfile: $0.path) }) {
            [options] requested, running in
            SupervisorReloadCheck(options: options, copies: copies).check(
                consumer: descriptor.name, plugin: requested, running: running)
        }
        let supervisor = Supervisor(
            consumer: descriptor.name, config: config, signals: signals, startup: startup, logger: logger,
            metrics: metrics, reloads: reloads)
        SupervisorEndpoint.start(
            config: config, supervisorPID: getpid(), logger: logger,
            reload: { try await SupervisorReloadRequest.send(toSupervisor: getpid()) })
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
