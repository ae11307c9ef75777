/// A message produced by a consumer under test, as the host received it from `produce`.
public struct ProducedMessage: Sendable {
    /// The topic it was produced to.
    public var topic: String
    /// The key, or `nil` when it has none.
    public var key: String?
    /// The value, or `nil` for a tombstone.
    public var value: String?
    /// Its headers, in order; a `nil` value is a null header value.
    public var headers: [(name: String, value: String?)]
    /// The explicit partition, or `nil` when the partitioner picks one.
    public var partition: Int32?
    /// What the partitioner hashes instead of the key, if given.
    public var partitionKey: String?
}
