import ArgumentParser
import Foundation
import RacecarInstrumentation
import RacecarKafka

struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's messages, one per line, without joining a consumer group.",
        discussion: """
            Each message is one line on standard output:

              <partition>@<offset> <key> <value> <name>=<value> ...

            with one <name>=<value> per header, in order. Keys, values and headers are printed as \
            UTF-8 text (invalid bytes as U+FFFD); a missing key or value prints as nothing. \
            Backslash, newline, carriage return and tab print as \\\\, \\n, \\r and \\t, and other \
            control characters as \\xHH, so a message never spans lines.

            Every partition is read directly: no consumer group is joined and no offset is \
            committed, so a running consumer is not disturbed. SIGINT or SIGTERM stops it (exit 0). \
            Brokers and security settings come from racecar.yml, RACECAR_* variables or --brokers, \
            as for racecar-host.
            """,
        aliases: ["tail"]
    )

    @Option(name: .shortAndLong, help: "The topic to read.")
    var topic: String

    @Flag(name: .long, help: "Start at the oldest message of each partition (default: only new messages).")
    var fromBeginning = false

    @Option(name: .long, help: "Exit after printing this many messages.")
    var count: Int?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count \(count): expected at least 1") }
    }

    func run() throws {
        // First, before librdkafka starts its threads, which inherit the blocked signals.
        let stopSignals = StopSignals.block()
        LogOutput.standardError.bootstrap(level: .warning)
        let config = connection.load()
        let reader: TopicReader
        do throws(KafkaError) {
            reader = try TopicReader(
                config: config, topic: topic, fromBeginning: fromBeginning, shouldStop: stopSignals.received)
        } catch .stoppedBeforeConnecting {
            report("stopped before a broker answered")
            return
        } catch {
            fail(error.description)
        }
        var printed = 0
        while printed < count ?? .max {
            if stopSignals.received() {
                // A second signal while the reader stops ends the process at once.
                stopSignals.unblock()
                break
            }
            guard let message = reader.next(timeoutMilliseconds: 100) else { continue }
            let line = MessageLine(message).text
            message.destroy()
            guard (try? FileHandle.standardOutput.write(contentsOf: Data(line.utf8))) != nil else {
                // Standard output is gone (closed with SIGPIPE ignored, or failing): stop reading.
                break
            }
            printed += 1
        }
        report("printed \(printed) message\(printed == 1 ? "" : "s") of \(topic)")
    }
}
