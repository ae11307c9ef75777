import Foundation
import RacecarConfiguration
import RacecarKafka
import RacecarOperations
import RacecarPluginHosting
import Testing

/// `racecarctl produce`, `consume` (`tail`) and `--version`, run as the real binary against
/// the mock cluster.
@Suite(.timeLimit(.minutes(2))) struct RacecarctlTests {
    let cluster: MockCluster

    init() throws {
        cluster = try MockCluster()
    }

    func racecarctl(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await HostProcess.run(arguments, executable: TestPaths.racecarctl)
    }

    /// Runs racecarctl and measures how long the process took, until it exited; one still
    /// running after 30 s is killed. Its standard error goes to a file: the end of a pipe's
    /// output can be seen seconds after the process exited (another process may hold the
    /// pipe), which would be measured too.
    func timedRacecarctl(_ arguments: [String]) async throws -> (status: Int32, stderr: String, elapsed: Duration) {
        let errorFile = TestPaths.temporaryDirectory().appendingPathComponent("stderr")
        try #require(FileManager.default.createFile(atPath: errorFile.path, contents: nil))
        let errors = try FileHandle(forWritingTo: errorFile)
        let started = ContinuousClock.now
        let process = try SpawnedProcess(
            executable: TestPaths.racecarctl, arguments: arguments,
            environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RACECAR_") },
            standardOutput: .discard, standardError: .descriptor(errors.fileDescriptor))
        let pid = process.pid
        let watchdog = Task {
            try await Task.sleep(for: .seconds(30))
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        let status = try await onOwnThread { process.waitUntilExit() }
        let elapsed = ContinuousClock.now - started
        try errors.close()
        return (status, try String(contentsOf: errorFile, encoding: .utf8), elapsed)
    }

    @Test func consumeFromBeginningPrintsProducedMessagesWithKeysAndHeadersThenExitsAfterCount() async throws {
        try cluster.createTopic("greetings", partitions: 1)
        let brokers = ["--brokers", cluster.bootstrapServers]
        let first = try await racecarctl(
            ["produce", "-t", "greetings", "-v", "hello", "-k", "k1", "--header", "source=cli", "--header", "empty="]
                + brokers)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("racecarctl: delivered 1 message to greetings"))
        let second = try await racecarctl(["produce", "-t", "greetings", "-v", "two words\tand a tab"] + brokers)
        #expect(second.status == 0, "\(second.stderr)")

        let consumed = try await racecarctl(
            ["consume", "-t", "greetings", "--from-beginning", "--count", "2"] + brokers)

        #expect(consumed.status == 0, "\(consumed.stderr)")
        #expect(
            consumed.stdout.components(separatedBy: "\n") == [
                "0@0 k1 hello source=cli empty=", #"0@1  two words\tand a tab"#,
            ])
        #expect(consumed.stderr.contains("racecarctl: printed 2 messages of greetings"))
    }

    @Test func tailPrintsOnlyNewMessagesAndStopsOnSIGTERMWithStatus0() async throws {
        try cluster.createTopic("events", partitions: 3)
        try await cluster.produceOffPool(topic: "events", messages: [(key: nil, value: "old", partition: 1)])
        let tail = try HostProcess(
            ["tail", "-t", "events", "--brokers", cluster.bootstrapServers], executable: TestPaths.racecarctl)

        // Until the reader found where each partition ends, a new message may count as old: produce
        // until one is printed.
        var produced = 0
        while tail.lines.isEmpty, produced < 50 {
            produced += 1
            try await cluster.produceOffPool(
                topic: "events", messages: [(key: "k", value: "new-\(produced)", partition: 2)])
            try await Task.sleep(for: .milliseconds(200))
        }
        let lines = try await tail.waitFor("a new message") { !$0.isEmpty }
        tail.send(SIGTERM)

        #expect(try await tail.waitForExit() == 0, "\(tail.stderr)")
        #expect(lines.first?.hasPrefix("2@") == true, "\(lines)")
        #expect(lines.first?.contains(" k new-") == true, "\(lines)")
        #expect(!tail.lines.contains { $0.contains("old") }, "\(tail.lines)")
        #expect(tail.stderr.contains("racecarctl: printed"), "\(tail.stderr)")
    }

    @Test func consumeStopsOnSIGINTWithStatus0WhileNoBrokerAnswers() async throws {
        let consume = try HostProcess(
            ["consume", "-t", "events", "--brokers", "127.0.0.1:1"], executable: TestPaths.racecarctl)
        // librdkafka's first warning shows that the reader is connecting, with the signals held.
        let deadline = ContinuousClock.now + .seconds(10)
        while !consume.stderr.contains("WARNING racecarctl: Kafka:"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        consume.send(SIGINT)

        #expect(try await consume.waitForExit() == 0, "\(consume.stderr)")
        #expect(consume.stderr.contains("racecarctl: stopped before a broker answered"), "\(consume.stderr)")
        #expect(!consume.stderr.contains("racecarctl: error:"), "\(consume.stderr)")
    }

    @Test func consumeOfAMissingTopicFailsWithOneLineAndDoesNotCreateIt() async throws {
        try cluster.createTopic("events", partitions: 1)
        for _ in 1...2 {
            let result = try await racecarctl(["consume", "-t", "evnets", "--brokers", cluster.bootstrapServers])

            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(result.stderr)")
            #expect(lines.first?.hasPrefix("racecarctl: error: reading topic evnets failed: no such topic") == true)
            #expect(lines.first?.contains(cluster.bootstrapServers) == true, "\(result.stderr)")
        }
    }

    @Test func produceToAnUnreachableBrokerWarnsThenFailsWithinItsTimeout() async throws {
        let result = try await timedRacecarctl(
            ["produce", "-t", "greetings", "-v", "hello", "--brokers", "127.0.0.1:1", "--timeout", "2"])

        #expect(result.status == 1, "\(result.stderr)")
        // librdkafka alone would retry for message_timeout (300 s); a loaded machine adds seconds.
        #expect(result.elapsed < .seconds(30), "took \(result.elapsed), not about the 2 s of --timeout")
        #expect(result.stderr.contains("WARNING racecarctl: Kafka: 127.0.0.1:1/bootstrap: Connect"), "\(result.stderr)")
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("racecarctl: error:") }
        #expect(errors.count == 1, "\(result.stderr)")
        #expect(
            errors.first?.hasPrefix(
                "racecarctl: error: not delivered to greetings within --timeout 2 s: no acknowledgement from the "
                    + "brokers at 127.0.0.1:1") == true,
            "\(result.stderr)")
    }

    @Test func versionNamesRacecarctlTheSDKThePluginABIAndTheLoadedLibrdkafka() async throws {
        let result = try await racecarctl(["--version"])

        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout
                == "racecarctl \(BuildInfo.version) (SDK \(BuildInfo.sdkVersion), plugin ABI "
                + "\(PluginLoader.abiMajor).\(PluginLoader.abiMinor), librdkafka \(LibrdkafkaVersion.loadedText))")
    }
}
