import Foundation
import Testing

@testable import RacecarConfiguration
@testable import RacecarKafka
@testable import RacecarPluginHosting
@testable import RacecarRuntime

/// Every key, from every source: a value set in racecar.yml, a `RACECAR_*` variable or a
/// flag shows up in the effective configuration with that source.
@Suite struct ConfigKeyTests {
    /// A valid non-default value for each key, and how the effective configuration shows it.
    static let samples: [String: (input: String, shown: String)] = [
        "brokers": ("k1:9092,k2:9092", "k1:9092,k2:9092"),
        "client_id": ("my-client", "my-client"),
        "group_id": ("explicit-group", "explicit-group"),
        "group_id_prefix": ("prod.", "prod."),
        "group_instance_id": ("billing-a", "billing-a"),
        "subscribes_to": ("audit,orders", "audit,orders"),
        "start_from_beginning": ("false", "false"),
        "fetch_messages": ("250", "250"),
        "concurrency": ("4", "4"),
        "parallel_workers": ("3", "3"),
        "offset_commit_interval": ("2.5", "2.5"),
        "offset_commit_on_idle": ("true", "true"),
        "synchronous_commits": ("true", "true"),
        "session_timeout": ("45", "45"),
        "heartbeat_interval": ("3", "3"),
        "max_poll_interval": ("600", "600"),
        "pause_timeout": ("-1", "-1"),
        "pause_with_exponential_backoff": ("true", "true"),
        "max_pause_timeout": ("120", "120"),
        "socket_timeout": ("20", "20"),
        "max_wait_time": ("0.5", "0.5"),
        "message_timeout": ("60", "60"),
        "statistics_interval": ("5", "5"),
        "shutdown_timeout": ("12", "12"),
        "dead_letter_topic": ("events-dlq", "events-dlq"),
        "max_retries": ("3", "3"),
        "max_crashes": ("5", "5"),
        "max_bytes": ("2000000", "2000000"),
        "max_bytes_per_partition": ("500000", "500000"),
        "min_message_queue_size": ("5000", "5000"),
        "fetch_min_bytes": ("10", "10"),
        "partition_assignment_strategy": ("cooperative-sticky", "cooperative-sticky"),
        "partitioner": ("murmur2_random", "murmur2_random"),
        "producer_compression_codec": ("zstd", "zstd"),
        "security_protocol": ("sasl_ssl", "sasl_ssl"),
        "ssl_ca_location": ("/etc/ca.pem", "/etc/ca.pem"),
        "ssl_crl_location": ("/etc/crl.pem", "/etc/crl.pem"),
        "ssl_keystore_location": ("/etc/keystore.p12", "/etc/keystore.p12"),
        "ssl_keystore_password": ("keystore-secret", "[redacted]"),
        "ssl_certificate_location": ("/etc/cert.pem", "/etc/cert.pem"),
        "ssl_key_location": ("/etc/key.pem", "/etc/key.pem"),
        "ssl_key_password": ("key-secret", "[redacted]"),
        "ssl_verify_hostname": ("false", "false"),
        "sasl_mechanism": ("SCRAM-SHA-512", "SCRAM-SHA-512"),
        "sasl_kerberos_principal": ("kafkaclient", "kafkaclient"),
        "sasl_kerberos_kinit_cmd": ("kinit -k", "kinit -k"),
        "sasl_kerberos_keytab": ("/etc/krb5.keytab", "/etc/krb5.keytab"),
        "sasl_kerberos_min_time_before_relogin": ("60000", "60000"),
        "sasl_username": ("alice", "alice"),
        "sasl_password": ("sasl-secret", "[redacted]"),
        "heroku": ("false", "false"),
        "consumer": ("fetch.error.backoff.ms=100", "fetch.error.backoff.ms=100"),
        "producer": ("linger.ms=20", "linger.ms=20"),
        "plugin_path": ("/opt/consumers:/srv/plugins", "/opt/consumers:/srv/plugins"),
        "log_level": ("debug", "debug"),
        "log_format": ("json", "json"),
        "logfile": ("/var/log/racecar.log", "/var/log/racecar.log"),
        "pidfile": ("/run/racecar.pid", "/run/racecar.pid"),
        "daemonize": ("true", "true"),
        "datadog_enabled": ("true", "true"),
        "datadog_host": ("dd-agent", "dd-agent"),
        "datadog_port": ("8126", "8126"),
        "datadog_socket_path": ("/var/run/datadog/dsd.socket", "/var/run/datadog/dsd.socket"),
        "datadog_namespace": ("consumers", "consumers"),
        "datadog_tags": ("env:prod,team:a", "env:prod,team:a"),
        "liveness_probe_enabled": ("true", "true"),
        "liveness_probe_file_path": ("/tmp/alive", "/tmp/alive"),
        "liveness_probe_max_interval": ("9", "9"),
        "liveness_probe_max_call_duration": ("120", "120"),
        "readiness_probe_max_join_duration": ("45.5", "45.5"),
        "http_port": ("9394", "9394"),
        "http_host": ("10.1.2.3", "10.1.2.3"),
        "http_control_token": ("control-secret", "[redacted]"),
    ]

