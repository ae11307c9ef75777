import ArgumentParser

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
        subcommands: [RunCommand.self, ConfigCommand.self, MockClusterCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
