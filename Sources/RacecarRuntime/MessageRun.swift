import RacecarKafka

/// Consecutive messages of one partition, in offset order, handed to a worker thread: their
/// owner from the hand-over on, which destroys them when it is dropped (processed,
/// abandoned on revocation, or dropped at shutdown).
final class MessageRun<Message: ConsumerMessage>: @unchecked Sendable {
    let messages: [Message]

    init(_ messages: [Message]) {
        precondition(!messages.isEmpty, "a run holds at least one message")
        self.messages = messages
    }

    deinit {
        for message in messages { message.destroy() }
    }

    var partition: PartitionID { messages[0].partitionID }
    var count: Int { messages.count }
}
