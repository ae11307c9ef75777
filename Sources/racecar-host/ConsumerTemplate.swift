/// The files of a new consumer package, as `racecar-host new` writes them: a package that depends
/// on the racecar SDK alone, like `examples/UserBanConsumer`.
struct ConsumerTemplate {
    /// The language a consumer is written in.
    enum Language: String, CaseIterable {
        case swift, c
    }

    let name: ConsumerName
    let language: Language
    /// A `BatchConsumer` (in C, `process_batch`) instead of one message at a time.
    let isBatch: Bool
    /// The SDK folder, absolute.
    let sdk: String

    /// Each file's path in the package folder, and its contents.
    var files: [(path: String, contents: String)] {
        switch language {
        case .swift: swiftFiles
        case .c: cFiles
        }
    }

    /// The commands that build and run the consumer, in the package folder.
    var commands: [String] {
        let run = "racecar-host --plugin \(language == .swift ? ".build/release" : ".")/\(library) \(name.typeName)"
        switch language {
        case .swift: return ["swift build -c release", "swift test", run]
        case .c: return ["make", run]
        }
    }

    /// The placeholder topic, as Racecar's generator leaves one to change.
    var topic: String { name.snakeCase }

    /// The shared library the package builds: `libTapDanceConsumer.so`.
    var library: String { "lib\(name.typeName).so" }
}
