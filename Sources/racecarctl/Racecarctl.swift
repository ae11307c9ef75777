import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka
import RacecarOperations

@main
struct Racecarctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "racecarctl",
        abstract: "Operate racecar-host: produce messages, stop a daemon, probe liveness.",
        subcommands: [Produce.self, Stop.self, LivenessProbeCommand.self]
    )
}

struct Produce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce a message, or one message per line of standard input.",
        discussion: """
            Brokers and security settings come from racecar.yml, RACECAR_* variables or --brokers, \
            as for racecar-host. Exits non-zero if any message was not delivered.
            """
    )

    @Option(name: .shortAndLong, help: "The topic to produce to.")
    var topic: String

    @Option(name: .shortAndLong, help: "The message value; without it, each line of standard input is a message.")
    var value: String?

    @Option(name: .shortAndLong, help: "The message key.")
    var key: String?

    @Option(name: .long, help: "An explicit partition.")
    var partition: Int32?

    @Option(name: .long, help: "A header as name=value (repeatable).")
    var header: [String] = []

    @Option(name: .long, help: "Brokers, comma-separated (overrides racecar.yml and RACECAR_BROKERS).")
    var brokers: String?

    @Option(name: .long, help: "Path to racecar.yml.")
    var config: String?

    @Option(name: .long, help: "Section of racecar.yml to use.")
    var environment: String?

    func run() throws {
        let headers = try header.map { entry -> (name: String, value: String) in
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--header \(entry): expected name=value")
            }
            return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        }
        do {
            let loader = ConfigLoader(
                configPath: config,
                environmentName: environment,
                environment: ProcessInfo.processInfo.environment,
                flags: brokers.map { [("brokers", $0)] } ?? [],
                clientPropertyCheck: RacecarConfig.validateClientProperties
            )
            let (config, warnings) = try loader.loadForProducing()
            for warning in warnings { FileHandle.standardError.write(Data("racecarctl: warning: \(warning)\n".utf8)) }
            let producer = try MessageProducer(config: config)
            var count = 0
            if let value {
                try producer.produce(topic: topic, key: key, value: value, headers: headers, partition: partition)
                count = 1
            } else {
                while let line = readLine(strippingNewline: true) {
                    try producer.produce(topic: topic, key: key, value: line, headers: headers, partition: partition)
                    count += 1
                }
            }
            try producer.flush()
            FileHandle.standardError.write(
                Data("racecarctl: delivered \(count) message\(count == 1 ? "" : "s") to \(topic)\n".utf8))
        } catch let error as ConfigError {
            fail(error.description)
        } catch let error as KafkaError {
            fail(error.description)
        }
    }

}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a racecar-host (a daemonized one, typically) gracefully, as SIGTERM does.",
        discussion: "Sends SIGTERM to the process named in the pidfile and waits for it to exit."
    )

    @Option(name: .long, help: "The host's pidfile.")
    var pidfile: String

    @Option(name: .long, help: "Seconds to wait for the process to exit.")
    var timeout: Double = 60

    func run() throws {
        let pid: Int32
        do {
            pid = try PidFile(path: pidfile).read()
        } catch {
            fail(error.description)
        }
        guard kill(pid, SIGTERM) == 0 else {
            fail("cannot signal process \(pid) from \(pidfile): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while kill(pid, 0) == 0 {
            guard Date() < deadline else { fail("process \(pid) did not exit within \(formatSeconds(timeout)) s") }
            usleep(50_000)
        }
        FileHandle.standardError.write(Data("racecarctl: stopped process \(pid)\n".utf8))
    }
}

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

private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("racecarctl: error: \(message)\n".utf8))
    Foundation.exit(1)
}
