/// The keys the host's code refers to by name. Each is an entry of ``ConfigKey/all``, the one
/// table of keys, looked up once.
extension ConfigKey {
    package static let brokers = named("brokers")
    package static let subscribesTo = named("subscribes_to")
    package static let startFromBeginning = named("start_from_beginning")
    package static let groupID = named("group_id")
    package static let fetchMessages = named("fetch_messages")
    package static let maxWaitTime = named("max_wait_time")
    package static let socketTimeout = named("socket_timeout")
    package static let minMessageQueueSize = named("min_message_queue_size")
    package static let maxPauseTimeout = named("max_pause_timeout")
    package static let statisticsInterval = named("statistics_interval")
    package static let securityProtocol = named("security_protocol")
    package static let sslCALocation = named("ssl_ca_location")
    package static let sslCertificateLocation = named("ssl_certificate_location")
    package static let sslKeyLocation = named("ssl_key_location")
    package static let sslVerifyHostname = named("ssl_verify_hostname")
    package static let consumer = named("consumer")
    package static let producer = named("producer")
    package static let logfile = named("logfile")
    package static let datadogHost = named("datadog_host")
    package static let httpHost = named("http_host")
    package static let httpPort = named("http_port")

    private static func named(_ name: String) -> ConfigKey {
        guard let key = byName[name] else { preconditionFailure("ConfigKey.all has no key \(name)") }
        return key
    }
}
