/// A message to produce, as borrowed bytes: librdkafka copies them before `produce` returns.
package struct OutgoingMessage {
    /// One header; `value` nil is a header without a value.
    package struct Header {
        package var name: UnsafePointer<CChar>
        package var value: UnsafeRawBufferPointer?

        package init(name: UnsafePointer<CChar>, value: UnsafeRawBufferPointer?) {
            self.name = name
            self.value = value
        }
    }

    package var topic: UnsafePointer<CChar>
    package var key: UnsafeRawBufferPointer?
    package var value: UnsafeRawBufferPointer?
    /// The partition to write to; `nil` lets `partitionKey` (or the partitioner) choose.
    package var partition: Int32?
    /// Bytes hashed to choose the partition, instead of the key.
    package var partitionKey: UnsafeRawBufferPointer?
    /// Milliseconds since the epoch; `nil` for the time of producing.
    package var timestampMilliseconds: Int64?

    package init(
        topic: UnsafePointer<CChar>,
        key: UnsafeRawBufferPointer? = nil,
        value: UnsafeRawBufferPointer?,
        partition: Int32? = nil,
        partitionKey: UnsafeRawBufferPointer? = nil,
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.partition = partition
        self.partitionKey = partitionKey
        self.timestampMilliseconds = timestampMilliseconds
    }
}
