import RacecarSDK
import RacecarTesting
import Testing

@testable import GeoCodingConsumer

/// Consumers tested as plain objects, the way the Racecar README tests them.
@Suite struct ConsumerHarnessTests {
    @Test func geoCodingConsumerEnrichesAndProducesThePageView() throws {
        let harness = try ConsumerHarness(GeoCodingConsumer.self)
        try harness.process(TestMessage(topic: "pageviews", offset: 7, value: #"{"id": 42, "ip_address": "70.1.2.3"}"#))
        #expect(harness.produced.count == 1)
        let output = try #require(harness.produced.first)
        #expect(output.topic == "pageviews-with-country")
        #expect(output.key == "42")
        #expect(output.value == #"{"country":"US","id":42,"ip_address":"70.1.2.3"}"#)
    }

    @Test func malformedPageViewThrowsSoTheHostRetries() throws {
        let harness = try ConsumerHarness(GeoCodingConsumer.self)
        #expect(throws: GeoCodingConsumer.InvalidPageView.self) {
            try harness.process(TestMessage(topic: "pageviews", value: #"{"id": 1}"#))
        }
        #expect(harness.produced.isEmpty)
    }

    @Test func produceFailureReachesTheConsumer() throws {
        let harness = try ConsumerHarness(GeoCodingConsumer.self)
        harness.produceFailure = "Local: Queue full"
        #expect(throws: HostError.self) {
            try harness.process(TestMessage(topic: "pageviews", value: #"{"id": 1, "ip_address": "1.2.3.4"}"#))
        }
    }

    final class RecordingBatchConsumer: BatchConsumer {
        static let subscriptions = [Subscription("events")]
        var seen: [String] = []

        func processBatch(_ messages: MessageBatch) throws {
            for message in messages {
                seen.append(
                    "\(message.partition)@\(message.offset) \(message.key ?? "-") \(message.value ?? "nil") "
                        + message.headers.map { "\($0.name)=\($0.value ?? "nil")" }.joined(separator: ","))
            }
            log("batch of \(messages.count)", level: .warning)
        }
    }

    @Test func batchesHeadersTombstonesAndLogsArePassedThrough() throws {
        let harness = try ConsumerHarness(RecordingBatchConsumer.self)
        try harness.processBatch([
            TestMessage(topic: "events", partition: 3, offset: 10, key: "a", value: "one", headers: [("h", "v")]),
            TestMessage(topic: "events", partition: 3, offset: 11, value: nil),
        ])
        #expect(harness.consumer.seen == ["3@10 a one h=v", "3@11 - nil "])
        #expect(harness.logs.map(\.message) == ["batch of 2"])
        #expect(harness.logs.first?.level == .warning)
    }
}
