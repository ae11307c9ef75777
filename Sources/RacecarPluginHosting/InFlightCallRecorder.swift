import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one consumer instance's record of an ``InFlightCallSlot``: which call into the
/// plugin is in progress, and on which messages.
///
/// ``PluginInstance`` records before each call into the plugin and clears after it returns.
/// Recording is a handful of stores into the shared mapping (the topic's name is copied only
/// when the topic changes) and clearing is one: no system call, no allocation.
///
/// Used by one thread at a time, the one calling the instance (checked in debug builds).
package final class InFlightCallRecorder: @unchecked Sendable {
    private typealias Field = InFlightCallSlot.Layout.Record

    /// Keeps the mapping alive.
    private let slot: InFlightCallSlot
    private let record: UnsafeMutableRawPointer
    /// The record's sequence number as this recorder last left it (even): only this recorder
    /// writes the record, so it never needs to read it back.
    private var sequence: UInt64
    /// The topic whose name the record holds. librdkafka keeps a topic's name at one address
    /// for as long as the topic exists, so comparing pointers tells a change of topic.
    private var recordedTopic: UnsafePointer<CChar>?
    #if DEBUG
        private let consumer: String
        private let callerCheck = SingleCallerCheck()
    #endif

    /// Attaches to record `instance` of `slot`, naming this process and `consumer` in its header.
    ///
    /// - Returns: `nil` when the slot has no record `instance`.
    package init?(slot: InFlightCallSlot, instance: Int, consumer: String) {
        guard instance >= 0, instance < slot.instanceCount else { return nil }
        self.slot = slot
        (record, sequence) = slot.attach(instance: instance, consumer: consumer)
        #if DEBUG
            self.consumer = consumer
        #endif
    }

    /// A recorder for `instance` in the slot named by ``InFlightCallSlot/environmentVariable``;
    /// `nil` when it is unset. A slot that cannot be used is logged (the calls go unrecorded,
    /// the consumer runs).
    package static func fromEnvironment(instance: Int, consumer: String, logger: Logger) -> InFlightCallRecorder? {
        switch InFlightCallSlot.fromEnvironment {
        case nil:
            return nil
        case .failure(let error):
            logger.error("\(InFlightCallSlot.environmentVariable): \(error); calls into the plugin are not recorded")
            return nil
        case .success(let slot):
            guard let recorder = InFlightCallRecorder(slot: slot, instance: instance, consumer: consumer) else {
                logger.error(
                    "in-flight call slot \(slot.path) holds \(slot.instanceCount) instances; calls of instance \(instance) are not recorded"
                )
                return nil
            }
            return recorder
        }
    }

    /// Records that `call`, which is about no particular message, is starting.
    @inline(__always)
    package func record(_ call: InFlightCall.Call) {
        beginWrite()
        InFlightCallSlot.store(call.rawValue, record, Field.call)
        InFlightCallSlot.store(0 as UInt32, record, Field.flags)
        endWrite()
    }

    /// Records that `call` is starting on offsets `first...last` of `topic`'s `partition`.
    @inline(__always)
    package func record(
        _ call: InFlightCall.Call, topic: UnsafePointer<CChar>, partition: Int32, first: Int64, last: Int64
    ) {
        beginWrite()
        if topic != recordedTopic { copyTopic(topic) }
        InFlightCallSlot.store(call.rawValue, record, Field.call)
        InFlightCallSlot.store(InFlightCallSlot.Layout.hasPosition, record, Field.flags)
        InFlightCallSlot.store(partition, record, Field.partition)
        InFlightCallSlot.store(first, record, Field.firstOffset)
        InFlightCallSlot.store(last, record, Field.lastOffset)
        endWrite()
    }

    /// Records that the call returned. One store, outside the sequence lock: the other fields
    /// stay as they are, so a reader sees either the call still in flight or none, and the
    /// next ``record(_:)`` is ordered after it by its sequence number.
    @inline(__always)
    package func clear() {
        #if DEBUG
            callerCheck.enter(consumer)
            defer { callerCheck.leave() }
        #endif
        InFlightCallSlot.store(0 as UInt32, record, Field.call)
    }

    @inline(__always)
    private func beginWrite() {
        #if DEBUG
            callerCheck.enter(consumer)
        #endif
        InFlightCallSlot.store(sequence &+ 1, record, Field.sequence)
        atomicMemoryFence(ordering: .releasing)
    }

    @inline(__always)
    private func endWrite() {
        sequence &+= 2
        InFlightCallSlot.sequence(record, Field.sequence).pointee.store(
            sequence, ordering: .releasing)
        #if DEBUG
            callerCheck.leave()
        #endif
    }

    /// Copies `topic`'s name into the record; only between ``beginWrite()`` and ``endWrite()``.
    private func copyTopic(_ topic: UnsafePointer<CChar>) {
        let length = min(strlen(topic), InFlightCallSlot.Layout.nameCapacity)
        memcpy(record + Field.topic, topic, length)
        InFlightCallSlot.store(UInt32(length), record, Field.topicLength)
        recordedTopic = topic
    }
}
