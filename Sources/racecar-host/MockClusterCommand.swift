import ArgumentParser
import Foundation
import RacecarKafka
import RacecarOperations

struct MockClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-cluster",
        abstract: "Start librdkafka's mock Kafka cluster on 127.0.0.1 for development.",
        discussion: """
            Prints `brokers: HOST:PORT` and a ready-to-paste `export RACECAR_BROKERS=...` line once \
            ready, then serves until SIGTERM or SIGINT. With --port the bootstrap address stays \
            the same from one start to the next. Data lives in memory only. Not for production.
            """
    )

    @Option(name: .long, help: "A topic to create, as NAME or NAME:PARTITIONS (repeatable).")
    var topic: [String] = []

    @Option(name: .long, help: "Number of brokers in the cluster.")
    var brokerCount: Int = 1

    @Option(name: .long, help: "A fixed bootstrap port on 127.0.0.1 (e.g. 9092), so RACECAR_BROKERS survives restarts.")
    var port: Int?

    @Option(name: .long, help: "Produce this many sample messages to each topic.")
    var sampleMessages: Int = 0

    func run() throws {
        let shutdown = ShutdownSignal.install {}
        do {
            let cluster = try MockCluster(brokers: brokerCount)
            for spec in topic {
                let parts = spec.split(separator: ":")
                guard let name = parts.first, parts.count <= 2, let partitions = Int(parts.count == 2 ? parts[1] : "1"),
                    partitions > 0
                else {
                    throw ValidationError("--topic \(spec): expected NAME or NAME:PARTITIONS")
                }
                try cluster.createTopic(String(name), partitions: partitions)
                if sampleMessages > 0 {
                    let samples = (0..<sampleMessages).map { index in
                        (
                            key: Optional("key-\(index)"), value: "sample message \(index) for \(name)",
                            partition: Int32?.none
                        )
                    }
                    try cluster.produce(topic: String(name), messages: samples)
                }
            }
            var bootstrap = cluster.bootstrapServers
            if let port {
                let first = String(bootstrap.split(separator: ",")[0])
                let forwarder = try BootstrapForwarder(port: port, broker: first)
                forwarder.start()
                bootstrap = "127.0.0.1:\(port)"
            }
            print("brokers: \(bootstrap)")
            print("export RACECAR_BROKERS=\(bootstrap)")
            fflush(nil)
            while !shutdown.stop.isRequested { usleep(100_000) }
            withExtendedLifetime(cluster) {}
        } catch let error as KafkaError {
            UserError(error.description).exit()
        } catch let error as BootstrapForwarder.Failure {
            UserError(error.description).exit()
        }
    }
}
