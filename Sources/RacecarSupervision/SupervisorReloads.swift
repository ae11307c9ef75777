import RacecarOperations

/// What a supervisor needs to reload its workers' plugin: the running version, where
/// `racecarctl reload` leaves requests, and the check of a new version, which the composition
/// runs once in a throwaway process (``PluginCheck``) before any worker swaps.
package struct SupervisorReloads: Sendable {
    /// The outcome of checking a new version.
    package enum Check: Sendable, Equatable {
        case passed(CheckedPlugin)
        case refused(String)
    }

    /// The version the workers start with.
    package var initial: CheckedPlugin
    /// The pidfile's channel, when the supervisor has a pidfile.
    package var channel: ReloadChannel?
    /// Finds, copies and checks the library at `plugin` (`nil`: the path the workers run).
    package var check: @Sendable (_ plugin: String?, _ running: CheckedPlugin) -> Check

    package init(
        initial: CheckedPlugin, channel: ReloadChannel?,
        check: @escaping @Sendable (_ plugin: String?, _ running: CheckedPlugin) -> Check
    ) {
        self.initial = initial
        self.channel = channel
        self.check = check
    }
}
