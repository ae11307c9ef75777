import ArgumentParser
import Foundation
import Logging
import Metrics
import RacecarConfiguration
import RacecarInstrumentation
import RacecarOperations
import RacecarPluginHosting
import RacecarRuntime

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a consumer (the default command)."
    )

    @OptionGroup var options: ConsumerOptions

    func run() throws {
        AllocatorTuning.apply()
        // Forking is only safe while this is the only thread: daemonize before anything else.
        let early: RacecarConfig
        do {
            early = try options.loadBeforePlugin()
        } catch {
            UserError.exit("\(error)")
        }
        if early.daemonize { Daemon.detach(logfile: early.logfile) }

        // Before any other thread exists, so that librdkafka's threads inherit the blocked signals.
        let configDump = ConfigDumpSlot()
        let shutdown = ShutdownSignal.install { configDump.print() }

        // Before the plugin is loaded, so that what it logs from its init function goes where
        // the operator asked; every source of logfile and log_level applies already.
        let output: LogOutput
        do {
            output = try early.logfile.map { try LogOutput.file(at: $0) } ?? .standardError
        } catch {
            UserError.exit(
                "\(ConfigError.invalidValue(key: "logfile", value: early.logfile ?? "", source: early.sources["logfile"] ?? .builtInDefault, expected: "a writable file path (\(error))"))"
            )
        }
        output.bootstrap(level: early.logLevel)

        let descriptor: ConsumerDescriptor
        let config: RacecarConfig
        let warnings: [String]
        do {
            (descriptor, config, warnings) = try options.load()
        } catch {
            UserError.exit("\(error)")
        }
        configDump.set(config.dump(consumer: descriptor.name))
        shutdown.setShutdownTimeout(config.shutdownTimeout)
        let logger = Logger(label: "racecar")
        for warning in warnings { logger.warning("\(warning)") }
        var metrics: DogStatsDMetricsFactory?
        if config.datadogEnabled {
            do {
                let factory = try DogStatsDMetricsFactory(
                    host: config.datadogHost, port: config.datadogPort, namespace: config.datadogNamespace,
                    tags: config.datadogTags
                )
                MetricsSystem.bootstrap(factory)
                metrics = factory
            } catch {
                UserError.exit(
                    "\(ConfigError.invalidValue(key: "datadog_host", value: config.datadogHost, source: config.sources["datadog_host"] ?? .builtInDefault, expected: "a resolvable host name for the Datadog agent (\(error))"))"
                )
            }
        }

        let pidFile = (config.pidfile ?? (config.daemonize ? PidFile.defaultPath(consumer: descriptor.name) : nil)).map(
            PidFile.init)
        do {
            try pidFile?.write()
        } catch {
            UserError.exit("\(error)")
        }
        let failure: Error?
        do {
            try ConsumerRuntime.run(consumer: descriptor, config: config, stop: shutdown.stop, logger: logger)
            failure = nil
        } catch {
            failure = error
        }
        shutdown.markFinished()
        // The last interval's metrics, which the flusher thread would otherwise never send.
        metrics?.flush()
        pidFile?.remove()
        if let failure { UserError.exit("\(failure)") }
    }
}
