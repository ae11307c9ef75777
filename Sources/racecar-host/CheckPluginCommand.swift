import ArgumentParser
import Foundation
import Logging
import RacecarPluginHosting

/// What a reload runs in a throwaway process before swapping a new version in: loads the
/// library (its ABI and init function), reads the configuration with it, creates one instance
/// of the consumer and destroys it. Exits 0 if all of it worked, else prints why as
/// `racecar-host: error: ...`.
struct CheckPluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-plugin",
        abstract: "Check that a new version of a plugin loads and creates its consumer (used by reloads).",
        shouldDisplay: false
    )

    @OptionGroup var options: ConsumerOptions

    @Option(name: .long, help: "The copy of --plugin's library to open.")
    var loadFrom: String?

    func run() throws {
        do {
            let (descriptor, config, _) = try options.load(openingCopy: loadFrom)
            let instance = try PluginInstance(
                consumer: descriptor, capacity: config.fetchMessages, logger: Logger(label: "racecar.check"),
                services: RefusingServices(), headerSource: NoMessages(), settings: config.settings)
            instance.destroy()
        } catch {
            (error as? UserError ?? .configuration("\(error)")).exit()
        }
    }
}

/// The host API of an instance that is only created and destroyed: nothing may be produced.
private final class RefusingServices: PluginHostServices {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "producing is not possible while a new version is checked" }
    }

    func produce(_ request: ProduceRequest) throws { throw Refused() }
    func deliver() throws {}
}

/// The messages of an instance that processes none.
private final class NoMessages: MessageHeaderSource {
    func headerCount(ofSlot slot: Int) -> Int { 0 }
    func forEachHeader(ofSlot slot: Int, _ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Void) {}
}
