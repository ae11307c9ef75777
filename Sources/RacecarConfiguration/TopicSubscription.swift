/// A topic to subscribe to, and where to start in it when the group has no committed offset.
package struct TopicSubscription: Sendable, Equatable {
    package var topic: String
    package var startFromBeginning: Bool

    package init(topic: String, startFromBeginning: Bool) {
        self.topic = topic
        self.startFromBeginning = startFromBeginning
    }
}

extension RacecarConfig {
    /// The topics to subscribe to with each one's start position: the operator's
    /// `start_from_beginning` when they set it, else the plugin's choice for that topic.
    package func topicSubscriptions(compiled: [ConsumerDefaults.Subscription]) -> [TopicSubscription] {
        let operatorChose = sources[.startFromBeginning] != .plugin
        return subscribesTo.map { topic in
            let compiledChoice = compiled.first { $0.topic == topic }?.startFromBeginning
            return TopicSubscription(
                topic: topic,
                startFromBeginning: operatorChose ? startFromBeginning : compiledChoice ?? startFromBeginning)
        }
    }
}
