/// Where each key's effective value came from, keyed by ``ConfigKey``: shown by
/// `racecar-host config`, and named in every error about a value.
package struct ConfigProvenance: Sendable, Equatable {
    /// By key name, which identifies a key in ``ConfigKey/all``.
    private var sources: [String: ConfigSource] = [:]

    package init() {}

    /// The source of `key`'s value: the built-in default until another source sets it.
    package subscript(_ key: ConfigKey) -> ConfigSource {
        get { sources[key.name] ?? .builtInDefault }
        set { sources[key.name] = newValue }
    }
}
