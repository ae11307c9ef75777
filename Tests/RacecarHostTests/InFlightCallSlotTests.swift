import Foundation
import RacecarPluginHosting
import Synchronization
import Testing

/// The shared-memory slot a worker records its calls into, written through one mapping and
/// read through another, as a supervisor reads a dead worker's.
@Suite struct InFlightCallSlotTests {
    /// A fresh slot file path: in /dev/shm where there is one, as the supervisor uses.
    static func slotPath() -> String {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(directory)/racecar-slot-test-\(UUID().uuidString)"
    }

    /// Writes `value` at `offset` of the file behind the mappings, as a dying writer would leave it.
    func poke<Value: FixedWidthInteger>(_ path: String, offset: Int, _ value: Value) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: withUnsafeBytes(of: value) { Data($0) })
    }

    @Test func callsRecordedInOneMappingAreReadThroughAnother() throws {
        let path = Self.slotPath()
        defer { unlink(path) }
        let writer = try InFlightCallSlot(creatingAt: path, instances: 2)
        let recorder = try #require(InFlightCallRecorder(slot: writer, instance: 0, consumer: "EchoConsumer"))
        let reader = try InFlightCallSlot(openingAt: path)
        #expect(reader.instanceCount == 2)
        #expect(reader.state(ofInstance: 0) == .idle)

        let events = strdup("events")!
        let audit = strdup("audit-log")!
        defer {
            free(events)
            free(audit)
        }
        recorder.record(.process, topic: events, partition: 0, first: 17, last: 17)
        let call = try #require(reader.read())
        #expect(
            call
                == InFlightCall(
                    consumer: "EchoConsumer", processID: getpid(), instance: 0, call: .process,
                    position: .init(topic: "events", partition: 0, offsets: 17...17)))
        #expect(call.description == "process of events/0@17")

        recorder.clear()
        #expect(reader.state(ofInstance: 0) == .idle)
        #expect(reader.read() == nil)

        recorder.record(.processBatch, topic: events, partition: 3, first: 10, last: 19)
        #expect(reader.read()?.description == "process_batch of events/3@10-19")
        // A new topic is copied; the old name does not linger in the longer one's place.
        recorder.record(.processBatch, topic: audit, partition: 1, first: 0, last: 4)
        #expect(reader.read()?.description == "process_batch of audit-log/1@0-4")
        recorder.record(.process, topic: events, partition: 2, first: 5, last: 5)
        #expect(reader.read()?.description == "process of events/2@5")
        recorder.record(.onPartitionsRevoked)
        #expect(reader.read()?.description == "on_partitions_revoked")
        #expect(reader.read()?.position == nil)
        #expect(reader.readAll().map(\.instance) == [0])
    }

    @Test func eachInstanceHasItsOwnRecord() throws {
        let path = Self.slotPath()
        defer { unlink(path) }
        let slot = try InFlightCallSlot(creatingAt: path, instances: 2)
        let first = try #require(InFlightCallRecorder(slot: slot, instance: 0, consumer: "C"))
        let second = try #require(InFlightCallRecorder(slot: slot, instance: 1, consumer: "C"))
        #expect(InFlightCallRecorder(slot: slot, instance: 2, consumer: "C") == nil)
        let topic = strdup("events")!
        defer { free(topic) }
        first.record(.process, topic: topic, partition: 0, first: 1, last: 1)
        second.record(.process, topic: topic, partition: 1, first: 2, last: 2)
        first.clear()
        let reader = try InFlightCallSlot(openingAt: path)
        #expect(reader.readAll().map(\.description) == ["process of events/1@2"])
        #expect(reader.readAll().map(\.instance) == [1])
    }

    @Test func aWriteThatNeverFinishedReadsAsTornAndTheNextWriterRecovers() throws {
        let path = Self.slotPath()
        defer { unlink(path) }
        let slot = try InFlightCallSlot(creatingAt: path, instances: 1)
        let recorder = try #require(InFlightCallRecorder(slot: slot, instance: 0, consumer: "C"))
        let topic = strdup("events")!
        defer { free(topic) }
        recorder.record(.process, topic: topic, partition: 0, first: 7, last: 7)
        let sequenceOffset = InFlightCallSlot.Layout.recordOffset(0) + InFlightCallSlot.Layout.Record.sequence
        let settled = try #require(FileHandle(forReadingAtPath: path)).readData(ofLength: sequenceOffset + 8)
        let sequence = settled.suffix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(sequence % 2 == 0 && sequence > 0)

        // The writer died between its first and last store: the sequence number stayed odd.
        try poke(path, offset: sequenceOffset, sequence + 1)
        let reader = try InFlightCallSlot(openingAt: path)
        #expect(reader.state(ofInstance: 0) == .torn)
        #expect(reader.read() == nil)

        // The next worker attaching to the record makes it whole again.
        let next = try #require(InFlightCallRecorder(slot: slot, instance: 0, consumer: "C"))
        #expect(reader.state(ofInstance: 0) == .idle)
        next.record(.process, topic: topic, partition: 0, first: 8, last: 8)
        #expect(reader.read()?.description == "process of events/0@8")
    }

    @Test func aReaderRacingTheWriterNeverSeesAMixOfTwoRecords() async throws {
        let path = Self.slotPath()
        defer { unlink(path) }
        let slot = try InFlightCallSlot(creatingAt: path, instances: 1)
        let recorder = try #require(InFlightCallRecorder(slot: slot, instance: 0, consumer: "C"))
        let reader = try InFlightCallSlot(openingAt: path)
        let done = Flag()
        let writes = 1_000_000
        // Every record written is self-consistent: partition, range and topic follow from `first`.
        async let written: Void = onOwnThread {
            let topics = [strdup("even")!, strdup("odd-and-longer")!]
            defer { topics.forEach { free($0) } }
            for first in 0..<Int64(writes) {
                recorder.record(
                    .processBatch, topic: topics[Int(first % 2)], partition: Int32(first % 7), first: first,
                    last: first + 9)
            }
            done.set()
        }
        let (reads, mixed) = try await onOwnThread {
            var reads = 0
            var mixed: [String] = []
            while !done.isSet {
                guard let call = reader.read(), let position = call.position else { continue }
                reads += 1
                let first = position.offsets.lowerBound
                let expected = "\(first % 2 == 0 ? "even" : "odd-and-longer")/\(first % 7)@\(first)-\(first + 9)"
                if position.description != expected { mixed.append(position.description) }
            }
            return (reads, mixed)
        }
        try await written
        #expect(mixed.isEmpty, "\(mixed.prefix(5))")
        #expect(reads > 0)
        #expect(reader.read()?.position?.offsets == Int64(writes - 1)...Int64(writes + 8))
    }

    @Test func openingRefusesFilesThatAreNotSlotsOfThisLayout() throws {
        let path = Self.slotPath()
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 4096))
        #expect {
            try InFlightCallSlot(openingAt: path)
        } throws: { error in
            guard case .notASlotFile(path, let reason) = error as? InFlightCallSlotError else { return false }
            return reason == "no magic number"
        }
        _ = try InFlightCallSlot(creatingAt: path, instances: 1)
        try poke(path, offset: InFlightCallSlot.Layout.Header.version, InFlightCallSlot.Layout.version + 1)
        #expect(throws: InFlightCallSlotError.notASlotFile(path: path, reason: "layout version 2, not 1")) {
            try InFlightCallSlot(openingAt: path)
        }
        #expect(throws: InFlightCallSlotError.self) { try InFlightCallSlot(openingAt: path + "-missing") }
        #expect(throws: InFlightCallSlotError.instanceCountOutOfRange(requested: 257, maximum: 256)) {
            try InFlightCallSlot(creatingAt: path, instances: 257)
        }
    }

    @Test func creatingReplacesTheFileSoAnOldWriterCannotReachTheNewOne() throws {
        let path = Self.slotPath()
        defer { unlink(path) }
        let old = try InFlightCallSlot(creatingAt: path, instances: 1)
        let oldRecorder = try #require(InFlightCallRecorder(slot: old, instance: 0, consumer: "Old"))
        let topic = strdup("events")!
        defer { free(topic) }
        oldRecorder.record(.process, topic: topic, partition: 0, first: 1, last: 1)
        _ = try InFlightCallSlot(creatingAt: path, instances: 1)
        oldRecorder.record(.process, topic: topic, partition: 0, first: 2, last: 2)
        let reader = try InFlightCallSlot(openingAt: path)
        #expect(reader.state(ofInstance: 0) == .idle)
    }
}

/// A flag one thread sets and another watches.
private final class Flag: Sendable {
    private let state = Atomic(false)

    func set() { state.store(true, ordering: .releasing) }
    var isSet: Bool { state.load(ordering: .acquiring) }
}
