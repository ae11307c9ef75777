import ArgumentParser
import Foundation
import RacecarPluginHosting

/// `racecar-host inspect libfoo.so`: what a plugin offers, read from its descriptor alone.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print what a plugin offers: its ABI, SDK and toolchain, and each consumer's defaults and hooks.",
        discussion: """
            Only the plugin's descriptor function runs (the ABI requires it to be pure): not its init \
            function, nor any consumer's.
            """
    )

    @Argument(help: "Path to the plugin library (.so).")
    var plugin: String

    @Flag(name: .long, help: "Print one JSON object (sorted keys) for tools.")
    var json = false

    func run() throws {
        let description: PluginDescription
        do {
            description = PluginDescription(try PluginLoader.describe(path: plugin))
        } catch {
            UserError("\(error)").exit()
        }
        guard json else { return print(description.text, terminator: "") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(description), as: UTF8.self))
    }
}
