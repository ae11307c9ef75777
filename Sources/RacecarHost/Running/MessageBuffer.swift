import CRacecarPlugin
import CRdKafka

/// Reusable C storage for the messages handed to a plugin: `racecar_message` structs that
/// point straight into librdkafka's buffers, so dispatch allocates nothing per message.
///
/// Used by one thread at a time: the one calling the consumer instance it belongs to.
final class MessageBuffer: @unchecked Sendable {
    typealias HeaderList = UnsafeMutablePointer<UnsafePointer<racecar_header>?>

    let capacity: Int
    /// The consumer reads headers through `headers(of:)` (RACECAR_HEADERS_ON_DEMAND) instead of
    /// finding them in every message.
    private let headersOnDemand: Bool
    private let messages: UnsafeMutablePointer<racecar_message>
    /// `pointers[i]` is `messages + i`, the array-of-pointers form the ABI takes.
    let pointers: UnsafeMutablePointer<UnsafePointer<racecar_message>?>
    /// The librdkafka message behind each slot, for headers on demand.
    private let sources: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    private var filled = 0
    private var headers: UnsafeMutablePointer<racecar_header>
    private var headerPointers: HeaderList
    private var headerCapacity = 0
    /// Headers handed out on demand during the current call, by slot, so that asking twice
    /// parses and allocates once; freed when the call ends.
    private var onDemand: [Int: (storage: UnsafeMutablePointer<racecar_header>?, list: HeaderList?, count: Int)] = [:]

    init(capacity: Int, headersOnDemand: Bool) {
        self.capacity = capacity
        self.headersOnDemand = headersOnDemand
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: racecar_message(), count: capacity)
        pointers = .allocate(capacity: capacity)
        for index in 0..<capacity { pointers[index] = UnsafePointer(messages + index) }
        sources = .allocate(capacity: capacity)
        sources.initialize(repeating: nil, count: capacity)
        headers = .allocate(capacity: 0)
        headerPointers = .allocate(capacity: 0)
    }

    deinit {
        releaseOnDemandHeaders()
        messages.deallocate()
        pointers.deallocate()
        sources.deallocate()
        headers.deallocate()
        headerPointers.deallocate()
    }

    /// Fills slots `0..<count` from `source(i)`, messages of one partition; headers of all of
    /// them stay valid together.
    @inline(__always)
    func fill(count: Int, retries: Int32, _ source: (Int) -> UnsafeMutablePointer<rd_kafka_message_t>) {
        filled = count
        var headerCount = 0
        if !headersOnDemand {
            for index in 0..<count { headerCount += headerTotal(source(index)) }
        }
        if headerCount > headerCapacity { growHeaders(to: headerCount) }
        guard count > 0 else { return }
        let topic = rd_kafka_topic_name(source(0).pointee.rkt)
        var nextHeader = 0
        for index in 0..<count {
            let message = source(index)
            let target = messages + index
            sources[index] = message
            target.pointee.struct_size = MemoryLayout<racecar_message>.size
            target.pointee.topic = topic
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
                let used = writeHeaders(of: message, into: headers + nextHeader, list: headerPointers + nextHeader)
                if used > 0 {
                    target.pointee.headers = UnsafePointer(headerPointers + nextHeader)
                    target.pointee.header_count = used
                    nextHeader += used
                }
            }
        }
    }

    /// Called when the plugin call that received the filled slots returned: their messages are
    /// about to be destroyed, so `headers(of:)` refuses them from now on.
    @inline(__always)
    func callEnded() {
        filled = 0
        if !onDemand.isEmpty { releaseOnDemandHeaders() }
    }

    /// The headers of `message`, the address of one of the slots of the current call, laid
    /// out for the ABI; valid until the call ends. `nil` for any other address.
    func headers(of message: UnsafePointer<racecar_message>) -> (
        list: UnsafePointer<UnsafePointer<racecar_header>?>?, count: Int
    )? {
        let slot = UnsafePointer(messages).distance(to: message)
        guard slot >= 0, slot < filled, UnsafePointer(messages + slot) == message, let source = sources[slot] else {
            return nil
        }
        if let known = onDemand[slot] { return (known.list.map { UnsafePointer($0) }, known.count) }
        let total = headerTotal(source)
        guard total > 0 else {
            onDemand[slot] = (nil, nil, 0)
            return (nil, 0)
        }
        let storage = UnsafeMutablePointer<racecar_header>.allocate(capacity: total)
        let list = HeaderList.allocate(capacity: total)
        let count = writeHeaders(of: source, into: storage, list: list)
        onDemand[slot] = (storage, list, count)
        return (UnsafePointer(list), count)
    }

    private func releaseOnDemandHeaders() {
        for block in onDemand.values {
            block.storage?.deallocate()
            block.list?.deallocate()
        }
        onDemand.removeAll(keepingCapacity: true)
    }

    private func headerTotal(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> Int {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return 0 }
        return rd_kafka_header_cnt(list)
    }

    /// Writes `message`'s headers into `storage` and pointers to them into `list`, which have
    /// room for all of them; returns how many it wrote.
    private func writeHeaders(
        of message: UnsafeMutablePointer<rd_kafka_message_t>,
        into storage: UnsafeMutablePointer<racecar_header>,
        list: HeaderList
    ) -> Int {
        var parsed: OpaquePointer?
        guard rd_kafka_message_headers(message, &parsed) == RD_KAFKA_RESP_ERR_NO_ERROR, let parsed else { return 0 }
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(parsed, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            storage[index] = racecar_header(
                struct_size: MemoryLayout<racecar_header>.size,
                name: name,
                value: value,
                value_length: value == nil ? 0 : size
            )
            list[index] = UnsafePointer(storage + index)
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
