import Foundation
import RacecarInstrumentation

/// What a single host's endpoint serves: the status its poll loop publishes, its own
/// Prometheus registry, and control commands handed to its poll loop.
package struct HostEndpointSource: EndpointSource {
    private let board: StatusBoard
    private let limits: HealthLimits
    private let prometheus: PrometheusExposition
    private let post: @Sendable (ControlRequest) -> Void

    /// - Parameter post: Queues a control request for the poll loop.
    package init(
        board: StatusBoard, limits: HealthLimits, prometheus: PrometheusExposition,
        post: @escaping @Sendable (ControlRequest) -> Void
    ) {
        self.board = board
        self.limits = limits
        self.prometheus = prometheus
        self.post = post
    }

    package func liveness() -> HealthVerdict {
        HealthCheck.liveness(board.current, now: wallClockSeconds(), limits: limits)
    }

    package func readiness() -> HealthVerdict {
        HealthCheck.readiness(board.current, now: wallClockSeconds(), limits: limits)
    }

    package func statusJSON() -> Data {
        guard let status = board.current else {
            return Data(#"{"state":"starting: the consumer has not polled yet"}"#.utf8)
        }
        return StatusCoding.encode(status)
    }

    package func metricsText() -> String { prometheus.text() }

    package func control(_ request: ControlRequest) -> String {
        post(request)
        return "queued for the poll loop; /status shows it once applied"
    }
}
