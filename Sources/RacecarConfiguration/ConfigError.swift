/// A configuration mistake, naming where it was made and what was expected.
package enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// A key that racecar-host does not know.
    case unknownKey(key: String, source: ConfigSource, suggestion: String?)
    /// A consumer section whose name is close to, but not, a consumer the plugin offers.
    case unknownConsumerSection(name: String, source: ConfigSource, suggestion: String)
    /// A value of the wrong type or outside its range.
    case invalidValue(key: String, value: String, source: ConfigSource, expected: String)
    /// racecar.yml could not be read or parsed.
    case unreadableFile(path: String, reason: String)
    /// racecar.yml has no section for the environment.
    case missingEnvironment(environment: String, path: String, available: [String])
    /// Two keys contradict each other.
    case conflict(String)
    /// librdkafka refused a property; the message names it and the key that set it.
    case rejectedByLibrdkafka(String)
    /// A variable needed by the Heroku integration is missing or unusable.
    case heroku(String)
    /// A setting the consumer's plugin requires is not set anywhere.
    case missingSetting(consumer: String, setting: DeclaredSetting)
    /// `settings:` outside a consumer's section.
    case misplacedSettings(source: ConfigSource, consumer: String?)

    package var description: String {
        switch self {
        case .unknownKey(let key, let source, let suggestion):
            let hint = suggestion.map { "; did you mean `\($0)`?" } ?? ""
            return "\(source): unknown configuration key `\(key)`\(hint)"
        case .unknownConsumerSection(let name, let source, let suggestion):
            return "\(source): section `\(name)` names no consumer of this plugin; did you mean `\(suggestion)`?"
        case .invalidValue(let key, let value, let source, let expected):
            return "\(source): invalid value \(value) for `\(key)`: expected \(expected)"
        case .unreadableFile(let path, let reason):
            return "\(path): \(reason)"
        case .missingEnvironment(let environment, let path, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "\(path): no section for environment `\(environment)`; sections: \(list)"
        case .conflict(let message), .rejectedByLibrdkafka(let message):
            return message
        case .heroku(let message):
            return "heroku: \(message)"
        case .missingSetting(let consumer, let setting):
            let purpose = setting.description.map { " (\($0))" } ?? ""
            return "\(consumer) requires setting `\(setting.name)`\(purpose): set it under `settings:` in the "
                + "\(consumer) section of racecar.yml, or \(setting.environmentVariable)"
        case .misplacedSettings(let source, let consumer):
            let section = consumer ?? "<ConsumerName>"
            return "\(source): `settings` belongs in a consumer's section (`\(section):` then `settings:` "
                + "under it), not directly in an environment section"
        }
    }
}
