import Foundation

/// Heroku Kafka's add-on variables turned into broker and SSL settings (`heroku: true`),
/// like Racecar's `racecar/heroku` helper. Explicit `RACECAR_*` variables and flags still win.
struct HerokuSettings {
    let environment: [String: String]

    func apply(to config: inout RacecarConfig) throws(ConfigError) {
        func required(_ name: String) throws(ConfigError) -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw .heroku(
                    "\(name) is not set; the Heroku Kafka add-on provides KAFKA_URL, KAFKA_TRUSTED_CERT, "
                        + "KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY (set heroku: false to configure brokers yourself)"
                )
            }
            return value
        }
        let url = try required("KAFKA_URL")
        let trustedCert = try required("KAFKA_TRUSTED_CERT")
        let clientCert = try required("KAFKA_CLIENT_CERT")
        let clientKey = try required("KAFKA_CLIENT_CERT_KEY")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("racecar-heroku-\(getpid())")
        guard mkdir(directory.path, 0o700) == 0 || errno == EEXIST, chmod(directory.path, 0o700) == 0 else {
            throw .heroku("cannot create \(directory.path) for the certificates: \(String(cString: strerror(errno)))")
        }
        func write(_ contents: String, _ name: String) throws(ConfigError) -> String {
            let path = directory.appendingPathComponent(name).path
            unlink(path)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw .heroku("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            defer { close(descriptor) }
            var text = contents
            let written = text.withUTF8 { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard written == contents.utf8.count else { throw .heroku("cannot write \(path)") }
            return path
        }

        let brokers = url.split(separator: ",").map { entry in
            String(entry.split(separator: "://", maxSplits: 1).last ?? entry)
        }
        set(\.brokers, brokers, key: .brokers, variable: "KAFKA_URL", in: &config)
        set(\.securityProtocol, "ssl", key: .securityProtocol, variable: "KAFKA_URL", in: &config)
        set(
            \.sslCALocation, try write(trustedCert, "trusted-cert.pem"), key: .sslCALocation,
            variable: "KAFKA_TRUSTED_CERT", in: &config)
        set(
            \.sslCertificateLocation, try write(clientCert, "client-cert.pem"), key: .sslCertificateLocation,
            variable: "KAFKA_CLIENT_CERT", in: &config)
        set(
            \.sslKeyLocation, try write(clientKey, "client-key.pem"), key: .sslKeyLocation,
            variable: "KAFKA_CLIENT_CERT_KEY", in: &config)
        // Heroku's broker certificates do not name the broker hosts.
        set(\.sslVerifyHostname, false, key: .sslVerifyHostname, variable: "KAFKA_URL", in: &config)
    }

    private func set<Value>(
        _ path: WritableKeyPath<RacecarConfig, Value>, _ value: Value, key: ConfigKey, variable: String,
        in config: inout RacecarConfig
    ) {
        switch config.sources[key] {
        case .environment, .flag:
            return
        default:
            config[keyPath: path] = value
            config.sources[key] = .environment(variable: variable)
        }
    }
}
