import Foundation
import RacecarConfiguration
import RacecarKafka
import Synchronization
import Testing

/// `datadog_enabled`: what the real host sends a Datadog agent while it processes known
/// messages, captured by a UDP listener or a Unix datagram socket standing in for the agent:
/// Racecar's metric names, DogStatsD types and tags, and values that follow from the messages.
@Suite(.timeLimit(.minutes(3))) struct MetricsTests {
    /// A datagram socket collecting DogStatsD lines, UDP on 127.0.0.1 or a Unix socket, read
    /// from the start by a thread of its own so that no datagram waits in (and overflows) the
    /// socket's buffer while a test waits for the host.
    final class Agent: @unchecked Sendable {
        let socket: Int32
        /// The UDP port, for `datadog_port`.
        let port: Int
        /// The Unix socket's path, for `datadog_socket_path`.
        let path: String?
        private let received = Mutex<[String]>([])
        private let isClosed = Atomic<Bool>(false)
        private let reader = DispatchGroup()

        /// Listens on a free UDP port of 127.0.0.1.
        convenience init() throws {
            let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            self.init(socket: descriptor, port: Int(UInt16(bigEndian: address.sin_port)), path: nil)
        }

        /// A new path for a Unix socket, short enough for a socket address.
        static func socketPath() -> String {
            "/tmp/racecar-agent-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        }

        /// Listens on a Unix datagram socket at `path`.
        convenience init(unixSocket path: String = Agent.socketPath()) throws {
            let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(bound == 0, "binding \(path): \(String(cString: strerror(errno)))")
            self.init(socket: descriptor, port: 0, path: path)
        }

        private init(socket: Int32, port: Int, path: String?) {
            self.socket = socket
            self.port = port
            self.path = path
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while !isClosed.load(ordering: .relaxed) {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    guard count > 0 else { continue }
                    let lines = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n")
                    received.withLock { $0 += lines.map(String.init) }
                }
                reader.leave()
            }
            reader.enter()
            thread.start()
        }

        /// Every line received so far, once `condition` holds for them or the timeout passed.
        func receive(timeout: Duration, until condition: ([String]) -> Bool) -> [String] {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, !condition(received.withLock { $0 }) {
                usleep(50_000)
            }
            return received.withLock { $0 }
        }

        deinit {
            isClosed.store(true, ordering: .relaxed)
            reader.wait()
            close(socket)
            if let path { unlink(path) }
        }
    }

    @Test func racecarMetricsOfProcessingFailuresDeadLettersAndProducingReachTheAgentOverUDP() async throws {
        let agent = try Agent()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try cluster.createTopic("events-out", partitions: 1)
        try cluster.createTopic("events-dlq", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5)
        // The group's first JoinGroup is refused: librdkafka hands the error to the poll loop.
        cluster.refuseNextJoinGroup()
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedProducingConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_HOST": "127.0.0.1",
                "RACECAR_DATADOG_PORT": String(agent.port),
                "RACECAR_DATADOG_NAMESPACE": "test", "RACECAR_DATADOG_TAGS": "env:ci",
                // events/0@2 fails twice: paused for 1.5 s (longer than a flush interval),
                // retried, then sent to the dead-letter topic.
                "SCRIPTED_FAIL": "events/0@2", "SCRIPTED_FAIL_TIMES": "5", "RACECAR_PAUSE_TIMEOUT": "1.5",
                "RACECAR_DEAD_LETTER_TOPIC": "events-dlq", "RACECAR_MAX_RETRIES": "1",
            ],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        try await host.waitFor("every message") {
            $0.has("processed events/0@4 retries=0") && $0.has("processed events/1@4 retries=0")
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let stream = StatsStream(
            agent.receive(timeout: .seconds(10)) { StatsStream($0).has("test.consumer.leave_group", type: "ms") })

        let base = [
            "env": "ci", "client": "racecar", "group_id": "scripted-producing-consumer",
            "consumer": "ScriptedProducingConsumer",
        ]
        let partition0 = base.merging(["topic": "events", "partition": "0"]) { $1 }
        let partition1 = base.merging(["topic": "events", "partition": "1"]) { $1 }
        let expected: [(String, String, [String: String])] = [
            ("consumer.messages", "c", partition0), ("consumer.messages", "c", partition1),
            ("consumer.process_message.latency", "ms", partition0),
            ("consumer.process_message.latency", "ms", partition1),
            ("consumer.process_message.errors", "c", partition0), ("consumer.offset", "g", partition0),
            ("consumer.offset", "g", partition1), ("consumer.time_lag", "g", partition0),
            ("consumer.time_lag", "g", partition1), ("consumer.pause.duration", "g", partition0),
            ("consumer.dead_letters", "c", partition0),
            ("consumer.join_group", "ms", base), ("consumer.join_group.errors", "c", base),
            ("consumer.leave_group", "ms", base), ("consumer.leave_group.errors", "c", base),
            ("consumer.loop.duration", "h", base),
            ("consumer.poll.rdkafka_error.group_authorization_failed", "c", base),
            ("producer.produce.messages", "c", base.merging(["topic": "events-out"]) { $1 }),
            ("producer.produce.message_size", "h", base.merging(["topic": "events-out"]) { $1 }),
            ("producer.produce.message_size.sum", "c", base.merging(["topic": "events-out"]) { $1 }),
            ("producer.buffer.size", "h", base.merging(["topic": "events-out"]) { $1 }),
            ("producer.produce.messages", "c", base.merging(["topic": "events-dlq"]) { $1 }),
            ("producer.deliver.latency", "ms", base), ("producer.deliver.messages", "c", base),
            ("producer.ack.messages", "c", base),
        ]
        for (name, type, tags) in expected {
            #expect(stream.has("test." + name, type: type, tags: tags), "\(name)|\(type) \(tags): \(stream)")
        }
        #expect(stream.lines(named: "test.consumer.batch_size").isEmpty, "a per-message consumer has no batches")

        // Values that follow from the messages: 9 processed (events/0@2 never succeeded), its
        // two failures, its one dead letter; 11 produced to events-out (10 messages, one tried
        // twice) and the dead-letter copy, every one delivered and acknowledged.
        #expect(stream.sum("test.consumer.messages", tags: partition0) == 4)
        #expect(stream.sum("test.consumer.messages", tags: partition1) == 5)
        #expect(stream.sum("test.consumer.process_message.errors", tags: partition0) == 2)
        #expect(stream.sum("test.consumer.process_message.errors", tags: partition1) == 0)
        #expect(stream.sum("test.consumer.dead_letters", tags: partition0) == 1)
        #expect(stream.last("test.consumer.offset", tags: partition0) == 4)
        #expect(stream.last("test.consumer.offset", tags: partition1) == 4)
        #expect(stream.values("test.consumer.pause.duration", tags: partition0).contains { $0 > 0 })
        #expect(stream.last("test.consumer.pause.duration", tags: partition0) == 0, "0 once resumed")
        #expect(stream.values("test.consumer.process_message.latency", tags: partition1).count == 5)
        #expect(stream.sum("test.consumer.join_group.errors", tags: base) == 1, "the refused JoinGroup")
        #expect(stream.sum("test.consumer.poll.rdkafka_error.group_authorization_failed", tags: base) >= 1)
        let output = base.merging(["topic": "events-out"]) { $1 }
        #expect(stream.sum("test.producer.produce.messages", tags: output) == 11)
        #expect(
            stream.sum("test.producer.produce.message_size.sum", tags: output)
                == stream.values("test.producer.produce.message_size", tags: output).reduce(0, +))
        #expect(stream.sum("test.producer.produce.messages", tags: base.merging(["topic": "events-dlq"]) { $1 }) == 1)
        #expect(stream.sum("test.producer.deliver.messages", tags: base) == 12)
        #expect(stream.sum("test.producer.ack.messages", tags: base) == 12)
    }

    @Test func batchConsumerMetricsReachTheAgentOverItsUnixSocket() async throws {
        let agent = try Agent(unixSocket: Agent.socketPath())
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 2)
        try await cluster.produceNumbered(topic: "events", partitions: 2, perPartition: 5)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedBatchConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_SOCKET_PATH": agent.path!,
                // Not used: the socket path wins, as in Racecar.
                "RACECAR_DATADOG_HOST": "127.0.0.1", "RACECAR_DATADOG_PORT": "9",
                "SCRIPTED_FAIL": "events/0@3", "RACECAR_PAUSE_TIMEOUT": "0.2",
            ],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        try await host.waitFor("every message") {
            // The failed batch is retried from its failed message on.
            $0.has("processed events/0@4 retries=1") && $0.has("processed events/1@4 retries=0")
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
        let stream = StatsStream(
            agent.receive(timeout: .seconds(10)) { StatsStream($0).has("racecar.consumer.leave_group", type: "ms") })

        let base = ["client": "racecar", "group_id": "scripted-batch-consumer", "consumer": "ScriptedBatchConsumer"]
        let partition0 = base.merging(["topic": "events", "partition": "0"]) { $1 }
        let partition1 = base.merging(["topic": "events", "partition": "1"]) { $1 }
        for (name, type, tags) in [
            ("consumer.process_batch.latency", "ms", partition0), ("consumer.process_batch.latency", "ms", partition1),
            ("consumer.process_batch.errors", "c", partition0), ("consumer.batch_size", "h", partition0),
            ("consumer.batch_size", "h", partition1), ("consumer.messages", "c", partition0),
            ("consumer.offset", "g", partition0), ("consumer.join_group", "ms", base),
        ] {
            #expect(stream.has("racecar." + name, type: type, tags: tags), "\(name)|\(type) \(tags): \(stream)")
        }
        #expect(stream.lines(named: "racecar.consumer.process_message.latency").isEmpty)
        // The failed batch of events/0 kept its first three messages; all ten were processed.
        #expect(stream.sum("racecar.consumer.messages", tags: partition0) == 5)
        #expect(stream.sum("racecar.consumer.messages", tags: partition1) == 5)
        #expect(stream.sum("racecar.consumer.process_batch.errors", tags: partition0) == 1)
        #expect(stream.values("racecar.consumer.batch_size", tags: partition1).reduce(0, +) == 5)
        #expect(stream.last("racecar.consumer.offset", tags: partition0) == 4)
    }

    @Test func theSupervisorCountsWorkerCrashesAndRestarts() async throws {
        let agent = try Agent()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 3)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("CrashTestConsumers"), "FatalErrorConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "RACECAR_PARALLEL_WORKERS": "1", "RACECAR_SESSION_TIMEOUT": "6", "RACECAR_HEARTBEAT_INTERVAL": "2",
                "RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_HOST": "127.0.0.1",
                "RACECAR_DATADOG_PORT": String(agent.port), "CRASH_AT": "events/0@1", "RACECAR_MAX_CRASHES": "1",
            ],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        // The restarted worker consumes (past the poison message) before the stop.
        try await host.waitForStderr("the restarted worker consuming") { stderr in
            stderr.contains("restarted worker 0 of FatalErrorConsumer")
                && stderr.components(separatedBy: ") consuming").count > 2
        }
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0, "\(host.stderr)")
        let tags = [
            "client": "racecar", "group_id": "fatal-error-consumer", "consumer": "FatalErrorConsumer", "worker": "0",
        ]
        #if arch(x86_64)
            let signal = "SIGILL"
        #else
            let signal = "SIGTRAP"
        #endif
        let crashes = tags.merging(["signal": signal]) { $1 }
        let stream = StatsStream(
            agent.receive(timeout: .seconds(10)) { lines in
                let stream = StatsStream(lines)
                return stream.sum("racecar.supervisor.worker.restarts", tags: tags) >= 1
                    && stream.sum("racecar.supervisor.worker.crashes", tags: crashes) >= 1
            })
        #expect(stream.sum("racecar.supervisor.worker.restarts", tags: tags) == 1, "\(stream)")
        #expect(stream.sum("racecar.supervisor.worker.crashes", tags: crashes) == 1, "\(stream)")
        #expect(stream.has("racecar.supervisor.worker.crashes", type: "c", tags: crashes))
    }
}

