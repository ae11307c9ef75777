import Foundation

/// The endpoint's routes: probes, metrics and status for anyone who reaches the address, and
/// control for requests that carry the bearer token.
///
/// - `GET /health/live`, `GET /health/ready`: 200 or 503, `{"status": "ok"|"failing", "reason": ...}`
/// - `GET /metrics`: Prometheus text format
/// - `GET /status`: JSON
/// - `POST /control/pause`, `POST /control/resume`: `{"topic": ..., "partition": N}`, 202
/// - `POST /control/reload`: the composition's reload, or 501 while there is none
package struct EndpointRoutes: Sendable {
    /// Reloads the plugin; returns what the response says, or throws why it could not.
    package typealias Reload = @Sendable () async throws -> String

    private let source: any EndpointSource
    private let token: String?
    private let reload: Reload?

    /// - Parameters:
    ///   - token: `http_control_token`; `nil` turns every control route off.
    ///   - reload: What `POST /control/reload` runs; `nil` answers 501.
    package init(source: any EndpointSource, token: String?, reload: Reload? = nil) {
        self.source = source
        self.token = token
        self.reload = reload
    }

    package func respond(to request: EndpointRequest) async -> EndpointResponse {
        switch (request.method, request.path) {
        case ("GET", "/health/live"), ("HEAD", "/health/live"):
            return probe(source.liveness())
        case ("GET", "/health/ready"), ("HEAD", "/health/ready"):
            return probe(source.readiness())
        case ("GET", "/metrics"):
            return EndpointResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: Data(source.metricsText().utf8))
        case ("GET", "/status"):
            return EndpointResponse(status: 200, contentType: "application/json", body: source.statusJSON())
        case ("POST", "/control/pause"), ("POST", "/control/resume"), ("POST", "/control/reload"):
            if let refusal = authorizationRefusal(request.authorization) { return refusal }
            return await control(request)
        case (_, "/health/live"), (_, "/health/ready"), (_, "/metrics"), (_, "/status"):
            return .error(405, "\(request.path) answers GET only")
        case (_, "/control/pause"), (_, "/control/resume"), (_, "/control/reload"):
            return .error(405, "\(request.path) answers POST only")
        default:
            return .error(
                404,
                "no route \(request.path): the endpoint serves /health/live, /health/ready, /metrics, /status and "
                    + "POST /control/pause, /control/resume, /control/reload")
        }
    }

    private func probe(_ verdict: HealthVerdict) -> EndpointResponse {
        switch verdict {
        case .healthy(let note):
            var body: [String: Any] = ["status": "ok"]
            if let note { body["note"] = note }
            return .json(200, body)
        case .failing(let reason):
            return .json(503, ["status": "failing", "reason": reason])
        }
    }

    /// Why a control request is refused: control off, no token, or another token.
    private func authorizationRefusal(_ header: String?) -> EndpointResponse? {
        guard let token else {
            return .error(403, "control requests are off: set http_control_token to turn them on")
        }
        guard let header, header.hasPrefix("Bearer ") else {
            var response = EndpointResponse.error(
                401, "control requests need the header Authorization: Bearer <http_control_token>")
            response.challenge = "Bearer"
            return response
        }
        guard constantTimeEqual(Array(header.dropFirst("Bearer ".count).utf8), Array(token.utf8)) else {
            return .error(403, "the bearer token is not http_control_token")
        }
        return nil
    }

    private func control(_ request: EndpointRequest) async -> EndpointResponse {
        if request.path == "/control/reload" {
            guard let reload else { return .error(501, "reload is not available in this host") }
            do {
                return .json(202, ["action": "reload", "result": try await reload()])
            } catch {
                return .error(409, "reload failed: \(error)")
            }
        }
        let action: ControlRequest.Action = request.path == "/control/pause" ? .pause : .resume
        let parsed: ControlRequest
        do {
            parsed = try ControlRequest(action: action, body: request.body)
        } catch {
            return .error(400, "\(error)")
        }
        let result = source.control(parsed)
        return .json(
            202,
            [
                "action": action.rawValue, "topic": parsed.partition.topic,
                "partition": Int(parsed.partition.partition), "result": result,
            ])
    }
}

/// Compares without returning early, so the time taken does not tell how much of a guess matched.
private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    for index in 0..<max(a.count, b.count) {
        difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
}
