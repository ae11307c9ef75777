import ArgumentParser
import Foundation
import Logging
import Metrics
import RacecarHost

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

        let descriptor: ConsumerDescriptor
        let config: RacecarConfig
        let warnings: [String]
        do {
            (descriptor, config, warnings) = try options.load()
        } catch {
            UserError.exit("\(error)")
        }
        configDump.set(config.dump(consumer: descriptor.name))

        let output: LogOutput
        do {
            output =
                try config.logfile.map { try LogOutput.file(at: $0, source: config.sources["logfile"]!) }
                ?? .standardError
        } catch {
            UserError.exit("\(error)")
        }
        output.bootstrap(level: config.logLevel)
        shutdown.setShutdownTimeout(config.shutdownTimeout)
        let logger = Logger(label: "racecar")
        for warning in warnings { logger.warning("\(warning)") }
        if config.datadogEnabled {
            do {
                let factory = try DogStatsDMetricsFactory(
                    host: config.datadogHost, port: config.datadogPort, namespace: config.datadogNamespace,
                    tags: config.datadogTags
                )
                MetricsSystem.bootstrap(factory)
            } catch {
                UserError.exit(error.description)
            }
        }

        let pidFile = (config.pidfile ?? (config.daemonize ? PidFile.defaultPath(consumer: descriptor.name) : nil)).map(
            PidFile.init)
        do {
            try pidFile?.write()
        } catch {
            UserError.exit(error.description)
        }
        defer { pidFile?.remove() }

        do {
            let runner = try Runner(consumer: descriptor, config: config, logger: logger, shutdown: shutdown)
            try runner.run()
            shutdown.markFinished()
        } catch {
            shutdown.markFinished()
            pidFile?.remove()
            UserError.exit("\(error)")
        }
    }
}
