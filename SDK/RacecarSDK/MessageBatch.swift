import CRacecarPlugin

/// A batch of messages from one partition, in offset order, borrowed from the host.
///
/// - Important: Valid only during the ``BatchConsumer/processBatch(_:)`` call that
///   received it.
public struct MessageBatch: RandomAccessCollection {
    private let messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>
    private let host: OpaquePointer?
    private let hostAPI: UnsafePointer<racecar_host_api>?

    /// A batch, with `hostAPI` to read its messages' headers on demand; without it, the
    /// messages carry them.
    package init(
        _ messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>, host: OpaquePointer? = nil,
        hostAPI: UnsafePointer<racecar_host_api>? = nil
    ) {
        self.messages = messages
        self.host = host
        self.hostAPI = hostAPI
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }

    public subscript(position: Int) -> Message { Message(messages[position]!, host: host, hostAPI: hostAPI) }
}
