import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one request to a running host's endpoint: what `racecarctl status --url` uses.
package enum EndpointClient {
    /// A response: the status code and the body.
    package struct Response: Sendable {
        package var status: Int
        package var body: Data
    }

    /// One event loop thread for every request of this process, started by the first.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// How long the response may take once connected: a supervised reload answers only after
    /// every worker swapped.
    private static let responseTimeout: TimeAmount = .seconds(60)

    /// Sends `method` `path` to the endpoint at `url` (`http://127.0.0.1:8080`), on a connection
    /// of its own, and reads the whole response.
    ///
    /// - Throws: ``EndpointError/malformedRequest(_:)`` for a URL that is not
    ///   `http://<IP address>:<port>`; the connection's own error when it is not made within
    ///   5 s or fails, `ChannelError.eof` when it ends before the response does, which it does
    ///   60 s after connecting.
    package static func send(
        _ method: String, _ path: String, to url: String, token: String? = nil, body: Data = Data()
    ) async throws -> Response {
        let address = try socketAddress(url)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostPart(url))
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        if !body.isEmpty || method == "POST" { headers.add(name: "Content-Length", value: String(body.count)) }
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path, headers: headers)

        let connection = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let channel = connection.channel
        let deadline = channel.eventLoop.scheduleTask(in: Self.responseTimeout) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        return try await connection.executeThenClose { inbound, outbound in
            var request: [HTTPClientRequestPart] = [.head(head)]
            if !body.isEmpty { request.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            request.append(.end(nil))
            try await outbound.write(contentsOf: request)

            var status: Int?
            var received = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let head):
                    status = Int(head.status.code)
                case .body(var chunk):
                    received.writeBuffer(&chunk)
                case .end:
                    guard let status else { throw ChannelError.eof }
                    return Response(status: status, body: Data(received.readableBytesView))
                }
            }
            throw ChannelError.eof
        }
    }

    private static func hostPart(_ url: String) -> String {
        String(url.dropFirst("http://".count).prefix { $0 != "/" })
    }

    private static func socketAddress(_ url: String) throws(EndpointError) -> SocketAddress {
        let malformed = EndpointError.malformedRequest(
            "\(url) is not the endpoint's address: expected http://<IP address>:<port>, e.g. http://127.0.0.1:8080")
        guard url.hasPrefix("http://") else { throw malformed }
        let authority = hostPart(url)
        guard let colon = authority.lastIndex(of: ":"), let port = UInt16(authority[authority.index(after: colon)...])
        else { throw malformed }
        var host = String(authority[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        do {
            return try SocketAddress(ipAddress: host, port: Int(port))
        } catch {
            throw malformed
        }
    }
}
