/// How long a partition pauses after its processing fails, from `pause_timeout`,
/// `pause_with_exponential_backoff` and `max_pause_timeout`.
package struct PausePolicy: Sendable, Equatable {
    /// What to do after a failure.
    package enum Decision: Sendable, Equatable {
        /// Pause, then retry after this long.
        case retry(after: Duration)
        /// Pause until the process restarts (`pause_timeout: -1`).
        case pauseIndefinitely
        /// Stop the consumer with an error (`pause_timeout: 0`).
        case stop
    }

    package var pauseTimeout: Duration
    package var exponentialBackoff: Bool
    package var maxPauseTimeout: Duration?

    package init(pauseTimeout: Duration, exponentialBackoff: Bool, maxPauseTimeout: Duration?) {
        self.pauseTimeout = pauseTimeout
        self.exponentialBackoff = exponentialBackoff
        self.maxPauseTimeout = maxPauseTimeout
    }

    /// The decision after the `consecutiveFailures`-th failure in a row (1 for the first).
    package func decision(afterFailures consecutiveFailures: Int) -> Decision {
        if pauseTimeout == .zero { return .stop }
        if pauseTimeout < .zero { return .pauseIndefinitely }
        guard exponentialBackoff else { return .retry(after: pauseTimeout) }
        // Doubling stops growing long before it could overflow; the cap applies after.
        let doublings = min(max(consecutiveFailures - 1, 0), 40)
        let delay = pauseTimeout * (1 << doublings)
        return .retry(after: maxPauseTimeout.map { min(delay, $0) } ?? delay)
    }
}
