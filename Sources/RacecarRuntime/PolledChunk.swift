import RacecarKafka

/// Messages polled and not yet handed to the consumer, in poll order: their owner until they
/// are processed (and destroyed) or moved into a ``MessageRun`` for a worker thread.
///
/// Fixed storage behind `let` pointers: the polling loop appends every message, and Swift
/// checks exclusive access on each use of a class's stored `var` (a thread-local lookup
/// that showed in profiles at about 18 ns per message); pointer storage needs no check.
/// Used from the polling thread only: by the loop and by the rebalance callback it runs.
final class PolledChunk<Message: ConsumerMessage> {
    let capacity: Int
    private let storage: UnsafeMutablePointer<Message>
    private let countStorage: UnsafeMutablePointer<Int>

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        countStorage = .allocate(capacity: 1)
        countStorage.initialize(to: 0)
    }

    deinit {
        destroyAll()
        storage.deallocate()
        countStorage.deallocate()
    }

    var count: Int { countStorage.pointee }
    var isEmpty: Bool { countStorage.pointee == 0 }
    var isFull: Bool { countStorage.pointee == capacity }

    /// The polled messages; valid until the chunk changes.
    var messages: UnsafeBufferPointer<Message> { UnsafeBufferPointer(start: storage, count: count) }

    /// Takes ownership of `message`; the chunk must not be full.
    @inline(__always)
    func append(_ message: Message) {
        (storage + countStorage.pointee).initialize(to: message)
        countStorage.pointee += 1
    }

    /// Moves `range` of the messages into a run that owns them from now on. The chunk must
    /// be emptied with ``forgetAll()`` once every message was moved out.
    func moveRun(_ range: Range<Int>) -> MessageRun<Message> {
        MessageRun(Array(UnsafeBufferPointer(rebasing: messages[range])))
    }

    /// Empties the chunk without destroying its messages, which were all moved into runs.
    func forgetAll() {
        countStorage.pointee = 0
    }

    /// Destroys every message and empties the chunk.
    func destroyAll() {
        for message in messages { message.destroy() }
        countStorage.pointee = 0
    }

    /// Destroys the messages `isDropped` selects and keeps the others in order.
    func destroy(where isDropped: (Message) -> Bool) {
        var kept = 0
        for index in 0..<count {
            let message = storage[index]
            if isDropped(message) {
                message.destroy()
            } else {
                storage[kept] = message
                kept += 1
            }
        }
        countStorage.pointee = kept
    }
}
