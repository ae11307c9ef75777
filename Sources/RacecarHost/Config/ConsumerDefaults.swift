/// What a plugin compiled into one of its consumers: the name operators run it by and the
/// settings it brings, which racecar.yml, `RACECAR_*` variables and flags override.
public struct ConsumerDefaults: Sendable {
    /// One subscription compiled into the plugin.
    public struct Subscription: Sendable, Equatable {
        public var topic: String
        public var startFromBeginning: Bool
        /// librdkafka consumer properties the subscription asks for, as `name=value`.
        public var kafkaProperties: [String]

        public init(topic: String, startFromBeginning: Bool, kafkaProperties: [String] = []) {
            self.topic = topic
            self.startFromBeginning = startFromBeginning
            self.kafkaProperties = kafkaProperties
        }
    }

    /// The name an operator runs the consumer by; its section in racecar.yml has this name.
    public var name: String
    public var subscriptions: [Subscription]
    /// The compiled-in group id, if any.
    public var groupID: String?
    /// The compiled-in batch size, if any.
    public var fetchMessages: Int?
    /// The compiled-in fetch wait in seconds, if any.
    public var maxWaitTime: Double?

    public init(
        name: String, subscriptions: [Subscription] = [], groupID: String? = nil, fetchMessages: Int? = nil,
        maxWaitTime: Double? = nil
    ) {
        self.name = name
        self.subscriptions = subscriptions
        self.groupID = groupID
        self.fetchMessages = fetchMessages
        self.maxWaitTime = maxWaitTime
    }
}
