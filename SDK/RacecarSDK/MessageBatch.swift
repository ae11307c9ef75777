import CRacecarPlugin

/// A batch of messages from one partition, in offset order, borrowed from the host.
///
/// - Important: Valid only during the ``BatchConsumer/processBatch(_:)`` call that
///   received it.
public struct MessageBatch: RandomAccessCollection {
    private let messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>
    private let host: OpaquePointer?
    private let hostAPI: UnsafePointer<racecar_host_api>?

    /// A batch of messages that carry their headers.
    package init(_ messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>) {
        self.messages = messages
        self.host = nil
        self.hostAPI = nil
    }

    /// A batch of messages whose headers `hostAPI` reads on demand.
    package init(
        _ messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>, host: OpaquePointer?,
        hostAPI: UnsafePointer<racecar_host_api>
    ) {
        self.messages = messages
        self.host = host
        self.hostAPI = hostAPI
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }

    public subscript(position: Int) -> Message {
        if let hostAPI { return Message(messages[position]!, host: host, hostAPI: hostAPI) }
        return Message(messages[position]!)
    }
}
