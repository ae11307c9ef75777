import RacecarConfiguration

/// The limits the probes apply, in seconds.
package struct HealthLimits: Sendable, Equatable {
    /// `liveness_probe_max_interval`: the longest the poll loop may go without a pass.
    package var maxPollInterval: Double
    /// `liveness_probe_max_call_duration`: the longest one call into the plugin may run.
    package var maxCallDuration: Double
    /// `readiness_probe_max_join_duration`: the longest a member may go without an assignment
    /// once it had one.
    package var maxJoinDuration: Double

    package init(maxPollInterval: Double, maxCallDuration: Double, maxJoinDuration: Double) {
        self.maxPollInterval = maxPollInterval
        self.maxCallDuration = maxCallDuration
        self.maxJoinDuration = maxJoinDuration
    }

    package init(_ config: RacecarConfig) {
        self.init(
            maxPollInterval: config.livenessProbeMaxInterval.inSeconds,
            maxCallDuration: config.livenessProbeMaxCallDuration.inSeconds,
            maxJoinDuration: config.readinessProbeMaxJoinDuration.inSeconds)
    }
}
