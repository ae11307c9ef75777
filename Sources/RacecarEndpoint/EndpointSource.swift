import Foundation

/// What the endpoint serves: a single host's own status, or a supervisor's view of its workers.
/// Every method answers from state published elsewhere; none waits on the poll loop.
package protocol EndpointSource: Sendable {
    func liveness() -> HealthVerdict
    func readiness() -> HealthVerdict
    /// The `/status` JSON document.
    func statusJSON() -> Data
    /// The `/metrics` document, in Prometheus text format.
    func metricsText() -> String
    /// Passes a pause or resume on to the poll loop(s); returns what the response says it did.
    func control(_ request: ControlRequest) -> String
}
