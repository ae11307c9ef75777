/// The keys whose effective values differ between a running configuration and the one a
/// reload read, sorted by what applying them needs.
package struct ConfigChanges: Sendable, Equatable {
    /// Keys the swap applies in place, with the consumer's settings as `settings`.
    package var inPlace: [String] = []
    /// Keys that need a new Kafka client.
    package var newClient: [String] = []
    /// Keys that only a restart of racecar-host applies.
    package var restart: [String] = []

    /// Compares every key of the table, and the consumer's settings.
    package init(from old: RacecarConfig, to new: RacecarConfig) {
        for key in ConfigKey.all where key.render(old) != key.render(new) {
            switch key.reloadEffect {
            case .inPlace: inPlace.append(key.name)
            case .newClient: newClient.append(key.name)
            case .restart: restart.append(key.name)
            }
        }
        if old.settings != new.settings { inPlace.append("settings") }
    }

    package init() {}
}
