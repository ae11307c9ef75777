import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A process whose standard output lines are recorded as they arrive, with the time each
/// arrived; its standard error goes to a file.
final class OutputRecorder: Sendable {
    /// One line of standard output: its first word (a message's `<topic>/<partition>@<offset>`
    /// for EchoConsumer) and when it arrived, in seconds since 1970.
    struct Line: Sendable {
        var position: String
        var arrival: Double
    }

    let pid: Int32
    private let logPath: String
    private let recorded = Mutex<[Line]>([])

    /// Starts `executable` in this process's working directory.
    init(executable: String, arguments: [String], environment: [String: String], log: String) throws {
        logPath = log
        var output: [Int32] = [0, 0]
        guard pipe(&output) == 0 else { throw Failure("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addclose(&actions, output[0])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(output[1])
        guard spawned == 0 else { throw Failure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        self.pid = pid
        let descriptor = output[0]
        Thread.detachNewThread { [self] in record(from: descriptor) }
    }

    private func record(from descriptor: Int32) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let arrival = Date().timeIntervalSince1970
            pending.append(contentsOf: buffer[0..<count])
            var lines: [Line] = []
            while let newline = pending.firstIndex(of: 10) {
                let line = pending[..<newline]
                let word = line.firstIndex(of: 32).map { line[..<$0] } ?? line
                lines.append(Line(position: String(decoding: word, as: UTF8.self), arrival: arrival))
                pending.removeSubrange(...newline)
            }
            recorded.withLock { $0.append(contentsOf: lines) }
        }
        close(descriptor)
    }

    var lines: [Line] { recorded.withLock { $0 } }

    var logText: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls `condition` on the lines so far until it holds.
    func waitUntil(timeout: Double, _ condition: ([Line]) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(lines) {
            guard Date() < deadline else { throw Failure("timed out; log: \(logText.suffix(2_000))") }
            usleep(20_000)
        }
    }

    /// Waits for the process to exit; returns its status (or 128 + the signal).
    func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
