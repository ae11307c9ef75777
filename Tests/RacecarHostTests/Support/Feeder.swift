import Foundation
import RacecarConfiguration
import RacecarKafka
import Synchronization

/// Keeps a topic's stream running: from a thread of its own, produces one message to every
/// partition per round (`key-<round>` / `value-<partition>-<round>`, so round `r` lands at
/// offset `r` of each partition of a fresh topic) until stopped.
final class Feeder: Sendable {
    private struct State {
        var rounds = 0
        var stopRequested = false
        var finished = false
        var failure: String?
    }

    private let state = Mutex(State())
    let topic: String
    let partitions: Int

    /// Starts feeding `topic` with a round every `interval`, at most `maxRounds` rounds (a bound
    /// for tests that fail before they call ``stop()``; the thread keeps the feeder and the
    /// cluster alive until it ends).
    init(cluster: MockCluster, topic: String, partitions: Int, interval: Duration, maxRounds: Int = 3_000) {
        self.topic = topic
        self.partitions = partitions
        let thread = Thread { [self] in
            var round = 0
            var next = ContinuousClock.now
            while round < maxRounds, !state.withLock({ $0.stopRequested }) {
                let messages = (0..<partitions).map { partition in
                    (
                        key: Optional("key-\(round)"), value: "value-\(partition)-\(round)",
                        partition: Optional(Int32(partition))
                    )
                }
                do {
                    // Rounds produced during a broker outage wait for the broker to return, however
                    // long a loaded machine takes to bring it back.
                    try cluster.produce(topic: topic, messages: messages, deliveryTimeout: .seconds(120))
                } catch {
                    state.withLock { $0.failure = "\(error)" }
                    break
                }
                round += 1
                state.withLock { $0.rounds = round }
                next = next.advanced(by: interval)
                let wait = ContinuousClock.now.duration(to: next)
                if wait > .zero {
                    Thread.sleep(
                        forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
                }
            }
            state.withLock { $0.finished = true }
        }
        thread.start()
    }

    /// Rounds produced so far: each partition holds offsets `0..<rounds`.
    var rounds: Int { state.withLock { $0.rounds } }

    /// Stops feeding and waits for the thread; returns the rounds produced.
    func stop() async throws -> Int {
        state.withLock { $0.stopRequested = true }
        while !state.withLock({ $0.finished }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return try result()
    }

    private func result() throws -> Int {
        let (rounds, failure) = state.withLock { ($0.rounds, $0.failure) }
        if let failure { throw FeedFailed(description: failure) }
        return rounds
    }

    struct FeedFailed: Error, CustomStringConvertible {
        let description: String
    }
}
