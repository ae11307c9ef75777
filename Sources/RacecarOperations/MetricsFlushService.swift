import RacecarInstrumentation
import ServiceLifecycle

/// Sends the DogStatsD backend's aggregated metrics every interval, and the last interval's
/// when the host shuts down.
package struct MetricsFlushService: Service {
    private let factory: DogStatsDMetricsFactory
    private let interval: Duration

    package init(factory: DogStatsDMetricsFactory, interval: Duration = .seconds(1)) {
        self.factory = factory
        self.interval = interval
    }

    package func run() async {
        while !Task.isShuttingDownGracefully {
            // Woken early by the graceful shutdown, which then gets its final flush.
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            factory.flush()
        }
    }
}
