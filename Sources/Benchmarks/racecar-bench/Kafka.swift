import CRdKafka

#if canImport(Glibc)
    import Glibc
#endif

/// A librdkafka client with `properties`, or a clear error.
func makeClient(_ type: rd_kafka_type_t, _ properties: [(String, String)]) throws(BenchError) -> OpaquePointer {
    let conf = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 512)
    for (name, value) in properties {
        guard rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
            rd_kafka_conf_destroy(conf)
            throw BenchError("librdkafka refused \(name)=\(value): \(cString(errorText))")
        }
    }
    guard let client = rd_kafka_new(type, conf, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(conf)
        throw BenchError("could not create a librdkafka client: \(cString(errorText))")
    }
    return client
}

func cString(_ characters: [CChar]) -> String {
    String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func errorMessage(_ code: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(code)) }

/// How many of `total` messages spread round-robin over `partitions` land in `partition`.
func expectedCount(total: Int, partitions: Int, partition: Int) -> Int64 {
    Int64(total / partitions + (partition < total % partitions ? 1 : 0))
}

/// Loads the benchmark topic quickly: one producer, messages spread round-robin over the
/// partitions, large batches (the mock returns one record batch per partition per fetch, so
/// batch size also shapes how consumers fetch), no copy of the shared payload.
///
/// Then checks that every partition holds exactly its messages with offsets contiguous from
/// 0: the mock keeps at most about 5 MiB per partition and drops older batches silently.
func loadTopic(brokers: String, topic: String, partitions: Int, messages: Int, size: Int) throws(BenchError) -> [Int64]
{
    let producer = try makeClient(
        RD_KAFKA_PRODUCER,
        [
            ("bootstrap.servers", brokers),
            ("linger.ms", "20"),
            ("batch.num.messages", "10000"),
            ("batch.size", "1000000"),
            ("queue.buffering.max.messages", "1000000"),
            ("compression.codec", "none"),
            ("log_level", "3"),
        ])
    defer { rd_kafka_destroy(producer) }
    guard let topicHandle = rd_kafka_topic_new(producer, topic, nil) else {
        throw BenchError("could not create a topic handle for \(topic)")
    }
    defer { rd_kafka_topic_destroy(topicHandle) }

    let payload = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 8)
    defer { payload.deallocate() }
    for index in 0..<size {
        payload.storeBytes(of: UInt8(ascii: "a") + UInt8(index % 26), toByteOffset: index, as: UInt8.self)
    }

    var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 4)
    values[0].vtype = RD_KAFKA_VTYPE_RKT
    values[0].u.rkt = topicHandle
    values[1].vtype = RD_KAFKA_VTYPE_PARTITION
    values[2].vtype = RD_KAFKA_VTYPE_VALUE
    values[2].u.mem.ptr = payload
    values[2].u.mem.size = size
    // No RD_KAFKA_MSG_F_COPY: every message borrows the one payload, which outlives the flush.
    values[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS
    values[3].u.i = 0

    try values.withUnsafeMutableBufferPointer { (buffer) throws(BenchError) in
        var index = 0
        while index < messages {
            buffer[1].u.i32 = Int32(index % partitions)
            if let failure = rd_kafka_produceva(producer, buffer.baseAddress, buffer.count) {
                let code = rd_kafka_error_code(failure)
                let text = String(cString: rd_kafka_error_string(failure))
                rd_kafka_error_destroy(failure)
                guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                    throw BenchError("producing message \(index) to the mock cluster failed: \(text)")
                }
                rd_kafka_poll(producer, 10)
                continue
            }
            index += 1
            if index % 10_000 == 0 { rd_kafka_poll(producer, 0) }
        }
    }
    let flushed = rd_kafka_flush(producer, 300_000)
    guard flushed == RD_KAFKA_RESP_ERR_NO_ERROR else {
        throw BenchError("loading the topic: flush failed: \(errorMessage(flushed))")
    }

    let watermarks = try highWatermarks(
        client: producer, topic: topic, partitions: partitions, requireStartAtZero: true)
    for partition in 0..<partitions {
        let expected = expectedCount(total: messages, partitions: partitions, partition: partition)
        guard watermarks[partition] == expected else {
            throw BenchError(
                "partition \(partition) holds offsets 0..<\(watermarks[partition]) but \(expected) messages were produced to it"
            )
        }
    }
    return watermarks
}

/// The high watermark of each partition; with `requireStartAtZero`, fails unless the low
/// watermark is 0 (the mock truncated nothing).
func highWatermarks(client: OpaquePointer, topic: String, partitions: Int, requireStartAtZero: Bool) throws(BenchError)
    -> [Int64]
{
    var result: [Int64] = []
    for partition in 0..<partitions {
        var low: Int64 = -1
        var high: Int64 = -1
        let error = rd_kafka_query_watermark_offsets(client, topic, Int32(partition), &low, &high, 10_000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw BenchError("querying the watermarks of \(topic)/\(partition): \(errorMessage(error))")
        }
        if requireStartAtZero && low != 0 {
            throw BenchError(
                "\(topic)/\(partition) starts at offset \(low), not 0: the mock cluster dropped old batches (it keeps about 5 MiB per partition); use more --partitions"
            )
        }
        result.append(high)
    }
    return result
}

/// Reads a consumer group's committed offsets through a client of its own that never joins
/// the group.
final class CommittedOffsets {
    private let client: OpaquePointer
    private let topic: String
    private let partitions: Int

    init(brokers: String, group: String, topic: String, partitions: Int) throws(BenchError) {
        client = try makeClient(
            RD_KAFKA_CONSUMER,
            [
                ("bootstrap.servers", brokers),
                ("group.id", group),
                ("enable.auto.commit", "false"),
                ("log_level", "3"),
            ])
        self.topic = topic
        self.partitions = partitions
    }

    deinit {
        rd_kafka_destroy(client)
    }

    /// The committed offset per partition (-1001 where the group committed none), or nil when
    /// the coordinator did not answer in time.
    func read(timeoutMilliseconds: Int32 = 5_000) -> [Int64]? {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<partitions { rd_kafka_topic_partition_list_add(list, topic, Int32(partition)) }
        guard rd_kafka_committed(client, list, timeoutMilliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var offsets = [Int64](repeating: -1001, count: partitions)
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            if element.err == RD_KAFKA_RESP_ERR_NO_ERROR, element.partition >= 0, Int(element.partition) < partitions {
                offsets[Int(element.partition)] = element.offset
            }
        }
        return offsets
    }
}
