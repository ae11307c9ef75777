import Foundation
import RacecarConfiguration
import RacecarKafka
import Testing

/// `datadog_enabled`: DogStatsD datagrams to a UDP listener standing in for the agent.
@Suite(.timeLimit(.minutes(2))) struct MetricsTests {
    /// A UDP socket on 127.0.0.1 collecting datagrams.
    final class Agent: @unchecked Sendable {
        let socket: Int32
        let port: Int

        init() throws {
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
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            socket = descriptor
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// Lines received until `condition` holds for all of them, or the timeout.
        func receive(timeout: Duration, until condition: ([String]) -> Bool) -> [String] {
            var lines: [String] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, !condition(lines) {
                let count = recv(socket, &buffer, buffer.count, 0)
                if count > 0 {
                    lines += String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").map(String.init)
                }
            }
            return lines
        }

        deinit { close(socket) }
    }

    @Test func processedMessagesLatencyAndErrorsReachTheAgent() async throws {
        let agent = try Agent()
        let cluster = try MockCluster()
        try cluster.createTopic("events", partitions: 1)
        try await cluster.produceNumbered(topic: "events", partitions: 1, perPartition: 5)
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("ScriptedTestConsumers"), "ScriptedConsumer"],
            environment: [
                "RACECAR_BROKERS": cluster.bootstrapServers, "RACECAR_MAX_WAIT_TIME": "0.1",
                "RACECAR_DATADOG_ENABLED": "true", "RACECAR_DATADOG_HOST": "127.0.0.1",
                "RACECAR_DATADOG_PORT": String(agent.port),
                "RACECAR_DATADOG_NAMESPACE": "test", "RACECAR_DATADOG_TAGS": "env:ci",
                "SCRIPTED_FAIL": "events/0@2", "RACECAR_PAUSE_TIMEOUT": "0.2",
            ],
            workingDirectory: TestPaths.temporaryDirectory()
        )
        try await host.waitFor("all messages") { $0.has("processed events/0@4 retries=0") }
        let tags = "env:ci,consumer:ScriptedConsumer,group_id:scripted-consumer"
        let lines = agent.receive(timeout: .seconds(10)) { lines in
            lines.contains { $0.hasPrefix("test.consumer.process.latency.avg:") }
                && countOf("test.consumer.messages", in: lines, tags: "\(tags),topic:events,partition:0") >= 5
                && lines.contains("test.consumer.errors:1|c|#\(tags),topic:events,partition:0")
        }
        #expect(countOf("test.consumer.messages", in: lines, tags: "\(tags),topic:events,partition:0") == 5)
        #expect(lines.contains("test.consumer.errors:1|c|#\(tags),topic:events,partition:0"), "\(lines)")
        #expect(lines.contains("test.consumer.pauses:1|c|#\(tags),topic:events,partition:0"), "\(lines)")
        #expect(
            lines.contains { $0.hasPrefix("test.consumer.process.latency.avg:") && $0.hasSuffix("|g|#\(tags)") },
            "\(lines)")
        #expect(lines.contains("test.consumer.assigned_partitions:1|g|#\(tags)"), "\(lines)")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)
    }
}

/// The sum of a counter's increments across datagrams.
private func countOf(_ name: String, in lines: [String], tags: String) -> Int {
    lines.compactMap { line -> Int? in
        guard line.hasPrefix(name + ":"), line.hasSuffix("|c|#" + tags) else { return nil }
        return Int(line.dropFirst(name.count + 1).prefix { $0 != "|" })
    }.reduce(0, +)
}
