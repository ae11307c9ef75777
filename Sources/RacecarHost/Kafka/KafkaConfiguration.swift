import CRdKafka

/// librdkafka properties for one client, applied to a fresh `rd_kafka_conf_t`.
struct KafkaConfiguration {
    private(set) var properties: [(name: String, value: String)] = []

    subscript(name: String) -> String? {
        get { properties.last { $0.name == name }?.value }
        set {
            properties.removeAll { $0.name == name }
            if let newValue { properties.append((name, newValue)) }
        }
    }

    /// Creates the C configuration.
    ///
    /// - Throws: ``KafkaError/invalidProperty(name:value:message:)`` with librdkafka's reason.
    func makeConf() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            if rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw .invalidProperty(name: name, value: value, message: String(nulTerminated: errorText))
            }
        }
        return conf
    }
}
