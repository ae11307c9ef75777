import Foundation
import RacecarSDK
import Synchronization

/// Consumers for the end-to-end tests, steered by environment variables:
///
/// - `SCRIPTED_FAIL`: comma-separated `topic/partition@offset` positions that fail;
/// - `SCRIPTED_FAIL_TIMES`: how many attempts at each position fail (default 1);
/// - `SCRIPTED_SLEEP_MS`: milliseconds to spend on each message, as if waiting on a database;
/// - `SCRIPTED_SLOW`: `topic/partition@offset:milliseconds,...` extra time for some messages,
///   the first time each is processed (a message redelivered after an eviction would
///   otherwise get the host evicted again and again);
/// - `SCRIPTED_OUTPUT_TOPIC`: ScriptedProducingConsumer's output topic (default `events-out`);
/// - `SCRIPTED_BLOCK_AT` and `SCRIPTED_BLOCK_UNTIL`: processing position `topic/partition@offset`
///   blocks (printing `blocking <position>`) until the file `SCRIPTED_BLOCK_UNTIL` exists, as a
///   consumer stuck on a dead connection would.
///
/// Each prints `processed <topic>/<partition>@<offset> retries=<n> by=<instance> at=<ms>` per
/// message it finished and `failed ...` per failure, with the monotonic clock in milliseconds,
/// and `OVERLAP ...` if the host ever calls one instance from two threads at once.
final class Script: @unchecked Sendable {
    let failures: Set<String>
    let failTimes: Int
    let sleepMicroseconds: UInt32
    /// Positions that take longer, from `SCRIPTED_SLOW=topic/p@offset:milliseconds,...`.
    let slow: [String: UInt32]
    /// Slow positions already slept on.
    private let sleptOn = Mutex<Set<String>>([])
    /// The position that blocks, and the file whose appearance lets it go on.
    let block: (position: String, until: String)?
    /// Identifies the instance in output lines, to check partitions stay with one instance.
    let instance: Int
    /// Set while a call is in progress: a second call meanwhile is a host bug.
    private let busy = Atomic<Bool>(false)

    private static let instances = Atomic<Int>(0)

