/// Command-line settings: `--<key> VALUE`, `--<key>=VALUE`, and for booleans `--<key>` and
/// `--no-<key>`, for every configuration key, mixed with the consumer name.
package struct ConfigFlags: Sendable {
    /// The one positional argument: the consumer to run.
    package var consumer: String?
    /// Settings by key name, in order.
    package var settings: [(key: String, value: String)] = []

    /// Parses `arguments`.
    ///
    /// - Throws: ``ConfigError`` for an unknown flag (with a suggestion), a missing value, or
    ///   a second positional argument.
    package init(parsing arguments: [String]) throws(ConfigError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                guard consumer == nil else {
                    throw .invalidValue(
                        key: "consumer", value: "`\(argument)`", source: .flag(argument),
                        expected: "a single consumer name")
                }
                consumer = argument
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            var keyName = name.replacingOccurrences(of: "-", with: "_")
            var negated = false
            if ConfigKey.byName[keyName] == nil, keyName.hasPrefix("no_"),
                ConfigKey.byName[String(keyName.dropFirst(3))]?.isBoolean == true
            {
                keyName = String(keyName.dropFirst(3))
                negated = true
            }
            guard let key = ConfigKey.byName[keyName] else {
                let suggestion = ConfigLoader.suggestion(for: keyName).map {
                    "--" + $0.replacingOccurrences(of: "_", with: "-")
                }
                throw .unknownKey(key: "--" + name, source: .flag("--" + name), suggestion: suggestion)
            }
            if key.isBoolean {
                if negated {
                    settings.append((key.name, "false"))
                } else {
                    settings.append((key.name, inlineValue ?? "true"))
                }
                continue
            }
            if let inlineValue {
                settings.append((key.name, inlineValue))
            } else if index < arguments.count {
                settings.append((key.name, arguments[index]))
                index += 1
            } else {
                throw .invalidValue(key: key.name, value: "nothing", source: .flag(key.flag), expected: key.expected)
            }
        }
    }
}
