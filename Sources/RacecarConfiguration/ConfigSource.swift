/// Where a configuration value came from, shown by `racecar-host config` and in errors.
package enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    /// racecar-host's built-in default.
    case builtInDefault
    /// racecar-host's built-in default for the librdkafka version it loaded.
    case librdkafkaDefault(version: LibrdkafkaVersion)
    /// The plugin's compiled-in default.
    case plugin
    /// A line of racecar.yml.
    case file(path: String, line: Int)
    /// A `RACECAR_*` environment variable.
    case environment(variable: String)
    /// A command-line flag.
    case flag(String)

    package var description: String {
        switch self {
        case .builtInDefault: "default"
        case .librdkafkaDefault(let version): "default for librdkafka \(version)"
        case .plugin: "plugin"
        case .file(let path, let line): "\(path):\(line)"
        case .environment(let variable): "env \(variable)"
        case .flag(let flag): "flag \(flag)"
        }
    }
}

/// A value as written in one source, before it is checked against its key's type.
package enum RawConfigValue: Sendable, Equatable {
    case scalar(String)
    case list([String])
}
