import CRdKafka
import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// What happens when things go wrong, end to end: pauses, backoff, hooks, dead letters,
/// delivery failures and shutdown under pressure.
@Suite(.timeLimit(.minutes(3))) struct FailureHandlingTests {
    let cluster: MockCluster
    let workingDirectory = TestPaths.temporaryDirectory()

    init() throws {
        cluster = try MockCluster()
    }

    func start(
        _ consumer: String, _ extra: [String: String] = [:], plugin: String = TestPaths.plugin("ScriptedTestConsumers")
    ) throws -> HostProcess {
        let environment = [
            "RACECAR_BROKERS": cluster.bootstrapServers,
            "RACECAR_OFFSET_COMMIT_INTERVAL": "1",
            "RACECAR_MAX_WAIT_TIME": "0.1",
            "RACECAR_SOCKET_TIMEOUT": "10",
        ].merging(extra) { $1 }
        return try HostProcess(
            ["--plugin", plugin, consumer], environment: environment, workingDirectory: workingDirectory)
    }

    @Test func exponentialBackoffDoublesThePauseUpToTheMaximumAndCountsRetries() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let host = try start(
            "ScriptedConsumer",
            [
                "SCRIPTED_FAIL": "events/0@1", "SCRIPTED_FAIL_TIMES": "3",
                "RACECAR_PAUSE_TIMEOUT": "0.4", "RACECAR_PAUSE_WITH_EXPONENTIAL_BACKOFF": "true",
                "RACECAR_MAX_PAUSE_TIMEOUT": "1",
            ])
        let lines = try await host.waitFor("the message to succeed") { $0.has("processed events/0@2 retries=0") }
        let attempts = try (0...3).map { retries in
            try #require(
                lines.time(of: retries < 3 ? "failed events/0@1 retries=\(retries)" : "processed events/0@1 retries=3"))
        }
        let gaps = zip(attempts.dropFirst(), attempts).map { $0 - $1 }
        #expect(gaps[0] >= 380 && gaps[1] >= 780 && gaps[2] >= 980, "pauses of 0.4, 0.8, then capped 1 s: \(gaps)")
        // Resuming can take librdkafka a moment longer, so the cap is checked in the host's decision.
        #expect(
            host.stderr.contains(
                "failed at events/0@1, retries_count 0: scripted failure at events/0@1; retrying in 0.4 s"))
        #expect(
            host.stderr.contains(
                "failed at events/0@1, retries_count 1: scripted failure at events/0@1; retrying in 0.8 s"))
        #expect(
            host.stderr.contains(
                "failed at events/0@1, retries_count 2: scripted failure at events/0@1; retrying in 1 s"),
            "max_pause_timeout caps the third pause (1.6 s uncapped)")
        #expect(lines.has("processed events/0@2 retries=0"), "retries_count resets after success")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func pauseTimeoutZeroStopsAfterFinishingOtherWork() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 5)
        let host = try start("ScriptedConsumer", ["SCRIPTED_FAIL": "events/0@3", "RACECAR_PAUSE_TIMEOUT": "0"])
        let status = try await host.waitForExit()
        #expect(status == 1)
        #expect(host.stderr.contains("stopping because pause_timeout is 0"))
        #expect(
            host.lines.has(
                "on_error events/0@3 offsets=3-3 batch=false retries=0 recovery=stop message=scripted failure at events/0@3"
            ))
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: "scripted-consumer", topic: "events", partitions: 1)
        #expect(committed == [0: 3], "the work before the failure was committed, the failed message was not")
    }

    @Test func pauseTimeoutMinusOnePausesUntilRestart() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5)
        let first = try start("ScriptedConsumer", ["SCRIPTED_FAIL": "events/0@2", "RACECAR_PAUSE_TIMEOUT": "-1"])
        try await first.waitFor("partition 1") {
            $0.has("processed events/1@4 retries=0") && $0.has("failed events/0@2 retries=0")
        }
        // Well past any automatic retry: a paused partition must stay paused.
        try await Task.sleep(for: .seconds(2))
        #expect(!first.lines.has("processed events/0@2"))
        #expect(
            first.lines.has(
                "on_error events/0@2 offsets=2-2 batch=false retries=0 recovery=pause message=scripted failure at events/0@2"
            ))
        first.send(SIGTERM)
        #expect(try await first.waitForExit() == 0)

        let second = try start("ScriptedConsumer")
        let lines = try await second.waitFor("the paused message after the restart") {
            $0.has("processed events/0@4 retries=0")
        }
        #expect(ProcessedLine.offsetsByPartition(lines)[0] == [2, 3, 4])
        second.send(SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    @Test func partialBatchFailureRetriesOnlyTheRest() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 10)
        let host = try start(
            "ScriptedBatchConsumer",
            ["SCRIPTED_FAIL": "events/0@5", "RACECAR_PAUSE_TIMEOUT": "0.3", "RACECAR_FETCH_MESSAGES": "10"])
        let lines = try await host.waitFor("everything") { lines in
            // How the retried messages are batched depends on fetch timing, and so does their retries_count.
            lines.contains { $0.hasPrefix("processed events/0@9 ") }
        }
        let processed = lines.compactMap(ProcessedLine.init).map(\.offset)
        #expect(processed == Array(0...9), "0-4 are not repeated after the failure at 5")
        let failure = try #require(lines.first { $0.hasPrefix("on_error events/0@5 ") })
        #expect(failure.contains("batch=true retries=0 recovery=retry message=scripted failure at events/0@5"))
        let range = try #require(
            failure.split(separator: " ").first { $0.hasPrefix("offsets=") }?.dropFirst("offsets=".count).split(
                separator: "-"))
        #expect(
            Int(range[0])! <= 5 && Int(range[1])! >= 5 && Int(range[0])! < Int(range[1])!,
            "the error names the batch's offsets: \(failure)")
        #expect(lines.contains { $0.hasPrefix("batch events/0 5-") }, "the retried batch starts at the failed message")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func poisonMessageGoesToTheDeadLetterTopicAndTheRestFlows() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-dlq", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 8)
        let host = try start(
            "ScriptedConsumer",
            [
                "SCRIPTED_FAIL": "events/0@2", "SCRIPTED_FAIL_TIMES": "1000",
                "RACECAR_PAUSE_TIMEOUT": "0.2", "RACECAR_MAX_RETRIES": "2", "RACECAR_DEAD_LETTER_TOPIC": "events-dlq",
            ])
        let lines = try await host.waitFor("the rest of the partition") { $0.has("processed events/0@7 retries=0") }
        #expect(
            lines.filter { $0.hasPrefix("failed events/0@2 ") }.count == 3, "the first attempt and max_retries retries")
        #expect(
            lines.has(
                "on_error events/0@2 offsets=2-2 batch=false retries=2 recovery=dead-letter message=scripted failure at events/0@2"
            ))
        #expect(ProcessedLine.offsetsByPartition(lines)[0] == [0, 1, 3, 4, 5, 6, 7])
        let dead = try await KafkaTestClient(brokers: cluster.bootstrapServers).read(
            topic: "events-dlq", partitions: 1, count: 1)
        #expect(dead.count == 1)
        #expect(dead.first?.value == "value-0-2")
        #expect(dead.first?.key == "key-2")
        #expect(dead.first?.headers["racecar-original-topic"] == "events")
        #expect(dead.first?.headers["racecar-original-partition"] == "0")
        #expect(dead.first?.headers["racecar-original-offset"] == "2")
        #expect(dead.first?.headers["racecar-error"] == "scripted failure at events/0@2")
        #expect(dead.first?.headers["racecar-consumer"] == "ScriptedConsumer")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let committed = try await KafkaTestClient(brokers: cluster.bootstrapServers).committedOffsets(
            group: "scripted-consumer", topic: "events", partitions: 1)
        #expect(committed == [0: 8])
    }

    /// The dead-letter copy waits for room in the producer's queue, as a plugin's produce does,
    /// instead of failing the message again: here the queue holds one message, and the one the
    /// plugin produced before failing lingers in it for a second.
    @Test func deadLetterWaitsForRoomInAFullProducerQueue() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-out", partitions: 1)
        try cluster.createTopic("events-dlq", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 4)
        let host = try start(
            "ScriptedProducingConsumer",
            [
                "SCRIPTED_FAIL": "events/0@1", "SCRIPTED_FAIL_TIMES": "1000", "RACECAR_PAUSE_TIMEOUT": "0.2",
                "RACECAR_MAX_RETRIES": "1", "RACECAR_DEAD_LETTER_TOPIC": "events-dlq",
                "RACECAR_PRODUCER": "queue.buffering.max.messages=1,queue.buffering.max.ms=1000",
            ])
        let lines = try await host.waitFor("the rest of the partition") { $0.has("processed events/0@3 retries=0") }
        #expect(lines.filter { $0.hasPrefix("failed events/0@1 ") }.count == 2, "the first attempt and one retry")
        #expect(!host.stderr.contains("dead-letter topic events-dlq failed"), "\(notableLog(host.stderr))")
        let dead = try await KafkaTestClient(brokers: cluster.bootstrapServers).read(
            topic: "events-dlq", partitions: 1, count: 1)
        #expect(dead.map(\.value) == ["value-0-1"])
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func deliveryFailureIsExplainedRetriedAndDoesNotBlockLaterDeliveries() async throws {
        try cluster.createTopic("events", partitions: 1)
        try cluster.createTopic("events-out", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 5)
        // The host's next Produce requests fail twice with a permanent error, then succeed.
        var errors = [RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED]
        rd_kafka_mock_push_request_errors_array(cluster.cluster, 0, errors.count, &errors)
        let host = try start("ScriptedProducingConsumer", ["RACECAR_PAUSE_TIMEOUT": "0.3"])
        let lines = try await host.waitFor("all five") { $0.has("processed events/0@4 retries=0") }
        let failure = try #require(lines.first { $0.hasPrefix("on_error events/0@0 ") })
        #expect(failure.contains("delivery to events-out failed"))
        #expect(failure.contains("not allowed to write to this topic"), "the delivery error is explained: \(failure)")
        // Two deliveries fail; a retry's produce may also be refused at once while librdkafka still
        // remembers the topic's error, so the attempt that succeeds is the third or a later one.
        let attempts = lines.filter { $0.hasPrefix("processed events/0@0 retries=") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("retries=") }.flatMap { Int($0.dropFirst(8)) }
        }
        #expect(attempts.max() ?? 0 >= 2, "the message was retried until its output was delivered: \(lines)")
        let outputs = try await KafkaTestClient(brokers: cluster.bootstrapServers).readMessages(
            topic: "events-out", partitions: 1, count: 5)
        #expect(Set(outputs.compactMap(\.key)) == Set((0..<5).map { "0@\($0)" }), "later messages were delivered too")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func evictedForExceedingMaxPollIntervalTheHostRejoinsAndLosesNothing() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 6)
        // One message outlasts max_poll_interval; with concurrency 1 nothing polls meanwhile.
        let host = try start(
            "ScriptedConsumer",
            [
                "SCRIPTED_SLOW": "events/0@2:8000", "RACECAR_MAX_POLL_INTERVAL": "6", "RACECAR_SESSION_TIMEOUT": "6",
                "RACECAR_HEARTBEAT_INTERVAL": "1",
            ])
        let lines = try await host.waitFor("every message after the eviction", timeout: .seconds(90)) { lines in
            lines.has("processed events/0@5 retries=0")
        }
        #expect(Set(lines.compactMap(ProcessedLine.init).map(\.offset)) == Set(0..<6))
        #expect(host.stderr.contains("assignment lost"), "the host noticed it was evicted")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func rebalanceHooksSeeAssignmentAndRevocation() async throws {
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 1)
        let host = try start("ScriptedConsumer")
        try await host.waitFor("assignment") { $0.has("assigned events/0,events/1") }
        try await host.waitFor("messages") { $0.has("processed events/1@0 retries=0") }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        #expect(!host.lines.has("revoked events/0,events/1"), "no revocation hook after teardown at shutdown")
    }

    @Test func statisticsHookReceivesLibrdkafkaStatistics() async throws {
        try cluster.createTopic("events", partitions: 1)
        let host = try start("ScriptedStatisticsConsumer", ["RACECAR_STATISTICS_INTERVAL": "0.3"])
        try await host.waitFor("two statistics documents") { lines in
            lines.filter { $0.hasPrefix("statistics json=true ") }.count >= 2
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }

    @Test func slowInFlightWorkIsCutOffAtTheShutdownTimeout() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        // The second message takes a minute: far longer than any stall of a loaded test machine.
        let host = try start(
            "ScriptedConsumer", ["SCRIPTED_SLOW": "events/0@1:60000", "RACECAR_SHUTDOWN_TIMEOUT": "1"])
        try await host.waitFor("the first message") { $0.has("processed events/0@0 retries=0") }
        host.send(SIGTERM)
        let stoppedAt = ContinuousClock.now
        #expect(try await host.waitForExit() == 1)
        #expect(ContinuousClock.now - stoppedAt < .seconds(30), "did not wait for the 60 s message")
        #expect(!host.lines.has("processed events/0@1"))
        #expect(host.stderr.contains("did not finish within shutdown_timeout"))
    }

    @Test func secondStopSignalExitsAtOnce() async throws {
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        // The second message takes a minute, longer than the default shutdown_timeout (20 s): only
        // the second signal can end the host before then.
        let host = try start("ScriptedConsumer", ["SCRIPTED_SLOW": "events/0@1:60000"])
        try await host.waitFor("the first message") { $0.has("processed events/0@0 retries=0") }
        host.send(SIGTERM)
        try await Task.sleep(for: .milliseconds(200))
        host.send(SIGINT)
        let stoppedAt = ContinuousClock.now
        #expect(try await host.waitForExit() == 1)
        #expect(ContinuousClock.now - stoppedAt < .seconds(15), "exited before the shutdown_timeout")
        #expect(host.stderr.contains("second stop signal"))
    }

    @Test func racecarctlProducesOneMessageOrEveryLineOfStandardInput() async throws {
        try cluster.createTopic("greetings", partitions: 1)
        let single = try await HostProcess.run(
            [
                "produce", "-t", "greetings", "-v", "hello", "-k", "k1", "--header", "h=v", "--brokers",
                cluster.bootstrapServers,
            ],
            executable: TestPaths.racecarctl
        )
        #expect(single.status == 0, "\(single.stderr)")
        let process = try SpawnedProcess(
            executable: TestPaths.racecarctl,
            arguments: ["produce", "-t", "greetings", "--brokers", cluster.bootstrapServers],
            environment: ProcessInfo.processInfo.environment, standardOutput: .inherit, standardError: .inherit,
            pipeInput: true)
        process.writeInput(Data("one\ntwo\nthree\n".utf8))
        process.closeInput()
        #expect(try await onOwnThread { process.waitUntilExit() } == 0)
        let messages = try await KafkaTestClient(brokers: cluster.bootstrapServers).read(
            topic: "greetings", partitions: 1, count: 4)
        #expect(messages.map(\.value) == ["hello", "one", "two", "three"])
        #expect(messages.first?.key == "k1")
        #expect(messages.first?.headers == ["h": "v"])
    }

    @Test func racecarctlFailsClearlyWhenDeliveryFails() async throws {
        let result = try await HostProcess.run(
            ["produce", "-t", "greetings", "-v", "hello", "--brokers", "127.0.0.1:1", "--timeout", "1"],
            environment: [
                "RACECAR_MESSAGE_TIMEOUT": "1", "RACECAR_SOCKET_TIMEOUT": "2", "RACECAR_MAX_WAIT_TIME": "0.5",
            ],
            executable: TestPaths.racecarctl
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains("racecarctl: error:"))
    }
}
