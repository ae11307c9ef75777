import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarInstrumentation

struct LivenessProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liveness-probe",
        abstract:
            "Exit 0 if a host with liveness_probe_enabled polled recently, 1 otherwise (for Kubernetes exec probes).",
        discussion:
            "Reads liveness_probe_file_path and liveness_probe_max_interval like the host: racecar.yml, RACECAR_* variables."
    )

    @Option(name: .long, help: "Path to racecar.yml.")
    var config: String?

    @Option(name: .long, help: "Section of racecar.yml to use.")
    var environment: String?

    func run() throws {
        let settings: RacecarConfig
        do {
            settings = try ConfigLoader(
                configPath: config, environmentName: environment, environment: ProcessInfo.processInfo.environment
            )
            .loadForProducing().config
        } catch {
            fail("\(error)")
        }
        let probe = LivenessProbe(path: settings.livenessProbeFilePath, maxInterval: settings.livenessProbeMaxInterval)
        guard probe.isAlive() else {
            fail("\(probe.path) was not touched within \(formatSeconds(settings.livenessProbeMaxInterval)) s")
        }
    }
}
