import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests' commands (the host, racecarctl,
/// compilers and builds).
///
/// Foundation's `Process` is not used: before every spawn it lists `/proc/self/fd` and copies
/// each entry's whole 256-byte name, which reads past the end of the directory buffer and
/// crashed the test process once in CI (with ~1,400 descriptors open); and children spawned at
/// the same moment inherit each other's pipes, which holds a pipe open after its process
/// exited. Here the pipes are close-on-exec and the child closes every descriptor above 2.
final class SpawnedProcess: Sendable {
    /// Where a child's standard output or error goes.
    enum Output: Sendable {
        /// This process's own.
        case inherit
        /// `/dev/null`.
        case discard
        /// Read on a thread of its own: `handler` gets each chunk, then `nil` at end of file.
        case collect(@Sendable (Data?) -> Void)
        /// An open file descriptor, which the child writes to.
        case descriptor(Int32)
        /// For standard error: wherever standard output goes.
        case standardOutput
    }

    struct SpawnFailed: Error, CustomStringConvertible {
        let description: String
    }

    let pid: pid_t
    /// The write end of the child's standard input, when it reads from a pipe.
    private let input: Mutex<Int32?>
    /// The exit status once the child was reaped: its status, or 128 + N for signal N.
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments` and exactly `environment`.
    ///
    /// - Parameter pipeInput: Gives the child a pipe as standard input (``writeInput(_:)``,
    ///   ``closeInput()``); otherwise it reads `/dev/null`.
    init(
        executable: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil,
        standardOutput: Output, standardError: Output, pipeInput: Bool = false
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [(fd: Int32, handler: @Sendable (Data?) -> Void)] = []
        var childEnds: [Int32] = []
        var inputWriter: Int32?

        func pipePair() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard GNUSpawn.pipe2(&fds, O_CLOEXEC) == 0 else {
                throw SpawnFailed(description: "pipe2 failed: \(String(cString: strerror(errno)))")
            }
            return (fds[0], fds[1])
        }
        if pipeInput {
            let pair = try pipePair()
            posix_spawn_file_actions_adddup2(&actions, pair.read, 0)
            childEnds.append(pair.read)
            inputWriter = pair.write
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        for (target, output) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch output {
            case .inherit: break
            case .discard: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, target)
            case .collect(let handler):
                let pair = try pipePair()
                posix_spawn_file_actions_adddup2(&actions, pair.write, target)
                childEnds.append(pair.write)
                parentEnds.append((pair.read, handler))
            }
        }
        if let workingDirectory { _ = GNUSpawn.addChdir(&actions, workingDirectory) }
        _ = GNUSpawn.addCloseFrom(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        var result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        // A file just written (a test's copy of the host) stays "busy" while a child that another
        // thread forked meanwhile still holds its descriptor, until that child execs: a moment.
        var attempts = 1
        while result == ETXTBSY, attempts < 100 {
            usleep(10_000)
            attempts += 1
            result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        }
        for fd in childEnds { close(fd) }
        guard result == 0 else {
            for end in parentEnds { close(end.fd) }
            if let inputWriter { close(inputWriter) }
            throw SpawnFailed(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.input = Mutex(inputWriter)
        for end in parentEnds {
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(end.fd, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    end.handler(Data(buffer[0..<count]))
                }
                close(end.fd)
                end.handler(nil)
            }.start()
        }
    }

    /// The exit status if the child has exited (its status, or 128 + N for signal N), else `nil`.
    var exitStatus: Int32? { reap(blocking: false) }

    /// Blocks until the child exits; returns ``exitStatus``.
    func waitUntilExit() -> Int32 { reap(blocking: true)! }

    func send(_ signal: Int32) {
        if exitStatus == nil { kill(pid, signal) }
    }

    func writeInput(_ data: Data) {
        input.withLock { fd in
            guard let fd else { return }
            data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }

    func closeInput() {
        input.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    private func reap(blocking: Bool) -> Int32? {
        status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
            } while result < 0 && errno == EINTR
            guard result == pid else { return nil }
            // WIFSIGNALED / WTERMSIG / WEXITSTATUS, which Swift does not import as functions.
            let signal = raw & 0x7F
            status = signal != 0 ? 128 + signal : (raw >> 8) & 0xFF
            return status
        }
    }

    deinit {
        closeInput()
        if exitStatus == nil { kill(pid, SIGKILL) }
    }
}

/// glibc's GNU extensions for spawning (2.29 and 2.34 on), which the Glibc module does not
/// import without `_GNU_SOURCE`: looked up once at run time.
private enum GNUSpawn {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) ->
        Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    static let pipe2 = function("pipe2", as: Pipe2.self)
    static let addChdir = function("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
    static let addCloseFrom = function("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    private static func function<Function>(_ name: String, as type: Function.Type) -> Function {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("glibc has no \(name): the tests need glibc 2.34 or later")
        }
        return unsafeBitCast(symbol, to: type)
    }
}
