/// The names `racecar-host new` derives from the name it is given, as Racecar's generator does:
/// `TapDance` (or `TapDanceConsumer`) makes the type `TapDanceConsumer`, the library
/// `libTapDanceConsumer.so` and the placeholder topic `tap_dance`.
struct ConsumerName {
    /// The name without its `Consumer` suffix: `TapDance`.
    let base: String

    /// The consumer's type, product and run name: `TapDanceConsumer`.
    var typeName: String { base + "Consumer" }

    /// `tap_dance`: the placeholder topic and, with `_consumer`, C identifiers and file names.
    var snakeCase: String {
        var result = ""
        let characters = Array(base)
        for (index, character) in characters.enumerated() {
            // A word starts at a capital after a lower-case letter or digit (TapDance), or at the
            // last capital of a run followed by a lower-case letter (HTTPLog: http_log).
            if index > 0, character.isUppercase {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result += "_"
                }
            }
            result += character.lowercased()
        }
        return result
    }

    /// The SDK's own types: a consumer named like one would not compile.
    private static let sdkTypes: Set = ["Consumer", "BatchConsumer", "RacecarConsumer"]

    /// Checks `name`: ASCII letters, digits and underscores, starting with a letter, so that it
    /// is a type name in Swift and C and a file name everywhere.
    ///
    /// - Throws: ``UserError`` naming `name` and what a valid one looks like.
    init(_ name: String) throws(UserError) {
        guard let first = name.unicodeScalars.first, Self.isLetter(first),
            name.unicodeScalars.allSatisfy({ Self.isLetter($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            let shown = name.isEmpty ? "an empty name" : "`\(name)`"
            throw UserError(
                "\(shown) is not a valid consumer name: use letters, digits and underscores, starting with a "
                    + "letter, e.g. racecar-host new TapDance")
        }
        let base = name.hasSuffix("Consumer") ? String(name.dropLast("Consumer".count)) : name
        guard !Self.sdkTypes.contains(base + "Consumer") else {
            throw UserError(
                "`\(name)` would make a consumer named \(base)Consumer, which is a type of the SDK; choose another "
                    + "name, e.g. racecar-host new TapDance")
        }
        self.base = base
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
