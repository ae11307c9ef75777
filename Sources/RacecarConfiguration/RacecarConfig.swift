import Foundation
import Logging

/// The effective, validated configuration for one consumer run.
///
/// Built by ``ConfigLoader`` from built-in defaults, the plugin's defaults, racecar.yml,
/// `RACECAR_*` variables and flags, in that order of precedence. ``ConfigKey/all`` is the
/// table of keys, their defaults and their librdkafka properties.
package struct RacecarConfig: Sendable {
    // Basics
    package var brokers: [String] = ["localhost:9092"]
    package var clientID = "racecar"
    package var groupID: String?
    package var groupIDPrefix: String?
    /// Kafka's `group.instance.id` (static membership); a supervised worker's is derived from
    /// it per slot (``WorkerIdentity/groupInstanceID(from:)``).
    package var groupInstanceID: String?
    package var subscribesTo: [String] = []
    package var startFromBeginning = true
    package var fetchMessages = 1000
    /// Consumer instances processing partitions in parallel inside this process.
    package var concurrency = 1
    /// Worker processes a supervisor runs, each a member of the group; `nil` runs the consumer
    /// in this process.
    package var parallelWorkers: Int?
    /// Folders searched for the library that offers the consumer when no `--plugin` names one.
    package var pluginPath: [String] = []

    // Offsets
    package var offsetCommitInterval: Duration = .seconds(10)
    package var offsetCommitOnIdle = false
    package var synchronousCommits = false

    // Timeouts and intervals
    package var sessionTimeout: Duration = .seconds(30)
    package var heartbeatInterval: Duration = .seconds(10)
    package var maxPollInterval: Duration = .seconds(300)
    /// 0 makes a failure fatal; a negative value pauses the partition until restart.
    package var pauseTimeout: Duration = .seconds(10)
    package var pauseWithExponentialBackoff = false
    package var maxPauseTimeout: Duration?
    package var socketTimeout: Duration = .seconds(30)
    package var maxWaitTime: Duration = .seconds(1)
    package var messageTimeout: Duration = .seconds(300)
    package var statisticsInterval: Duration = .seconds(1)
    /// How long a graceful stop waits for the in-flight message or batch before exiting anyway.
    package var shutdownTimeout: Duration = .seconds(20)

    // Failure handling beyond Racecar
    /// Where a message goes after `maxRetries` failed retries; `nil` retries forever.
    package var deadLetterTopic: String?
    package var maxRetries: Int?
    /// Crashes of a worker at the same position, in a row, after which that message is no
    /// longer handed to the plugin.
    package var maxCrashes = 3

    // Memory and network
    package var maxBytes = 10_485_760
    package var maxBytesPerPartition = 1_048_576
    package var minMessageQueueSize = 1_000_000
    package var fetchMinBytes = 1
    package var partitionAssignmentStrategy: [String] = ["range", "roundrobin"]

    // Producing
    package var partitioner = "consistent_random"
    package var producerCompressionCodec: String?

    // Security
    package var securityProtocol: String?
    package var sslCALocation: String?
    package var sslCRLLocation: String?
    package var sslKeystoreLocation: String?
    package var sslKeystorePassword: String?
    package var sslCertificateLocation: String?
    package var sslKeyLocation: String?
    package var sslKeyPassword: String?
    package var sslVerifyHostname = true
    package var saslMechanism: String?
    package var saslKerberosPrincipal: String?
    package var saslKerberosKinitCmd: String?
    package var saslKerberosKeytab: String?
    package var saslKerberosMinTimeBeforeRelogin: Int?
    package var saslUsername: String?
    package var saslPassword: String?
    /// Configure brokers and SSL from Heroku Kafka's KAFKA_* variables.
    package var heroku = false

    // Raw librdkafka properties, `name=value`, applied over everything above.
    /// The plugin's per-subscription properties; the operator's `consumer` properties win.
    package var pluginConsumerProperties: [String] = []
    package var consumerProperties: [String] = []
    package var producerProperties: [String] = []

    // The consumer's own settings, which only its plugin reads.
    package var settings = ConsumerSettings()
    /// What the plugin declared about them (required, secret).
    package var declaredSettings: [DeclaredSetting] = []

    // Logging and operations
    package var logLevel: Logger.Level = .info
    /// `text` or `json`.
    package var logFormat = "text"
    package var logfile: String?
    package var pidfile: String?
    package var daemonize = false
    package var datadogEnabled = false
    package var datadogHost = "localhost"
    package var datadogPort = 8125
    /// The agent's Unix datagram socket, used instead of `datadogHost` and `datadogPort` when set.
    package var datadogSocketPath: String?
    package var datadogNamespace = "racecar"
    package var datadogTags: [String] = []
    package var livenessProbeEnabled = false
    package var livenessProbeFilePath = "/tmp/racecar-liveness"
    package var livenessProbeMaxInterval: Duration = .seconds(5)
    /// How long one call into the plugin may run before `/health/live` fails.
    package var livenessProbeMaxCallDuration: Duration = .seconds(300)
    /// How long the host may go without an assignment, once it first had one, before
    /// `/health/ready` fails.
    package var readinessProbeMaxJoinDuration: Duration = .seconds(60)
    /// The HTTP endpoint's port (0: any free port); `nil` turns the endpoint off.
    package var httpPort: Int?
    package var httpHost = "127.0.0.1"
    /// The bearer token the endpoint's control requests need; `nil` turns control off.
    package var httpControlToken: String?

    package init() {}

    /// Where each key's value came from.
    package var sources = ConfigProvenance()
    /// The section of racecar.yml that applied (whether or not the file has one).
    package var environmentName = "development"
    /// The racecar.yml read, if one was.
    package var configFile: String?
    /// The supervised worker this process is; `nil` outside a supervisor.
    package var worker: WorkerIdentity?
}

extension RacecarConfig {
    /// Splits a raw `name=value` librdkafka property.
    package static func splitProperty(_ entry: String) -> (name: String, value: String)? {
        guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else { return nil }
        return (
            String(entry[..<equals]).trimmingCharacters(in: .whitespaces), String(entry[entry.index(after: equals)...])
        )
    }
}
