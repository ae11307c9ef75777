import ArgumentParser
import Foundation

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print a consumer's effective configuration and where each value came from."
    )

    @OptionGroup var options: ConsumerOptions

    func run() throws {
        do {
            let (descriptor, config, warnings) = try options.load()
            for warning in warnings { FileHandle.standardError.write(Data("racecar-host: warning: \(warning)\n".utf8)) }
            print(config.dump(consumer: descriptor.name), terminator: "")
        } catch {
            (error as? UserError ?? .configuration("\(error)")).exit()
        }
    }
}

/// Holds the text SIGUSR1 prints; set once the configuration is known.
final class ConfigDumpSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var text = "racecar-host: configuration not loaded yet\n"

    func set(_ text: String) {
        lock.withLock { self.text = text }
    }

    func print() {
        let text = lock.withLock { self.text }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
