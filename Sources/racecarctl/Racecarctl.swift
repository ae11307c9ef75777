import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarOperations
import RacecarPluginHosting

@main
struct Racecarctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "racecarctl",
        abstract: "Operate racecar-host: produce and read messages, stop a daemon, list its workers, probe liveness.",
        version: versionText,
        subcommands: [
            ProduceCommand.self, ConsumeCommand.self, StopCommand.self, ReloadCommand.self, StatusCommand.self,
            LivenessProbeCommand.self,
        ]
    )
}

/// `racecarctl --version`: racecarctl's, the SDK's and the plugin ABI's versions, and the
/// librdkafka actually loaded (which `LD_LIBRARY_PATH` may have chosen), as racecar-host
/// prints its own.
private let versionText =
    "racecarctl \(BuildInfo.version) (SDK \(BuildInfo.sdkVersion), plugin ABI "
    + "\(PluginLoader.abiMajor).\(PluginLoader.abiMinor), librdkafka \(LibrdkafkaVersion.loadedText))"

/// Prints `message` as racecarctl's one error line and exits with status 1.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("racecarctl: error: \(message)\n".utf8))
    Foundation.exit(1)
}

/// The process id in `pidfile`; a pidfile that cannot be read ends racecarctl.
func processID(inPidfile pidfile: String) -> Int32 {
    do {
        return try PidFile(path: pidfile).read()
    } catch {
        fail(error.description)
    }
}

/// Prints a line of racecarctl's own to standard error (standard output is for messages).
func report(_ message: String) {
    FileHandle.standardError.write(Data("racecarctl: \(message)\n".utf8))
}
