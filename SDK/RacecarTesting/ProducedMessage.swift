/// A message produced by a consumer under test, as the host received it from `produce`.
public struct ProducedMessage: Sendable {
    /// The topic it was produced to.
    public var topic: String
    /// The key's bytes, or `nil` when it has none.
    public var keyBytes: [UInt8]?
    /// The value's bytes, or `nil` for a tombstone.
    public var valueBytes: [UInt8]?
    /// Its headers, in order, as bytes; a `nil` value is a null header value.
    public var headerBytes: [(name: String, value: [UInt8]?)]
    /// The explicit partition, or `nil` when the partitioner picks one.
    public var partition: Int32?
    /// What the partitioner hashes instead of the key, if given.
    public var partitionKey: String?

    /// The key as UTF-8 text, or `nil` when it has none.
    public var key: String? { keyBytes.map { String(decoding: $0, as: UTF8.self) } }
    /// The value as UTF-8 text, or `nil` for a tombstone.
    public var value: String? { valueBytes.map { String(decoding: $0, as: UTF8.self) } }
    /// Its headers as UTF-8 text, in order; a `nil` value is a null header value.
    public var headers: [(name: String, value: String?)] {
        headerBytes.map { ($0.name, $0.value.map { String(decoding: $0, as: UTF8.self) }) }
    }
}
