import Foundation

extension RacecarConfig {
    /// Every key with its effective value and where it came from, one per line.
    package func dump(consumer: String) -> String {
        let width = ConfigKey.all.map(\.name.count).max() ?? 0
        var text = "effective configuration for \(consumer):\n"
        text += "  environment \(environmentName), \(configFile.map { "from \($0)" } ?? "no racecar.yml read")\n"
        for key in ConfigKey.all {
            let padded = key.name.padding(toLength: width, withPad: " ", startingAt: 0)
            if key.name == "group_id", groupID == nil || groupID?.isEmpty == true {
                // The id the consumer will use, as it is derived.
                let derived = effectiveGroupID(consumer: consumer)
                let prefix = groupIDPrefix.map { " with group_id_prefix \($0)" } ?? ""
                text += "  \(padded)  \(derived)  (derived from the consumer name\(prefix))\n"
                continue
            }
            text += "  \(padded)  \(displayValue(of: key))  (\(sources[key]))\n"
        }
        text += settingsDump()
        if !pluginConsumerProperties.isEmpty {
            let shown = Self.redactingSecrets(pluginConsumerProperties)
            text +=
                "  librdkafka properties from the plugin: \(shown.joined(separator: ",")) (overridden by `consumer`)\n"
        }
        return text
    }

    /// The consumer's settings: each declared one (set or not) and each one set, secrets redacted.
    private func settingsDump() -> String {
        var names = declaredSettings.map(\.name)
        names += settings.values.map(\.name).filter { !names.contains($0) }
        guard !names.isEmpty else { return "" }
        var text = "  settings:\n"
        let width = names.map(\.count).max() ?? 0
        for name in names {
            let declared = declaredSettings.first { $0.name == name }
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            let value = settings[name]
            let shown: String
            switch value {
            case nil, .null?: shown = declared?.isRequired == true ? "(missing, required)" : "(not set)"
            case _ where declared?.isSecret == true: shown = "[redacted]"
            case let value?: shown = value.json
            }
            let source = settings.sources[name].map { "  (\($0))" } ?? ""
            let note = declared == nil && !declaredSettings.isEmpty ? "  [not declared by the plugin]" : ""
            text += "    \(padded)  \(shown)\(source)\(note)\n"
        }
        return text
    }

    /// The effective value of `key` as shown to operators, secrets redacted.
    func displayValue(of key: ConfigKey) -> String {
        switch key.name {
        case "consumer", "producer":
            let entries = key.name == "consumer" ? consumerProperties : producerProperties
            if entries.isEmpty { return "(none)" }
            return Self.redactingSecrets(entries).joined(separator: ",")
        default:
            return key.displayValue(self)
        }
    }

    /// `name=value` librdkafka properties with the values of secret ones replaced.
    private static func redactingSecrets(_ entries: [String]) -> [String] {
        entries.map { entry in
            guard let (name, _) = splitProperty(entry), ConfigKey.isSecretProperty(name) else { return entry }
            return "\(name)=[redacted]"
        }
    }
}
