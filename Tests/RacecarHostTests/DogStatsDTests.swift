import Foundation
import Logging
import RacecarInstrumentation
import Testing

/// The DogStatsD backend on its own: what one flush sends for distributions and counters, and
/// a Unix socket agent that starts after the host.
@Suite(.timeLimit(.minutes(1))) struct DogStatsDTests {
    let tags = ["env": "ci", "topic": "events"]

    @Test func aDistributionSendsAtMost64ValuesWithTheirSampleRate() throws {
        let agent = try MetricsTests.Agent()
        let factory = try DogStatsDMetricsFactory(
            destination: .udp(host: "127.0.0.1", port: agent.port), namespace: "unit", tags: ["env:ci"],
            logger: Logger(label: "test"))
        let timer = factory.makeTimer(label: "latency", dimensions: [("topic", "events")])
        let counter = factory.makeCounter(label: "errors", dimensions: [("topic", "events")])
        for milliseconds in 1...1000 { timer.recordNanoseconds(Int64(milliseconds) * 1_000_000) }
        factory.flush()
        let first = agent.receive(timeout: .seconds(5)) { lines in
            StatsStream(lines).has("unit.latency", type: "ms") && StatsStream(lines).has("unit.errors", type: "c")
        }
        let values = StatsStream(first).values("unit.latency", tags: tags)
        #expect(values.count == 64, "\(first)")
        #expect(
            Set(values).count == 64 && values.allSatisfy { (1...1000).contains($0) }, "a sample of what was recorded")
        #expect(first.filter { $0.hasPrefix("unit.latency:") }.allSatisfy { $0.contains("|ms|@0.064|#") }, "\(first)")
        #expect(first.allSatisfy { $0.utf8.count <= 1432 })
        #expect(StatsStream(first).sum("unit.errors", tags: tags) == 0, "a new counter is sent once at 0")

        counter.increment(by: 3)
        factory.flush()
        let both = agent.receive(timeout: .seconds(5)) { StatsStream($0).sum("unit.errors", tags: tags) == 3 }
        #expect(StatsStream(both).sum("unit.errors", tags: tags) == 3)
        #expect(StatsStream(both).values("unit.latency", tags: tags).count == 64, "nothing more recorded, nothing sent")
    }

    @Test func aUnixSocketAgentThatStartsLaterIsReached() throws {
        let path = MetricsTests.Agent.socketPath()
        let factory = try DogStatsDMetricsFactory(
            destination: .unixSocket(path: path), namespace: "unit", tags: [], logger: Logger(label: "test"))
        let counter = factory.makeCounter(label: "messages", dimensions: [])
        counter.increment(by: 2)
        factory.flush()  // No agent yet: dropped.
        let agent = try MetricsTests.Agent(unixSocket: path)
        counter.increment(by: 5)
        factory.flush()
        let lines = agent.receive(timeout: .seconds(5)) { StatsStream($0).sum("unit.messages", tags: [:]) > 0 }
        #expect(lines == ["unit.messages:5|c"])
    }
}
