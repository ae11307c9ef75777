import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a consumer process ended and what CPU it used, from `wait4`'s rusage of that one
/// child. (Not its peak RSS: ru_maxrss of a vfork+exec child includes the parent's peak.)
struct ChildOutcome {
    /// The exit status, or nil when a signal ended the process.
    let exitStatus: Int32?
    /// The signal that ended the process, if any.
    let signal: Int32?
    let userSeconds: Double
    let systemSeconds: Double

    var cpuSeconds: Double { userSeconds + systemSeconds }

    var summary: String {
        if let exitStatus { return "exit status \(exitStatus)" }
        return "killed by signal \(signal ?? 0)"
    }
}

/// A consumer process started with `posix_spawn`, so that `wait4` reports its own CPU time
/// (Foundation's Process reaps children itself and loses it).
final class ChildProcess {
    let pid: pid_t
    let executable: String
    let standardOutputPath: String
    let standardErrorPath: String
    /// When the process was started (CLOCK_MONOTONIC ns).
    let startNanoseconds: UInt64
    private(set) var outcome: ChildOutcome?

    /// Starts `executable` in `directory` with exactly `environment`; standard input is
    /// /dev/null, standard output and error go to files.
    init(
        executable: String,
        arguments: [String],
        environment: [String: String],
        directory: String,
        standardOutputPath: String,
        standardErrorPath: String
    ) throws(BenchError) {
        self.executable = executable
        self.standardOutputPath = standardOutputPath
        self.standardErrorPath = standardErrorPath

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardErrorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // The benchmark's own sockets (the mock cluster's listener among them) stay here.
        if let closeFrom = GlibcSpawnExtensions.closeFrom {
            _ = closeFrom(&actions, 3)
        }
        // A temporary directory, so that no racecar.yml is picked up.
        guard let changeDirectory = GlibcSpawnExtensions.changeDirectory else {
            throw BenchError(
                "this C library lacks posix_spawn_file_actions_addchdir_np (glibc 2.29 or newer is needed)")
        }
        _ = changeDirectory(&actions, directory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for number in [SIGTERM, SIGINT, SIGQUIT, SIGPIPE, SIGUSR1] { sigaddset(&defaultSignals, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let started = monotonicNanoseconds()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw BenchError("could not start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.startNanoseconds = started
    }

    deinit {
        // Never leave a consumer behind: it would hold its partitions and skew later runs.
        if outcome == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeoutSeconds: 10)
        }
    }

    /// Reaps the process if it has exited; `nil` while it runs.
    @discardableResult
    func poll() -> ChildOutcome? {
        if let outcome { return outcome }
        var status: Int32 = 0
        var usage = rusage()
        let reaped = wait4(pid, &status, WNOHANG, &usage)
        guard reaped == pid else { return nil }
        let terminatingSignal = status & 0x7f
        let finished = ChildOutcome(
            exitStatus: terminatingSignal == 0 ? (status >> 8) & 0xff : nil,
            signal: terminatingSignal == 0 ? nil : terminatingSignal,
            userSeconds: Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            systemSeconds: Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        )
        outcome = finished
        return finished
    }

    /// Waits up to `timeoutSeconds` for the process to exit.
    func waitForExit(timeoutSeconds: Double) -> ChildOutcome? {
        let deadline = monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        while true {
            if let finished = poll() { return finished }
            if monotonicNanoseconds() > deadline { return nil }
            usleep(10_000)
        }
    }

    func send(_ signal: Int32) {
        if outcome == nil { kill(pid, signal) }
    }

    var standardOutput: String { (try? String(contentsOfFile: standardOutputPath, encoding: .utf8)) ?? "" }

    var standardError: String { (try? String(contentsOfFile: standardErrorPath, encoding: .utf8)) ?? "" }

    /// The last lines of standard error, for failure messages.
    func standardErrorTail(lines: Int = 15) -> String {
        let tail = standardError.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
        return tail.map { "    | \($0)" }.joined(separator: "\n")
    }
}

/// glibc's `_np` spawn actions, which Swift's Glibc module does not import (they need
/// _GNU_SOURCE); looked up once at run time.
enum GlibcSpawnExtensions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias ChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+).
    static var closeFrom: CloseFrom? {
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    }

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+).
    static var changeDirectory: ChangeDirectory? {
        dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }
    }
}
