import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// The options every command that loads a consumer shares.
struct ConsumerOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the consumer plugin (.so).")
    var plugin: String?

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp(
            "The consumer to run, as the plugin names it (e.g. EchoConsumer), and any settings.",
            discussion: """
                Every racecar.yml key is also a flag (--key VALUE, --key=VALUE, --key / --no-key for \
                booleans). The common ones:
                  --brokers HOST:PORT,...   Kafka brokers (default localhost:9092)
                  --group-id ID             consumer group (default: derived from the consumer name)
                  --daemonize               detach into the background
                  --pidfile PATH            write the process id (default with --daemonize: <consumer>.pid)
                  --logfile PATH            log there instead of standard error
                  --log-level LEVEL         debug, info, warn or error
                All keys, their defaults and RACECAR_* variables: README "Configuration", or \
                `racecar-host config --plugin ... <consumer>` for a consumer's effective values.
                """,
            valueName: "consumer> <settings"
        )
    )
    var arguments: [String] = []

    @Option(name: .long, help: "Path to racecar.yml (default: ./racecar.yml if it exists).")
    var config: String?

    @Option(name: .long, help: "Section of racecar.yml to use (default: $RACECAR_ENV, else development).")
    var environment: String?

    /// A missing `--plugin` most often means a mistyped subcommand (`racecar-host cofnig`),
    /// which the default `run` command would otherwise take for a consumer name.
    func validate() throws {
        guard plugin == nil else { return }
        let first = arguments.first { !$0.hasPrefix("-") }
        if let first, first.allSatisfy({ $0.isLowercase || $0 == "-" }) {
            let closest = RacecarHostCommand.commandNames.min { editDistance(first, $0) < editDistance(first, $1) }
            let hint = closest.map { " did you mean `\($0)`?" } ?? ""
            UserError(
                "`\(first)` is not a racecar-host command;\(hint) Commands: "
                    + "\(RacecarHostCommand.commandNames.joined(separator: ", ")). To run a consumer: "
                    + "racecar-host --plugin libEchoConsumer.so EchoConsumer",
                status: UserError.usageStatus
            ).exit()
        }
        UserError(
            "--plugin is missing: name the consumer's library, e.g. racecar-host --plugin libEchoConsumer.so "
                + "EchoConsumer", status: UserError.usageStatus
        ).exit()
    }

    /// The settings that act before the plugin is loaded (daemonize, pidfile, logfile).
    func loadBeforePlugin() throws -> RacecarConfig {
        let (consumer, loader) = try consumerAndLoader()
        return try loader.loadBeforePlugin(consumerName: consumer)
    }

    /// Loads the plugin and the effective configuration; every error's description is one line.
    func load() throws -> (ConsumerDescriptor, RacecarConfig, [String]) {
        let (consumer, loader) = try consumerAndLoader()
        let plugin = try PluginLoader.load(path: plugin ?? "")
        let descriptor = try plugin.consumer(named: consumer)
        let (config, warnings) = try loader.load(for: descriptor.defaults, offered: plugin.consumers.map(\.name))
        return (descriptor, config, (plugin.toolchainWarning.map { [$0] } ?? []) + warnings)
    }

    private func consumerAndLoader() throws -> (consumer: String, loader: ConfigLoader) {
        let flags = try ConfigFlags(parsing: arguments)
        guard let consumer = flags.consumer else {
            throw UserError.configuration(
                "name the consumer to run, e.g. racecar-host --plugin libEchoConsumer.so EchoConsumer")
        }
        let loader = ConfigLoader(
            configPath: config,
            environmentName: environment,
            environment: ProcessInfo.processInfo.environment,
            flags: flags.settings,
            clientPropertyCheck: RacecarConfig.validateClientProperties,
            librdkafkaVersion: .loaded
        )
        return (consumer, loader)
    }
}

/// Why racecar-host stopped with an error: printed as one line, no stack trace, with an exit
/// status that tells a process manager whether starting again can help.
struct UserError: Error, CustomStringConvertible {
    /// EX_CONFIG (sysexits.h): the configuration, plugin or consumer name is wrong; starting
    /// again changes nothing (systemd: `RestartPreventExitStatus=78`).
    static let configurationStatus: Int32 = 78
    /// Anything else: an unreachable broker, a fatal Kafka or processing error, a live pidfile.
    static let failureStatus: Int32 = 1
    /// EX_USAGE: the command line itself is wrong (a mistyped subcommand, no `--plugin`).
    static let usageStatus: Int32 = 64

    let description: String
    let status: Int32

    init(_ description: String, status: Int32 = UserError.failureStatus) {
        self.description = description
        self.status = status
    }

    /// A mistake in the configuration, the plugin or the consumer name.
    static func configuration(_ description: String) -> UserError {
        UserError(description, status: configurationStatus)
    }

    /// Prints the error and exits, bypassing ArgumentParser's usage text.
    func exit() -> Never {
        FileHandle.standardError.write(Data("racecar-host: error: \(description)\n".utf8))
        Foundation.exit(status)
    }
}
