import CRacecarPlugin

/// A batch of messages from one partition, in offset order, borrowed from the host.
///
/// - Important: Valid only during the ``BatchConsumer/processBatch(_:)`` call that
///   received it.
public struct MessageBatch: RandomAccessCollection {
    private let messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>

    package init(_ messages: UnsafeBufferPointer<UnsafePointer<racecar_message>?>) {
        self.messages = messages
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }

    public subscript(position: Int) -> Message { Message(messages[position]!) }
}
