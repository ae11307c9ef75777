import RacecarPluginHosting
import Testing

@testable import RacecarSupervision

/// How the supervisor turns crashes into what the next workers avoid.
@Suite struct PoisonTrackerTests {
    func call(_ call: InFlightCall.Call, _ first: Int64, _ last: Int64? = nil) -> InFlightCall {
        InFlightCall(
            consumer: "C", processID: 1, instance: 0, call: call,
            position: .init(topic: "events", partition: 0, offsets: first...(last ?? first)))
    }

    @Test func aMessageBecomesPoisonAtMaxCrashesAndNotBefore() {
        var tracker = PoisonTracker(maxCrashes: 3)
        #expect(tracker.record(call(.process, 5), signal: "SIGSEGV") == .counted(crashes: 1))
        #expect(tracker.record(call(.process, 6), signal: "SIGSEGV") == .counted(crashes: 1), "counted per message")
        #expect(tracker.record(call(.process, 5), signal: "SIGSEGV") == .counted(crashes: 2))
        #expect(tracker.positions.isEmpty)
        #expect(tracker.record(call(.process, 5), signal: "SIGSEGV") == .poisoned(crashes: 3))
        #expect(
            tracker.positions.poison == [
                .init(topic: "events", partition: 0, offset: 5, crash: "SIGSEGV in process", crashes: 3)
            ])
    }

    @Test func aCrashedBatchIsNarrowedThenItsMessageCounted() {
        var tracker = PoisonTracker(maxCrashes: 1)
        #expect(tracker.record(call(.processBatch, 10, 19), signal: "SIGABRT") == .narrowed)
        #expect(tracker.record(call(.processBatch, 10, 19), signal: "SIGABRT") == .narrowed)
        #expect(tracker.positions.narrowed == [.init(topic: "events", partition: 0, first: 10, last: 19)])
        #expect(tracker.record(call(.processBatch, 14), signal: "SIGABRT") == .poisoned(crashes: 1))
        #expect(tracker.positions.poison.map(\.crash) == ["SIGABRT in process_batch"])
    }

    @Test func callsWithoutAMessageBlameNothing() {
        var tracker = PoisonTracker(maxCrashes: 1)
        let create = InFlightCall(consumer: "C", processID: 1, instance: 0, call: .create, position: nil)
        #expect(tracker.record(create, signal: "SIGSEGV") == .noPosition)
        #expect(tracker.record(call(.onError, 3), signal: "SIGSEGV") == .noPosition, "a hook is not the message")
        #expect(tracker.positions.isEmpty)
    }
}
