import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RacecarConfiguration
import ServiceLifecycle

/// The HTTP listener of the operations endpoint (swift-nio): serves ``EndpointRoutes`` on
/// `http_host`:`http_port` until the graceful shutdown, on an event loop thread of its own and
/// the cooperative pool, never on the polling thread.
///
/// One request per connection: each response says `Connection: close`, so a graceful shutdown
/// leaves no idle keep-alive connection to wait for.
package struct EndpointServer: Service {
    /// The largest request body read; a larger one is answered 413.
    private static let maximumBodySize = 1 << 20
    private static let tooLarge = EndpointResponse.error(
        413, "the request body is larger than 1 MiB (\(maximumBodySize) bytes), the endpoint's limit")
    /// How long a client has to send its whole request, and to read the response.
    private static let requestTimeout: TimeAmount = .seconds(10)
    /// How long a request in flight at the graceful shutdown has to finish.
    private static let shutdownGrace: TimeAmount = .seconds(1)

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
        let address = try socketAddress()
        // One thread is plenty for probes and scrapes, and takes no core from the poll loop.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await serve(on: address, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private func serve(on address: SocketAddress, group: MultiThreadedEventLoopGroup) async throws {
        let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, Never>, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, Never>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw EndpointError.cannotListen(address: "\(host):\(port)", reason: Self.reason(error))
        }
        logger.info(
            "HTTP endpoint listening on http://\(Self.describe(listener.channel.localAddress) ?? "\(host):\(port)")")
        do {
            try await withGracefulShutdownHandler {
                try await listener.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in connections {
                            group.addTask { await respond(on: connection) }
                        }
                    }
                }
            } onGracefulShutdown: {
                // Closing the listener ends the accepting loop; each open connection has its
                // shutdownGrace to finish.
                listener.channel.close(promise: nil)
            }
        } catch {
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            throw EndpointError.cannotListen(address: "\(host):\(port)", reason: Self.reason(error))
        }
    }

    /// Reads one request from `connection`, answers it and closes the connection.
    private func respond(on connection: NIOAsyncChannel<HTTPServerRequestPart, Never>) async {
        let channel = connection.channel
        let deadline = channel.eventLoop.scheduleTask(in: Self.requestTimeout) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        do {
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { parts in
                    var request: HTTPRequestHead?
                    var body = ByteBuffer()
                    var refused = false
                    for try await part in parts {
                        switch part {
                        case .head(let head):
                            request = head
                            // A declared length over the limit is refused before the body is read.
                            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init),
                                length > Self.maximumBodySize
                            {
                                try await Self.refuseBody(answering: head, on: channel)
                                refused = true
                            }
                        case .body(var chunk):
                            guard !refused else { continue }
                            // A chunked body has no declared length: it is counted as it comes.
                            guard body.readableBytes + chunk.readableBytes <= Self.maximumBodySize else {
                                try await Self.refuseBody(answering: request, on: channel)
                                refused = true
                                continue
                            }
                            body.writeBuffer(&chunk)
                        case .end:
                            guard !refused, let request else { return }
                            // The request is in: its answer may take longer (a reload waits for the swap).
                            deadline.cancel()
                            let response = await routes.respond(
                                to: EndpointRequest(
                                    method: request.method.rawValue, path: Self.path(request.uri),
                                    authorization: request.headers.first(name: "Authorization"),
                                    body: Data(body.readableBytesView)))
                            // Writing gets the same limit: a client that stops reading must not
                            // keep the connection.
                            let writing = channel.eventLoop.scheduleTask(in: Self.requestTimeout) {
                                channel.close(promise: nil)
                            }
                            defer { writing.cancel() }
                            return try await Self.write(response, answering: request, to: channel)
                        }
                    }
                }
            } onGracefulShutdown: {
                _ = channel.eventLoop.scheduleTask(in: Self.shutdownGrace) { channel.close(promise: nil) }
            }
        } catch {
            // A connection that fails (reset, unparsable, past a deadline) fails alone; NIO's
            // error handler has answered an unparsable request with 400.
        }
    }

    /// Answers 413 and closes the output. The rest of the body is then read and dropped, until
    /// the client closes or the request's deadline: closing with input unread would reset the
    /// connection, and the client could lose the answer.
    private static func refuseBody(answering request: HTTPRequestHead?, on channel: any Channel) async throws {
        try await write(tooLarge, answering: request, to: channel)
        try await channel.close(mode: .output).get()
    }

    /// Writes `response` and waits until the socket took it: closing a channel drops the writes
    /// still queued on it.
    private static func write(
        _ response: EndpointResponse, answering request: HTTPRequestHead?, to channel: any Channel
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if let challenge = response.challenge { headers.add(name: "WWW-Authenticate", value: challenge) }
        headers.add(name: "Connection", value: "close")
        let status = HTTPResponseStatus.custom(code: UInt(response.status), reasonPhrase: phrase(response.status))
        channel.write(
            HTTPServerResponsePart.head(
                HTTPResponseHead(version: request?.version ?? .http1_1, status: status, headers: headers)),
            promise: nil)
        // A response to HEAD has the length of the body it does not carry.
        if request?.method != .HEAD, !response.body.isEmpty {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil)
        }
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
    }

    /// The request target's path: without its query or fragment.
    private static func path(_ target: String) -> String {
        String(target.prefix { $0 != "?" && $0 != "#" })
    }

    private func socketAddress() throws(EndpointError) -> SocketAddress {
        do {
            return try SocketAddress(ipAddress: host == "localhost" ? "127.0.0.1" : host, port: Int(port))
        } catch {
            throw .invalidHost(host)
        }
    }

    /// An `errno` as `strerror` words it, anything else as it describes itself.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
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
        case 413: "Content Too Large"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }

    private static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        switch address {
        case .v4: return "\(ip):\(port)"
        case .v6: return "[\(ip)]:\(port)"
        default: return nil
        }
    }
}
