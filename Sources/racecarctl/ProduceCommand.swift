import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce a message, or one message per line of standard input.",
        discussion: """
            Brokers and security settings come from racecar.yml, RACECAR_* variables or --brokers, \
            as for racecar-host. librdkafka's warnings (a broker refusing connections) are printed \
            while it retries. Exits non-zero unless every message was delivered within --timeout.
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

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds to try delivering each message before giving up (replaces message_timeout).",
            valueName: "seconds"))
    var timeout: Double = 10

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        // librdkafka reads 0 as "no limit" and takes milliseconds as a 32-bit integer.
        guard timeout > 0, timeout <= 2_000_000 else {
            throw ValidationError(
                "--timeout \(formatSeconds(timeout)): expected more than 0 and at most 2000000 seconds")
        }
    }

    func run() throws {
        let headers = try header.map { entry -> (name: String, value: String) in
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--header \(entry): expected name=value")
            }
            return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
        }
        LogOutput.standardError.bootstrap(level: .warning)
        let config = connection.load()
        var count = 0
        do throws(KafkaError) {
            let producer = try MessageProducer(config: config, deliveryTimeout: .seconds(timeout))
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
        } catch let error where error.isTimeout {
            fail(
                "not delivered to \(topic) within --timeout \(formatSeconds(timeout)) s: no acknowledgement from "
                    + "the brokers at \(config.brokers.joined(separator: ",")) (check that they are reachable and "
                    + "that the topic exists)")
        } catch {
            fail(error.description)
        }
        report("delivered \(count) message\(count == 1 ? "" : "s") to \(topic)")
    }
}
