/// The answer of a probe: healthy, or not and why, in a line an operator can act on.
package enum HealthVerdict: Sendable, Equatable {
    /// Passing; with a note when it passes for a reason worth saying (`starting`, `rebalancing`).
    case healthy(note: String?)
    case failing(reason: String)

    package var isHealthy: Bool {
        if case .healthy = self { return true }
        return false
    }
}
