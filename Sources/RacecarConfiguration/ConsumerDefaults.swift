/// What a plugin compiled into one of its consumers: the name operators run it by and the
/// settings it brings, which racecar.yml, `RACECAR_*` variables and flags override.
package struct ConsumerDefaults: Sendable {
    /// One subscription compiled into the plugin.
    package struct Subscription: Sendable, Equatable {
        package var topic: String
        package var startFromBeginning: Bool
        /// librdkafka consumer properties the subscription asks for, as `name=value`.
        package var kafkaProperties: [String]

        package init(topic: String, startFromBeginning: Bool, kafkaProperties: [String] = []) {
            self.topic = topic
            self.startFromBeginning = startFromBeginning
            self.kafkaProperties = kafkaProperties
        }
    }

    /// The name an operator runs the consumer by; its section in racecar.yml has this name.
    package var name: String
    package var subscriptions: [Subscription]
    /// The compiled-in group id, if any.
    package var groupID: String?
    /// The compiled-in batch size, if any.
    package var fetchMessages: Int?
    /// The compiled-in fetch wait, if any.
    package var maxWaitTime: Duration?
    /// The settings the consumer reads from its racecar.yml section.
    package var settings: [DeclaredSetting]

    package init(
        name: String, subscriptions: [Subscription] = [], groupID: String? = nil, fetchMessages: Int? = nil,
        maxWaitTime: Duration? = nil, settings: [DeclaredSetting] = []
    ) {
        self.name = name
        self.subscriptions = subscriptions
        self.groupID = groupID
        self.fetchMessages = fetchMessages
        self.maxWaitTime = maxWaitTime
        self.settings = settings
    }
}
