import CRdKafka

/// librdkafka properties for one client, applied to a fresh `rd_kafka_conf_t`.
///
/// Each property remembers which configuration key set it, so that librdkafka's complaints
/// point at the operator's mistake, with secrets redacted.
package struct KafkaConfiguration {
    package struct Property {
        let name: String
        let value: String
        /// The configuration key and source that set it, for error messages.
        let origin: String
        let isSecret: Bool
    }

    package private(set) var properties: [Property] = []

    package subscript(name: String) -> String? {
        properties.last { $0.name == name }?.value
    }

    package mutating func set(_ name: String, _ value: String, origin: String = "racecar-host", isSecret: Bool = false)
    {
        properties.removeAll { $0.name == name }
        properties.append(Property(name: name, value: value, origin: origin, isSecret: isSecret))
    }

    /// Creates the C configuration.
    ///
    /// - Throws: ``KafkaError/invalidProperty(name:value:message:)`` with librdkafka's reason.
    package func makeConf() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for property in properties {
            if rd_kafka_conf_set(conf, property.name, property.value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw .invalidProperty(
                    name: property.name,
                    value: property.isSecret ? "[redacted]" : property.value,
                    message: "\(String(nulTerminated: errorText)) (set by \(property.origin))"
                )
            }
        }
        return conf
    }

    /// Checks every property with librdkafka without creating a client.
    package func validate() throws(KafkaError) {
        rd_kafka_conf_destroy(try makeConf())
    }
}
