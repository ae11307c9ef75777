import RacecarTesting
import Synchronization
import Testing

// Internal to look at the raw `racecar_message` behind a `Message`.
@testable import RacecarSDK

/// The harness calls consumers through the plugin's C entry points, as racecar-host does, not
/// through their Swift methods.
@Suite struct ConsumerHarnessEntryPointTests {
    /// Records what the host put into the message struct and what `message.headers` read.
    final class HeaderReadingConsumer: Consumer {
        static let subscriptions = [Subscription("events")]
        var headerCountsInStruct: [Int] = []
        var headersRead: [String] = []
        var kept: Message?

        func process(_ message: Message) throws {
            headerCountsInStruct.append(message.raw.pointee.header_count)
            headersRead.append(message.headers.map { "\($0.name)=\($0.value ?? "nil")" }.joined(separator: ","))
            kept = message
        }
    }

    @Test func headersAreReadOnDemandThroughTheHostAPI() throws {
        let harness = try ConsumerHarness(HeaderReadingConsumer.self)
        try harness.process(TestMessage(topic: "events", value: "a", headers: [("trace", "abc"), ("empty", nil)]))
        try harness.process(TestMessage(topic: "events", value: "b"))
        // RACECAR_HEADERS_ON_DEMAND: the struct carries none, message_headers hands them out.
        #expect(harness.consumer.headerCountsInStruct == [0, 0])
        #expect(harness.consumer.headersRead == ["trace=abc,empty=nil", ""])
    }

    @Test func headersOfAMessageKeptPastItsCallAreRefused() throws {
        let harness = try ConsumerHarness(HeaderReadingConsumer.self)
        try harness.process(TestMessage(topic: "events", value: "a", headers: [("trace", "abc")]))
        let kept = try #require(harness.consumer.kept)
        #expect(kept.headers.isEmpty)
    }

    struct Stuck: Error, CustomStringConvertible {
        var offset: Int64
        var description: String { "stuck at \(offset)" }
    }

    /// Fails every batch after `claimed` messages, and records what `on_error` heard.
    final class PartialBatchConsumer: BatchConsumer {
        static let subscriptions = [Subscription("events")]
        var claimed = 0
        var errors: [ProcessingError] = []

        func processBatch(_ messages: MessageBatch) throws {
            let failed = messages[min(claimed, messages.count - 1)]
            throw PartialBatchFailure(processedCount: claimed, underlying: Stuck(offset: failed.offset))
        }

        func onError(_ error: ProcessingError) { errors.append(error) }
    }

    private static let batch = (10...12).map { TestMessage(topic: "events", partition: 1, offset: $0, value: "v") }

    @Test func partialBatchFailureReportsTheProcessedCountAndTheFirstUnprocessedMessage() throws {
        let harness = try ConsumerHarness(PartialBatchConsumer.self)
        harness.consumer.claimed = 2
        let failure = #expect(throws: PartialBatchFailure.self) { try harness.processBatch(Self.batch) }
        #expect(failure?.processedCount == 2)
        #expect((failure?.underlying as? Stuck)?.offset == 12)
        // What the host read from the error buffer: the underlying error's description.
        #expect(harness.errorMessages == ["stuck at 12"])
        let reported = try #require(harness.consumer.errors.first)
        #expect(harness.consumer.errors.count == 1)
        #expect(reported.message == "stuck at 12")
        #expect(reported.topic == "events" && reported.partition == 1)
        #expect(reported.offset == 12 && reported.offsets == 10...12 && reported.isBatch)
        #expect(reported.recovery == .retry)
    }

    @Test func processedCountBeyondTheBatchIsCutToTheBatchAsTheHostReceivesIt() throws {
        let harness = try ConsumerHarness(PartialBatchConsumer.self)
        harness.consumer.claimed = 5
        let failure = #expect(throws: PartialBatchFailure.self) { try harness.processBatch(Self.batch) }
        #expect(failure?.processedCount == 3)
    }

    /// Fails every message and records what `on_error` heard.
    final class FailingConsumer: Consumer {
        static let subscriptions = [Subscription("events")]
        var errors: [ProcessingError] = []

        func process(_ message: Message) throws { throw Stuck(offset: message.offset) }
        func onError(_ error: ProcessingError) { errors.append(error) }
    }

