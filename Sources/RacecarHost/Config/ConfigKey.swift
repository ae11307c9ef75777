import Foundation
import Logging

/// One configuration key: its name, how to read it, and which librdkafka property it sets.
///
/// ``all`` is the single table of keys; the README's configuration reference mirrors it.
// Immutable after construction; the key paths and closures only read and write the config passed in.
struct ConfigKey: @unchecked Sendable {
    /// The name in racecar.yml; `RACECAR_<NAME>` and `--<name-with-dashes>` are derived.
    let name: String
    /// What a valid value looks like, for error messages.
    let expected: String
    /// Checks `value` and stores it in the configuration; returns `false` if it is invalid.
    let apply: (inout RacecarConfig, RawConfigValue) -> Bool
    /// Renders the effective value.
    let render: (RacecarConfig) -> String

    var environmentVariable: String { "RACECAR_" + name.uppercased() }
    var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    static func string(_ name: String, _ path: WritableKeyPath<RacecarConfig, String>) -> ConfigKey {
        ConfigKey(name: name, expected: "a string", apply: { config, raw in
            guard case .scalar(let text) = raw, !text.isEmpty else { return false }
            config[keyPath: path] = text
            return true
        }, render: { $0[keyPath: path] })
    }

    static func optionalString(_ name: String, _ path: WritableKeyPath<RacecarConfig, String?>) -> ConfigKey {
        ConfigKey(name: name, expected: "a string", apply: { config, raw in
            guard case .scalar(let text) = raw else { return false }
            config[keyPath: path] = text.isEmpty ? nil : text
            return true
        }, render: { $0[keyPath: path] ?? "(none)" })
    }

    static func list(_ name: String, _ path: WritableKeyPath<RacecarConfig, [String]>) -> ConfigKey {
        ConfigKey(name: name, expected: "a list (YAML sequence, or comma-separated)", apply: { config, raw in
            let items: [String]
            switch raw {
            case .list(let list): items = list
            case .scalar(let text): items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            let cleaned = items.filter { !$0.isEmpty }
            guard !cleaned.isEmpty else { return false }
            config[keyPath: path] = cleaned
            return true
        }, render: { $0[keyPath: path].joined(separator: ",") })
    }

    static func integer(_ name: String, _ path: WritableKeyPath<RacecarConfig, Int>, minimum: Int) -> ConfigKey {
        ConfigKey(name: name, expected: "a whole number of at least \(minimum)", apply: { config, raw in
            guard case .scalar(let text) = raw, let number = Int(text), number >= minimum else { return false }
            config[keyPath: path] = number
            return true
        }, render: { String($0[keyPath: path]) })
    }

    static func boolean(_ name: String, _ path: WritableKeyPath<RacecarConfig, Bool>) -> ConfigKey {
        ConfigKey(name: name, expected: "true or false", apply: { config, raw in
            guard case .scalar(let text) = raw, let flag = parseBoolean(text) else { return false }
            config[keyPath: path] = flag
            return true
        }, render: { String($0[keyPath: path]) })
    }

    /// A duration in seconds; `allowing` lists special negative or zero values that are accepted.
    static func seconds(
        _ name: String,
        _ path: WritableKeyPath<RacecarConfig, Double>,
        positive: Bool = true,
        allowing special: [Double] = []
    ) -> ConfigKey {
        let extra = special.isEmpty ? "" : " (or \(special.map { formatSeconds($0) }.joined(separator: " or ")))"
        return ConfigKey(name: name, expected: "a number of seconds greater than 0\(extra)", apply: { config, raw in
            guard case .scalar(let text) = raw, let number = Double(text), number.isFinite,
                number > 0 || special.contains(number)
            else { return false }
            config[keyPath: path] = number
            return true
        }, render: { formatSeconds($0[keyPath: path]) })
    }

    static func optionalSeconds(_ name: String, _ path: WritableKeyPath<RacecarConfig, Double?>) -> ConfigKey {
        ConfigKey(name: name, expected: "a number of seconds greater than 0", apply: { config, raw in
            guard case .scalar(let text) = raw, let number = Double(text), number.isFinite, number > 0 else { return false }
            config[keyPath: path] = number
            return true
        }, render: { $0[keyPath: path].map(formatSeconds) ?? "(none)" })
    }

    /// Every key racecar-host understands.
    static let all: [ConfigKey] = [
        .list("brokers", \.brokers),
        .string("client_id", \.clientID),
        .optionalString("group_id", \.groupID),
        .optionalString("group_id_prefix", \.groupIDPrefix),
        .list("subscribes_to", \.subscribesTo),
        .boolean("start_from_beginning", \.startFromBeginning),
        .integer("fetch_messages", \.fetchMessages, minimum: 1),
        .seconds("offset_commit_interval", \.offsetCommitInterval),
        .seconds("session_timeout", \.sessionTimeout),
        .seconds("heartbeat_interval", \.heartbeatInterval),
        .seconds("max_poll_interval", \.maxPollInterval),
        .seconds("pause_timeout", \.pauseTimeout, allowing: [0, -1]),
        .boolean("pause_with_exponential_backoff", \.pauseWithExponentialBackoff),
        .optionalSeconds("max_pause_timeout", \.maxPauseTimeout),
        .seconds("socket_timeout", \.socketTimeout),
        .seconds("max_wait_time", \.maxWaitTime),
        .seconds("message_timeout", \.messageTimeout),
        ConfigKey(name: "log_level", expected: "one of debug, info, warn, error", apply: { config, raw in
            guard case .scalar(let text) = raw else { return false }
            switch text.lowercased() {
            case "debug": config.logLevel = .debug
            case "info": config.logLevel = .info
            case "warn", "warning": config.logLevel = .warning
            case "error": config.logLevel = .error
            default: return false
            }
            return true
        }, render: { $0.logLevel.rawValue }),
        .optionalString("logfile", \.logfile),
    ]

    static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}

func parseBoolean(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "true", "1", "yes", "on": true
    case "false", "0", "no", "off": false
    default: nil
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
}
