import CRacecarPlugin

/// The ABI's message slots of one consumer instance: reusable `racecar_message` structs that
/// point straight into the messages' own buffers, so dispatch allocates nothing per message.
///
/// Used by one thread at a time: the one calling the consumer instance it belongs to.
final class MessageSlots: @unchecked Sendable {
    typealias HeaderList = UnsafeMutablePointer<UnsafePointer<racecar_header>?>

    let capacity: Int
    /// The consumer reads headers through `headers(of:)` (RACECAR_HEADERS_ON_DEMAND) instead of
    /// finding them in every message.
    private let headersOnDemand: Bool
    private let messages: UnsafeMutablePointer<racecar_message>
    /// `pointers[i]` is `messages + i`, the array-of-pointers form the ABI takes.
    let pointers: UnsafeMutablePointer<UnsafePointer<racecar_message>?>
    /// Reads the headers of the messages behind the slots.
    private unowned(unsafe) let headerSource: MessageHeaderSource
    private var filled = 0
    private var headers: UnsafeMutablePointer<racecar_header>
    private var headerPointers: HeaderList
    private var headerCapacity = 0
    /// Headers handed out on demand during the current call, by slot, so that asking twice
    /// parses and allocates once; freed when the call ends.
    private var onDemand: [Int: (storage: UnsafeMutablePointer<racecar_header>?, list: HeaderList?, count: Int)] = [:]

    init(capacity: Int, headersOnDemand: Bool, headerSource: MessageHeaderSource) {
        self.capacity = capacity
        self.headersOnDemand = headersOnDemand
        self.headerSource = headerSource
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: racecar_message(), count: capacity)
        pointers = .allocate(capacity: capacity)
        for index in 0..<capacity { pointers[index] = UnsafePointer(messages + index) }
        headers = .allocate(capacity: 0)
        headerPointers = .allocate(capacity: 0)
    }

    deinit {
        releaseOnDemandHeaders()
        messages.deallocate()
        pointers.deallocate()
        headers.deallocate()
        headerPointers.deallocate()
    }

    /// Fills slots `0..<count` from `source(i)`, messages of one partition; headers of all of
    /// them stay valid together.
    @inline(__always)
    func fill(count: Int, retries: Int32, _ source: (Int) -> BorrowedMessage) {
        filled = count
        var headerCount = 0
        if !headersOnDemand {
            for index in 0..<count { headerCount += headerSource.headerCount(ofSlot: index) }
        }
        if headerCount > headerCapacity { growHeaders(to: headerCount) }
        var nextHeader = 0
        for index in 0..<count {
            let message = source(index)
            let target = messages + index
            target.pointee.struct_size = MemoryLayout<racecar_message>.size
            target.pointee.topic = message.topic
            target.pointee.partition = message.partition
            target.pointee.offset = message.offset
            target.pointee.key = message.key
            target.pointee.key_length = message.keyLength
            target.pointee.value = message.value
            target.pointee.value_length = message.valueLength
            target.pointee.timestamp_ms = message.timestampMilliseconds
            target.pointee.retries_count = retries
            target.pointee.headers = nil
            target.pointee.header_count = 0
            if headerCount > 0 {
                let used = writeHeaders(ofSlot: index, into: headers + nextHeader, list: headerPointers + nextHeader)
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

    /// Where the messages of the current call are: their topic, partition and offsets, for the
    /// plugin's log lines; `nil` between calls.
    var currentPosition: (topic: UnsafePointer<CChar>?, partition: Int32, offsets: ClosedRange<Int64>)? {
        guard filled > 0 else { return nil }
        let first = messages.pointee
        return (first.topic, first.partition, first.offset...messages[filled - 1].offset)
    }

    /// The headers of `message`, the address of one of the slots of the current call, laid
    /// out for the ABI; valid until the call ends. `nil` for any other address.
    func headers(of message: UnsafePointer<racecar_message>) -> (
        list: UnsafePointer<UnsafePointer<racecar_header>?>?, count: Int
    )? {
        let slot = UnsafePointer(messages).distance(to: message)
        guard slot >= 0, slot < filled, UnsafePointer(messages + slot) == message else { return nil }
        if let known = onDemand[slot] { return (known.list.map { UnsafePointer($0) }, known.count) }
        let total = headerSource.headerCount(ofSlot: slot)
        guard total > 0 else {
            onDemand[slot] = (nil, nil, 0)
            return (nil, 0)
        }
        let storage = UnsafeMutablePointer<racecar_header>.allocate(capacity: total)
        let list = HeaderList.allocate(capacity: total)
        let count = writeHeaders(ofSlot: slot, into: storage, list: list)
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

    /// Writes the headers of the message in `slot` into `storage` and pointers to them into
    /// `list`, which have room for all of them; returns how many it wrote.
    private func writeHeaders(ofSlot slot: Int, into storage: UnsafeMutablePointer<racecar_header>, list: HeaderList)
        -> Int
    {
        var index = 0
        headerSource.forEachHeader(ofSlot: slot) { name, value, size in
            storage[index] = racecar_header(
                struct_size: MemoryLayout<racecar_header>.size, name: name, value: value, value_length: size)
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
