import CRdKafka
import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

extension ProcessedLine {
    /// The position `topic/partition@offset`.
    init(topic: String, partition: Int32, offset: Int64) {
        self.init("\(topic)/\(partition)@\(offset)")!
    }

    /// Every position `0..<perPartition` of `partitions` partitions of `topic`.
    static func all(topic: String, partitions: Int, perPartition: Int) -> Set<ProcessedLine> {
        var positions = Set<ProcessedLine>(minimumCapacity: partitions * perPartition)
        for partition in 0..<Int32(partitions) {
            for offset in 0..<Int64(perPartition) {
                positions.insert(ProcessedLine(topic: topic, partition: partition, offset: offset))
            }
        }
        return positions
    }
}

/// Counts the `processed <position> ...` lines of any number of host processes, reading
/// only the lines that arrived since the last look, so polling a busy host stays cheap.
final class DeliveryTally {
    private(set) var counts: [ProcessedLine: Int] = [:]
    /// Processed lines across every host, repeats included.
    private(set) var total = 0
    private var linesRead: [ObjectIdentifier: Int] = [:]

    /// Reads the new lines of `hosts`.
    func update(_ hosts: [HostProcess]) {
        for host in hosts {
            let lines = host.lines
            let start = linesRead[ObjectIdentifier(host)] ?? 0
            guard lines.count > start else { continue }
            for line in lines[start...] where line.hasPrefix("processed ") {
                guard let position = ProcessedLine(line) else { continue }
                counts[position, default: 0] += 1
                total += 1
            }
            linesRead[ObjectIdentifier(host)] = lines.count
        }
    }

    /// Positions processed at least once.
    var distinct: Int { counts.count }
    /// Processed lines beyond the first for each position.
    var duplicates: Int { total - distinct }

    /// The positions of `expected` never processed.
    func missing(from expected: Set<ProcessedLine>) -> [ProcessedLine] {
        expected.filter { counts[$0] == nil }.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    /// Whether every position of `expected` was processed.
    func covers(_ expected: Set<ProcessedLine>) -> Bool {
        distinct >= expected.count && expected.allSatisfy { counts[$0] != nil }
    }

    /// Positions processed that were never produced (a misparse or a phantom message).
    func unexpected(given expected: Set<ProcessedLine>) -> [ProcessedLine] {
        counts.keys.filter { !expected.contains($0) }
    }

    /// A short description of what is missing, for failure messages.
    func missingSummary(from expected: Set<ProcessedLine>) -> String {
        let missing = missing(from: expected)
        var perPartition: [Int32: (count: Int, first: Int64)] = [:]
        for position in missing {
            let current = perPartition[position.partition]
            perPartition[position.partition] = (
                count: (current?.count ?? 0) + 1, first: min(current?.first ?? .max, position.offset)
            )
        }
        let parts = perPartition.keys.sorted().map {
            "p\($0): \(perPartition[$0]!.count) missing from \(perPartition[$0]!.first)"
        }
        return "\(missing.count) missing (\(parts.joined(separator: ", ")))"
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
func eventually(
    timeout: Duration,
    interval: Duration = .milliseconds(100),
    _ condition: () async -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}

/// Fault injection into librdkafka's mock cluster (rdkafka_mock.h).
extension MockCluster {
    /// Kafka protocol API keys.
    enum APIKey: Int16 {
        case produce = 0
        case fetch = 1
        case offsetCommit = 8
        case findCoordinator = 10
        case joinGroup = 11
        case heartbeat = 12
        case syncGroup = 14
    }

    /// Makes the next `errors.count` requests of `api` (from any client) fail with `errors`, in order.
    func pushRequestErrors(_ api: APIKey, _ errors: [rd_kafka_resp_err_t]) {
        errors.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, buffer.count, buffer.baseAddress)
        }
    }

    /// Refuses the next JoinGroup request as unauthorized, an error librdkafka reports through
    /// the consumer's poll (and then retries the join).
    func refuseNextJoinGroup() {
        pushRequestErrors(.joinGroup, [RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED])
    }

    /// Forgets the errors pushed for `api` and not yet returned.
    func clearRequestErrors(_ api: APIKey) {
        rd_kafka_mock_clear_request_errors(cluster, api.rawValue)
    }

    /// Disconnects broker `id` (brokers count from 1) and refuses new connections.
    func setBrokerDown(_ id: Int32 = 1) {
        let error = rd_kafka_mock_broker_set_down(cluster, id)
        #expect(error == RD_KAFKA_RESP_ERR_NO_ERROR, "setting broker \(id) down")
    }

    func setBrokerUp(_ id: Int32 = 1) {
        let error = rd_kafka_mock_broker_set_up(cluster, id)
        #expect(error == RD_KAFKA_RESP_ERR_NO_ERROR, "setting broker \(id) up")
    }

    /// Makes broker `id` the leader of `topic`'s `partition`.
    func setLeader(topic: String, partition: Int32, broker id: Int32) {
        let error = rd_kafka_mock_partition_set_leader(cluster, topic, partition, id)
        #expect(error == RD_KAFKA_RESP_ERR_NO_ERROR, "moving the leader of \(topic)/\(partition) to broker \(id)")
    }

    /// Makes broker `id` the coordinator of consumer group `group`.
    func setGroupCoordinator(_ group: String, broker id: Int32) {
        let error = rd_kafka_mock_coordinator_set(cluster, "group", group, id)
        #expect(error == RD_KAFKA_RESP_ERR_NO_ERROR, "moving the coordinator of \(group) to broker \(id)")
    }
}

/// A small seeded generator (SplitMix64), so a failing random test can be replayed.
struct ReplayableRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// The lines of a host's standard error that matter when a delivery test fails.
func notableLog(_ stderr: String, limit: Int = 40) -> String {
    let keywords = ["warning", "error", "critical", "revoked", "assigned", "lost", "stopp", "racecar-host:"]
    let lines = stderr.split(separator: "\n").filter { line in
        let lowered = line.lowercased()
        return keywords.contains { lowered.contains($0) }
    }
    return lines.suffix(limit).joined(separator: "\n")
}

/// Settings that make a host against the mock cluster commit, join and notice a dead member
/// quickly: 6 s sessions, 1 s heartbeats and commits.
func quickGroupEnvironment(_ cluster: MockCluster) -> [String: String] {
    [
        "RACECAR_BROKERS": cluster.bootstrapServers,
        "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
        "RACECAR_SESSION_TIMEOUT": "6",
        "RACECAR_HEARTBEAT_INTERVAL": "1",
        "RACECAR_MAX_WAIT_TIME": "0.1",
        "RACECAR_SOCKET_TIMEOUT": "10",
    ]
}

/// Starts `racecar-host` running a consumer of the ScriptedTestConsumers plugin against
/// `cluster`, with ``quickGroupEnvironment(_:)``.
func startScriptedHost(
    _ consumer: String = "ScriptedConsumer",
    cluster: MockCluster,
    workingDirectory: URL,
    _ extra: [String: String] = [:]
) throws -> HostProcess {
    let environment = quickGroupEnvironment(cluster).merging(extra) { $1 }
    return try HostProcess(
        ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), consumer], environment: environment,
        workingDirectory: workingDirectory)
}

