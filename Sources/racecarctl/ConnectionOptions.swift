import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarKafka

/// Where the Kafka commands find their brokers and security settings: racecar.yml,
/// `RACECAR_*` variables and `--brokers`, as for racecar-host.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Brokers, comma-separated (overrides racecar.yml and RACECAR_BROKERS).")
    var brokers: String?

    @Option(name: .long, help: "Path to racecar.yml (default: ./racecar.yml if it exists).")
    var config: String?

    @Option(name: .long, help: "Section of racecar.yml to use (default: $RACECAR_ENV, else development).")
    var environment: String?

    /// The effective configuration, after printing its warnings; exits with one error line
    /// when it is invalid.
    func load() -> RacecarConfig {
        let loader = ConfigLoader(
            configPath: config,
            environmentName: environment,
            environment: ProcessInfo.processInfo.environment,
            flags: brokers.map { [("brokers", $0)] } ?? [],
            clientPropertyCheck: RacecarConfig.validateClientProperties
        )
        do throws(ConfigError) {
            let (config, warnings) = try loader.loadForProducing()
            for warning in warnings { report("warning: \(warning)") }
            return config
        } catch {
            fail(error.description)
        }
    }
}
