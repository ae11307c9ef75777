import ArgumentParser
import RacecarConfiguration
import RacecarKafka
import RacecarOperations
import RacecarPluginHosting

@main
struct RacecarHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "racecar-host",
        abstract: "Runs a Kafka consumer from a plugin library.",
        discussion: """
            racecar-host --plugin .build/debug/libEchoConsumer.so EchoConsumer

            Configuration comes from racecar.yml (common + the environment's section), \
            RACECAR_* environment variables and flags, in increasing precedence.
            """,
        version: versionText,
        subcommands: [
            RunCommand.self, ConfigCommand.self, InspectCommand.self, MockClusterCommand.self, InitCommand.self,
            NewCommand.self, CheckPluginCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )

    /// The subcommands by name, for telling a mistyped one from a consumer name.
    static let commandNames = ["run", "config", "inspect", "mock-cluster", "init", "new", "help"]
}

/// `racecar-host --version`: the host's, the SDK's and the plugin ABI's versions, and the
/// librdkafka actually loaded (which `LD_LIBRARY_PATH` may have chosen).
private let versionText =
    "racecar-host \(BuildInfo.version) (SDK \(BuildInfo.sdkVersion), plugin ABI "
    + "\(PluginLoader.abiMajor).\(PluginLoader.abiMinor), librdkafka \(LibrdkafkaVersion.loadedText))"
