import RacecarConfiguration

/// What a plugin offers, read from its descriptor alone: what `racecar-host inspect` prints,
/// as text or as one JSON object whose keys are the snake_case names below.
///
/// Values the plugin leaves to the host (`fetch_messages`, `max_wait_time`, an SDK version)
/// are `null` in JSON.
package struct PluginDescription: Sendable, Encodable {
    /// One consumer the plugin offers and the defaults it compiled in.
    package struct Consumer: Sendable, Encodable {
        package var name: String
        package var subscriptions: [Subscription]
        /// The plugin's group id, or the one derived from the name (before any `group_id_prefix`).
        package var groupID: String
        package var groupIDIsDerived: Bool
        package var fetchMessages: Int?
        /// In seconds, as racecar.yml writes it.
        package var maxWaitTime: Double?
        /// Whether it takes batches (`process_batch`) rather than single messages (`process`).
        package var isBatch: Bool
        /// The descriptor flags it sets, named like their C macros without the prefix.
        package var flags: [String]
        package var hooks: [ConsumerHook]
        package var settings: [Setting]

        enum CodingKeys: String, CodingKey {
            case name, subscriptions, flags, hooks, settings
            case groupID = "group_id", groupIDIsDerived = "group_id_derived", fetchMessages = "fetch_messages"
            case maxWaitTime = "max_wait_time", isBatch = "batch"
        }

        // Written out so that unset values are `null` rather than missing.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(subscriptions, forKey: .subscriptions)
            try container.encode(groupID, forKey: .groupID)
            try container.encode(groupIDIsDerived, forKey: .groupIDIsDerived)
            try container.encode(fetchMessages, forKey: .fetchMessages)
            try container.encode(maxWaitTime, forKey: .maxWaitTime)
            try container.encode(isBatch, forKey: .isBatch)
            try container.encode(flags, forKey: .flags)
            try container.encode(hooks, forKey: .hooks)
            try container.encode(settings, forKey: .settings)
        }
    }

    /// A topic a consumer subscribes to.
    package struct Subscription: Sendable, Encodable {
        package var topic: String
        package var startFromBeginning: Bool
        /// librdkafka properties as `name=value`, as the plugin wrote them.
        package var kafkaProperties: [String]

        enum CodingKeys: String, CodingKey {
            case topic, startFromBeginning = "start_from_beginning", kafkaProperties = "kafka_properties"
        }
    }

    /// A setting a consumer reads from its racecar.yml section.
    package struct Setting: Sendable, Encodable {
        package var name: String
        package var description: String?
        package var isRequired: Bool
        package var isSecret: Bool

        enum CodingKeys: String, CodingKey {
            case name, description, isRequired = "required", isSecret = "secret"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(description, forKey: .description)
            try container.encode(isRequired, forKey: .isRequired)
            try container.encode(isSecret, forKey: .isSecret)
        }
    }

    package var path: String
    package var abiMajor: UInt32
    package var abiMinor: UInt32
    package var sdkVersion: String?
    package var toolchain: String?
    /// Set when a Swift plugin was built with another toolchain than this host.
    package var toolchainWarning: String?
    package var consumers: [Consumer]

    enum CodingKeys: String, CodingKey {
        case path, toolchain, consumers
        case abiMajor = "abi_major", abiMinor = "abi_minor", sdkVersion = "sdk_version"
        case toolchainWarning = "toolchain_warning"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(abiMajor, forKey: .abiMajor)
        try container.encode(abiMinor, forKey: .abiMinor)
        try container.encode(sdkVersion, forKey: .sdkVersion)
        try container.encode(toolchain, forKey: .toolchain)
        try container.encode(toolchainWarning, forKey: .toolchainWarning)
        try container.encode(consumers, forKey: .consumers)
    }

    /// Describes `plugin`, typically one that ``PluginLoader/describe(path:)`` read.
    package init(_ plugin: LoadedPlugin) {
        path = plugin.path
        abiMajor = plugin.abiMajor
        abiMinor = plugin.abiMinor
        sdkVersion = plugin.sdkVersion
        toolchain = plugin.toolchain
        toolchainWarning = plugin.toolchainWarning
        consumers = plugin.consumers.map { consumer in
            let defaults = consumer.defaults
            return Consumer(
                name: consumer.name,
                subscriptions: consumer.subscriptions.map {
                    Subscription(
                        topic: $0.topic, startFromBeginning: $0.startFromBeginning, kafkaProperties: $0.kafkaProperties)
                },
                groupID: ConsumerGroupName.derive(consumerName: consumer.name, explicit: defaults.groupID, prefix: nil),
                groupIDIsDerived: defaults.groupID?.isEmpty ?? true,
                fetchMessages: defaults.fetchMessages,
                maxWaitTime: defaults.maxWaitTime?.inSeconds,
                isBatch: consumer.isBatchConsumer,
                flags: consumer.readsHeadersOnDemand ? ["headers_on_demand"] : [],
                hooks: consumer.hooks,
                settings: consumer.declaredSettings.map {
                    Setting(
                        name: $0.name, description: $0.description, isRequired: $0.isRequired, isSecret: $0.isSecret)
                }
            )
        }
    }
}
