import Logging

/// The effective, validated configuration for one consumer run.
///
/// Built by ``ConfigLoader`` from built-in defaults, the plugin's defaults, racecar.yml,
/// `RACECAR_*` variables and flags, in that order of precedence.
public struct RacecarConfig: Sendable {
    public var brokers: [String] = ["localhost:9092"]
    public var clientID: String = "racecar"
    public var groupID: String?
    public var groupIDPrefix: String?
    public var subscribesTo: [String] = []
    public var startFromBeginning: Bool = true
    public var fetchMessages: Int = 1000
    public var offsetCommitInterval: Double = 10
    public var sessionTimeout: Double = 30
    public var heartbeatInterval: Double = 10
    public var maxPollInterval: Double = 300
    public var pauseTimeout: Double = 10
    public var pauseWithExponentialBackoff: Bool = false
    public var maxPauseTimeout: Double?
    public var socketTimeout: Double = 30
    public var maxWaitTime: Double = 1
    public var messageTimeout: Double = 300
    public var logLevel: Logger.Level = .info
    public var logfile: String?

    public init() {}

    /// Where each key's value came from, by key name.
    public var sources: [String: ConfigSource] = [:]
}
