import CRacecarPlugin
import RacecarSDK

/// A message to hand to a consumer under test.
public struct TestMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: String?
    public var value: String?
    public var headers: [(name: String, value: String?)]
    public var timestampMilliseconds: Int64?
    public var retriesCount: Int

    public init(
        topic: String,
        partition: Int32 = 0,
        offset: Int64 = 0,
        key: String? = nil,
        value: String?,
        headers: [(name: String, value: String?)] = [],
        timestampMilliseconds: Int64? = nil,
        retriesCount: Int = 0
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
        self.retriesCount = retriesCount
    }

    /// Lays the message out as the host would, valid for the duration of `body`.
    func withABIMessage<Result>(_ body: (UnsafePointer<racecar_message>) throws -> Result) rethrows -> Result {
        try Self.withABIMessages([self]) { try body($0[0]!) }
    }

    /// Lays `messages` out as the host would for a batch, valid for the duration of `body`.
    static func withABIMessages<Result>(
        _ messages: [TestMessage],
        _ body: (UnsafeBufferPointer<UnsafePointer<racecar_message>?>) throws -> Result
    ) rethrows -> Result {
        // C copies with explicit lifetimes: the consumer sees exactly what the host hands it.
        var allocations: [UnsafeMutableRawPointer] = []
        defer { allocations.forEach { $0.deallocate() } }
        func copy(_ text: String?) -> (UnsafeRawPointer?, Int) {
            guard let text else { return (nil, 0) }
            let bytes = Array(text.utf8) + [0]
            let storage = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
            storage.copyMemory(from: bytes, byteCount: bytes.count)
            allocations.append(storage)
            return (UnsafeRawPointer(storage), bytes.count - 1)
        }
        let structs = UnsafeMutablePointer<racecar_message>.allocate(capacity: max(messages.count, 1))
        let pointers = UnsafeMutablePointer<UnsafePointer<racecar_message>?>.allocate(capacity: max(messages.count, 1))
        allocations.append(UnsafeMutableRawPointer(structs))
        allocations.append(UnsafeMutableRawPointer(pointers))
        for (index, message) in messages.enumerated() {
            let headerStructs = UnsafeMutablePointer<racecar_header>.allocate(capacity: max(message.headers.count, 1))
            let headerPointers = UnsafeMutablePointer<UnsafePointer<racecar_header>?>.allocate(
                capacity: max(message.headers.count, 1))
            allocations.append(UnsafeMutableRawPointer(headerStructs))
            allocations.append(UnsafeMutableRawPointer(headerPointers))
            for (headerIndex, header) in message.headers.enumerated() {
                let (name, _) = copy(header.name)
                let (value, length) = copy(header.value)
                headerStructs[headerIndex] = racecar_header(
                    struct_size: MemoryLayout<racecar_header>.size,
                    name: name?.assumingMemoryBound(to: CChar.self),
                    value: value,
                    value_length: length
                )
                headerPointers[headerIndex] = UnsafePointer(headerStructs + headerIndex)
            }
            let (topic, _) = copy(message.topic)
            let (key, keyLength) = copy(message.key)
            let (value, valueLength) = copy(message.value)
            structs[index] = racecar_message(
                struct_size: MemoryLayout<racecar_message>.size,
                topic: topic?.assumingMemoryBound(to: CChar.self),
                partition: message.partition,
                offset: message.offset,
                key: key,
                key_length: keyLength,
                value: value,
                value_length: valueLength,
                timestamp_ms: message.timestampMilliseconds ?? -1,
                retries_count: Int32(clamping: message.retriesCount),
                headers: UnsafePointer(headerPointers),
                header_count: message.headers.count
            )
            pointers[index] = UnsafePointer(structs + index)
        }
        return try body(UnsafeBufferPointer(start: pointers, count: messages.count))
    }
}
