import CRacecarPlugin
import CRdKafka

/// Reusable C storage for the messages handed to a plugin: `racecar_message` structs that
/// point straight into librdkafka's buffers, so dispatch allocates nothing per message.
final class MessageBuffer {
    let capacity: Int
    private let messages: UnsafeMutablePointer<racecar_message>
    /// `pointers[i]` is `messages + i`, the array-of-pointers form the ABI takes.
    let pointers: UnsafeMutablePointer<UnsafePointer<racecar_message>?>
    private var headers: UnsafeMutablePointer<racecar_header>
    private var headerPointers: UnsafeMutablePointer<UnsafePointer<racecar_header>?>
    private var headerCapacity = 0

    init(capacity: Int) {
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: racecar_message(), count: capacity)
        pointers = .allocate(capacity: capacity)
        for index in 0..<capacity { pointers[index] = UnsafePointer(messages + index) }
        headers = .allocate(capacity: 0)
        headerPointers = .allocate(capacity: 0)
    }

    deinit {
        messages.deallocate()
        pointers.deallocate()
        headers.deallocate()
        headerPointers.deallocate()
    }

    /// Fills slots `0..<count` from `source(i)`; headers of all of them stay valid together.
    @inline(__always)
    func fill(count: Int, retries: Int32, _ source: (Int) -> UnsafeMutablePointer<rd_kafka_message_t>) {
        var headerCount = 0
        for index in 0..<count {
            headerCount += headerTotal(source(index))
        }
        if headerCount > headerCapacity { growHeaders(to: headerCount) }
        var nextHeader = 0
        for index in 0..<count {
            let message = source(index)
            let target = messages + index
            target.pointee.struct_size = MemoryLayout<racecar_message>.size
            target.pointee.topic = rd_kafka_topic_name(message.pointee.rkt)
            target.pointee.partition = message.pointee.partition
            target.pointee.offset = message.pointee.offset
            target.pointee.key = UnsafeRawPointer(message.pointee.key)
            target.pointee.key_length = message.pointee.key_len
            target.pointee.value = UnsafeRawPointer(message.pointee.payload)
            target.pointee.value_length = message.pointee.len
            target.pointee.timestamp_ms = rd_kafka_message_timestamp(message, nil)
            target.pointee.retries_count = retries
            target.pointee.headers = nil
            target.pointee.header_count = 0
            if headerCount > 0 {
                let used = fillHeaders(message, startingAt: nextHeader)
                if used > 0 {
                    target.pointee.headers = UnsafePointer(headerPointers + nextHeader)
                    target.pointee.header_count = used
                    nextHeader += used
                }
            }
        }
    }

    private func headerTotal(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> Int {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return 0 }
        return rd_kafka_header_cnt(list)
    }

    private func fillHeaders(_ message: UnsafeMutablePointer<rd_kafka_message_t>, startingAt start: Int) -> Int {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return 0 }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            headers[start + index] = racecar_header(
                struct_size: MemoryLayout<racecar_header>.size,
                name: name,
                value: value,
                value_length: value == nil ? 0 : size
            )
            headerPointers[start + index] = UnsafePointer(headers + start + index)
            index += 1
        }
        return index
    }

    private func growHeaders(to count: Int) {
        headers.deallocate()
        headerPointers.deallocate()
        headerCapacity = max(count, headerCapacity * 2)
        headers = .allocate(capacity: headerCapacity)
        headerPointers = .allocate(capacity: headerCapacity)
    }
}
