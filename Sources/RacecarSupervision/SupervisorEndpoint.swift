import Foundation
import Logging
import RacecarConfiguration
import RacecarEndpoint

/// The HTTP endpoint of a supervisor, which serves it for all its workers (they bind nothing).
package enum SupervisorEndpoint {
    /// Starts serving `http_port` in the background, when it is set. A supervisor runs no
    /// service group: the listener lives until the process exits, and one that cannot listen
    /// ends the process with status 1 (its workers die with it).
    ///
    /// - Parameter reload: What `POST /control/reload` runs; without one it answers 501.
    package static func start(
        config: RacecarConfig, supervisorPID: Int32, logger: Logger, reload: EndpointRoutes.Reload? = nil
    ) {
        guard let port = config.httpPort else { return }
        let source = SupervisorEndpointSource(
            directory: SupervisorDirectory(supervisorPID: supervisorPID), limits: HealthLimits(config))
        let server = EndpointServer(
            host: config.httpHost, port: port,
            routes: EndpointRoutes(source: source, token: config.httpControlToken, reload: reload),
            logger: logger)
        Task.detached {
            do {
                try await server.run()
            } catch {
                logger.critical("\(error)")
                exit(1)
            }
        }
    }
}