    static let keyNames = ConfigKey.all.map(\.name)
    let echo = ConsumerDefaults.forTesting(name: "EchoConsumer", topics: ["events"])

    /// Settings other keys' samples need to pass the cross-key rules.
    func companions(of key: String) -> [String: String] {
        switch key {
        case "max_pause_timeout": ["pause_with_exponential_backoff": "true"]
        case "dead_letter_topic": ["max_retries": "3"]
        case "max_retries": ["dead_letter_topic": "events-dlq"]
        default: [:]
        }
    }

    func shown(_ key: String, in config: RacecarConfig) -> String {
        config.displayValue(of: ConfigKey.byName[key]!)
    }

    @Test func everyKeyHasASample() {
        #expect(Set(Self.samples.keys) == Set(Self.keyNames))
    }

    @Test(arguments: keyNames)
    func defaultComesFromTheBuiltInsOrThePlugin(key: String) throws {
        let (config, _) = try ConfigLoader(configPath: emptyConfigFile, environmentName: nil, environment: [:]).load(
            for: echo)
        #expect(
            config.sources[ConfigKey.byName[key]!]
                == (key == "subscribes_to" || key == "start_from_beginning" ? .plugin : .builtInDefault)
        )
    }

    @Test(arguments: keyNames)
    func keyIsReadFromTheFile(key: String) throws {
        let sample = try #require(Self.samples[key])
        var yaml = "development:\n  \(key): \"\(sample.input)\"\n"
        for (other, value) in companions(of: key) { yaml += "  \(other): \(value)\n" }
        let path = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        let (config, _) = try ConfigLoader(configPath: path, environmentName: nil, environment: [:]).load(for: echo)
        #expect(config.sources[ConfigKey.byName[key]!] == .file(path: path, line: 2))
        #expect(shown(key, in: config) == sample.shown)
    }

    @Test(arguments: keyNames)
    func keyIsReadFromItsEnvironmentVariable(key: String) throws {
        let sample = try #require(Self.samples[key])
        var environment = ["RACECAR_" + key.uppercased(): sample.input]
        for (other, value) in companions(of: key) { environment["RACECAR_" + other.uppercased()] = value }
        let (config, warnings) = try ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil, environment: environment
        ).load(for: echo)
        #expect(warnings.isEmpty)
        #expect(config.sources[ConfigKey.byName[key]!] == .environment(variable: "RACECAR_" + key.uppercased()))
        #expect(shown(key, in: config) == sample.shown)
    }

    @Test(arguments: keyNames)
    func keyIsReadFromItsFlag(key: String) throws {
        let sample = try #require(Self.samples[key])
        let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
        var arguments = ["EchoConsumer", "\(flag)=\(sample.input)"]
        for (other, value) in companions(of: key) {
            arguments.append("--\(other.replacingOccurrences(of: "_", with: "-"))=\(value)")
        }
        let flags = try ConfigFlags(parsing: arguments)
        #expect(flags.consumer == "EchoConsumer")
        let (config, _) = try ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil, environment: [:], flags: flags.settings
        ).load(for: echo)
        #expect(config.sources[ConfigKey.byName[key]!] == .flag(flag))
        #expect(shown(key, in: config) == sample.shown)
    }

    @Test func precedenceIsDefaultsPluginCommonEnvironmentConsumerSectionVariablesFlags() throws {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("racecar.yml").path
        let yaml = """
            common:
              fetch_messages: 2
              client_id: from-common
              group_id: from-common
              EchoConsumer:
                fetch_messages: 4
            production:
              fetch_messages: 3
              client_id: from-production
              EchoConsumer:
                fetch_messages: 5
            """
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        var plugin = echo
        plugin.groupID = "from-plugin"
        plugin.fetchMessages = 1
        func load(_ environment: [String: String] = [:], _ flags: [(key: String, value: String)] = []) throws
            -> RacecarConfig
        {
            try ConfigLoader(configPath: path, environmentName: "production", environment: environment, flags: flags)
                .load(for: plugin).config
        }
        #expect(try load().groupID == "from-common", "file beats plugin")
        #expect(try load().clientID == "from-production", "environment section beats common")
        #expect(try load().fetchMessages == 5, "consumer section beats both")
        #expect(try load(["RACECAR_FETCH_MESSAGES": "6"]).fetchMessages == 6, "variables beat the file")
        #expect(
            try load(["RACECAR_FETCH_MESSAGES": "6"], [("fetch_messages", "7")]).fetchMessages == 7,
            "flags beat everything")
        let noFile = try ConfigLoader(configPath: emptyConfigFile, environmentName: nil, environment: [:]).load(
            for: plugin
        ).config
        #expect(noFile.fetchMessages == 1, "plugin beats built-in default")
    }
}

