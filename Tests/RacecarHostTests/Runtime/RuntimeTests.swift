import Foundation
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka
import Testing

@testable import RacecarPluginHosting
@testable import RacecarRuntime

/// The runtime's decisions, in process: the real ``ConsumerLoop`` and plugin instances (the
/// C probe plugin, through the ABI) over a ``ScriptedKafka`` and a ``ManualClock``. No broker,
/// no sleeps: each test drives the loop pass by pass and reads the ordered event log.
@Suite(.serialized) struct RuntimeTests {
    static let events0 = TopicPartition(topic: "events", partition: 0)
    static let events1 = TopicPartition(topic: "events", partition: 1)

    let kafka = ScriptedKafka()
    let clock = ManualClock()
    let stop = StopRequest()

    /// The probe's consumer, with `failing` positions failing their first `times` attempts.
    func loop(
        _ consumer: String = "ProbeConsumer", failing: [String] = [], times: Int = 1,
        crashed: CrashedPositions? = nil, operations: RuntimeOperations? = nil,
        configure: (inout RacecarConfig) -> Void = { _ in }
    ) throws -> ConsumerLoop<ScriptedKafka> {
        EventLog.reset()
        ScriptedKafka.destroyed.withLock { $0.removeAll() }
        let path = try FixturePlugins.probe()
        let plugin = try PluginLoader.load(path: path)
        let handle = try #require(dlopen(path, RTLD_NOW | RTLD_LOCAL))
        typealias Configure =
            @convention(c) (
                (@convention(c) (UnsafePointer<CChar>?) -> Void)?, UnsafePointer<CChar>?, Int32
            ) -> Void
        let configureProbe = unsafeBitCast(try #require(dlsym(handle, "probe_configure")), to: Configure.self)
        failing.joined(separator: ",").withCString { configureProbe(EventLog.sink, $0, Int32(times)) }
        var config = RacecarConfig()
        config.subscribesTo = ["events"]
        config.fetchMessages = 100
        configure(&config)
        var crashedPath: String?
        if let crashed {
            crashedPath = TestPaths.temporaryDirectory().appendingPathComponent("crashed.json").path
            try crashed.write(to: crashedPath!)
        }
        return try ConsumerLoop(
            consumer: plugin.consumer(named: consumer), config: config, client: kafka, stop: stop,
            clock: clock.runtimeClock, crashedPositionsPath: crashedPath, operations: operations,
            logger: .init(label: "runtime-tests"))
    }

    /// Puts `messages` in events/0, assigns it, and runs the two passes that take the
    /// assignment and poll and process them.
    func assignAndPoll(_ loop: ConsumerLoop<ScriptedKafka>, messages: Int) {
        kafka.add(messages, to: Self.events0)
        kafka.assignNext([Self.events0])
        _ = loop.runOnce()
        _ = loop.runOnce()
    }

    /// The events after the first one containing `marker`.
    func events(after marker: String) -> [String] {
        let all = EventLog.all
        guard let index = all.firstIndex(where: { $0.contains(marker) }) else { return [] }
        return Array(all[(index + 1)...])
    }

    @Test func runsOfEachPartitionAreProcessedInOrderAndStoredOnceAfterSuccess() throws {
        let loop = try loop()
        kafka.add(3, to: Self.events0)
        kafka.add(2, to: Self.events1)
        kafka.assignNext([Self.events0, Self.events1])
        _ = loop.runOnce()  // the assignment
        _ = loop.runOnce()  // one chunk: both partitions
        #expect(
            events(after: "assigned")
                == [
                    "process events/0@0 retries=0", "process events/0@1 retries=0", "process events/0@2 retries=0",
                    "store events/0@3",
                    "process events/1@0 retries=0", "process events/1@1 retries=0", "store events/1@2",
                ])
        #expect(ScriptedKafka.destroyed.withLock { $0.count } == 5, "every polled message destroyed once")
    }

