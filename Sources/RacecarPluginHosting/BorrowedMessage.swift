/// A message as the plugin receives it: every pointer borrowed from its owner (librdkafka's
/// buffers, for a polled message), valid for the duration of the call it is passed to.
package struct BorrowedMessage {
    package var topic: UnsafePointer<CChar>
    package var partition: Int32
    package var offset: Int64
    package var key: UnsafeRawPointer?
    package var keyLength: Int
    package var value: UnsafeRawPointer?
    package var valueLength: Int
    /// Milliseconds since the epoch, or -1 when unknown.
    package var timestampMilliseconds: Int64

    @inlinable package init(
        topic: UnsafePointer<CChar>,
        partition: Int32,
        offset: Int64,
        key: UnsafeRawPointer?,
        keyLength: Int,
        value: UnsafeRawPointer?,
        valueLength: Int,
        timestampMilliseconds: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.keyLength = keyLength
        self.value = value
        self.valueLength = valueLength
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Reads the headers of the messages of the current call, by slot: for consumers that ask
/// for headers on demand, and for older plugins that find them in every message.
package protocol MessageHeaderSource: AnyObject {
    /// How many headers the message in `slot` has.
    func headerCount(ofSlot slot: Int) -> Int
    /// Calls `body` with each header of the message in `slot`: name, value, value length; the
    /// pointers stay valid until the call ends.
    func forEachHeader(ofSlot slot: Int, _ body: (UnsafePointer<CChar>?, UnsafeRawPointer?, Int) -> Void)
}