/// DogStatsD lines, parsed: `name:value[:value...]|type[|@rate]|#tag:value,...`.
struct StatsStream: CustomStringConvertible {
    struct Line {
        var name: String
        var values: [Double]
        var type: String
        var tags: [String: String]
    }

    let parsed: [Line]

    init(_ lines: [String]) {
        parsed = lines.compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 2, let colon = fields[0].firstIndex(of: ":") else { return nil }
            let name = String(fields[0][..<colon])
            let values = fields[0][fields[0].index(after: colon)...].split(separator: ":").compactMap { Double($0) }
            var tags: [String: String] = [:]
            for field in fields.dropFirst(2) where field.hasPrefix("#") {
                for tag in field.dropFirst().split(separator: ",") {
                    let parts = tag.split(separator: ":", maxSplits: 1)
                    tags[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
            }
            return Line(name: name, values: values, type: String(fields[1]), tags: tags)
        }
    }

    func lines(named name: String) -> [Line] { parsed.filter { $0.name == name } }

    /// Whether a line of `name` has `type` and exactly `tags`.
    func has(_ name: String, type: String, tags: [String: String]? = nil) -> Bool {
        lines(named: name).contains { $0.type == type && (tags == nil || $0.tags == tags) }
    }

    /// Every value sent for `name` with exactly `tags`, in order.
    func values(_ name: String, tags: [String: String]) -> [Double] {
        lines(named: name).filter { $0.tags == tags }.flatMap(\.values)
    }

    /// The sum of a count's increments.
    func sum(_ name: String, tags: [String: String]) -> Double { values(name, tags: tags).reduce(0, +) }

    /// A gauge's last value.
    func last(_ name: String, tags: [String: String]) -> Double? { values(name, tags: tags).last }

    var description: String {
        parsed.map { "\($0.name)|\($0.type) \($0.tags.sorted { $0.key < $1.key })" }.joined(separator: "\n")
    }
}
