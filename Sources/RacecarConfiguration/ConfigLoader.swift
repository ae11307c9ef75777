import Foundation
import Yams

/// Builds the effective ``RacecarConfig`` from every source, lowest precedence first:
/// built-in defaults, plugin defaults, racecar.yml `common`, the environment's section, the
/// consumer's own section, `RACECAR_*` variables, flags.
package struct ConfigLoader {
    /// Where racecar.yml is read from; a missing file is fine unless it was named explicitly.
    package var configPath: String
    package var configPathIsExplicit: Bool
    /// The environment section to use.
    package var environmentName: String
    /// The process environment, for `RACECAR_*` and `${VAR}` substitution.
    package var environment: [String: String]
    /// Values given as flags, by key name, in order.
    package var flags: [(key: String, value: String)]
    /// Checks the librdkafka properties a configuration makes, last: the Kafka layer's
    /// `RacecarConfig.validateClientProperties`, which this layer cannot call itself.
    package var clientPropertyCheck: @Sendable (RacecarConfig) throws(ConfigError) -> Void
    /// The librdkafka the host loaded, whose version chooses some defaults; `nil` for none.
    package var librdkafkaVersion: LibrdkafkaVersion?

    package init(
        configPath: String?,
        environmentName: String?,
        environment: [String: String],
        flags: [(key: String, value: String)] = [],
        clientPropertyCheck: @escaping @Sendable (RacecarConfig) throws(ConfigError) -> Void = { _ in },
        librdkafkaVersion: LibrdkafkaVersion? = nil
    ) {
        self.clientPropertyCheck = clientPropertyCheck
        self.librdkafkaVersion = librdkafkaVersion
        self.configPathIsExplicit = configPath != nil
        self.configPath = configPath ?? "racecar.yml"
        self.environment = environment
        self.environmentName = environmentName ?? environment["RACECAR_ENV"] ?? "development"
        self.flags = flags
    }

    /// Loads the configuration for `consumer`, a plugin's consumer and its compiled-in settings.
    ///
    /// - Returns: The configuration and warnings to log (unknown `RACECAR_*` variables).
    /// - Throws: ``ConfigError`` naming the source, key and value at fault.
    ///
    /// - Parameter offered: Every consumer the plugin offers: a racecar.yml section named like
    ///   none of them, nor like a key, is a typo when it is close to one of them.
    package func load(for consumer: ConsumerDefaults, offered: [String] = []) throws(ConfigError) -> (
        config: RacecarConfig, warnings: [String]
    ) {
        try load(consumerName: consumer.name, defaults: consumer, offered: offered, requireSubscriptions: true)
    }

    /// Loads the settings needed before the plugin is loaded (`daemonize`, `pidfile`,
    /// `logfile`): every source applies, including `consumerName`'s section, but topics are
    /// not required yet.
    package func loadBeforePlugin(consumerName: String) throws(ConfigError) -> RacecarConfig {
        try load(consumerName: consumerName, defaults: nil, offered: [], requireSubscriptions: false).config
    }

    /// Loads the configuration for a tool that only produces (`racecarctl produce`): every
    /// source applies, no consumer section does, and no topics are required.
    package func loadForProducing() throws(ConfigError) -> (config: RacecarConfig, warnings: [String]) {
        try load(consumerName: nil, defaults: nil, offered: [], requireSubscriptions: false)
    }

    private func load(
        consumerName: String?, defaults: ConsumerDefaults?, offered: [String], requireSubscriptions: Bool
    ) throws(ConfigError) -> (config: RacecarConfig, warnings: [String]) {
        var config = RacecarConfig()
        config.environmentName = environmentName
        var warnings: [String] = []
        if let librdkafkaVersion, librdkafkaVersion >= .fetchQueueBackoff {
            // The 1,000,000 default works around librdkafka 2.0.2's one-second fetch stall;
            // where fetch.queue.backoff.ms exists (the host sets it low), librdkafka's own
            // default bounds the queue better.
            config.minMessageQueueSize = 100_000
            config.sources[.minMessageQueueSize] = .librdkafkaDefault(version: librdkafkaVersion)
        }
        if let defaults { applyPluginDefaults(defaults, to: &config) }

        // An empty racecar.yml counts as no file: there is no environment section to miss.
        if let file = try readFile(), !file.sectionNames.isEmpty {
            config.configFile = file.path
            let common = try file.section("common") ?? []
            guard let environmentSection = try file.section(environmentName) else {
                throw .missingEnvironment(
                    environment: environmentName,
                    path: file.path,
                    available: file.sectionNames.filter { $0 != "common" }
                )
            }
            var consumerEntries: [(key: String, value: Node)] = []
            for section in [common, environmentSection] {
                for (key, value) in section {
                    if key == ConsumerSettings.key {
                        throw .misplacedSettings(
                            source: .file(path: file.path, line: value.mark?.line ?? 0), consumer: consumerName)
                    }
                    if ConfigKey.byName[key] == nil, let nested = value.mapping {
                        // A mapping under an unknown key is a per-consumer section; check it either way.
                        let entries = try ConfigFile.flatten(nested, path: file.path)
                        try checkKeysExist(entries, file: file)
                        if key == consumerName {
                            consumerEntries += entries
                        } else if let warning = try checkConsumerSection(
                            key, at: .file(path: file.path, line: value.mark?.line ?? 0), consumer: consumerName,
                            offered: offered)
                        {
                            warnings.append(warning)
                        }
                        continue
                    }
                    try apply(key: key, node: value, file: file, to: &config)
                }
            }
            for (key, value) in consumerEntries {
                if key == ConsumerSettings.key {
                    try applySettings(value, file: file, to: &config)
                } else {
                    try apply(key: key, node: value, file: file, to: &config)
                }
            }
        }

        for (variable, text) in environment.sorted(by: { $0.key < $1.key })
        where variable.hasPrefix("RACECAR_") && !WorkerIdentity.variables.contains(variable) {
            if variable.hasPrefix(ConsumerSettings.environmentPrefix), consumerName != nil {
                let setting = String(variable.dropFirst(ConsumerSettings.environmentPrefix.count)).lowercased()
                config.settings.set(setting, SettingValue(plainScalar: text), from: .environment(variable: variable))
                continue
            }
            let name = String(variable.dropFirst("RACECAR_".count)).lowercased()
            guard let key = ConfigKey.byName[name] else {
                if variable != "RACECAR_ENV" {
                    let hint = Self.suggestion(for: name).map { "; did you mean RACECAR_\($0.uppercased())?" } ?? ""
                    warnings.append("ignoring unknown environment variable \(variable)\(hint)")
                }
                continue
            }
            try set(key, .scalar(text), from: .environment(variable: variable), in: &config)
        }

        for (name, text) in flags {
            guard let key = ConfigKey.byName[name] else {
                throw .unknownKey(key: name, source: .flag("--" + name), suggestion: Self.suggestion(for: name))
            }
            try set(key, .scalar(text), from: .flag(key.flag), in: &config)
        }

        if config.heroku { try HerokuSettings(environment: environment).apply(to: &config) }
        if let worker = try WorkerIdentity.current(in: environment) { apply(worker, to: &config) }
        try validate(config, requireSubscriptions: requireSubscriptions)
        if let defaults {
            try checkRequiredSettings(config, consumer: defaults.name)
            warnings += undeclaredSettingWarnings(config, consumer: defaults.name)
        }
        return (config, warnings)
    }

    /// Derives a supervised worker's own values from the shared ones; their sources stay those
    /// of the shared values.
    private func apply(_ worker: WorkerIdentity, to config: inout RacecarConfig) {
        config.worker = worker
        config.groupInstanceID = config.groupInstanceID.map(worker.groupInstanceID(from:))
        config.livenessProbeFilePath = WorkerIdentity.livenessProbeFilePath(
            base: config.livenessProbeFilePath, slot: worker.slot)
    }

    private func readFile() throws(ConfigError) -> ConfigFile? {
        guard FileManager.default.fileExists(atPath: configPath) else {
            if configPathIsExplicit { throw .unreadableFile(path: configPath, reason: "no such file") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw .unreadableFile(path: configPath, reason: "cannot be read (check its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path: configPath, reason: "is not UTF-8 text")
        }
        return try ConfigFile(path: configPath, contents: text)
    }

    private func applyPluginDefaults(_ consumer: ConsumerDefaults, to config: inout RacecarConfig) {
        config.declaredSettings = consumer.settings
        config.pluginConsumerProperties = consumer.subscriptions.flatMap(\.kafkaProperties)
        if !consumer.subscriptions.isEmpty {
            config.subscribesTo = consumer.subscriptions.map(\.topic)
            config.startFromBeginning = consumer.subscriptions[0].startFromBeginning
            config.sources[.subscribesTo] = .plugin
            config.sources[.startFromBeginning] = .plugin
        }
        if let groupID = consumer.groupID {
            config.groupID = groupID
            config.sources[.groupID] = .plugin
        }
        if let fetchMessages = consumer.fetchMessages {
            config.fetchMessages = fetchMessages
            config.sources[.fetchMessages] = .plugin
        }
        if let maxWaitTime = consumer.maxWaitTime {
            config.maxWaitTime = maxWaitTime
            config.sources[.maxWaitTime] = .plugin
        }
    }

    /// A section named after another consumer: a typo of one the plugin offers (or of a key)
    /// is an error with a suggestion; one the plugin does not offer may belong to another
    /// plugin sharing the file, so it is only a warning.
    private func checkConsumerSection(_ name: String, at source: ConfigSource, consumer: String?, offered: [String])
        throws(ConfigError) -> String?
    {
        guard let consumer, !offered.contains(name) else { return nil }
        let candidates = offered.isEmpty ? [consumer] : offered
        let scored = candidates.map { ($0, editDistance(name, $0)) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 4) {
            throw .unknownConsumerSection(name: name, source: source, suggestion: best.0)
        }
        if let key = Self.suggestion(for: name) {
            throw .unknownKey(key: name, source: source, suggestion: key)
        }
        return "\(source): ignoring section `\(name)`: the plugin offers no such consumer "
            + "(it offers \(candidates.joined(separator: ", ")))"
    }

    private func checkKeysExist(_ entries: [(key: String, value: Node)], file: ConfigFile) throws(ConfigError) {
        for (key, value) in entries where ConfigKey.byName[key] == nil && key != ConsumerSettings.key {
            throw .unknownKey(
                key: key,
                source: .file(path: file.path, line: value.mark?.line ?? 0),
                suggestion: Self.suggestion(for: key)
            )
        }
    }

    private func apply(key name: String, node: Node, file: ConfigFile, to config: inout RacecarConfig)
        throws(ConfigError)
    {
        let source = ConfigSource.file(path: file.path, line: node.mark?.line ?? 0)
        guard let key = ConfigKey.byName[name] else {
            throw .unknownKey(key: name, source: source, suggestion: Self.suggestion(for: name))
        }
        let raw: RawConfigValue
        switch node {
        case .scalar(let scalar):
            if scalar.isNull { return }
            raw = .scalar(try substitute(scalar.string, source: source, key: name))
        case .sequence(let sequence):
            var items: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else {
                    throw .invalidValue(key: name, value: "a nested collection", source: source, expected: key.expected)
                }
                items.append(try substitute(scalar.string, source: source, key: name))
            }
            raw = .list(items)
        case .mapping(let mapping) where name == "consumer" || name == "producer":
            // Raw librdkafka properties may also be written as a mapping of name: value.
            var items: [String] = []
            for (propertyNode, valueNode) in mapping {
                guard let property = propertyNode.string, let value = valueNode.string else {
                    throw .invalidValue(
                        key: name, value: "a nested collection", source: source,
                        expected: "librdkafka property: value pairs")
                }
                items.append("\(property)=\(try substitute(value, source: source, key: name))")
            }
            raw = .list(items)
        default:
            throw .invalidValue(key: name, value: "a mapping", source: source, expected: key.expected)
        }
        try set(key, raw, from: source, in: &config)
    }

    private func set(_ key: ConfigKey, _ raw: RawConfigValue, from source: ConfigSource, in config: inout RacecarConfig)
        throws(ConfigError)
    {
        guard key.apply(&config, raw) else {
            let shown: String
            switch raw {
            case _ where key.isSecret: shown = "[redacted]"
            case .scalar(let text): shown = "`\(text)`"
            case .list(let items): shown = "[\(items.joined(separator: ", "))]"
            }
            throw .invalidValue(key: key.name, value: shown, source: source, expected: key.expected)
        }
        config.sources[key] = source
    }

    /// Merges a consumer section's `settings:` mapping into the settings, setting by setting: the
    /// environment's section is read after `common`, so its values win.
    private func applySettings(_ node: Node, file: ConfigFile, to config: inout RacecarConfig) throws(ConfigError) {
        let source = ConfigSource.file(path: file.path, line: node.mark?.line ?? 0)
        if case .scalar(let scalar) = node, scalar.isNull { return }
        guard let mapping = node.mapping else {
            throw .invalidValue(
                key: ConsumerSettings.key, value: "`\(node.string ?? "a list")`", source: source,
                expected: "a mapping of setting names to values")
        }
        for (name, value) in try ConfigFile.flatten(mapping, path: file.path) {
            let settingSource = ConfigSource.file(path: file.path, line: value.mark?.line ?? 0)
            config.settings.set(name, try settingValue(value, source: settingSource, name: name), from: settingSource)
        }
    }

    /// A setting's YAML node as a typed value, `${VAR}` substituted in every scalar.
    private func settingValue(_ node: Node, source: ConfigSource, name: String) throws(ConfigError) -> SettingValue {
        switch node {
        case .scalar(let scalar):
            if scalar.isNull { return .null }
            let text = try substitute(scalar.string, source: source, key: "settings.\(name)")
            return scalar.style == .plain ? SettingValue(plainScalar: text) : .string(text)
        case .sequence(let sequence):
            var items: [SettingValue] = []
            for item in sequence { items.append(try settingValue(item, source: source, name: name)) }
            return .list(items)
        case .mapping(let mapping):
            var entries: [(key: String, value: SettingValue)] = []
            for (key, value) in try ConfigFile.flatten(mapping, path: configPath) {
                entries.append((key, try settingValue(value, source: source, name: "\(name).\(key)")))
            }
            return .mapping(entries)
        case .alias:
            return .null
        }
    }

    /// Refuses to start a consumer without a setting its plugin requires, before any consumer
    /// is created.
    private func checkRequiredSettings(_ config: RacecarConfig, consumer: String) throws(ConfigError) {
        for declared in config.declaredSettings where declared.isRequired {
            if config.settings[declared.name] == nil || config.settings[declared.name] == .null {
                throw .missingSetting(consumer: consumer, setting: declared)
            }
        }
    }

    /// Settings the plugin does not declare are passed on, but a close match is likely a typo.
    private func undeclaredSettingWarnings(_ config: RacecarConfig, consumer: String) -> [String] {
        let declared = config.declaredSettings.map(\.name)
        guard !declared.isEmpty else { return [] }
        return config.settings.values.map(\.name).filter { !declared.contains($0) }.map { name in
            let closest = declared.min { editDistance(name, $0) < editDistance(name, $1) }
            let hint = closest.map { "; did you mean `\($0)`?" } ?? ""
            return "\(config.settings.sources[name].map { "\($0)" } ?? "settings"): \(consumer) does not declare "
                + "setting `\(name)`\(hint) (declared: \(declared.joined(separator: ", ")))"
        }
    }

    /// Replaces `${VAR}` and `${VAR:-default}` with values from the environment.
    func substitute(_ text: String, source: ConfigSource, key: String) throws(ConfigError) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw .invalidValue(key: key, value: "`\(text)`", source: source, expected: "a closing } after ${")
            }
            let expression = rest[start.upperBound..<end]
            let parts = expression.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let variable = String(parts[0])
            if let value = environment[variable] {
                result += value
            } else if parts.count == 2 {
                result += parts[1]
            } else {
                throw .invalidValue(
                    key: key,
                    value: "`\(text)`",
                    source: source,
                    expected: "environment variable \(variable) to be set (or a default: ${\(variable):-value})"
                )
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    private func validate(_ config: RacecarConfig, requireSubscriptions: Bool) throws(ConfigError) {
        if config.socketTimeout <= config.maxWaitTime {
            throw .conflict(
                "`socket_timeout` (\(formatSeconds(config.socketTimeout)) s, from \(config.sources[.socketTimeout])) "
                    + "must be longer than `max_wait_time` (\(formatSeconds(config.maxWaitTime)) s, from \(config.sources[.maxWaitTime]))"
            )
        }
        if config.maxPauseTimeout != nil, !config.pauseWithExponentialBackoff {
            throw .conflict(
                "`max_pause_timeout` (from \(config.sources[.maxPauseTimeout])) only applies with "
                    + "`pause_with_exponential_backoff: true`"
            )
        }
        if (config.deadLetterTopic == nil) != (config.maxRetries == nil) {
            throw .conflict(
                "`dead_letter_topic` and `max_retries` go together: set both to send a message that keeps failing "
                    + "to the dead-letter topic, or neither to retry it forever")
        }
        if let deadLetterTopic = config.deadLetterTopic, config.subscribesTo.contains(deadLetterTopic) {
            throw .conflict("`dead_letter_topic` \(deadLetterTopic) is one of the topics the consumer subscribes to")
        }
        if config.httpPort != nil, config.httpControlToken == nil, !RacecarConfig.isLoopback(config.httpHost) {
            throw .conflict(
                "`http_host` \(config.httpHost) (from \(config.sources[.httpHost])) is not a loopback address: "
                    + "set `http_control_token` (RACECAR_HTTP_CONTROL_TOKEN) before serving the HTTP endpoint beyond "
                    + "this machine, or bind it to 127.0.0.1")
        }
        if requireSubscriptions, config.subscribesTo.isEmpty {
            throw .conflict(
                "the consumer subscribes to no topics: set `subscribes_to` in racecar.yml or RACECAR_SUBSCRIBES_TO")
        }
        var pluginValues: [String: String] = [:]
        for entry in config.pluginConsumerProperties {
            guard let (name, value) = RacecarConfig.splitProperty(entry) else {
                throw .conflict("the plugin asks for librdkafka property `\(entry)`, which is not name=value")
            }
            if let other = pluginValues[name], other != value {
                throw .conflict(
                    "the plugin's subscriptions disagree on librdkafka property \(name) (\(other) and \(value)); "
                        + "set it once in racecar.yml's `consumer` properties")
            }
            pluginValues[name] = value
        }
        for (key, entries) in [(ConfigKey.consumer, config.consumerProperties), (.producer, config.producerProperties)]
        {
            for entry in entries where RacecarConfig.splitProperty(entry) == nil {
                throw .invalidValue(
                    key: key.name, value: "`\(entry)`", source: config.sources[key],
                    expected: "librdkafka properties as name=value")
            }
        }
        try clientPropertyCheck(config)
    }

    /// The known key closest to `name`, if it is close enough to be a typo.
    static func suggestion(for name: String) -> String? {
        let scored = ConfigKey.all.map { ($0.name, editDistance(name, $0.name)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 4) else { return nil }
        return best.0
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
package func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
