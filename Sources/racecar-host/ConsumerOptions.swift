import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting

/// The options every command that loads a consumer shares.
struct ConsumerOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Path to the consumer plugin (.so); without it, the library offering the consumer is found in plugin_path."
    )
    var plugin: String?

    @Argument(
        parsing: .allUnrecognized,
        help: ArgumentHelp(
            "The consumer to run, as the plugin names it (e.g. EchoConsumer; optional when --plugin offers one), "
                + "and any settings.",
            discussion: """
                Every racecar.yml key is also a flag (--key VALUE, --key=VALUE, --key / --no-key for \
                booleans). The common ones:
                  --brokers HOST:PORT,...   Kafka brokers (default localhost:9092)
                  --group-id ID             consumer group (default: derived from the consumer name)
                  --plugin-path DIR:...     folders holding plugins, for running a consumer by name
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

    /// Mistakes in the command line itself, which exit with EX_USAGE before anything loads: a
    /// mistyped subcommand (`racecar-host cofnig`), which the default `run` command would
    /// otherwise take for a consumer name; nothing to run; `--plugin` without a consumer name
    /// for a plugin offering several.
    func validate() throws {
        // Arguments that do not parse are reported when loading, with a suggestion for the flag.
        let flags = try? ConfigFlags(parsing: arguments)
        if let plugin {
            // A plugin that cannot be described is reported when loading, as a plugin error.
            if let flags, flags.consumer == nil, let offered = try? PluginLoader.describe(path: plugin),
                offered.consumers.count > 1
            {
                Self.unnamedConsumer(in: offered).exit()
            }
            return
        }
        // Consumers are named like types (EchoConsumer), commands are lower-case words.
        let first = flags?.consumer ?? arguments.first { !$0.hasPrefix("-") }
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
        if let flags, flags.consumer == nil { Self.nothingToRun.exit() }
    }

    /// The settings that act before the plugin is loaded (daemonize, pidfile, logfile).
    func loadBeforePlugin() throws -> RacecarConfig {
        let (named, loader) = try consumerAndLoader()
        return try loader.loadBeforePlugin(consumerName: try named ?? onlyConsumer(of: describedPlugin()))
    }

    /// Loads the plugin and the effective configuration; every error's description is one line.
    ///
    /// Without `--plugin`, the library comes from the folders of `plugin_path`, chosen by
    /// their descriptors alone: only the chosen plugin's init function runs, and only if
    /// `initializingPlugin` (a supervisor, which runs no consumer, only describes the plugin).
    ///
    /// - Parameter file: The copy of `--plugin`'s library to open instead (a reload).
    func load(initializingPlugin: Bool = true, openingCopy file: String? = nil) throws -> (
        ConsumerDescriptor, RacecarConfig, [String]
    ) {
        let (_, descriptor, config, warnings) = try loadPlugin(
            initializingPlugin: initializingPlugin, openingCopy: file)
        return (descriptor, config, warnings)
    }

    /// ``load(initializingPlugin:openingCopy:)``, with the library the consumer came from.
    func loadPlugin(initializingPlugin: Bool = true, openingCopy file: String? = nil) throws -> (
        LoadedPlugin, ConsumerDescriptor, RacecarConfig, [String]
    ) {
        let (named, loader) = try consumerAndLoader()
        let (path, warnings) = try pluginLocation(named: named, loader: loader)
        let plugin =
            initializingPlugin ? try PluginLoader.load(path: path, file: file) : try PluginLoader.describe(path: path)
        let descriptor = try plugin.consumer(named: try named ?? onlyConsumer(of: plugin))
        let (config, configWarnings) = try loader.load(for: descriptor.defaults, offered: plugin.consumers.map(\.name))
        return (plugin, descriptor, config, warnings + (plugin.toolchainWarning.map { [$0] } ?? []) + configWarnings)
    }

    /// These options for reloading `consumer`: from `plugin` when given, else from the library
    /// that `--plugin` or `plugin_path` names now, always naming the consumer.
    func reloading(_ consumer: String, from plugin: String?) throws -> ConsumerOptions {
        var options = self
        let (named, loader) = try consumerAndLoader()
        options.plugin = try plugin ?? pluginLocation(named: named ?? consumer, loader: loader).path
        if named == nil { options.arguments.insert(consumer, at: 0) }
        return options
    }

    /// The command line that gives these options again, after the command's name.
    var commandLine: [String] {
        (plugin.map { ["--plugin", $0] } ?? []) + (config.map { ["--config", $0] } ?? [])
            + (environment.map { ["--environment", $0] } ?? []) + arguments
    }

    /// The library to load: `--plugin`'s, or the one in `plugin_path` offering the consumer.
    private func pluginLocation(named: String?, loader: ConfigLoader) throws -> (path: String, warnings: [String]) {
        if let plugin { return (plugin, []) }
        guard let named else { throw Self.nothingToRun }
        let found = try PluginLoader.find(consumer: named, in: try pluginPath(for: named, loader: loader))
        return (found.plugin.path, found.skipped.map { "skipped a library in plugin_path: \($0)" })
    }

    private func consumerAndLoader() throws -> (consumer: String?, loader: ConfigLoader) {
        let flags = try ConfigFlags(parsing: arguments)
        let loader = ConfigLoader(
            configPath: config,
            environmentName: environment,
            environment: ProcessInfo.processInfo.environment,
            flags: flags.settings,
            clientPropertyCheck: RacecarConfig.validateClientProperties,
            librdkafkaVersion: .loaded
        )
        return (flags.consumer, loader)
    }

    /// `--plugin`'s library, described only: for choosing its consumer before it is loaded.
    private func describedPlugin() throws -> LoadedPlugin {
        guard let plugin else { throw Self.nothingToRun }
        return try PluginLoader.describe(path: plugin)
    }

    /// The folders of `plugin_path`, which is read before any plugin as `daemonize` is.
    private func pluginPath(for consumer: String, loader: ConfigLoader) throws -> [String] {
        let folders = try loader.loadBeforePlugin(consumerName: consumer).pluginPath
        guard !folders.isEmpty else {
            throw UserError.configuration(
                "no library to run \(consumer) from: name it with --plugin (racecar-host --plugin "
                    + "lib\(consumer).so \(consumer)), or set plugin_path (racecar.yml, RACECAR_PLUGIN_PATH) "
                    + "to the folders that hold plugins")
        }
        return folders
    }

    /// The consumer to run from a plugin when none is named: its only one.
    private func onlyConsumer(of plugin: LoadedPlugin) throws(UserError) -> String {
        guard plugin.consumers.count == 1 else { throw Self.unnamedConsumer(in: plugin) }
        return plugin.consumers[0].name
    }

    /// `--plugin` without a consumer name, for a plugin that does not offer exactly one.
    private static func unnamedConsumer(in plugin: LoadedPlugin) -> UserError {
        guard let first = plugin.consumers.first else {
            return .configuration("plugin \(plugin.path) offers no consumers")
        }
        return UserError(
            "plugin \(plugin.path) offers \(plugin.consumers.count) consumers: "
                + "\(plugin.consumers.map(\.name).joined(separator: ", ")); name the one to run, e.g. "
                + "racecar-host --plugin \(plugin.path) \(first.name)",
            status: UserError.usageStatus)
    }

    private static let nothingToRun = UserError(
        "name the consumer to run: racecar-host EchoConsumer finds its library in plugin_path, "
            + "racecar-host --plugin libEchoConsumer.so runs the library's consumer",
        status: UserError.usageStatus)
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
