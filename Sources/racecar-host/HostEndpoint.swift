import Foundation
import Logging
import Metrics
import RacecarConfiguration
import RacecarEndpoint
import RacecarRuntime
import RacecarSupervision
import ServiceLifecycle

/// The operations side of a consumer process, composed: the board its poll loop publishes on
/// and the inbox of control commands it applies, the Prometheus registry behind `/metrics`, and
/// the services that serve them.
///
/// - A host without a supervisor writes its status to `/dev/shm/racecar-<pid>/host.json` (for
///   `racecarctl status`) and, with `http_port`, serves the endpoint.
/// - A supervised worker binds nothing: it writes its status and metrics next to its
///   supervisor's, which serves them, and applies the manual pauses the supervisor lists.
struct HostEndpoint {
    let operations: RuntimeOperations
    /// Set when the endpoint's `/metrics` is on.
    let prometheus: PrometheusExposition?
    let services: [ServiceGroupConfiguration.ServiceConfiguration]
    /// The folder this process created for its status, removed by ``finish()``.
    private let ownFolder: SupervisorDirectory?

    /// - Parameter reload: What `POST /control/reload` runs; without one it answers 501.
    init(
        config: RacecarConfig, worker: SupervisedWorker?, logger: Logger, reload: EndpointRoutes.Reload? = nil
    ) throws(UserError) {
        let operations = RuntimeOperations(workerSlot: worker?.identity.slot)
        let prometheus = config.httpPort != nil ? PrometheusExposition() : nil
        let post: @Sendable (ControlRequest) -> Void = { [controls = operations.controls] request in
            controls.post(request.action == .pause ? .pause(request.partition) : .resume(request.partition))
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let files: StatusFileService.Files
        if let worker {
            let folder = SupervisorDirectory(supervisorPID: worker.identity.supervisorPID)
            let slot = worker.identity.slot
            files = .init(
                status: folder.workerStatusFile(slot: slot),
                metrics: prometheus.map { _ in folder.workerMetricsFile(slot: slot) },
                manualPauses: config.httpPort.map { _ in folder.manualPausesFile })
            ownFolder = nil
        } else {
            let folder = SupervisorDirectory(supervisorPID: getpid())
            do {
                try folder.createForSingleHost()
            } catch {
                throw UserError("\(error)")
            }
            files = .init(status: folder.hostStatusFile)
            ownFolder = folder
            if let port = config.httpPort, let prometheus {
                let source = HostEndpointSource(
                    board: operations.board, limits: HealthLimits(config), prometheus: prometheus, post: post)
                let routes = EndpointRoutes(source: source, token: config.httpControlToken, reload: reload)
                // A listener that fails stops the consumer gracefully, and the host exits with its error.
                services.append(
                    .init(
                        service: EndpointServer(host: config.httpHost, port: port, routes: routes, logger: logger),
                        failureTerminationBehavior: .gracefullyShutdownGroup))
            }
        }
        services.append(
            .init(
                service: StatusFileService(
                    board: operations.board, files: files, prometheus: prometheus, logger: logger, post: post)))
        self.operations = operations
        self.prometheus = prometheus
        self.services = services
    }

    /// Bootstraps swift-metrics with `factories` (DogStatsD's, when on) and the endpoint's
    /// Prometheus registry, side by side when both are on.
    func bootstrapMetrics(_ factories: [any MetricsFactory]) {
        let all = factories + (prometheus.map { [$0.factory] } ?? [])
        guard let first = all.first else { return }
        MetricsSystem.bootstrap(all.count == 1 ? first : MultiplexMetricsHandler(factories: all))
    }

    /// Removes what this process published, at exit.
    func finish() {
        ownFolder?.remove()
    }
}
