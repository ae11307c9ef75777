import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// The options every command that loads a consumer shares.
struct ConsumerOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the consumer plugin (.so).")
    var plugin: String

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp(
            "The consumer to run, as the plugin names it (e.g. EchoConsumer), and any settings.",
            discussion:
                "Every racecar.yml key is also a flag: --fetch-messages 500, --group-id=x, --pause-with-exponential-backoff, --no-start-from-beginning.",
            valueName: "consumer> <settings"
        )
    )
    var arguments: [String] = []

    @Option(name: .long, help: "Path to racecar.yml (default: ./racecar.yml if it exists).")
    var config: String?

    @Option(name: .long, help: "Section of racecar.yml to use (default: $RACECAR_ENV, else development).")
    var environment: String?

    /// The settings that act before the plugin is loaded (daemonize, pidfile, logfile).
    func loadBeforePlugin() throws -> RacecarConfig {
        let (consumer, loader) = try consumerAndLoader()
        return try loader.loadBeforePlugin(consumerName: consumer)
    }

    /// Loads the plugin and the effective configuration; every error's description is one line.
    func load() throws -> (ConsumerDescriptor, RacecarConfig, [String]) {
        let (consumer, loader) = try consumerAndLoader()
        let plugin = try PluginLoader.load(path: plugin)
        let descriptor = try plugin.consumer(named: consumer)
        let (config, warnings) = try loader.load(for: descriptor.defaults)
        return (descriptor, config, (plugin.toolchainWarning.map { [$0] } ?? []) + warnings)
    }

    private func consumerAndLoader() throws -> (consumer: String, loader: ConfigLoader) {
        let flags = try ConfigFlags(parsing: arguments)
        guard let consumer = flags.consumer else {
            throw UserError("name the consumer to run, e.g. racecar-host --plugin libEchoConsumer.so EchoConsumer")
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

/// A mistake the user can fix: printed as one line, exit status 1, no stack trace.
struct UserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension UserError {
    /// Prints the error and exits, bypassing ArgumentParser's usage text.
    static func exit(_ message: String) -> Never {
        FileHandle.standardError.write(Data("racecar-host: error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
