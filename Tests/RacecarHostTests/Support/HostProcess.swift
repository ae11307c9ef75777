import Foundation
import Synchronization
import Testing

/// A running `racecar-host` (or any command), with its output collected line by line.
final class HostProcess: Sendable {
    private let process: SpawnedProcess
    private let output = CollectedOutput()

    /// Output shared with the pipe readers, which run on other threads.
    private final class CollectedOutput: Sendable {
        let lines = Mutex<[String]>([])
        let partialLine = Mutex<String>("")
        let stderr = Mutex<String>("")
        /// Standard output and error until each reaches end of file.
        let openStreams = Mutex(2)
    }

    /// Starts `racecar-host` with `arguments`, adding `environment` to a clean one.
    init(
        _ arguments: [String],
        environment: [String: String] = [:],
        executable: String = TestPaths.host,
        workingDirectory: URL? = nil
    ) throws {
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RACECAR_") }
        base.merge(environment) { $1 }
        let output = self.output
        process = try SpawnedProcess(
            executable: executable, arguments: arguments, environment: base, workingDirectory: workingDirectory?.path,
            standardOutput: .collect { data in
                guard let data else { return output.openStreams.withLock { $0 -= 1 } }
                let complete: [String] = output.partialLine.withLock { buffer in
                    buffer += String(decoding: data, as: UTF8.self)
                    var lines = buffer.components(separatedBy: "\n")
                    buffer = lines.removeLast()
                    return lines
                }
                output.lines.withLock { $0 += complete }
            },
            standardError: .collect { data in
                guard let data else { return output.openStreams.withLock { $0 -= 1 } }
                output.stderr.withLock { $0 += String(decoding: data, as: UTF8.self) }
            })
    }

    var lines: [String] { output.lines.withLock { $0 } }
    var stderr: String { output.stderr.withLock { $0 } }
    var pid: Int32 { process.pid }

    /// Waits until `condition` holds for the output lines; fails the test on timeout.
    @discardableResult
    func waitFor(
        _ what: String,
        timeout: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: ([String]) -> Bool
    ) async throws -> [String] {
        var seen: [String] = []
        try await waitUntil(what, timeout: timeout, sourceLocation: sourceLocation) {
            seen = lines
            return condition(seen)
        }
        return seen
    }

    /// Waits until `condition` holds for what the process wrote to standard error (its log).
    func waitForStderr(
        _ what: String,
        timeout: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (String) -> Bool
    ) async throws {
        try await waitUntil(what, timeout: timeout, sourceLocation: sourceLocation) { condition(stderr) }
    }

    private func waitUntil(
        _ what: String, timeout: Duration, sourceLocation: SourceLocation, _ holds: () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if holds() { return }
            // Checked after the condition, so a test process stalled past the deadline still
            // gets one last look.
            if ContinuousClock.now >= deadline { break }
            if process.exitStatus != nil {
                // One last look, once everything the process wrote has been read.
                try await waitForEndOfOutput()
                if holds() { return }
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record(
            "timed out waiting for \(what); last lines: \(lines.suffix(5)); stderr: \(stderr.suffix(2000))",
            sourceLocation: sourceLocation)
        throw TimedOut()
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) {
        process.send(signal)
    }

    /// Waits for the process to exit and returns its status (128+N for a signal).
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.exitStatus == nil {
            guard ContinuousClock.now < deadline else {
                send(SIGKILL)
                Issue.record("process did not exit in time; stderr: \(stderr.suffix(2000))")
                throw TimedOut()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await waitForEndOfOutput()
        return process.exitStatus!
    }

    /// Waits until the pipe readers have read the exited process's output to its end. A child it
    /// left holding the pipes (a daemon before it redirects them) ends the wait after `timeout`.
    private func waitForEndOfOutput(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while output.openStreams.withLock({ $0 > 0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs to completion and returns status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:], executable: String = TestPaths.host)
        async throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let host = try HostProcess(arguments, environment: environment, executable: executable)
        let status = try await host.waitForExit()
        return (status, host.lines.joined(separator: "\n"), host.stderr)
    }

}

struct TimedOut: Error {}

/// A processed-message line, `<topic>/<partition>@<offset> ...`, as EchoConsumer and the C
/// consumers print it (the scripted consumers prefix it with `processed `).
struct ProcessedLine: Hashable {
    var topic: String
    var partition: Int32
    var offset: Int64

    init?(_ line: String) {
        let position = line.hasPrefix("processed ") ? line.dropFirst("processed ".count) : Substring(line)
        guard !position.prefix(while: { $0 != "/" }).contains(" ") else { return nil }
        guard let slash = position.firstIndex(of: "/"), let at = position.firstIndex(of: "@") else { return nil }
        let end = position[at...].firstIndex(of: " ") ?? position.endIndex
        guard let partition = Int32(position[position.index(after: slash)..<at]),
            let offset = Int64(position[position.index(after: at)..<end])
        else { return nil }
        topic = String(position[..<slash])
        self.partition = partition
        self.offset = offset
    }

    /// Offsets per partition in the order they appear.
    static func offsetsByPartition(_ lines: [String]) -> [Int32: [Int64]] {
        var result: [Int32: [Int64]] = [:]
        for line in lines {
            guard let parsed = ProcessedLine(line) else { continue }
            result[parsed.partition, default: []].append(parsed.offset)
        }
        return result
    }
}

extension [String] {
    /// Whether a line starts with `prefix` followed by a space (the scripted consumers' format).
    func has(_ prefix: String) -> Bool {
        contains { $0.hasPrefix(prefix + " ") }
    }

    /// The `at=<ms>` monotonic time printed on the first line starting with `prefix`.
    func time(of prefix: String) -> Int? {
        guard let line = first(where: { $0.hasPrefix(prefix + " ") }), let range = line.range(of: " at=") else {
            return nil
        }
        return Int(line[range.upperBound...])
    }
}

/// When a log line was written: its leading `2026-12-02T01:06:29.145` (UTC), in seconds since
/// 1970.
func logLineTime(_ line: Substring) -> Double? {
    let parts = line.prefix(23).split(whereSeparator: { "-T:.".contains($0) }).compactMap { Int32($0) }
    guard parts.count == 7 else { return nil }
    var time = tm()
    time.tm_year = parts[0] - 1900
    time.tm_mon = parts[1] - 1
    time.tm_mday = parts[2]
    time.tm_hour = parts[3]
    time.tm_min = parts[4]
    time.tm_sec = parts[5]
    return Double(timegm(&time)) + Double(parts[6]) / 1000
}
