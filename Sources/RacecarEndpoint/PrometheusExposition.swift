import Metrics
import Prometheus

/// The swift-metrics backend behind `/metrics`: a swift-prometheus registry, with names made
/// Prometheus names (`consumer.messages` becomes `consumer_messages`).
package final class PrometheusExposition: Sendable {
    private let registry = PrometheusCollectorRegistry()

    package init() {}

    /// The factory to bootstrap swift-metrics with (alone, or beside DogStatsD's).
    package var factory: any MetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitize(name), labels.map { (Self.sanitize($0.0), $0.1) })
        }
        return factory
    }

    /// Every metric, in Prometheus text format.
    package func text() -> String {
        registry.emitToString()
    }

    /// Replaces what a Prometheus name may not hold with `_`.
    static func sanitize(_ name: String) -> String {
        String(
            name.unicodeScalars.map { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
                    ? Character(scalar) : "_"
            })
    }
}
