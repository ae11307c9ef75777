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
