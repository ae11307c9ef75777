import Logging
import Metrics
import RacecarConfiguration
import RacecarInstrumentation

/// The DogStatsD backend that `datadog_enabled` asks for, for the process's swift-metrics
/// backend: to `datadog_socket_path` when set (as Racecar 2.11 does), else to UDP
/// `datadog_host`:`datadog_port`.
enum DogStatsDBackend {
    /// The backend; `nil` when `datadog_enabled` is off.
    ///
    /// - Throws: A configuration error naming `datadog_host` and where it was set, when the host
    ///   does not resolve.
    static func make(_ config: RacecarConfig, logger: Logger) throws(UserError) -> DogStatsDMetricsFactory? {
        guard config.datadogEnabled else { return nil }
        let destination: DogStatsDDestination =
            config.datadogSocketPath.map { .unixSocket(path: $0) }
            ?? .udp(host: config.datadogHost, port: config.datadogPort)
        do {
            let factory = try DogStatsDMetricsFactory(
                destination: destination, namespace: config.datadogNamespace, tags: config.datadogTags,
                logger: logger)
            return factory
        } catch {
            let invalid = ConfigError.invalidValue(
                key: "datadog_host", value: config.datadogHost, source: config.sources[.datadogHost],
                expected: "a resolvable host name for the Datadog agent (\(error))")
            throw .configuration("\(invalid)")
        }
    }
}

extension LogFormat {
    /// The format `log_format` names; the configuration accepts only these.
    init(_ config: RacecarConfig) {
        self = LogFormat(rawValue: config.logFormat) ?? .text
    }
}
