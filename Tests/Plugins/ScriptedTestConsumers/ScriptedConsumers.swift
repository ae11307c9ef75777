import Foundation
import RacecarSDK

/// Consumers for the end-to-end tests, steered by environment variables:
///
/// - `SCRIPTED_FAIL`: comma-separated `topic/partition@offset` positions that fail;
/// - `SCRIPTED_FAIL_TIMES`: how many attempts at each position fail (default 1).
///
/// Each prints `processed <topic>/<partition>@<offset> retries=<n> at=<ms>` per message it
/// finished and `failed <topic>/<partition>@<offset> retries=<n> at=<ms>` per failure, with the
/// monotonic clock in milliseconds.
struct Script {
    let failures: Set<String>
    let failTimes: Int

    init() {
        let environment = ProcessInfo.processInfo.environment
        failures = Set((environment["SCRIPTED_FAIL"] ?? "").split(separator: ",").map(String.init))
        failTimes = Int(environment["SCRIPTED_FAIL_TIMES"] ?? "") ?? 1
    }

    struct ScriptedFailure: Error, CustomStringConvertible {
        let description: String
    }

    func handle(_ message: Message) throws {
        let position = "\(message.topic)/\(message.partition)@\(message.offset)"
        if failures.contains(position), message.retriesCount < failTimes {
            emit("failed \(position) retries=\(message.retriesCount)")
            throw ScriptedFailure(description: "scripted failure at \(position)")
        }
        emit("processed \(position) retries=\(message.retriesCount)")
    }

    /// Prints `line` with the monotonic time in milliseconds, so tests can check delays
    /// without depending on when they read the output.
    func emit(_ line: String) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        print("\(line) at=\(Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000)")
        fflush(nil)
    }
}

final class ScriptedConsumer: Consumer {
    static let subscriptions = [Subscription("events", kafkaProperties: ["fetch.error.backoff.ms": "250"])]
    private let script = Script()

    func process(_ message: Message) throws {
        try script.handle(message)
    }
}

final class ScriptedBatchConsumer: BatchConsumer {
    static let subscriptions = [Subscription("events")]
    static let fetchMessages: Int? = 10
    private let script = Script()

    func processBatch(_ messages: MessageBatch) throws {
        guard let first = messages.first, let last = messages.last else { return }
        script.emit("batch \(first.topic)/\(first.partition) \(first.offset)-\(last.offset) count=\(messages.count)")
        for (index, message) in messages.enumerated() {
            do {
                try script.handle(message)
            } catch {
                throw PartialBatchFailure(processedCount: index, underlying: error)
            }
        }
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer {
    RacecarPlugin.export(ScriptedConsumer.self, ScriptedBatchConsumer.self)
}
