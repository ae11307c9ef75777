import ArgumentParser
import Foundation

/// `racecar-host new TapDance`: writes a consumer package, as Racecar's `rails generate racecar:consumer`
/// writes a consumer class.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create a consumer plugin package that depends only on the racecar SDK.",
        discussion: """
            racecar-host new TapDance writes ./TapDance: the Swift consumer TapDanceConsumer with a \
            placeholder topic (tap_dance), a test that runs it through the SDK's ConsumerHarness, and a \
            README with the commands that build, test and run it. With --language c: a C consumer and a \
            Makefile.
            """
    )

    @Argument(help: "The consumer's name, e.g. TapDance: the consumer becomes TapDanceConsumer.")
    var name: String

    @Option(name: .long, help: ArgumentHelp("The folder to create (default: ./<name>).", valueName: "dir"))
    var path: String?

    @Flag(name: .long, help: "Write a batch consumer (a BatchConsumer, or process_batch in C).")
    var batch = false

    @Option(
        name: .long, help: ArgumentHelp("The language to write the consumer in: swift or c.", valueName: "language"))
    var language = ConsumerTemplate.Language.swift.rawValue

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The racecar SDK folder to depend on (default: $RACECAR_SDK_PATH, else the SDK of the "
                + "racecar-host checkout or installation this executable belongs to).",
            valueName: "path"))
    var sdk: String?

    func run() throws {
        do {
            try generate()
        } catch {
            error.exit()
        }
    }

    private func generate() throws(UserError) {
        let consumer = try ConsumerName(name)
        guard let chosen = ConsumerTemplate.Language(rawValue: language) else {
            let known = ConsumerTemplate.Language.allCases.map(\.rawValue).joined(separator: " or ")
            throw UserError("unknown language `\(language)` for \(name): use --language \(known)")
        }
        let folder = path ?? name
        guard !folder.isEmpty else { throw UserError("--path is empty: name the folder to create for \(name)") }
        guard !FileManager.default.fileExists(atPath: folder) else {
            throw UserError(
                "\(folder) already exists; not writing \(consumer.typeName) into it (pass --path DIR for a new folder)")
        }
        let sdkFolder = try SDKLocation.find(explicit: sdk, environment: ProcessInfo.processInfo.environment)
        let template = ConsumerTemplate(name: consumer, language: chosen, isBatch: batch, sdk: sdkFolder.path)
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        let files = template.files.map { GeneratedFile(path: prefix + $0.path, contents: $0.contents) }
        for file in files { try file.create() }

        let kind = chosen == .swift ? "Swift" : "C"
        print(
            "created \(folder): \(consumer.typeName), a \(batch ? "batch " : "")\(kind) consumer of the placeholder "
                + "topic \(template.topic), depending on the racecar SDK at \(sdkFolder.path)")
        for file in files { print("  \(file.path)") }
        print("next: change the topic and write your code, then:")
        print("  cd \(folder)")
        for command in template.commands { print("  \(command)") }
    }
}
