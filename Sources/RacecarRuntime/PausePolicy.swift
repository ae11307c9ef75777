/// How long a partition pauses after its processing fails, from `pause_timeout`,
/// `pause_with_exponential_backoff` and `max_pause_timeout`.
package struct PausePolicy: Sendable, Equatable {
    /// What to do after a failure.
    package enum Decision: Sendable, Equatable {
        /// Pause, then retry after this many seconds.
        case retry(after: Double)
        /// Pause until the process restarts (`pause_timeout: -1`).
        case pauseIndefinitely
        /// Stop the consumer with an error (`pause_timeout: 0`).
        case stop
    }

    package var pauseTimeout: Double
    package var exponentialBackoff: Bool
    package var maxPauseTimeout: Double?

    package init(pauseTimeout: Double, exponentialBackoff: Bool, maxPauseTimeout: Double?) {
        self.pauseTimeout = pauseTimeout
        self.exponentialBackoff = exponentialBackoff
        self.maxPauseTimeout = maxPauseTimeout
    }

    /// The decision after the `consecutiveFailures`-th failure in a row (1 for the first).
    package func decision(afterFailures consecutiveFailures: Int) -> Decision {
        if pauseTimeout == 0 { return .stop }
        if pauseTimeout < 0 { return .pauseIndefinitely }
        guard exponentialBackoff else { return .retry(after: pauseTimeout) }
        // Doubling stops growing long before it could overflow; the cap applies after.
        let doublings = min(max(consecutiveFailures - 1, 0), 40)
        let delay = pauseTimeout * Double(1 << doublings)
        return .retry(after: min(delay, maxPauseTimeout ?? .infinity))
    }
}