/// The partitions listed on an `assigned ...` or `revoked ...` line of ScriptedConsumer's
/// rebalance hooks (`<verb> events/0,events/3 at=<ms>`).
func partitionsListed(on line: String) -> Set<Int32> {
    guard let space = line.firstIndex(of: " ") else { return [] }
    let rest = line[line.index(after: space)...]
    let list = rest.range(of: " at=").map { rest[..<$0.lowerBound] } ?? rest
    return Set(
        list.split(separator: ",").compactMap { item in
            item.split(separator: "/").last.flatMap { Int32($0) }
        })
}

/// A ScriptedConsumer host's assignment after the rebalance hooks printed in `lines`.
func currentAssignment(_ lines: [String]) -> Set<Int32> {
    var assignment: Set<Int32> = []
    for line in lines {
        if line.hasPrefix("assigned ") { assignment.formUnion(partitionsListed(on: line)) }
        if line.hasPrefix("revoked ") { assignment.subtract(partitionsListed(on: line)) }
    }
    return assignment
}

/// Every partition named on the `revoked ...` lines in `lines`.
func revokedPartitions(_ lines: [String]) -> Set<Int32> {
    lines.filter { $0.hasPrefix("revoked ") }.reduce(into: []) { $0.formUnion(partitionsListed(on: $1)) }
}

extension [String] {
    /// How many `processed ...` lines there are.
    var processedCount: Int { reduce(0) { $0 + ($1.hasPrefix("processed ") ? 1 : 0) } }
}

extension HostProcess {
    /// Whether the process is alive: it exists and is not a zombie. (Reads /proc rather than
    /// reaping, which belongs to Foundation's Process.)
    var isRunning: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[close...].dropFirst(2).first
        return state != "Z" && state != "X"
    }
}

/// Reads `topic` from the beginning with a group-less librdkafka consumer and returns the
/// keys of its messages once `done` holds for them, or when `timeout` passes.
func readKeys(
    brokers: String, topic: String, partitions: Int, timeout: Duration,
    until done: @escaping @Sendable (Set<String>) -> Bool
) async throws -> Set<String> {
    try await onOwnThread {
        try blockingReadKeys(brokers: brokers, topic: topic, partitions: partitions, timeout: timeout, until: done)
    }
}

private func blockingReadKeys(
    brokers: String, topic: String, partitions: Int, timeout: Duration, until done: (Set<String>) -> Bool
) throws -> Set<String> {
    let conf = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 256)
    for (name, value) in [
        "bootstrap.servers": brokers, "group.id": "key-reader-\(UUID().uuidString)", "enable.auto.commit": "false",
        "log_level": "3",
    ] {
        guard rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
            rd_kafka_conf_destroy(conf)
            throw KafkaTestClient.ClientError("\(name): \(text(errorText))")
        }
    }
    guard let consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
        throw KafkaTestClient.ClientError("cannot create the reader: \(text(errorText))")
    }
    defer {
        rd_kafka_consumer_close(consumer)
        rd_kafka_destroy(consumer)
    }
    rd_kafka_poll_set_consumer(consumer)
    let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
    defer { rd_kafka_topic_partition_list_destroy(list) }
    for partition in 0..<Int32(partitions) {
        rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
    }
    rd_kafka_assign(consumer, list)
    var keys: Set<String> = []
    let deadline = ContinuousClock.now + timeout
    while !done(keys), ContinuousClock.now < deadline {
        guard let message = rd_kafka_consumer_poll(consumer, 100) else { continue }
        defer { rd_kafka_message_destroy(message) }
        guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR, let key = message.pointee.key else { continue }
        keys.insert(String(decoding: UnsafeRawBufferPointer(start: key, count: message.pointee.key_len), as: UTF8.self))
    }
    return keys
}

/// The NUL-terminated text in a C buffer.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
