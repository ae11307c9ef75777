import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarPluginHosting
import Synchronization

@testable import RacecarRuntime

/// What the runtime and the probe plugin did, in order: the scripted client's calls and the
/// plugin's lines share one log, so tests can check the order across the seam.
enum EventLog {
    private static let lines = Mutex<[String]>([])

    static func append(_ line: String) { lines.withLock { $0.append(line) } }
    static func reset() { lines.withLock { $0.removeAll() } }
    static var all: [String] { lines.withLock { $0 } }

    /// The probe plugin's sink.
    static let sink: @convention(c) (UnsafePointer<CChar>?) -> Void = { line in
        if let line { EventLog.append(String(cString: line)) }
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let elapsed = Mutex<Duration>(.zero)

    func advance(by duration: Duration) { elapsed.withLock { $0 += duration } }
    var runtimeClock: RuntimeClock { RuntimeClock { [self] in start + elapsed.withLock { $0 } } }
}

/// A scripted ``KafkaClient``: partitions hold messages in memory, and `poll` hands out the
/// next message of the first assigned, unpaused partition that has one, from its position,
/// as a fetch would. Pauses, seeks, stores and commits are logged, as is each rebalance.
final class ScriptedKafka: KafkaClient, @unchecked Sendable {
    struct Message: ConsumerMessage {
        let partitionID: PartitionID
        let offset: Int64
        let topicName: UnsafePointer<CChar>
        let value: UnsafePointer<CChar>

        func borrowed(topic: UnsafePointer<CChar>) -> BorrowedMessage {
            BorrowedMessage(
                topic: topic, partition: partitionID.partition, offset: offset, key: nil, keyLength: 0,
                value: UnsafeRawPointer(value), valueLength: strlen(value), timestampMilliseconds: -1)
        }
        var hasTopic: Bool { true }
        var error: KafkaErrorCode? { nil }
        var errorDescription: String? { nil }
        var headerCount: Int { 0 }
        func forEachHeader(_ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Void) {}
        func destroy() { ScriptedKafka.destroyed.withLock { $0.append("\(topicPartition)@\(offset)") } }
    }

    /// Every message destroyed, as `t/p@o`, to check each has one owner.
    static let destroyed = Mutex<[String]>([])
    private static let names = Mutex<[String: UnsafePointer<CChar>]>([:])

    let implementation = "a scripted client"
    weak var rebalanceListener: (any RebalanceListener)?
    private var logs: [TopicPartition: Int] = [:]
    private var positions: [TopicPartition: Int64] = [:]
    private(set) var assignment: [TopicPartition] = []
    private var paused: Set<TopicPartition> = []
    /// Rebalances to run at the start of upcoming polls, in order.
    private var pendingRebalances: [(assign: [TopicPartition], revoke: [TopicPartition], lost: Bool)] = []

    /// Adds `count` messages to `partition`.
    func add(_ count: Int, to partition: TopicPartition) {
        logs[partition, default: 0] += count
    }

    /// Assigns `partitions` at the next poll.
    func assignNext(_ partitions: [TopicPartition]) { pendingRebalances.append((partitions, [], false)) }

    /// Revokes `partitions` at the next poll.
    func revokeNext(_ partitions: [TopicPartition], lost: Bool = false) {
        pendingRebalances.append(([], partitions, lost))
    }

    func subscribe(_ topics: [TopicSubscription]) throws(KafkaError) {
        EventLog.append("subscribe \(topics.map(\.topic).joined(separator: ","))")
    }

    func poll(timeoutMilliseconds: Int32) -> Message? {
        if !pendingRebalances.isEmpty {
            let rebalance = pendingRebalances.removeFirst()
            if !rebalance.assign.isEmpty {
                assignment += rebalance.assign
                rebalanceListener?.partitionsAssigned(rebalance.assign)
            } else {
                rebalanceListener?.partitionsRevoked(rebalance.revoke, assignmentLost: rebalance.lost)
                EventLog.append("unassign \(rebalance.revoke.map(\.description).joined(separator: ","))")
                assignment.removeAll { rebalance.revoke.contains($0) }
            }
            return nil
        }
        for partition in assignment where !paused.contains(partition) {
            let position = positions[partition, default: 0]
            guard position < logs[partition, default: 0] else { continue }
            positions[partition] = position + 1
            return Message(
                partitionID: PartitionID(
                    topic: UnsafeRawPointer(Self.name(partition.topic)), partition: partition.partition),
                offset: position, topicName: Self.name(partition.topic), value: Self.name("value"))
        }
        return nil
    }

    func storeOffset(after message: Message) {
        EventLog.append("store \(message.topicPartition)@\(message.offset + 1)")
    }

    func commit(_ offsets: [TopicPartition: Int64]?, synchronously: Bool) {
        let mode = synchronously ? "sync" : "async"
        guard let offsets else { return EventLog.append("commit stored \(mode)") }
        let list = offsets.sorted { $0.key.description < $1.key.description }.map { "\($0.key)@\($0.value)" }
        EventLog.append("commit \(list.joined(separator: ",")) \(mode)")
    }

    func pause(_ partition: TopicPartition) {
        paused.insert(partition)
        EventLog.append("pause \(partition)")
    }

    func resume(_ partition: TopicPartition) {
        paused.remove(partition)
        EventLog.append("resume \(partition)")
    }

    func seek(_ partition: TopicPartition, to offset: Int64) {
        positions[partition] = offset
        EventLog.append("seek \(partition)@\(offset)")
    }

    var hasFatalError: Bool { false }
    func fatalError() -> KafkaError? { nil }

    func close() -> KafkaErrorCode? {
        EventLog.append("close")
        if !assignment.isEmpty { rebalanceListener?.partitionsRevoked(assignment, assignmentLost: false) }
        assignment = []
        return nil
    }

    func produce(
        _ message: OutgoingMessage, headers: some Collection<OutgoingMessage.Header>, tracker: DeliveryTracker
    ) throws(KafkaError) {
        EventLog.append("produce \(String(cString: message.topic))")
    }

    func produceCopy(
        of message: Message, to topic: String, extraHeaders: [(name: String, value: String)],
        tracker: DeliveryTracker
    ) throws(KafkaError) {
        func header(_ name: String) -> String? { extraHeaders.first { $0.name == name }?.value }
        if let crashes = header("racecar-crashes") {
            EventLog.append(
                "dead-letter \(message.topicPartition)@\(message.offset) to \(topic) crashes=\(crashes) "
                    + "error=\(header("racecar-error") ?? "?")")
            return
        }
        EventLog.append(
            "dead-letter \(message.topicPartition)@\(message.offset) to \(topic) retries=\(header("racecar-retries") ?? "?")"
        )
    }

    func flush() throws(KafkaError) {}

    private static func name(_ text: String) -> UnsafePointer<CChar> {
        names.withLock { names in
            if let known = names[text] { return known }
            let copy = UnsafePointer(strdup(text)!)
            names[text] = copy
            return copy
        }
    }
}
