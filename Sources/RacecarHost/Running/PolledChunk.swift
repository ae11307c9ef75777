import CRdKafka

/// Messages polled and not yet handed to the consumer, in poll order.
///
/// Fixed storage behind `let` pointers: the polling loop appends every message, and Swift
/// checks exclusive access on each use of a class's stored `var` (a thread-local lookup
/// that showed in profiles at about 18 ns per message); pointer storage needs no check.
/// Used from the polling thread only: by the loop and by the rebalance callback it runs.
final class PolledChunk {
    typealias MessagePointer = UnsafeMutablePointer<rd_kafka_message_t>

    let capacity: Int
    private let storage: UnsafeMutablePointer<MessagePointer>
    private let countStorage: UnsafeMutablePointer<Int>

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        countStorage = .allocate(capacity: 1)
        countStorage.initialize(to: 0)
    }

    deinit {
        storage.deallocate()
        countStorage.deallocate()
    }

    var count: Int { countStorage.pointee }
    var isEmpty: Bool { countStorage.pointee == 0 }
    var isFull: Bool { countStorage.pointee == capacity }

    /// The polled messages; valid until the chunk changes.
    var messages: UnsafeBufferPointer<MessagePointer> { UnsafeBufferPointer(start: storage, count: count) }

    /// Adds `message`; the chunk must not be full.
    @inline(__always)
    func append(_ message: MessagePointer) {
        storage[countStorage.pointee] = message
        countStorage.pointee += 1
    }

    /// Empties the chunk without destroying its messages, which now belong to someone else.
    func forgetAll() {
        countStorage.pointee = 0
    }

    /// Destroys every message and empties the chunk.
    func destroyAll() {
        for message in messages { rd_kafka_message_destroy(message) }
        countStorage.pointee = 0
    }

    /// Destroys the messages `isDropped` selects and keeps the others in order.
    func destroy(where isDropped: (MessagePointer) -> Bool) {
        var kept = 0
        for index in 0..<count {
            let message = storage[index]
            if isDropped(message) {
                rd_kafka_message_destroy(message)
            } else {
                storage[kept] = message
                kept += 1
            }
        }
        countStorage.pointee = kept
    }
}
