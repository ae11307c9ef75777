/// Derives consumer group ids the way Racecar does.
package enum ConsumerGroupName {
    /// The group id for `consumerName`: an explicit id wins; otherwise the name with a dash
    /// between each lower-case letter and the upper-case letter after it, lower-cased, after
    /// `prefix` (`UserBanConsumer` becomes `user-ban-consumer`).
    package static func derive(consumerName: String, explicit: String?, prefix: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        var derived = ""
        var previous: Character?
        for character in consumerName {
            if let previous, previous.isLowercase, character.isUppercase {
                derived.append("-")
            }
            derived.append(character)
            previous = character
        }
        return (prefix ?? "") + derived.lowercased()
    }
}

extension RacecarConfig {
    /// The group id `consumer` runs with: `group_id`, else derived from its name after
    /// `group_id_prefix`.
    package func effectiveGroupID(consumer: String) -> String {
        ConsumerGroupName.derive(consumerName: consumer, explicit: groupID, prefix: groupIDPrefix)
    }
}
