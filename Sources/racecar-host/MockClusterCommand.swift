import ArgumentParser
import Foundation
import RacecarKafka
import RacecarOperations

struct MockClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-cluster",
        abstract: "Start librdkafka's mock Kafka cluster on 127.0.0.1 for development.",
        discussion: """
            Prints `brokers: HOST:PORT` once ready, then serves until SIGTERM or SIGINT. \
            Data lives in memory only. Not for production.
            """
    )

    @Option(name: .long, help: "A topic to create, as NAME or NAME:PARTITIONS (repeatable).")
    var topic: [String] = []

    @Option(name: .long, help: "Number of brokers.")
    var brokers: Int = 1

    @Option(name: .long, help: "Produce this many sample messages to each topic.")
    var sampleMessages: Int = 0

    func run() throws {
        let shutdown = ShutdownSignal.install {}
        do {
            let cluster = try MockCluster(brokers: brokers)
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
            print("brokers: \(cluster.bootstrapServers)")
            fflush(nil)
            while !shutdown.stop.isRequested { usleep(100_000) }
            withExtendedLifetime(cluster) {}
        } catch let error as KafkaError {
            UserError(error.description).exit()
        }
    }
}
