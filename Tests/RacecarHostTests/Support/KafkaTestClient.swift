import CRdKafka
import Foundation
import RacecarConfiguration
import RacecarKafka

/// An independent librdkafka client in the test process, for checking what the host did:
/// committed offsets, watermarks and topic contents.
struct KafkaTestClient {
    let brokers: String

    /// The offsets committed by `group` for `topic`'s partitions (-1001 when none).
    func committedOffsets(group: String, topic: String, partitions: Int) async throws -> [Int32: Int64] {
        try await onOwnThread { try blockingCommittedOffsets(group: group, topic: topic, partitions: partitions) }
    }

    private func blockingCommittedOffsets(group: String, topic: String, partitions: Int) throws -> [Int32: Int64] {
        let consumer = try makeClient(type: RD_KAFKA_CONSUMER, extra: ["group.id": group])
        defer { rd_kafka_destroy(consumer) }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<partitions { rd_kafka_topic_partition_list_add(list, topic, Int32(partition)) }
        let error = rd_kafka_committed(consumer, list, 10_000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw ClientError(String(cString: rd_kafka_err2str(error))) }
        var result: [Int32: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            result[list.pointee.elems[index].partition] = list.pointee.elems[index].offset
        }
        return result
    }

    /// A message read back, with its headers.
    struct ReadMessage: Sendable {
        var key: String?
        var value: String
        var headers: [String: String]
        /// The same, byte for byte, for payloads that are not text.
        var keyBytes: [UInt8]?
        var valueBytes: [UInt8]?
        var headerBytes: [String: [UInt8]]
    }

    /// Reads every message of `topic` from the beginning until `count` arrived.
    func readMessages(topic: String, partitions: Int, count: Int, timeout: Duration = .seconds(30)) async throws -> [(
        key: String?, value: String
    )] {
        try await read(topic: topic, partitions: partitions, count: count, timeout: timeout).map { ($0.key, $0.value) }
    }

    /// Reads every message of `topic`, with headers, from the beginning until `count` arrived.
    func read(topic: String, partitions: Int, count: Int, timeout: Duration = .seconds(30)) async throws
        -> [ReadMessage]
    {
        try await onOwnThread { try blockingRead(topic: topic, partitions: partitions, count: count, timeout: timeout) }
    }

    /// The high watermark of each partition of `topic`, asked of the broker (the mock cluster's
    /// logs start at offset 0, so it is also how many messages the partition holds).
    func highWatermarks(topic: String, partitions: Int) async throws -> [Int32: Int64] {
        let brokers = self.brokers
        return try await onOwnThread {
            try blockingHighWatermarks(brokers: brokers, topic: topic, partitions: partitions)
        }
    }

    private func blockingRead(topic: String, partitions: Int, count: Int, timeout: Duration) throws -> [ReadMessage] {
        let consumer = try makeClient(type: RD_KAFKA_CONSUMER, extra: ["group.id": "test-reader-\(UUID().uuidString)"])
        defer {
            rd_kafka_consumer_close(consumer)
            rd_kafka_destroy(consumer)
        }
        rd_kafka_poll_set_consumer(consumer)
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, Int32(partition)).pointee.offset = Int64(
                RD_KAFKA_OFFSET_BEGINNING)
        }
        rd_kafka_assign(consumer, list)
        var messages: [ReadMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count, ContinuousClock.now < deadline {
            guard let message = rd_kafka_consumer_poll(consumer, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            let value = String(
                decoding: UnsafeRawBufferPointer(start: message.pointee.payload, count: message.pointee.len),
                as: UTF8.self)
            let key = message.pointee.key.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len), as: UTF8.self)
            }
            var headers: [String: String] = [:]
            var headerBytes: [String: [UInt8]] = [:]
            var list: OpaquePointer?
            if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
                var index = 0
                var name: UnsafePointer<CChar>?
                var headerValue: UnsafeRawPointer?
                var size = 0
                while rd_kafka_header_get_all(list, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                    if let name {
                        headers[String(cString: name)] = headerValue.map {
                            String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self)
                        }
                        headerBytes[String(cString: name)] = headerValue.map {
                            Array(UnsafeRawBufferPointer(start: $0, count: size))
                        }
                    }
                    index += 1
                }
            }
            messages.append(
                ReadMessage(
                    key: key, value: value, headers: headers,
                    keyBytes: message.pointee.key.map {
                        Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.key_len))
                    },
                    valueBytes: message.pointee.payload.map {
                        Array(UnsafeRawBufferPointer(start: $0, count: message.pointee.len))
                    },
                    headerBytes: headerBytes))
        }
        return messages
    }

    private func makeClient(type: rd_kafka_type_t, extra: [String: String]) throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 256)
        for (name, value) in ["bootstrap.servers": brokers, "enable.auto.commit": "false", "log_level": "3"].merging(
            extra, uniquingKeysWith: { $1 })
        {
            rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
        }
        guard let client = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            throw ClientError("cannot create test client")
        }
        return client
    }

    struct ClientError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension MockCluster {
    /// Produces `count` messages `key-<i>` / `value-<i>` to each partition of `topic`.
    func produceNumbered(topic: String, partitions: Int, perPartition count: Int, startingAt start: Int = 0)
        async throws
    {
        try await onOwnThread {
            try self.blockingProduceNumbered(
                topic: topic, partitions: partitions, perPartition: count, startingAt: start)
        }
    }

    /// Produces `messages` to `topic` and waits until they are stored.
    func produceOffPool(topic: String, messages: [(key: String?, value: String, partition: Int32?)]) async throws {
        try await onOwnThread { try self.produce(topic: topic, messages: messages) }
    }

    private func blockingProduceNumbered(topic: String, partitions: Int, perPartition count: Int, startingAt start: Int)
        throws
    {
        for partition in 0..<partitions {
            let messages = (start..<(start + count)).map { index in
                (
                    key: Optional("key-\(index)"), value: "value-\(partition)-\(index)",
                    partition: Optional(Int32(partition))
                )
            }
            try produce(topic: topic, messages: messages)
        }
    }
}

private func blockingHighWatermarks(brokers: String, topic: String, partitions: Int) throws -> [Int32: Int64] {
    let conf = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 256)
    for (name, value) in ["bootstrap.servers": brokers, "log_level": "3"] {
        rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
    }
    guard let client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
        throw KafkaTestClient.ClientError("cannot create the watermark client")
    }
    defer { rd_kafka_destroy(client) }
    var result: [Int32: Int64] = [:]
    for partition in 0..<Int32(partitions) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(client, topic, partition, &low, &high, 10_000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaTestClient.ClientError(
                "watermarks of \(topic)/\(partition): \(String(cString: rd_kafka_err2str(error)))")
        }
        result[partition] = high
    }
    return result
}
