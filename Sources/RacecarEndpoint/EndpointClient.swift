import FlyingFox
import FlyingSocks
import Foundation

/// Sends one request to a running host's endpoint: what `racecarctl status --url` uses.
package enum EndpointClient {
    /// A response: the status code and the body.
    package struct Response: Sendable {
        package var status: Int
        package var body: Data
    }

    /// Sends `method` `path` to the endpoint at `url` (`http://127.0.0.1:8080`).
    ///
    /// - Throws: ``EndpointError/malformedRequest(_:)`` for a URL that is not
    ///   `http://<IP address>:<port>`; the connection's own error when nothing answers.
    package static func send(
        _ method: String, _ path: String, to url: String, token: String? = nil, body: Data = Data()
    ) async throws -> Response {
        let address = try socketAddress(url)
        var headers: [HTTPHeader: String] = [.host: hostPart(url)]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if !body.isEmpty { headers[.contentType] = "application/json" }
        var client = HTTPClient()
        let response = try await client.sendHTTPRequest(
            HTTPRequest(
                method: HTTPMethod(method), version: .http11, path: path, query: [], headers: headers, body: body),
            to: address)
        return Response(status: response.statusCode.code, body: try await response.bodyData)
    }

    private static func hostPart(_ url: String) -> String {
        String(url.dropFirst("http://".count).prefix { $0 != "/" })
    }

    private static func socketAddress(_ url: String) throws(EndpointError) -> any SocketAddress {
        let malformed = EndpointError.malformedRequest(
            "\(url) is not the endpoint's address: expected http://<IP address>:<port>, e.g. http://127.0.0.1:8080")
        guard url.hasPrefix("http://") else { throw malformed }
        let authority = hostPart(url)
        guard let colon = authority.lastIndex(of: ":"), let port = UInt16(authority[authority.index(after: colon)...])
        else { throw malformed }
        var host = String(authority[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let address = try? sockaddr_in.inet(ip4: host, port: port) { return address }
        if let address = try? sockaddr_in6.inet6(ip6: host, port: port) { return address }
        throw malformed
    }
}
