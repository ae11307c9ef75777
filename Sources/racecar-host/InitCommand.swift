import ArgumentParser
import Foundation

/// `racecar-host init`: writes a starter racecar.yml, as Racecar's `rails generate racecar:install` does.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter racecar.yml (common, development and production sections).",
        discussion: """
            The commonly changed keys are set or commented out, each with a line saying what it does. \
            An existing file is never overwritten.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The file to write.", valueName: "file"))
    var path = "racecar.yml"

    func run() throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            UserError("\(path) already exists; not overwriting it (pass --path FILE to write another file)").exit()
        }
        do {
            try GeneratedFile(path: path, contents: ConfigTemplate.text).create()
        } catch {
            error.exit()
        }
        print("wrote \(path) (sections common, development and production)")
        print("next: set brokers (or KAFKA_BROKERS), then create a consumer: racecar-host new TapDance")
    }
}
