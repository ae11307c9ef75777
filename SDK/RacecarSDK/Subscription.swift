/// A topic a consumer subscribes to, like Racecar's `subscribes_to`.
public struct Subscription: Sendable, Hashable {
    /// The topic name.
    public var topic: String
    /// Where a group with no committed offset starts: the oldest message (`true`, the
    /// default, as in Racecar) or the next new one.
    public var startFromBeginning: Bool
    /// Extra librdkafka consumer properties, like Racecar's `additional_config`. Operators'
    /// `consumer` properties in racecar.yml override them.
    public var kafkaProperties: [String: String]

    public init(_ topic: String, startFromBeginning: Bool = true, kafkaProperties: [String: String] = [:]) {
        self.topic = topic
        self.startFromBeginning = startFromBeginning
        self.kafkaProperties = kafkaProperties
    }
}
