import Foundation

/// Builds librdkafka configurations from ``ConfigKey/all``, the single table of mappings.
extension RacecarConfig {
    /// Properties for the consumer of group `groupID`; `statistics` asks librdkafka for
    /// statistics every `statistics_interval`.
    func consumerConfiguration(groupID: String, statistics: Bool = false) -> KafkaConfiguration {
        var configuration = KafkaConfiguration()
        applyMappedKeys(for: .consumer, to: &configuration)
        if statistics, statisticsInterval > 0 {
            configuration.set(
                "statistics.interval.ms", milliseconds(statisticsInterval), origin: origin(of: "statistics_interval"))
        }
        configuration.set("group.id", groupID, origin: "the consumer's group id")
        // Offsets are stored by the host only after processing succeeded, and committed by the
        // host every offset_commit_interval, when partitions are revoked, and on shutdown.
        configuration.set("enable.auto.offset.store", "false")
        configuration.set("enable.auto.commit", "false")
        for entry in pluginConsumerProperties {
            guard let (name, value) = Self.splitProperty(entry) else { continue }
            configuration.set(
                name, value, origin: "the plugin's subscriptions", isSecret: ConfigKey.isSecretProperty(name))
        }
        applyRawProperties(consumerProperties, key: "consumer", to: &configuration)
        return configuration
    }

    /// Properties for the producer behind `produce`.
    func producerConfiguration() -> KafkaConfiguration {
        var configuration = KafkaConfiguration()
        applyMappedKeys(for: .producer, to: &configuration)
        applyRawProperties(producerProperties, key: "producer", to: &configuration)
        return configuration
    }

    private func applyMappedKeys(for client: ConfigKey.Client, to configuration: inout KafkaConfiguration) {
        for key in ConfigKey.all {
            for property in key.kafka where property.client == client || property.client == .both {
                guard let value = property.value(self) else { continue }
                configuration.set(property.name, value, origin: origin(of: key.name), isSecret: key.isSecret)
            }
        }
    }

    private func applyRawProperties(_ entries: [String], key: String, to configuration: inout KafkaConfiguration) {
        for entry in entries {
            guard let (name, value) = Self.splitProperty(entry) else { continue }
            configuration.set(name, value, origin: origin(of: key), isSecret: ConfigKey.isSecretProperty(name))
        }
    }

    private func origin(of key: String) -> String {
        "`\(key)` from \(sources[key] ?? .builtInDefault)"
    }

    /// Splits a raw `name=value` librdkafka property.
    static func splitProperty(_ entry: String) -> (name: String, value: String)? {
        guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else { return nil }
        return (
            String(entry[..<equals]).trimmingCharacters(in: .whitespaces), String(entry[entry.index(after: equals)...])
        )
    }
}