@Suite struct ConfigFlagsTests {
    @Test func booleansTakeNoValueAndHaveANoForm() throws {
        let flags = try ConfigFlags(parsing: [
            "--pause-with-exponential-backoff", "EchoConsumer", "--no-start-from-beginning", "--fetch-messages", "5",
        ])
        #expect(flags.consumer == "EchoConsumer")
        #expect(
            flags.settings.map { "\($0.key)=\($0.value)" } == [
                "pause_with_exponential_backoff=true", "start_from_beginning=false", "fetch_messages=5",
            ])
    }

    @Test func unknownFlagSuggestsTheClosestKey() {
        #expect(
            throws: ConfigError.unknownKey(
                key: "--fetch-mesages", source: .flag("--fetch-mesages"), suggestion: "--fetch-messages")
        ) {
            try ConfigFlags(parsing: ["EchoConsumer", "--fetch-mesages", "5"])
        }
    }

    @Test func flagWithoutItsValueIsAnError() {
        #expect(throws: ConfigError.self) { try ConfigFlags(parsing: ["EchoConsumer", "--fetch-messages"]) }
    }
}

@Suite struct ConfigValidationTests {
    let echo = ConsumerDefaults.forTesting(name: "EchoConsumer", topics: ["events"])

    func load(_ environment: [String: String]) throws(ConfigError) -> RacecarConfig {
        try ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil, environment: environment,
            clientPropertyCheck: RacecarConfig.validateClientProperties
        ).load(for: echo).config
    }

    func message(_ environment: [String: String]) -> String {
        do {
            _ = try load(environment)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func negativeTimeoutIsRejected() {
        #expect(
            message(["RACECAR_SESSION_TIMEOUT": "-5"])
                == "env RACECAR_SESSION_TIMEOUT: invalid value `-5` for `session_timeout`: expected a number of seconds greater than 0"
        )
    }

    @Test func unknownLogFormatIsRejectedWithTheChoices() {
        #expect(
            message(["RACECAR_LOG_FORMAT": "yaml"])
                == "env RACECAR_LOG_FORMAT: invalid value `yaml` for `log_format`: expected one of text, json")
    }

    @Test func datadogSocketPathTooLongForASocketAddressIsRejected() {
        let path = "/var/run/" + String(repeating: "d", count: 99)
        #expect(
            message(["RACECAR_DATADOG_SOCKET_PATH": path])
                == "env RACECAR_DATADOG_SOCKET_PATH: invalid value `\(path)` for `datadog_socket_path`: expected a path of at most 107 bytes to the agent's socket"
        )
        #expect(message(["RACECAR_DATADOG_SOCKET_PATH": String(path.dropLast())]) == "no error")
    }

    @Test func unknownPartitionerIsRejectedWithTheChoices() {
        #expect(
            message(["RACECAR_PARTITIONER": "sticky"]).contains(
                "expected one of random, consistent, consistent_random, murmur2"))
    }

    @Test func maxPauseTimeoutNeedsExponentialBackoff() {
        #expect(
            message(["RACECAR_MAX_PAUSE_TIMEOUT": "60"]).contains(
                "only applies with `pause_with_exponential_backoff: true`"))
    }

    @Test func emptyBrokersAreRejected() {
        #expect(message(["RACECAR_BROKERS": " , "]).contains("invalid value ` , ` for `brokers`"))
    }

    @Test func propertyLibrdkafkaRejectsCarriesLibrdkafkasMessageAndTheKey() {
        let text = message(["RACECAR_CONSUMER": "fetch.wait.max.ms=soon"])
        #expect(text.contains("librdkafka rejected property fetch.wait.max.ms=soon"))
        #expect(text.contains("Invalid value"))
        #expect(text.contains("set by `consumer` from env RACECAR_CONSUMER"))
    }

    @Test func secretsAreRedactedInErrors() {
        let text = message(["RACECAR_CONSUMER": "my.secret.token=hunter2"])
        #expect(text.contains("my.secret.token=[redacted]"))
        #expect(!text.contains("hunter2"))
    }

    @Test func rawPropertyWithoutEqualsIsRejected() {
        #expect(message(["RACECAR_PRODUCER": "linger.ms"]).contains("expected librdkafka properties as name=value"))
    }

    @Test func mappedKeysReachLibrdkafka() throws {
        let config = try load([
            "RACECAR_MAX_BYTES_PER_PARTITION": "12345",
            "RACECAR_SSL_VERIFY_HOSTNAME": "false",
            "RACECAR_PRODUCER_COMPRESSION_CODEC": "zstd",
            "RACECAR_PARTITION_ASSIGNMENT_STRATEGY": "cooperative-sticky",
            "RACECAR_CONSUMER": "fetch.error.backoff.ms=77",
        ])
        let consumer = config.consumerConfiguration(groupID: "g")
        #expect(consumer["max.partition.fetch.bytes"] == "12345")
        #expect(consumer["ssl.endpoint.identification.algorithm"] == "none")
        #expect(consumer["partition.assignment.strategy"] == "cooperative-sticky")
        #expect(consumer["fetch.error.backoff.ms"] == "77")
        #expect(consumer["message.max.bytes"] == nil)
        #expect(config.producerConfiguration()["compression.codec"] == "zstd")
    }
}

