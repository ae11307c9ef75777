import Foundation
import RacecarEndpoint
import RacecarInstrumentation
import Testing

/// A running host's HTTP endpoint, as the tests reach it.
struct Endpoint {
    let url: String

    /// The endpoint of `host` (or its supervisor), once it logged the address it listens on.
    init(of host: HostProcess) async throws {
        try await host.waitForStderr("the HTTP endpoint to listen") {
            $0.contains("HTTP endpoint listening on http://")
        }
        let log = host.stderr
        let start = try #require(log.range(of: "HTTP endpoint listening on ")).upperBound
        url = String(log[start...].prefix { !$0.isWhitespace })
    }

    func send(_ method: String, _ path: String, token: String? = nil, body: String = "") async throws
        -> (status: Int, body: String)
    {
        // A test process busy with many suites can miss the client's connect timeout: try again.
        var attempt = 1
        while true {
            do {
                let response = try await EndpointClient.send(method, path, to: url, token: token, body: Data(body.utf8))
                return (response.status, String(decoding: response.body, as: UTF8.self))
            } catch  where attempt < 4 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func get(_ path: String) async throws -> (status: Int, body: String) { try await send("GET", path) }

    /// The JSON object an answer holds.
    static func object(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
    }

    /// The host's `/status`.
    func status() async throws -> HostStatus {
        try StatusCoding.decode(HostStatus.self, from: Data(try await get("/status").body.utf8))
    }

    /// Asks `path` until `condition` holds for the answer, and returns it.
    @discardableResult
    func waitFor(
        _ what: String, _ path: String, timeout: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation, _ condition: (Int, String) -> Bool
    ) async throws -> (status: Int, body: String) {
        let deadline = ContinuousClock.now + timeout
        var last: (status: Int, body: String) = (0, "")
        while ContinuousClock.now < deadline {
            last = try await get(path)
            if condition(last.status, last.body) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record(
            "timed out waiting for \(what); \(path) answered \(last.status) \(last.body)",
            sourceLocation: sourceLocation)
        throw TimedOut()
    }

    /// Asks `/status` until `condition` holds for it, and returns it.
    @discardableResult
    func waitForStatus(
        _ what: String, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (HostStatus) -> Bool
    ) async throws -> HostStatus {
        let answer = try await waitFor(what, "/status", timeout: timeout, sourceLocation: sourceLocation) { _, body in
            (try? StatusCoding.decode(HostStatus.self, from: Data(body.utf8))).map(condition) ?? false
        }
        return try StatusCoding.decode(HostStatus.self, from: Data(answer.body.utf8))
    }
}

extension HostStatus {
    func partition(_ topic: String, _ partition: Int32) -> PartitionStatus? {
        partitions.first { $0.topic == topic && $0.partition == partition }
    }
}

/// The samples of one metric in a Prometheus text document, with their labels.
func prometheusSamples(_ name: String, in text: String) -> [(labels: String, value: Double)] {
    text.split(separator: "\n").compactMap { line in
        guard !line.hasPrefix("#"), line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return nil }
        let parts = line.split(separator: " ")
        guard let value = parts.last.flatMap({ Double($0) }) else { return nil }
        return (String(parts.dropLast().joined(separator: " ").dropFirst(name.count)), value)
    }
}