    @Test func failureReachesOnErrorAsTheHostReportsIt() throws {
        let harness = try ConsumerHarness(FailingConsumer.self)
        #expect(throws: Stuck.self) {
            try harness.process(TestMessage(topic: "events", partition: 4, offset: 99, value: "v", retriesCount: 2))
        }
        #expect(harness.errorMessages == ["stuck at 99"])
        let reported = try #require(harness.consumer.errors.first)
        #expect(reported.message == "stuck at 99" && reported.topic == "events" && reported.partition == 4)
        #expect(reported.offset == 99 && reported.offsets == 99...99 && !reported.isBatch)
        #expect(reported.retriesCount == 2 && reported.recovery == .retry)
    }

    /// Records its life cycle in `events`, which outlives it.
    final class LifeCycleConsumer: Consumer {
        static let subscriptions = [Subscription("events")]
        static let events = Mutex<[String]>([])

        func process(_ message: Message) throws { Self.events.withLock { $0.append("process") } }
        func teardown() { Self.events.withLock { $0.append("teardown") } }
        deinit { Self.events.withLock { $0.append("deinit") } }
    }

    @Test func teardownAndDestroyRunWhenTheHarnessGoesAway() throws {
        do {
            let harness = try ConsumerHarness(LifeCycleConsumer.self)
            try harness.process(TestMessage(topic: "events", value: "v"))
            #expect(LifeCycleConsumer.events.withLock { $0 } == ["process"])
        }
        // The consumer is freed only when destroy released the SDK's instance.
        #expect(LifeCycleConsumer.events.withLock { $0 } == ["process", "teardown", "deinit"])
    }

    /// Produces what it buffered when torn down.
    final class FlushingConsumer: Consumer {
        static let subscriptions = [Subscription("events")]
        var buffered: [String] = []

        func process(_ message: Message) throws { buffered.append(message.value ?? "") }

        func teardown() {
            try? produce(buffered.joined(separator: ","), topic: "flushed")
            log("flushed \(buffered.count)")
        }
    }

    @Test func shutDownCallsTeardownWhichMayStillProduceAndEndsProcessing() throws {
        let harness = try ConsumerHarness(FlushingConsumer.self)
        try harness.process(TestMessage(topic: "events", value: "a"))
        try harness.process(TestMessage(topic: "events", value: "b"))
        #expect(harness.produced.isEmpty)
        harness.shutDown()
        #expect(harness.produced.map(\.value) == ["a,b"])
        #expect(harness.logs.map(\.message) == ["flushed 2"])
        #expect(throws: ConsumerHarnessError.self) { try harness.process(TestMessage(topic: "events", value: "c")) }
    }

    struct NotConfigured: Error {}

    final class UnconfiguredConsumer: Consumer {
        static let subscriptions = [Subscription("events")]
        init() throws { throw NotConfigured() }
        func process(_ message: Message) throws {}
    }

    @Test func initErrorComesBackFromCreate() {
        #expect(throws: NotConfigured.self) { try ConsumerHarness(UnconfiguredConsumer.self) }
    }

    /// Records the rebalance and statistics hooks.
    final class HookConsumer: Consumer, ReceivesStatistics {
        static let subscriptions = [Subscription("events")]
        var heard: [String] = []

        func process(_ message: Message) throws {}
        func partitionsAssigned(_ partitions: [TopicPartition]) { heard.append("assigned \(partitions)") }
        func partitionsRevoked(_ partitions: [TopicPartition]) { heard.append("revoked \(partitions)") }
        func statistics(_ json: String) { heard.append("statistics \(json)") }
    }

    @Test func rebalanceAndStatisticsHooksGoThroughTheVtable() throws {
        let harness = try ConsumerHarness(HookConsumer.self)
        harness.assignPartitions([TopicPartition(topic: "events", partition: 0), .init(topic: "events", partition: 2)])
        harness.assignPartitions([])
        harness.revokePartitions([TopicPartition(topic: "events", partition: 2)])
        harness.reportStatistics(#"{"name": "rdkafka#consumer-1"}"#)
        #expect(
            harness.consumer.heard == [
                "assigned [events/0, events/2]", "revoked [events/2]", #"statistics {"name": "rdkafka#consumer-1"}"#,
            ])
    }

    @Test func batchOfSeveralPartitionsIsRefusedAsTheHostNeverHandsOneOver() throws {
        let harness = try ConsumerHarness(PartialBatchConsumer.self)
        #expect(throws: ConsumerHarnessError.self) {
            try harness.processBatch([
                TestMessage(topic: "events", partition: 0, value: "a"),
                TestMessage(topic: "events", partition: 1, value: "b"),
            ])
        }
        #expect(harness.consumer.errors.isEmpty)
    }
}
