import Foundation
import Testing

/// `racecar-host mock-cluster` for the local loop: a fixed bootstrap port, a line to paste.
@Suite(.timeLimit(.minutes(2))) struct MockClusterCommandTests {
    /// A port nothing listens on right now.
    func freePort() -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func aFixedPortBootstrapsConsumersAndTheExportLineIsReadyToPaste() async throws {
        let port = freePort()
        let cluster = try HostProcess(
            ["mock-cluster", "--topic", "events:2", "--sample-messages", "3", "--port", String(port)])
        let lines = try await cluster.waitFor("the ready lines") { $0.contains { $0.hasPrefix("export ") } }
        #expect(lines.contains("brokers: 127.0.0.1:\(port)"), "\(lines)")
        #expect(lines.contains("export RACECAR_BROKERS=127.0.0.1:\(port)"), "\(lines)")
        let host = try HostProcess(
            ["--plugin", TestPaths.plugin("EchoConsumer"), "EchoConsumer"],
            environment: ["RACECAR_BROKERS": "127.0.0.1:\(port)", "RACECAR_MAX_WAIT_TIME": "0.1"],
            workingDirectory: TestPaths.temporaryDirectory())
        let processed = try await host.waitFor("the sample messages") { $0.count >= 3 }
        #expect(processed.filter { $0.contains("sample message") }.count == 3, "\(processed)")
        host.send(SIGTERM)
        #expect(try await host.waitForExit() == 0)

        let second = try await HostProcess.run(["mock-cluster", "--port", String(port)])
        #expect(second.status == 1)
        #expect(second.stderr.contains("cannot listen on 127.0.0.1:\(port)"), "\(second.stderr)")
        cluster.send(SIGTERM)
        #expect(try await cluster.waitForExit() == 0)
    }
}