    @Test func revocationFinishesStoresCommitsThenTellsThePluginBeforeUnassigning() throws {
        let loop = try loop()
        assignAndPoll(loop, messages: 2)
        kafka.revokeNext([Self.events0])
        _ = loop.runOnce()
        #expect(
            events(after: "store events/0@2") == ["commit stored sync", "revoked events/0", "unassign events/0"])
    }

    @Test func lostAssignmentIsNotCommitted() throws {
        let loop = try loop()
        assignAndPoll(loop, messages: 1)
        kafka.revokeNext([Self.events0], lost: true)
        _ = loop.runOnce()
        #expect(events(after: "store events/0@1") == ["revoked events/0", "unassign events/0"])
    }

    @Test func periodicCommitsFollowTheIntervalAndTheIdleLedger() throws {
        let loop = try loop {
            $0.offsetCommitInterval = .seconds(10)
            $0.offsetCommitOnIdle = true
        }
        assignAndPoll(loop, messages: 2)
        clock.advance(by: .seconds(9.999))
        _ = loop.runOnce()
        #expect(!EventLog.all.contains { $0.hasPrefix("commit") }, "nothing is due before the interval")
        clock.advance(by: .milliseconds(1))
        _ = loop.runOnce()
        // offset_commit_on_idle commits the stored positions explicitly, so idle groups keep them.
        #expect(EventLog.all.last == "commit events/0@2 async")
        _ = loop.runOnce()
        #expect(EventLog.all.filter { $0.hasPrefix("commit") }.count == 1, "one commit per interval")
    }

    @Test func failedMessagePausesSeeksBackAndRetriesAfterTheBackoff() throws {
        let loop = try loop(failing: ["events/0@1"], times: 3) {
            $0.pauseTimeout = .seconds(2)
            $0.pauseWithExponentialBackoff = true
            $0.maxPauseTimeout = .seconds(5)
            $0.offsetCommitInterval = .seconds(3600)
        }
        assignAndPoll(loop, messages: 3)
        #expect(
            events(after: "assigned")
                == [
                    "process events/0@0 retries=0", "process events/0@1 retries=0", "store events/0@1",
                    "error events/0@1 recovery=retry retries=0 batch=0", "pause events/0", "seek events/0@1",
                ])
        // Pauses of 2 s, then 4 s, then 5 s (capped), each to the millisecond.
        for (attempt, pause) in [(1, 2.0), (2, 4.0), (3, 5.0)] {
            clock.advance(by: .seconds(pause) - .milliseconds(1))
            _ = loop.runOnce()
            #expect(EventLog.all.last == "seek events/0@1", "still paused just before \(pause) s")
            clock.advance(by: .milliseconds(1))
            EventLog.reset()
            _ = loop.runOnce()
            let expected =
                attempt < 3
                ? [
                    "resume events/0", "process events/0@1 retries=\(attempt)",
                    "error events/0@1 recovery=retry retries=\(attempt) batch=0", "pause events/0",
                    "seek events/0@1",
                ]
                : [
                    "resume events/0", "process events/0@1 retries=3", "process events/0@2 retries=0",
                    "store events/0@3",
                ]
            #expect(EventLog.all == expected, "attempt \(attempt)")
        }
    }

    @Test func messageThatKeepsFailingGoesToTheDeadLetterTopicAndThePartitionMovesOn() throws {
        let loop = try loop(failing: ["events/0@0"], times: 100) {
            $0.pauseTimeout = .seconds(1)
            $0.deadLetterTopic = "events-dlq"
            $0.maxRetries = 1
        }
        assignAndPoll(loop, messages: 2)
        clock.advance(by: .seconds(1))
        EventLog.reset()
        _ = loop.runOnce()
        #expect(
            EventLog.all == [
                "resume events/0", "process events/0@0 retries=1",
                "dead-letter events/0@0 to events-dlq retries=1",
                "error events/0@0 recovery=dead_letter retries=1 batch=0", "store events/0@1",
                "process events/0@1 retries=0", "store events/0@2",
                // The dead letter brings the commit forward: offset_commit_interval is 10 s.
                "commit stored async",
            ])
    }

    static let poisonAt1 = CrashedPositions(
        poison: [.init(topic: "events", partition: 0, offset: 1, crash: "SIGSEGV in process", crashes: 3)])

    @Test func aPoisonMessageGoesToTheDeadLetterTopicWithoutReachingThePlugin() throws {
        let loop = try loop(crashed: Self.poisonAt1) {
            $0.deadLetterTopic = "events-dlq"
            $0.maxRetries = 1
        }
        assignAndPoll(loop, messages: 3)
        #expect(
            events(after: "assigned")
                == [
                    "process events/0@0 retries=0", "store events/0@1",
                    "dead-letter events/0@1 to events-dlq crashes=3 error=crashed the consumer: SIGSEGV in process",
                    "error events/0@1 recovery=dead_letter retries=3 batch=0", "store events/0@2",
                    "process events/0@2 retries=0", "store events/0@3",
                ])
    }

    /// A worker that crashes on the next poison message resumes after this one: its dead letter
    /// is committed within 100 ms, not at the next offset_commit_interval.
    @Test func aDeadLetterIsCommittedSoonSoThatTheNextConsumerDoesNotCopyItAgain() throws {
        let loop = try loop(crashed: Self.poisonAt1) {
            $0.deadLetterTopic = "events-dlq"
            $0.offsetCommitInterval = .seconds(10)
        }
        assignAndPoll(loop, messages: 3)
        #expect(!EventLog.all.contains { $0.hasPrefix("commit") }, "no commit in the pass that dead-lettered")
        EventLog.reset()
        clock.advance(by: .milliseconds(100))
        _ = loop.runOnce()
        #expect(EventLog.all == ["commit stored async"])
        EventLog.reset()
        clock.advance(by: .seconds(1))
        _ = loop.runOnce()
        #expect(EventLog.all.isEmpty, "one commit per dead letter, then the interval again: \(EventLog.all)")
    }

    @Test func withoutADeadLetterTopicAPoisonMessagePausesItsPartitionAndSaysSoAgain() throws {
        let loop = try loop(crashed: Self.poisonAt1)
        kafka.add(2, to: Self.events1)
        kafka.add(3, to: Self.events0)
        kafka.assignNext([Self.events0, Self.events1])
        _ = loop.runOnce()
        _ = loop.runOnce()
        let first = events(after: "assigned")
        #expect(first.contains("process events/1@1 retries=0"), "the other partition flows")
        #expect(!first.contains { $0.hasPrefix("process events/0@1") }, "the poison never reaches the plugin")
        #expect(first.contains("error events/0@1 recovery=pause retries=3 batch=0"))
        #expect(first.contains("pause events/0"))
        clock.advance(by: .seconds(60))
        EventLog.reset()
        _ = loop.runOnce()
        #expect(
            EventLog.all.filter { !$0.hasPrefix("commit") } == [
                "resume events/0", "error events/0@1 recovery=pause retries=3 batch=0", "pause events/0",
                "seek events/0@1",
            ])
    }

    @Test func aBatchStopsShortOfAPoisonMessageAndACrashedRangeGoesOneByOne() throws {
        let crashed = CrashedPositions(
            poison: [.init(topic: "events", partition: 0, offset: 4, crash: "SIGABRT in process_batch", crashes: 3)],
            narrowed: [.init(topic: "events", partition: 0, first: 1, last: 2)])
        let loop = try loop("ProbeBatchConsumer", crashed: crashed) {
            $0.deadLetterTopic = "events-dlq"
            $0.maxRetries = 1
        }
        assignAndPoll(loop, messages: 7)
        #expect(
            events(after: "assigned").filter { !$0.hasPrefix("store") }
                == [
                    "batch events/0@0-0 retries=0", "batch events/0@1-1 retries=0", "batch events/0@2-2 retries=0",
                    "batch events/0@3-3 retries=0",
                    "dead-letter events/0@4 to events-dlq crashes=3 error=crashed the consumer: SIGABRT in process_batch",
                    "error events/0@4 recovery=dead_letter retries=3 batch=0", "batch events/0@5-6 retries=0",
                ])
    }

    @Test func batchFailureKeepsTheFinishedPrefixAndRetriesFromTheFailedMessage() throws {
        let loop = try loop("ProbeBatchConsumer", failing: ["events/0@3"]) { $0.pauseTimeout = .seconds(1) }
        assignAndPoll(loop, messages: 6)
        #expect(
            events(after: "assigned")
                == [
                    "batch events/0@0-5 retries=0", "store events/0@3",
                    "error events/0@3 recovery=retry retries=0 batch=1", "pause events/0", "seek events/0@3",
                ])
        clock.advance(by: .seconds(1))
        EventLog.reset()
        _ = loop.runOnce()
        #expect(EventLog.all == ["resume events/0", "batch events/0@3-5 retries=1", "store events/0@6"])
    }

    @Test func aManualPauseHoldsThroughAFailurePauseAndARebalanceUntilResumed() throws {
        let operations = RuntimeOperations()
        let loop = try loop(failing: ["events/0@1"], operations: operations) {
            $0.pauseTimeout = .seconds(2)
            $0.offsetCommitInterval = .seconds(3600)
        }
        assignAndPoll(loop, messages: 3)
        #expect(events(after: "error events/0@1").suffix(2) == ["pause events/0", "seek events/0@1"])
        clock.advance(by: StatusReporter.interval)
        _ = loop.runOnce()
        let failed = try #require(operations.board.current?.partitions.first)
        #expect(failed.pauseReason == .failure)
        let until = try #require(failed.pausedUntil) - wallClockSeconds()
        #expect(until > 1.5 && until <= 1.75, "the failure pause ends 2 s after the failure: in \(until) s")
        operations.controls.post(.pause(Self.events0))
        EventLog.reset()
        _ = loop.runOnce()
        #expect(EventLog.all == ["pause events/0"])
        clock.advance(by: StatusReporter.interval)
        _ = loop.runOnce()
        #expect(operations.board.current?.partitions.first?.pauseReason == .manual)

        clock.advance(by: .seconds(2))
        EventLog.reset()
        _ = loop.runOnce()
        #expect(!EventLog.all.contains("resume events/0"), "the failure pause ended; the manual one holds")

        kafka.revokeNext([Self.events0])
        kafka.assignNext([Self.events0])
        EventLog.reset()
        _ = loop.runOnce()
        _ = loop.runOnce()
        #expect(EventLog.all.contains("resume events/0"), "a revoked partition is resumed before it leaves")
        #expect(
            EventLog.all.suffix(2) == ["pause events/0", "assigned events/0"],
            "and paused again when it comes back, before the plugin hears of it: \(EventLog.all)")
        #expect(!EventLog.all.contains { $0.hasPrefix("process ") })

        operations.controls.post(.resume(Self.events0))
        EventLog.reset()
        _ = loop.runOnce()
        #expect(EventLog.all.first == "resume events/0")
        #expect(EventLog.all.contains { $0.hasPrefix("process events/0@") }, "\(EventLog.all)")
        clock.advance(by: StatusReporter.interval)
        _ = loop.runOnce()
        // The partition flows again (its message may fail anew, which is a failure pause).
        #expect(operations.board.current?.partitions.first.map { $0.pauseReason != .manual } == true)
    }

    @Test func pauseTimeoutZeroStopsTheHostAfterTheFailure() throws {
        let loop = try loop(failing: ["events/0@0"]) { $0.pauseTimeout = .seconds(0) }
        assignAndPoll(loop, messages: 2)
        #expect(stop.isRequested)
        #expect(
            events(after: "assigned") == [
                "process events/0@0 retries=0", "error events/0@0 recovery=stop retries=0 batch=0",
            ])
    }

    /// The probe plugin's `consumer`, for a swap with `config`.
    func swap(to consumer: String, configure: (inout RacecarConfig) -> Void = { _ in }) throws -> ConsumerSwap {
        let plugin = try PluginLoader.load(path: try FixturePlugins.probe())
        var config = RacecarConfig()
        config.subscribesTo = ["events"]
        config.fetchMessages = 100
        configure(&config)
        return ConsumerSwap(
            consumer: try plugin.consumer(named: consumer), config: config, version: PluginVersion(plugin))
    }

    @Test func aSwapFinishesCommitsAndDestroysTheOldInstanceThenTheNewOneTakesTheAssignment() throws {
        let loop = try loop()
        assignAndPoll(loop, messages: 2)
        #expect(loop.swap(to: try swap(to: "ProbeBatchConsumer")) == nil, "applied in place")
        #expect(
            events(after: "store events/0@2") == ["teardown", "commit stored sync", "destroy", "assigned events/0"])
        kafka.add(2, to: Self.events0)
        _ = loop.runOnce()
        // The new consumer processes what follows, in batches.
        #expect(events(after: "destroy") == ["assigned events/0", "batch events/0@2-3 retries=0", "store events/0@4"])
    }

    @Test func aSwapThatChangesAClientPropertyLeavesTheInstancesToANewClient() throws {
        let loop = try loop()
        assignAndPoll(loop, messages: 1)
        let restart = loop.swap(to: try swap(to: "ProbeConsumer") { $0.clientID = "another-client" })
        #expect(restart?.keys == ["client_id"])
        #expect(events(after: "store events/0@1").isEmpty, "nothing torn down: the loop's shutdown does that")
    }

    @Test func shutdownTearsDownCommitsLeavesThenDestroys() throws {
        let loop = try loop()
        assignAndPoll(loop, messages: 1)
        stop.request()
        try loop.run()
        // Leaving the group revokes the assignment, whose commit comes again; the plugin, torn
        // down already, hears of no revocation.
        #expect(
            events(after: "store events/0@1") == [
                "subscribe events", "teardown", "commit stored sync", "close", "commit stored sync", "destroy",
            ])
    }
}

