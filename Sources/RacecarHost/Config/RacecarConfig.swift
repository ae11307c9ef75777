import Logging

/// The effective, validated configuration for one consumer run.
///
/// Built by ``ConfigLoader`` from built-in defaults, the plugin's defaults, racecar.yml,
/// `RACECAR_*` variables and flags, in that order of precedence. ``ConfigKey/all`` is the
/// table of keys, their defaults and their librdkafka properties.
public struct RacecarConfig: Sendable {
    // Basics
    public var brokers: [String] = ["localhost:9092"]
    public var clientID = "racecar"
    public var groupID: String?
    public var groupIDPrefix: String?
    public var subscribesTo: [String] = []
    public var startFromBeginning = true
    public var fetchMessages = 1000
    /// Consumer instances processing partitions in parallel inside this process.
    public var concurrency = 1

    // Offsets
    public var offsetCommitInterval: Double = 10
    public var offsetCommitOnIdle = false
    public var synchronousCommits = false

    // Timeouts and intervals
    public var sessionTimeout: Double = 30
    public var heartbeatInterval: Double = 10
    public var maxPollInterval: Double = 300
    public var pauseTimeout: Double = 10
    public var pauseWithExponentialBackoff = false
    public var maxPauseTimeout: Double?
    public var socketTimeout: Double = 30
    public var maxWaitTime: Double = 1
    public var messageTimeout: Double = 300
    public var statisticsInterval: Double = 1
    /// How long a graceful stop waits for the in-flight message or batch before exiting anyway.
    public var shutdownTimeout: Double = 20

    // Failure handling beyond Racecar
    /// Where a message goes after `maxRetries` failed retries; `nil` retries forever.
    public var deadLetterTopic: String?
    public var maxRetries: Int?

    // Memory and network
    public var maxBytes = 10_485_760
    public var maxBytesPerPartition = 1_048_576
    public var minMessageQueueSize = 1_000_000
    public var fetchMinBytes = 1
    public var partitionAssignmentStrategy: [String] = ["range", "roundrobin"]

    // Producing
    public var partitioner = "consistent_random"
    public var producerCompressionCodec: String?

    // Security
    public var securityProtocol: String?
    public var sslCALocation: String?
    public var sslCRLLocation: String?
    public var sslKeystoreLocation: String?
    public var sslKeystorePassword: String?
    public var sslCertificateLocation: String?
    public var sslKeyLocation: String?
    public var sslKeyPassword: String?
    public var sslVerifyHostname = true
    public var saslMechanism: String?
    public var saslKerberosPrincipal: String?
    public var saslKerberosKinitCmd: String?
    public var saslKerberosKeytab: String?
    public var saslKerberosMinTimeBeforeRelogin: Int?
    public var saslUsername: String?
    public var saslPassword: String?
    /// Configure brokers and SSL from Heroku Kafka's KAFKA_* variables.
    public var heroku = false

    // Raw librdkafka properties, `name=value`, applied over everything above.
    /// The plugin's per-subscription properties; the operator's `consumer` properties win.
    public var pluginConsumerProperties: [String] = []
    public var consumerProperties: [String] = []
    public var producerProperties: [String] = []

    // Logging and operations
    public var logLevel: Logger.Level = .info
    public var logfile: String?
    public var pidfile: String?
    public var daemonize = false
    public var datadogEnabled = false
    public var datadogHost = "localhost"
    public var datadogPort = 8125
    public var datadogNamespace = "racecar"
    public var datadogTags: [String] = []
    public var livenessProbeEnabled = false
    public var livenessProbeFilePath = "/tmp/racecar-liveness"
    public var livenessProbeMaxInterval: Double = 5

    public init() {}

    /// Where each key's value came from, by key name.
    public var sources: [String: ConfigSource] = [:]
}
