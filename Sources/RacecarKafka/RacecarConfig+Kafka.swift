import Foundation
import RacecarConfiguration

/// Builds librdkafka configurations from ``ConfigKey/all``, the single table of mappings.
extension RacecarConfig {
    /// Properties for the consumer of group `groupID`; `statistics` asks librdkafka for
    /// statistics every `statistics_interval`.
    package func consumerConfiguration(groupID: String, statistics: Bool = false) -> KafkaConfiguration {
        var configuration = KafkaConfiguration()
        applyMappedKeys(for: .consumer, to: &configuration)
        if statistics, statisticsInterval > .zero {
            configuration.set(
                "statistics.interval.ms", milliseconds(statisticsInterval), origin: origin(of: .statisticsInterval))
        }
        configuration.set("group.id", groupID, origin: "the consumer's group id")
        if LibrdkafkaVersion.loaded >= .fetchQueueBackoff {
            // librdkafka waits this long to fetch again once its queue passed queued.min.messages
            // (1 s by default): a consumer faster than that would sit idle.
            configuration.set(
                "fetch.queue.backoff.ms", "10",
                origin: "racecar-host's default for librdkafka \(LibrdkafkaVersion.loaded)")
        }
        // Offsets are stored by the host only after processing succeeded, and committed by the
        // host every offset_commit_interval, when partitions are revoked, and on shutdown.
        configuration.set("enable.auto.offset.store", "false")
        configuration.set("enable.auto.commit", "false")
        for entry in pluginConsumerProperties {
            guard let (name, value) = Self.splitProperty(entry) else { continue }
            configuration.set(
                name, value, origin: "the plugin's subscriptions", isSecret: ConfigKey.isSecretProperty(name))
        }
        applyRawProperties(consumerProperties, key: .consumer, to: &configuration)
        return configuration
    }

    /// Properties for the producer behind `produce`.
    package func producerConfiguration() -> KafkaConfiguration {
        var configuration = KafkaConfiguration()
        applyMappedKeys(for: .producer, to: &configuration)
        applyRawProperties(producerProperties, key: .producer, to: &configuration)
        return configuration
    }

    private func applyMappedKeys(for client: ConfigKey.Client, to configuration: inout KafkaConfiguration) {
        for key in ConfigKey.all {
            for property in key.kafka where property.client == client || property.client == .both {
                guard let value = property.value(self) else { continue }
                configuration.set(property.name, value, origin: origin(of: key), isSecret: key.isSecret)
            }
        }
    }

    private func applyRawProperties(_ entries: [String], key: ConfigKey, to configuration: inout KafkaConfiguration) {
        for entry in entries {
            guard let (name, value) = Self.splitProperty(entry) else { continue }
            configuration.set(name, value, origin: origin(of: key), isSecret: ConfigKey.isSecretProperty(name))
        }
    }

    private func origin(of key: ConfigKey) -> String {
        "`\(key.name)` from \(sources[key])"
    }

    /// Checks every librdkafka property of both clients with librdkafka, without creating
    /// either: what `ConfigLoader` runs before it accepts a configuration.
    ///
    /// - Throws: ``ConfigError/rejectedByLibrdkafka(_:)`` naming the property and the key that set it.
    package static func validateClientProperties(_ config: RacecarConfig) throws(ConfigError) {
        do {
            try config.consumerConfiguration(groupID: "validation").validate()
            try config.producerConfiguration().validate()
        } catch {
            throw .rejectedByLibrdkafka(error.description)
        }
    }
}
