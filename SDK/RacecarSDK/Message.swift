import CRacecarPlugin

/// A consumed Kafka message, borrowed from the host without copying.
///
/// - Important: A message and the buffers it exposes are valid only during the
///   `process` or `processBatch` call that received it. Copy what you need to keep
///   (``value`` and ``key`` return copies).
public struct Message {
    @usableFromInline
    let raw: UnsafePointer<racecar_message>
    /// The host to ask for the headers, when they are read on demand (every consumer the SDK
    /// exports); `nil` when the message carries them.
    private let host: OpaquePointer?
    private let hostAPI: UnsafePointer<racecar_host_api>?

    /// A message, with `hostAPI` to read its headers on demand; without it, the message
    /// carries them.
    package init(
        _ raw: UnsafePointer<racecar_message>, host: OpaquePointer? = nil,
        hostAPI: UnsafePointer<racecar_host_api>? = nil
    ) {
        self.raw = raw
        self.host = host
        self.hostAPI = hostAPI
    }

    /// The topic the message came from.
    public var topic: String { String(cString: raw.pointee.topic) }
    /// The partition the message came from.
    public var partition: Int32 { raw.pointee.partition }
    /// The message's offset within its partition.
    public var offset: Int64 { raw.pointee.offset }
    /// How many times in a row processing of this partition failed just before this call.
    public var retriesCount: Int { Int(raw.pointee.retries_count) }

    /// When the message was created, in milliseconds since the Unix epoch, if known.
    public var timestampMilliseconds: Int64? {
        raw.pointee.timestamp_ms >= 0 ? raw.pointee.timestamp_ms : nil
    }

    /// The value bytes, borrowed; `nil` for a tombstone.
    public var valueBytes: UnsafeRawBufferPointer? {
        raw.pointee.value.map { UnsafeRawBufferPointer(start: $0, count: raw.pointee.value_length) }
    }

    /// The key bytes, borrowed; `nil` when the message has no key.
    public var keyBytes: UnsafeRawBufferPointer? {
        raw.pointee.key.map { UnsafeRawBufferPointer(start: $0, count: raw.pointee.key_length) }
    }

    /// The value decoded as UTF-8 (a copy); `nil` for a tombstone.
    public var value: String? { valueBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The key decoded as UTF-8 (a copy); `nil` when the message has no key.
    public var key: String? { keyBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The message's headers as name/value pairs in their original order, values decoded as
    /// UTF-8 (`nil` for a null value).
    public var headers: [(name: String, value: String?)] {
        var list = raw.pointee.headers
        var count = raw.pointee.header_count
        if let hostAPI, let read = hostAPI.pointee.message_headers {
            // The host refuses a message kept past its call: its headers are gone.
            guard read(host, raw, &list, &count, nil) == RACECAR_OK else { return [] }
        }
        return (0..<count).compactMap { index in
            guard let header = list?[index] else { return nil }
            let value = header.pointee.value.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: header.pointee.value_length), as: UTF8.self)
            }
            return (String(cString: header.pointee.name), value)
        }
    }
}
