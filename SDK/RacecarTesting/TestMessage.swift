/// A message to hand to a consumer under test, as racecar-host would hand it over from Kafka.
public struct TestMessage: Sendable {
    /// The topic the message comes from.
    public var topic: String
    /// The partition the message comes from.
    public var partition: Int32
    /// The message's offset within its partition.
    public var offset: Int64
    /// The key, or `nil` for none.
    public var key: String?
    /// The value, or `nil` for a tombstone.
    public var value: String?
    /// The headers in order; a `nil` value is a null header value.
    public var headers: [(name: String, value: String?)]
    /// Create time in milliseconds since the Unix epoch, or `nil` when the broker gave none.
    public var timestampMilliseconds: Int64?
    /// How many times in a row processing of the partition failed just before this call.
    public var retriesCount: Int

    /// Creates a message. By default it is a first attempt at offset 0 of partition 0, with no
    /// key, headers or timestamp.
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
}
