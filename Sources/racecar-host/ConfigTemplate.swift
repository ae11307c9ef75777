/// The racecar.yml that `racecar-host init` writes, like Racecar's `rails generate racecar:install`:
/// the commonly changed keys of ``RacecarConfiguration/ConfigKey/all``, set or commented out, each
/// with a line saying what it does.
///
/// Every key, commented out or not, must be a key of that table: GeneratorTests loads the file, and
/// the file with every commented-out setting restored, with the real loader. A comment that explains
/// therefore never starts with a word and a colon, which reads as a commented-out `key: value`.
enum ConfigTemplate {
    static let text = """
        # racecar-host configuration, written by `racecar-host init`.
        #
        # `common` applies everywhere; the section named by --environment or RACECAR_ENV (default:
        # development) is merged over it. RACECAR_<KEY> variables and --<key> flags win over this file.
        # Values may use ${VAR} and ${VAR:-default}. Every key and its default: the README's
        # "Configuration"; what a consumer runs with: racecar-host config --plugin <library.so> <Consumer>

        common:
          # Kafka brokers to connect to; set KAFKA_BROKERS to use others without editing this file.
          brokers: ["${KAFKA_BROKERS:-localhost:9092}"]
          # Names this application in broker logs and metrics.
          client_id: my-app
          # Seconds between offset commits: after a crash, at most this much work is done again.
          offset_commit_interval: 10
          # Seconds a partition pauses after a failed message before that message is retried
          # (-1: until restart, 0: stop the host instead).
          pause_timeout: 10
          # Double the pause after each consecutive failure of a partition, up to max_pause_timeout.
          # pause_with_exponential_backoff: true
          # max_pause_timeout: 300
          # After max_retries failed retries, copy the message to this topic and move on (set both).
          # dead_letter_topic: dead-letters
          # max_retries: 5
          # debug, info, warn or error.
          log_level: info

        # The default environment: a fast local loop, for example against `racecar-host mock-cluster`.
        development:
          # Seconds without a heartbeat before the group gives the consumer's partitions to another
          # member. Short, so that a restarted consumer gets them back soon (6 is a broker's minimum).
          session_timeout: 6
          # Seconds between heartbeats; at most a third of session_timeout.
          heartbeat_interval: 2
          # Commit every second, so little is processed again after a restart.
          offset_commit_interval: 1

        production:
          # Prefix of the consumer group ids derived from consumer names: prod.tap-dance-consumer.
          group_id_prefix: prod.
          log_level: info
          # The HTTP endpoint for probes, Prometheus and status, on http_host (127.0.0.1; another
          # address needs http_control_token, the bearer token of its pause and resume requests).
          # http_port: 8080
          # http_control_token: ${HTTP_CONTROL_TOKEN:-}
          # One JSON object per log line, for log pipelines (text is the default).
          # log_format: json
          # Racecar's metrics to the Datadog agent, here over its Unix socket (else localhost:8125).
          # datadog_enabled: true
          # datadog_socket_path: /var/run/datadog/dsd.socket
          # A section named after a consumer overrides its settings, here its topics and batch size.
          # TapDanceConsumer:
          #   subscribes_to: [tap_dance]
          #   fetch_messages: 500

        """
}
