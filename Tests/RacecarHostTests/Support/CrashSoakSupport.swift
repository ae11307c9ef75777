import CRdKafka
import Foundation
import RacecarKafka

/// What the crash soak and the static-membership measurements need beyond the shared support:
/// a partition's high watermark, and the positions a supervisor declared poison.
extension KafkaTestClient {
    /// The high watermark of each partition of `topic`, asked of the broker.
    func highWatermarks(topic: String, partitions: Int) async throws -> [Int32: Int64] {
        let brokers = self.brokers
        return try await onOwnThread {
            try blockingHighWatermarks(brokers: brokers, topic: topic, partitions: partitions)
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

/// The positions a supervisor's log declares poison: its `<position> crashed <consumer> <n> times
/// (max_crashes <m>): it is not processed again` lines.
func poisonedPositions(in log: String) -> Set<ProcessedLine> {
    var positions: Set<ProcessedLine> = []
    for line in log.split(separator: "\n") where line.contains(": it is not processed again") {
        guard let crashed = line.range(of: " crashed ") else { continue }
        let before = line[..<crashed.lowerBound]
        let word = before.split(separator: " ").last.map(String.init) ?? ""
        if let position = ProcessedLine(word) { positions.insert(position) }
    }
    return positions
}
