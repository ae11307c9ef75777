extension RacecarConfig {
    /// Whether `host` names this machine only: `localhost`, `::1` or an address in 127.0.0.0/8.
    package static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Whether the consumer reports metrics through swift-metrics: to DogStatsD, or to the HTTP
    /// endpoint's `/metrics`.
    package var metricsEnabled: Bool { datadogEnabled || httpPort != nil }
}