@Suite struct PluginPropertyTests {
    @Test func pluginPropertiesAreDefaultsThatOperatorPropertiesOverride() throws {
        let plugin = ConsumerDefaults(
            name: "EchoConsumer",
            subscriptions: [
                .init(
                    topic: "a", startFromBeginning: true,
                    kafkaProperties: ["fetch.min.bytes=1000", "fetch.error.backoff.ms=100"])
            ])
        let loader = ConfigLoader(
            configPath: emptyConfigFile, environmentName: nil, environment: ["RACECAR_CONSUMER": "fetch.min.bytes=5"])
        let configuration = try loader.load(for: plugin).config.consumerConfiguration(groupID: "g")
        #expect(configuration["fetch.min.bytes"] == "5")
        #expect(configuration["fetch.error.backoff.ms"] == "100")
    }

    @Test func subscriptionsThatDisagreeAreAnError() {
        let plugin = ConsumerDefaults(
            name: "EchoConsumer",
            subscriptions: [
                .init(topic: "a", startFromBeginning: true, kafkaProperties: ["fetch.min.bytes=1000"]),
                .init(topic: "b", startFromBeginning: true, kafkaProperties: ["fetch.min.bytes=1"]),
            ])
        #expect(throws: ConfigError.self) {
            try ConfigLoader(configPath: emptyConfigFile, environmentName: nil, environment: [:]).load(for: plugin)
        }
    }
}

