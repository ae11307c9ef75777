import FlyingFox
import FlyingSocks
import Foundation
import Logging
import RacecarConfiguration
import ServiceLifecycle

/// The HTTP listener of the operations endpoint (FlyingFox): serves ``EndpointRoutes`` on
/// `http_host`:`http_port` until the graceful shutdown, on the cooperative pool, never on the
/// polling thread.
package struct EndpointServer: Service {
    private let host: String
    private let port: UInt16
    private let routes: EndpointRoutes
    private let logger: Logger

    package init(host: String, port: Int, routes: EndpointRoutes, logger: Logger) {
        self.host = host
        self.port = UInt16(clamping: port)
        self.routes = routes
        self.logger = logger
    }

    /// Listens and serves until the graceful shutdown (or the task's cancellation).
    ///
    /// - Throws: ``EndpointError/invalidHost(_:)`` or ``EndpointError/cannotListen(address:reason:)``.
    package func run() async throws {
        let handler = ClosureHTTPHandler { [routes] request in
            let body = request.method == .POST ? try await request.bodyData : Data()
            let response = await routes.respond(
                to: EndpointRequest(
                    method: request.method.rawValue, path: request.path,
                    authorization: request.headers[.authorization], body: body))
            var headers: HTTPHeaders = [.contentType: response.contentType]
            if let challenge = response.challenge { headers[HTTPHeader("WWW-Authenticate")] = challenge }
            return HTTPResponse(
                statusCode: HTTPStatusCode(response.status, phrase: Self.phrase(response.status)), headers: headers,
                body: response.body)
        }
        let server = HTTPServer(config: .init(address: try address(), timeout: 10, logger: .disabled), handler: handler)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await server.run()
                    } catch {
                        // Stopping closes the listening socket, which ends run() with an error.
                        if Task.isShuttingDownGracefully || error is CancellationError { return }
                        throw EndpointError.cannotListen(address: "\(host):\(port)", reason: "\(error)")
                    }
                }
                group.addTask {
                    // Only to log the address (port 0 picks one); cancelled if the server fails.
                    while true {
                        if let bound = await server.listeningAddress {
                            return logger.info(
                                "HTTP endpoint listening on http://\(Self.describe(bound) ?? "\(host):\(port)")")
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                // The server's failure ends the group at once, cancelling the logging task.
                try await group.next()
                try await group.next()
            }
        } onGracefulShutdown: {
            Task { await server.stop(timeout: 1) }
        }
    }

    private func address() throws(EndpointError) -> any SocketAddress {
        let literal = host == "localhost" ? "127.0.0.1" : host
        if let address = try? sockaddr_in.inet(ip4: literal, port: port) { return address }
        if let address = try? sockaddr_in6.inet6(ip6: literal, port: port) { return address }
        throw .invalidHost(host)
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }

    private static func describe(_ address: Socket.Address?) -> String? {
        switch address {
        case .ip4(let ip, let port): "\(ip):\(port)"
        case .ip6(let ip, let port): "[\(ip)]:\(port)"
        default: nil
        }
    }
}
