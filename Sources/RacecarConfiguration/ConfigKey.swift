import Foundation
import Logging

/// One configuration key: its name, how to read it, and which librdkafka property it sets.
///
/// ``all`` is the single table of keys; the README's configuration reference mirrors it.
// Immutable after construction; the key paths and closures only read and write the config passed in.
package struct ConfigKey: @unchecked Sendable {
    /// Which librdkafka client a property belongs to.
    package enum Client {
        case consumer, producer, both
    }

    /// A librdkafka property set from this key; `value` returns `nil` to leave it unset.
    package struct KafkaProperty {
        package let client: Client
        package let name: String
        package let value: (RacecarConfig) -> String?
    }

    /// The name in racecar.yml; `RACECAR_<NAME>` and `--<name-with-dashes>` are derived.
    package let name: String
    /// What a valid value looks like, for error messages.
    package let expected: String
    /// Booleans are flags without a value (`--key`, `--no-key`).
    package let isBoolean: Bool
    /// Checks `value` and stores it in the configuration; returns `false` if it is invalid.
    let apply: (inout RacecarConfig, RawConfigValue) -> Bool
    /// Renders the effective value.
    package let render: (RacecarConfig) -> String
    /// Values of secret keys are shown as `[redacted]` everywhere.
    package private(set) var isSecret = false
    package private(set) var kafka: [KafkaProperty] = []
    /// What a changed value needs when a reload applies it; a key that sets a librdkafka
    /// property always needs a new client.
    package private(set) var reloadEffect: ReloadEffect = .inPlace

    package var environmentVariable: String { "RACECAR_" + name.uppercased() }
    package var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    /// The effective value for display: secrets that are set are redacted.
    package func displayValue(_ config: RacecarConfig) -> String {
        let value = render(config)
        return isSecret && value != "(none)" ? "[redacted]" : value
    }

    func secret() -> ConfigKey {
        var copy = self
        copy.isSecret = true
        return copy
    }

    func kafka(_ client: Client, _ property: String, _ value: @escaping (RacecarConfig) -> String?) -> ConfigKey {
        var copy = self
        copy.kafka.append(KafkaProperty(client: client, name: property, value: value))
        copy.reloadEffect = .newClient
        return copy
    }

    func onReload(_ effect: ReloadEffect) -> ConfigKey {
        var copy = self
        copy.reloadEffect = effect
        return copy
    }

    // MARK: Kinds of keys

    private static func make<Value>(
        _ name: String,
        _ path: WritableKeyPath<RacecarConfig, Value>,
        expected: String,
        isBoolean: Bool = false,
        parse: @escaping (RawConfigValue) -> Value?,
        render: @escaping (Value) -> String
    ) -> ConfigKey {
        ConfigKey(
            name: name, expected: expected, isBoolean: isBoolean,
            apply: { config, raw in
                guard let value = parse(raw) else { return false }
                config[keyPath: path] = value
                return true
            }, render: { render($0[keyPath: path]) })
    }

    private static func scalar(_ raw: RawConfigValue) -> String? {
        if case .scalar(let text) = raw { return text }
        return nil
    }

    private static func items(_ raw: RawConfigValue) -> [String] {
        switch raw {
        case .list(let list): return list
        case .scalar(let text): return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    static func string(_ name: String, _ path: WritableKeyPath<RacecarConfig, String>) -> ConfigKey {
        make(
            name, path, expected: "a non-empty string", parse: { scalar($0).flatMap { $0.isEmpty ? nil : $0 } },
            render: { $0 })
    }

    static func optionalString(_ name: String, _ path: WritableKeyPath<RacecarConfig, String?>) -> ConfigKey {
        make(
            name, path, expected: "a string", parse: { raw in scalar(raw).map { $0.isEmpty ? nil : $0 } },
            render: { $0 ?? "(none)" })
    }

    static func list(_ name: String, _ path: WritableKeyPath<RacecarConfig, [String]>, allowEmpty: Bool = false)
        -> ConfigKey
    {
        make(
            name, path, expected: "a list (YAML sequence, or comma-separated)",
            parse: { raw in
                let cleaned = items(raw).filter { !$0.isEmpty }
                return cleaned.isEmpty && !allowEmpty ? nil : cleaned
            }, render: { $0.isEmpty ? "(none)" : $0.joined(separator: ",") })
    }

    static func choices(_ name: String, _ path: WritableKeyPath<RacecarConfig, [String]>, from allowed: [String])
        -> ConfigKey
    {
        make(
            name, path, expected: "a list of \(allowed.joined(separator: ", "))",
            parse: { raw in
                let chosen = items(raw).filter { !$0.isEmpty }
                return !chosen.isEmpty && chosen.allSatisfy(allowed.contains) ? chosen : nil
            }, render: { $0.joined(separator: ",") })
    }

    static func choice(_ name: String, _ path: WritableKeyPath<RacecarConfig, String>, from allowed: [String])
        -> ConfigKey
    {
        make(
            name, path, expected: "one of \(allowed.joined(separator: ", "))",
            parse: { raw in
                scalar(raw).flatMap { allowed.contains($0) ? $0 : nil }
            }, render: { $0 })
    }

    static func optionalChoice(_ name: String, _ path: WritableKeyPath<RacecarConfig, String?>, from allowed: [String])
        -> ConfigKey
    {
        make(
            name, path, expected: "one of \(allowed.joined(separator: ", "))",
            parse: { raw in
                // Racecar accepts symbols (`:ssl`) as well as strings.
                scalar(raw).map { $0.hasPrefix(":") ? String($0.dropFirst()) : $0 }.flatMap {
                    allowed.contains($0) ? .some($0) : nil
                }
            }, render: { $0 ?? "(none)" })
    }

    static func integer(_ name: String, _ path: WritableKeyPath<RacecarConfig, Int>, minimum: Int, maximum: Int = .max)
        -> ConfigKey
    {
        make(
            name, path, expected: "a whole number from \(minimum)\(maximum == .max ? " up" : " to \(maximum)")",
            parse: { raw in
                scalar(raw).flatMap { Int($0) }.flatMap { $0 >= minimum && $0 <= maximum ? $0 : nil }
            }, render: { String($0) })
    }

    static func optionalInteger(
        _ name: String, _ path: WritableKeyPath<RacecarConfig, Int?>, minimum: Int, maximum: Int = .max
    ) -> ConfigKey {
        make(
            name, path,
            expected: maximum == .max
                ? "a whole number of at least \(minimum)" : "a whole number from \(minimum) to \(maximum)",
            parse: { raw in
                scalar(raw).flatMap { Int($0) }.flatMap { $0 >= minimum && $0 <= maximum ? .some($0) : nil }
            }, render: { $0.map(String.init) ?? "(none)" })
    }

    static func boolean(_ name: String, _ path: WritableKeyPath<RacecarConfig, Bool>) -> ConfigKey {
        make(
            name, path, expected: "true or false", isBoolean: true, parse: { scalar($0).flatMap(parseBoolean) },
            render: { String($0) })
    }

    /// A duration written in seconds, greater than 0 unless listed in `special`.
    static func seconds(
        _ name: String, _ path: WritableKeyPath<RacecarConfig, Duration>, allowing special: [Double] = []
    ) -> ConfigKey {
        let extra = special.isEmpty ? "" : " (or \(special.map(formatSeconds).joined(separator: " or ")))"
        return make(
            name, path, expected: "a number of seconds greater than 0\(extra)",
            parse: { raw in
                scalar(raw).flatMap { Double($0) }.flatMap {
                    $0.isFinite && ($0 > 0 || special.contains($0)) ? Duration.seconds($0) : nil
                }
            }, render: formatSeconds)
    }

    static func optionalSeconds(_ name: String, _ path: WritableKeyPath<RacecarConfig, Duration?>) -> ConfigKey {
        make(
            name, path, expected: "a number of seconds greater than 0",
            parse: { raw in
                scalar(raw).flatMap { Double($0) }.flatMap { $0.isFinite && $0 > 0 ? .some(Duration.seconds($0)) : nil }
            }, render: { $0.map(formatSeconds) ?? "(none)" })
    }

    static let logLevel = ConfigKey(
        name: "log_level", expected: "one of debug, info, warn, error", isBoolean: false,
        apply: { config, raw in
            let levels: [String: Logger.Level] = [
                "debug": .debug, "info": .info, "warn": .warning, "warning": .warning, "error": .error,
            ]
            guard case .scalar(let text) = raw, let level = levels[text.lowercased()] else { return false }
            config.logLevel = level
            return true
        }, render: { $0.logLevel == .warning ? "warn" : $0.logLevel.rawValue })

    // MARK: The table

    /// Every key racecar-host understands, with its librdkafka mapping.
    package static let all: [ConfigKey] = [
        list("brokers", \.brokers).kafka(.both, "bootstrap.servers") { $0.brokers.joined(separator: ",") },
        string("client_id", \.clientID).kafka(.both, "client.id") { $0.clientID },
        optionalString("group_id", \.groupID).onReload(.newClient),
        optionalString("group_id_prefix", \.groupIDPrefix).onReload(.newClient),
        // A supervised worker's value is already derived for its slot (WorkerIdentity).
        optionalString("group_instance_id", \.groupInstanceID).kafka(.consumer, "group.instance.id") {
            $0.groupInstanceID
        },
        list("subscribes_to", \.subscribesTo).onReload(.newClient),
        boolean("start_from_beginning", \.startFromBeginning).onReload(.newClient),
        integer("fetch_messages", \.fetchMessages, minimum: 1, maximum: 1_000_000),
        integer("concurrency", \.concurrency, minimum: 1, maximum: 256),
        optionalInteger("parallel_workers", \.parallelWorkers, minimum: 1, maximum: 256).onReload(.restart),

        seconds("offset_commit_interval", \.offsetCommitInterval),
        boolean("offset_commit_on_idle", \.offsetCommitOnIdle),
        boolean("synchronous_commits", \.synchronousCommits),

        seconds("session_timeout", \.sessionTimeout).kafka(.consumer, "session.timeout.ms") {
            milliseconds($0.sessionTimeout)
        },
        seconds("heartbeat_interval", \.heartbeatInterval).kafka(.consumer, "heartbeat.interval.ms") {
            milliseconds($0.heartbeatInterval)
        },
        seconds("max_poll_interval", \.maxPollInterval).kafka(.consumer, "max.poll.interval.ms") {
            milliseconds($0.maxPollInterval)
        },
        seconds("pause_timeout", \.pauseTimeout, allowing: [0, -1]),
        boolean("pause_with_exponential_backoff", \.pauseWithExponentialBackoff),
        optionalSeconds("max_pause_timeout", \.maxPauseTimeout),
        seconds("socket_timeout", \.socketTimeout).kafka(.both, "socket.timeout.ms") { milliseconds($0.socketTimeout) },
        seconds("max_wait_time", \.maxWaitTime).kafka(.consumer, "fetch.wait.max.ms") { milliseconds($0.maxWaitTime) },
        seconds("message_timeout", \.messageTimeout).kafka(.producer, "message.timeout.ms") {
            milliseconds($0.messageTimeout)
        },
        // Sent to librdkafka only when the plugin implements the statistics hook.
        seconds("statistics_interval", \.statisticsInterval, allowing: [0]).onReload(.newClient),
        seconds("shutdown_timeout", \.shutdownTimeout),
        optionalString("dead_letter_topic", \.deadLetterTopic),
        optionalInteger("max_retries", \.maxRetries, minimum: 0),
        integer("max_crashes", \.maxCrashes, minimum: 1),

        integer("max_bytes", \.maxBytes, minimum: 1).kafka(.consumer, "fetch.max.bytes") { String($0.maxBytes) },
        // Racecar maps this to message.max.bytes by mistake; the per-partition fetch size is meant.
        integer("max_bytes_per_partition", \.maxBytesPerPartition, minimum: 1)
            .kafka(.consumer, "max.partition.fetch.bytes") { String($0.maxBytesPerPartition) },
        integer("min_message_queue_size", \.minMessageQueueSize, minimum: 1)
            .kafka(.consumer, "queued.min.messages") { String($0.minMessageQueueSize) },
        integer("fetch_min_bytes", \.fetchMinBytes, minimum: 1).kafka(.consumer, "fetch.min.bytes") {
            String($0.fetchMinBytes)
        },
        choices(
            "partition_assignment_strategy", \.partitionAssignmentStrategy,
            from: ["range", "roundrobin", "cooperative-sticky"]
        )
        .kafka(.consumer, "partition.assignment.strategy") { $0.partitionAssignmentStrategy.joined(separator: ",") },

        choice(
            "partitioner", \.partitioner,
            from: [
                "random", "consistent", "consistent_random", "murmur2", "murmur2_random", "fnv1a", "fnv1a_random",
            ]
        ).kafka(.producer, "partitioner") { $0.partitioner },
        optionalChoice(
            "producer_compression_codec", \.producerCompressionCodec, from: ["none", "gzip", "snappy", "lz4", "zstd"]
        )
        .kafka(.producer, "compression.codec") { $0.producerCompressionCodec },

        optionalChoice(
            "security_protocol", \.securityProtocol, from: ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"]
        )
        .kafka(.both, "security.protocol") { $0.securityProtocol },
        optionalString("ssl_ca_location", \.sslCALocation).kafka(.both, "ssl.ca.location") { $0.sslCALocation },
        optionalString("ssl_crl_location", \.sslCRLLocation).kafka(.both, "ssl.crl.location") { $0.sslCRLLocation },
        optionalString("ssl_keystore_location", \.sslKeystoreLocation).kafka(.both, "ssl.keystore.location") {
            $0.sslKeystoreLocation
        },
        optionalString("ssl_keystore_password", \.sslKeystorePassword).secret()
            .kafka(.both, "ssl.keystore.password") { $0.sslKeystorePassword },
        optionalString("ssl_certificate_location", \.sslCertificateLocation)
            .kafka(.both, "ssl.certificate.location") { $0.sslCertificateLocation },
        optionalString("ssl_key_location", \.sslKeyLocation).kafka(.both, "ssl.key.location") { $0.sslKeyLocation },
        optionalString("ssl_key_password", \.sslKeyPassword).secret().kafka(.both, "ssl.key.password") {
            $0.sslKeyPassword
        },
        // Racecar maps this to certificate verification by mistake; it is about the host name.
        boolean("ssl_verify_hostname", \.sslVerifyHostname)
            .kafka(.both, "ssl.endpoint.identification.algorithm") { $0.sslVerifyHostname ? "https" : "none" },
        optionalChoice(
            "sasl_mechanism", \.saslMechanism,
            from: ["GSSAPI", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
        )
        .kafka(.both, "sasl.mechanisms") { $0.saslMechanism },
        optionalString("sasl_kerberos_principal", \.saslKerberosPrincipal)
            .kafka(.both, "sasl.kerberos.principal") { $0.saslKerberosPrincipal },
        optionalString("sasl_kerberos_kinit_cmd", \.saslKerberosKinitCmd)
            .kafka(.both, "sasl.kerberos.kinit.cmd") { $0.saslKerberosKinitCmd },
        optionalString("sasl_kerberos_keytab", \.saslKerberosKeytab).kafka(.both, "sasl.kerberos.keytab") {
            $0.saslKerberosKeytab
        },
        optionalInteger("sasl_kerberos_min_time_before_relogin", \.saslKerberosMinTimeBeforeRelogin, minimum: 0)
            .kafka(.both, "sasl.kerberos.min.time.before.relogin") {
                $0.saslKerberosMinTimeBeforeRelogin.map(String.init)
            },
        optionalString("sasl_username", \.saslUsername).kafka(.both, "sasl.username") { $0.saslUsername },
        optionalString("sasl_password", \.saslPassword).secret().kafka(.both, "sasl.password") { $0.saslPassword },
        boolean("heroku", \.heroku).onReload(.newClient),

        list("consumer", \.consumerProperties, allowEmpty: true).onReload(.newClient),
        list("producer", \.producerProperties, allowEmpty: true).onReload(.newClient),
        // Folders, like $PATH: colons separate them as well as commas.
        make(
            "plugin_path", \.pluginPath,
            expected: "a list of folders (YAML sequence, or separated by commas or colons)",
            parse: { raw in
                items(raw).flatMap { $0.split(separator: ":") }.map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
            }, render: { $0.isEmpty ? "(none)" : $0.joined(separator: ":") }),

        logLevel.onReload(.restart),
        choice("log_format", \.logFormat, from: ["text", "json"]).onReload(.restart),
        optionalString("logfile", \.logfile).onReload(.restart),
        optionalString("pidfile", \.pidfile).onReload(.restart),
        boolean("daemonize", \.daemonize).onReload(.restart),
        boolean("datadog_enabled", \.datadogEnabled).onReload(.restart),
        string("datadog_host", \.datadogHost).onReload(.restart),
        integer("datadog_port", \.datadogPort, minimum: 1, maximum: 65535).onReload(.restart),
        // A socket address holds at most 107 bytes of path (sun_path, with its terminating NUL).
        make(
            "datadog_socket_path", \.datadogSocketPath, expected: "a path of at most 107 bytes to the agent's socket",
            parse: { raw in
                scalar(raw).flatMap { $0.isEmpty ? .some(nil) : $0.utf8.count <= 107 ? .some($0) : nil }
            }, render: { $0 ?? "(none)" }
        ).onReload(.restart),
        string("datadog_namespace", \.datadogNamespace).onReload(.restart),
        list("datadog_tags", \.datadogTags, allowEmpty: true).onReload(.restart),
        boolean("liveness_probe_enabled", \.livenessProbeEnabled),
        string("liveness_probe_file_path", \.livenessProbeFilePath),
        seconds("liveness_probe_max_interval", \.livenessProbeMaxInterval),
        seconds("liveness_probe_max_call_duration", \.livenessProbeMaxCallDuration).onReload(.restart),
        seconds("readiness_probe_max_join_duration", \.readinessProbeMaxJoinDuration).onReload(.restart),
        optionalInteger("http_port", \.httpPort, minimum: 0, maximum: 65535).onReload(.restart),
        string("http_host", \.httpHost).onReload(.restart),
        optionalString("http_control_token", \.httpControlToken).secret().onReload(.restart),
    ]

    package static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Whether a raw librdkafka property name holds a secret.
    package static func isSecretProperty(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.contains("password") || lowered.contains("secret")
    }
}

func parseBoolean(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "true", "1", "yes", "on": true
    case "false", "0", "no", "off": false
    default: nil
    }
}

/// Seconds as an operator writes them: `10`, not `10.0`.
package func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
}

/// A duration in seconds as an operator writes them: `10`, `0.4`.
package func formatSeconds(_ duration: Duration) -> String {
    formatSeconds(duration.inSeconds)
}

/// A duration as a librdkafka property in whole milliseconds.
package func milliseconds(_ duration: Duration) -> String {
    String(Int64((duration / .milliseconds(1)).rounded()))
}

extension Duration {
    /// The duration in seconds, with its fraction.
    package var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