@Suite struct HerokuTests {
    let echo = ConsumerDefaults.forTesting(name: "EchoConsumer", topics: ["events"])

    @Test func herokuVariablesBecomeBrokersAndPrivateCertificateFiles() throws {
        let environment = [
            "RACECAR_HEROKU": "true",
            "KAFKA_URL": "kafka+ssl://b1.example:9096,kafka+ssl://b2.example:9096",
            "KAFKA_TRUSTED_CERT": "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n",
            "KAFKA_CLIENT_CERT": "-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n",
            "KAFKA_CLIENT_CERT_KEY": "-----BEGIN RSA PRIVATE KEY-----\nkey\n-----END RSA PRIVATE KEY-----\n",
        ]
        let (config, _) = try ConfigLoader(configPath: emptyConfigFile, environmentName: nil, environment: environment)
            .load(for: echo)
        #expect(config.brokers == ["b1.example:9096", "b2.example:9096"])
        #expect(config.securityProtocol == "ssl")
        #expect(config.sslVerifyHostname == false)
        let keyPath = try #require(config.sslKeyLocation)
        #expect(try String(contentsOfFile: keyPath, encoding: .utf8) == environment["KAFKA_CLIENT_CERT_KEY"])
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(config.sources[.brokers] == .environment(variable: "KAFKA_URL"))
    }

    @Test func missingHerokuVariableIsAClearError() {
        #expect(throws: ConfigError.self) {
            try ConfigLoader(
                configPath: emptyConfigFile, environmentName: nil,
                environment: ["RACECAR_HEROKU": "true", "KAFKA_URL": "kafka+ssl://b:9096"]
            )
            .load(for: echo)
        }
    }
}

/// Randomly corrupted racecar.yml files end in a clear error or a valid configuration.
@Suite(.timeLimit(.minutes(2))) struct ConfigRobustnessTests {
    @Test func corruptedFilesNeverCrashOrHang() async throws {
        let valid = """
            common: &common
              brokers: ["${KAFKA:-localhost:9092}"]
              client_id: racecar
              fetch_messages: 100
              consumer:
                fetch.wait.max.ms: 100
            production:
              <<: *common
              group_id_prefix: prod.
              EchoConsumer:
                subscribes_to: [audit, "events"]
                pause_timeout: -1
            """
        let alphabet = Array(":-[]{}&*<>!|'\"#%@`,?\n \t\\$~0aZ".utf8)
        var generator = SeededGenerator(seed: 42)
        let directory = TestPaths.temporaryDirectory()
        let echo = ConsumerDefaults.forTesting(name: "EchoConsumer", topics: ["events"])
        var outcomes = [String: Int]()
        for iteration in 0..<1500 {
            // Lets the end-to-end tests' waits run on the shared test threads meanwhile.
            if iteration % 50 == 0 { await Task.yield() }
            var bytes = Array(valid.utf8)
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                }
            }
            let path = directory.appendingPathComponent("racecar-\(iteration).yml").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                _ = try ConfigLoader(configPath: path, environmentName: "production", environment: [:]).load(for: echo)
                outcomes["valid", default: 0] += 1
            } catch {
                #expect(!error.description.isEmpty)
                #expect(
                    error.description.contains(path) || error.description.contains("`"), "error names where: \(error)")
                outcomes["error", default: 0] += 1
            }
        }
        #expect(outcomes["error", default: 0] > 0)
        #expect(outcomes["valid", default: 0] > 0)
    }
}

/// A small deterministic generator, so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
