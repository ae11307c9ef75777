/// The effective `settings:` of one consumer: its racecar.yml section's mapping (`common`, then
/// the environment's), then `RACECAR_SETTINGS_<NAME>` variables, each setting from the source
/// with the highest precedence.
package struct ConsumerSettings: Sendable, Equatable {
    /// The key of the mapping in a consumer's racecar.yml section.
    package static let key = "settings"
    /// The environment variables that set settings start with this.
    package static let environmentPrefix = "RACECAR_SETTINGS_"

    /// Settings by name, in the order they were first set.
    package private(set) var values: [(name: String, value: SettingValue)] = []
    /// Where each setting came from.
    package private(set) var sources: [String: ConfigSource] = [:]

    package init() {}

    package subscript(name: String) -> SettingValue? {
        values.first { $0.name == name }?.value
    }

    /// Sets `name`, replacing a value of lower precedence.
    package mutating func set(_ name: String, _ value: SettingValue, from source: ConfigSource) {
        if let index = values.firstIndex(where: { $0.name == name }) {
            values[index].value = value
        } else {
            values.append((name, value))
        }
        sources[name] = source
    }

    /// Every setting as one JSON object, what `racecar_host_api.settings_json` returns.
    package var json: String {
        SettingValue.mapping(values.map { (key: $0.name, value: $0.value) }).json
    }

    package static func == (lhs: ConsumerSettings, rhs: ConsumerSettings) -> Bool {
        lhs.json == rhs.json && lhs.sources == rhs.sources
    }
}