@Suite struct FlowControlTests {
    @Test func pausesPastTheHighWaterMarkAndResumesAtTheLowOne() {
        var flow = FlowControl(fetchMessages: 100)
        let partition = TopicPartition(topic: "events", partition: 0)
        let id = PartitionID(topic: UnsafeRawPointer(bitPattern: 1)!, partition: 0)
        #expect(flow.highWater == 200 && flow.lowWater == 100)
        let atHighWater = flow.mustPause(partition, id: id, queued: 200)
        let pastHighWater = flow.mustPause(partition, id: id, queued: 201)
        let again = flow.mustPause(partition, id: id, queued: 300)
        #expect(!atHighWater && pastHighWater && !again, "pauses once, past the high-water mark")
        let aboveLowWater = flow.mayResume(partition, queued: 101)
        let atLowWater = flow.mayResume(partition, queued: 100)
        #expect(!aboveLowWater && atLowWater, "resumes at the low-water mark")
        #expect(!flow.isPaused(partition))
    }
}

@Suite struct PauseScheduleTests {
    @Test func duePausesAreTakenInOrderAndTheLoopWakesForTheNext() {
        var schedule = PauseSchedule()
        let start = ContinuousClock.now
        let first = TopicPartition(topic: "a", partition: 0)
        let second = TopicPartition(topic: "b", partition: 1)
        schedule.pause(second, until: start + .seconds(3))
        schedule.pause(first, until: start + .seconds(1))
        schedule.pause(TopicPartition(topic: "c", partition: 0), until: nil)
        #expect(schedule.timeUntilNextResume(from: start, limit: .milliseconds(100)) == .milliseconds(100))
        #expect(schedule.timeUntilNextResume(from: start + .milliseconds(950), limit: .seconds(1)) == .milliseconds(50))
        #expect(schedule.takeDue(at: start + .seconds(1)) == [first])
        #expect(schedule.takeDue(at: start + .seconds(10)) == [second])
        #expect(schedule.isPaused(TopicPartition(topic: "c", partition: 0)), "until restart")
    }
}