    init() {
        let environment = ProcessInfo.processInfo.environment
        failures = Set((environment["SCRIPTED_FAIL"] ?? "").split(separator: ",").map(String.init))
        failTimes = Int(environment["SCRIPTED_FAIL_TIMES"] ?? "") ?? 1
        sleepMicroseconds = UInt32(environment["SCRIPTED_SLEEP_MS"] ?? "").map { $0 * 1000 } ?? 0
        slow = Dictionary(
            uniqueKeysWithValues: (environment["SCRIPTED_SLOW"] ?? "").split(separator: ",").compactMap { entry in
                let parts = entry.split(separator: ":")
                guard parts.count == 2, let milliseconds = UInt32(parts[1]) else { return nil }
                return (String(parts[0]), milliseconds * 1000)
            })
        if let position = environment["SCRIPTED_BLOCK_AT"], let file = environment["SCRIPTED_BLOCK_UNTIL"] {
            block = (position, file)
        } else {
            block = nil
        }
        instance = Self.instances.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Reports a concurrent call into one instance, which the ABI promises never happens.
    func enter() {
        if busy.exchange(true, ordering: .acquiring) { emit("OVERLAP in instance \(instance)") }
    }

    func leave() {
        busy.store(false, ordering: .releasing)
    }

    struct ScriptedFailure: Error, CustomStringConvertible {
        let description: String
    }

    func handle(_ message: Message) throws {
        if sleepMicroseconds > 0 { usleep(sleepMicroseconds) }
        let position = "\(message.topic)/\(message.partition)@\(message.offset)"
        if let extra = slow[position], sleptOn.withLock({ $0.insert(position).inserted }) { usleep(extra) }
        if let block, block.position == position, access(block.until, F_OK) != 0 {
            emit("blocking \(position)")
            while access(block.until, F_OK) != 0 { usleep(20_000) }
        }
        if failures.contains(position), message.retriesCount < failTimes {
            emit("failed \(position) retries=\(message.retriesCount) by=\(instance)")
            throw ScriptedFailure(description: "scripted failure at \(position)")
        }
        emit("processed \(position) retries=\(message.retriesCount) by=\(instance)")
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

extension ProcessingError.Recovery {
    var name: String {
        switch self {
        case .retry: "retry"
        case .pauseUntilRestart: "pause"
        case .stop: "stop"
        case .deadLetter: "dead-letter"
        }
    }
}

final class ScriptedConsumer: Consumer {
    static let subscriptions = [Subscription("events", kafkaProperties: ["fetch.error.backoff.ms": "250"])]
    private let script = Script()

    func process(_ message: Message) throws {
        script.enter()
        defer { script.leave() }
        do {
            try script.handle(message)
        } catch {
            log("\(error)", level: .warning)
            throw error
        }
    }

    func onError(_ error: ProcessingError) {
        script.emit(
            "on_error \(error.topic)/\(error.partition)@\(error.offset) offsets=\(error.offsets.lowerBound)-\(error.offsets.upperBound) "
                + "batch=\(error.isBatch) retries=\(error.retriesCount) recovery=\(error.recovery.name) message=\(error.message)"
        )
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) {
        script.emit("assigned \(partitions.map(\.description).sorted().joined(separator: ","))")
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        script.emit("revoked \(partitions.map(\.description).sorted().joined(separator: ","))")
    }
}

/// Produces every message it receives to `SCRIPTED_OUTPUT_TOPIC`, keyed by its position.
final class ScriptedProducingConsumer: Consumer {
    static let subscriptions = [Subscription("events")]
    private let script = Script()
    private let outputTopic = ProcessInfo.processInfo.environment["SCRIPTED_OUTPUT_TOPIC"] ?? "events-out"

    func process(_ message: Message) throws {
        try produce(
            message.value, topic: outputTopic, key: "\(message.partition)@\(message.offset)",
            headers: [("source", message.topic)])
        try script.handle(message)
    }

    func onError(_ error: ProcessingError) {
        script.emit(
            "on_error \(error.topic)/\(error.partition)@\(error.offset) retries=\(error.retriesCount) message=\(error.message)"
        )
    }
}

/// Produces every message it receives to `events-bytes` as bytes that are not UTF-8: the value
/// framed by 0x00 and 0xFF, a two-byte key, and a binary header, as protobuf or Avro payloads are.
final class BytesProducingConsumer: Consumer {
    static let subscriptions = [Subscription("events")]

    func process(_ message: Message) throws {
        let value = [0x00] + Array(message.valueBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)) + [0xFF]
        try produce(
            bytes: value, topic: "events-bytes", key: [0xDE, UInt8(truncatingIfNeeded: message.offset)],
            headers: [("binary", [0x00, 0x01, 0xFE]), ("empty", []), ("null", nil)])
    }
}

/// Receives librdkafka's statistics.
final class ScriptedStatisticsConsumer: Consumer, ReceivesStatistics {
    static let subscriptions = [Subscription("events")]
    private let script = Script()

    func process(_ message: Message) throws {
        try script.handle(message)
    }

    func statistics(_ json: String) {
        let isJSON = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) is [String: Any]
        script.emit("statistics json=\(isJSON) bytes=\(json.utf8.count)")
    }
}

final class ScriptedBatchConsumer: BatchConsumer {
    static let subscriptions = [Subscription("events")]
    static let fetchMessages: Int? = 10
    private let script = Script()

    func processBatch(_ messages: MessageBatch) throws {
        script.enter()
        defer { script.leave() }
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

    func onError(_ error: ProcessingError) {
        script.emit(
            "on_error \(error.topic)/\(error.partition)@\(error.offset) offsets=\(error.offsets.lowerBound)-\(error.offsets.upperBound) "
                + "batch=\(error.isBatch) retries=\(error.retriesCount) recovery=\(error.recovery.name) message=\(error.message)"
        )
    }
}

/// Prints each message of a batch like EchoConsumer, headers included, reading the headers
/// twice (the host must hand out the same ones). At teardown it reads the headers of the last
/// message with headers it saw, long after its call: the host must refuse, so it prints
/// `kept: 0 headers`.
final class HeaderEchoBatchConsumer: BatchConsumer {
    static let subscriptions = [Subscription("events")]
    private var kept: Message?

    struct HeadersChanged: Error {}

    func processBatch(_ messages: MessageBatch) throws {
        for message in messages {
            let headers = message.headers
            guard message.headers.elementsEqual(headers, by: { $0 == $1 }) else { throw HeadersChanged() }
            let text = headers.map { " \($0.name)=\($0.value ?? "")" }.joined()
            print(
                "\(message.topic)/\(message.partition)@\(message.offset) \(message.key ?? "") \(message.value ?? "")\(text)"
            )
            if !headers.isEmpty { kept = message }
        }
        fflush(nil)
    }

    func teardown() {
        print("kept: \(kept?.headers.count ?? -1) headers")
        fflush(nil)
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer {
    RacecarPlugin.export(
        ScriptedConsumer.self, ScriptedBatchConsumer.self, ScriptedProducingConsumer.self,
        ScriptedStatisticsConsumer.self, HeaderEchoBatchConsumer.self, BytesProducingConsumer.self)
}
