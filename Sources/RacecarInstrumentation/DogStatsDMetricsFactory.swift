import CoreMetrics
import Logging
import Synchronization

/// A swift-metrics backend that sends DogStatsD datagrams to a Datadog agent, over UDP
/// (`datadog_host`, `datadog_port`) or its Unix socket (`datadog_socket_path`), with names
/// prefixed by `datadog_namespace` and tagged with `datadog_tags` and each metric's dimensions.
///
/// Counters become counts (`|c`), gauges (recorders that do not aggregate, and meters) gauges
/// (`|g`), aggregating recorders histograms (`|h`) and timers timings in milliseconds (`|ms`),
/// the types Racecar's metrics have. Handlers aggregate in memory and ``flush()``, called once
/// per interval by the host, sends what they hold, so recording costs the hot path next to
/// nothing.
package final class DogStatsDMetricsFactory: MetricsFactory, Sendable {
    private let namespace: String
    private let globalTags: [String]
    private let transport: DogStatsDTransport
    private let handlers = Mutex<[any DogStatsDHandler]>([])

    /// Prepares the socket.
    ///
    /// - Parameter logger: Told once when the agent stops taking datagrams.
    /// - Throws: ``InstrumentationError/unresolvableHost(_:reason:)`` when a UDP destination's
    ///   host does not resolve.
    package init(
        destination: DogStatsDDestination, namespace: String, tags: [String], logger: Logger
    ) throws(InstrumentationError) {
        transport = try DogStatsDTransport(destination, logger: logger)
        self.namespace = namespace.isEmpty ? "" : namespace + "."
        self.globalTags = tags
    }

    /// Sends everything recorded since the last flush, in as few datagrams as fit.
    package func flush() {
        let limit = transport.destination.maximumDatagramBytes
        var lines: [String] = []
        for handler in handlers.withLock({ $0 }) { handler.drain(into: &lines, lineLimit: limit) }
        var datagram = ""
        for line in lines {
            if !datagram.isEmpty, datagram.utf8.count + 1 + line.utf8.count > limit {
                transport.send(datagram)
                datagram = ""
            }
            datagram += datagram.isEmpty ? line : "\n" + line
        }
        if !datagram.isEmpty { transport.send(datagram) }
    }

    private func register<Handler: DogStatsDHandler>(_ handler: Handler) -> Handler {
        handlers.withLock { $0.append(handler) }
        return handler
    }

    private func name(_ label: String, _ dimensions: [(String, String)]) -> (String, String) {
        let tags = globalTags + dimensions.map { "\($0.0):\($0.1)" }
        return (namespace + label, tags.isEmpty ? "" : "|#" + tags.joined(separator: ","))
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        let (name, tags) = name(label, dimensions)
        return register(DogStatsDCounter(name: name, tags: tags))
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        let (name, tags) = name(label, dimensions)
        if aggregate { return register(DogStatsDSampler(name: name, type: "h", tags: tags, divisor: 1)) }
        return register(DogStatsDGauge(name: name, tags: tags))
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        let (name, tags) = name(label, dimensions)
        return register(DogStatsDGauge(name: name, tags: tags))
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        let (name, tags) = name(label, dimensions)
        return register(DogStatsDSampler(name: name, type: "ms", tags: tags, divisor: 1e6))
    }

    package func destroyCounter(_ handler: CounterHandler) { unregister(handler) }
    package func destroyRecorder(_ handler: RecorderHandler) { unregister(handler) }
    package func destroyMeter(_ handler: MeterHandler) { unregister(handler) }
    package func destroyTimer(_ handler: TimerHandler) { unregister(handler) }

    private func unregister(_ handler: AnyObject) {
        handlers.withLock { $0.removeAll { $0 === handler } }
    }
}
