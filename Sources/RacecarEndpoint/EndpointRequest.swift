import Foundation

/// An HTTP request as the endpoint's routes see it, apart from the server library.
package struct EndpointRequest: Sendable {
    package var method: String
    package var path: String
    /// The `Authorization` header, if any.
    package var authorization: String?
    package var body: Data

    package init(method: String, path: String, authorization: String?, body: Data = Data()) {
        self.method = method
        self.path = path
        self.authorization = authorization
        self.body = body
    }
}

/// An HTTP response of the endpoint.
package struct EndpointResponse: Sendable, Equatable {
    package var status: Int
    package var contentType: String
    package var body: Data
    /// Set on 401: `Bearer`.
    package var challenge: String?

    package init(status: Int, contentType: String, body: Data, challenge: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.challenge = challenge
    }

    /// A JSON document.
    package static func json(_ status: Int, _ object: [String: Any]) -> EndpointResponse {
        let body =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return EndpointResponse(status: status, contentType: "application/json", body: body)
    }

    /// An error as JSON: `{"error": "..."}`.
    package static func error(_ status: Int, _ message: String) -> EndpointResponse {
        json(status, ["error": message])
    }
}
