import Foundation

/// Racecar's `--daemonize`: detaches from the terminal and the parent process. The process
/// that was started waits until the daemon is consuming or has failed, and says which.
package enum Daemon {
    /// Forks twice (so the daemon is not a session leader and cannot regain a terminal),
    /// starts a new session, closes inherited descriptors, and points standard input at
    /// /dev/null and standard output and error at `logfile` (or /dev/null).
    ///
    /// The original process does not return: it waits on a pipe for the daemon's
    /// ``DaemonStartup`` report, then exits 0 once the daemon consumes, or prints the daemon's
    /// error (which would otherwise be lost without a logfile) and exits with its status.
    ///
    /// - Returns: In the daemon, the channel to report through.
    /// - Important: Call while the process has a single thread.
    package static func detach(logfile: String?) -> DaemonStartup {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { fail("cannot daemonize: pipe failed: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        switch fork() {
        case -1: fail("cannot daemonize: fork failed: \(String(cString: strerror(errno)))")
        case 0: break
        default:
            close(writeEnd)
            waitForStartup(readEnd)
        }
        close(readEnd)
        setsid()
        switch fork() {
        case -1: _exit(1)
        case 0: break
        default: _exit(0)
        }
        // Descriptors inherited from whoever started us (a supervisor's pipes, say) would keep
        // them waiting for output that never comes; the start-up pipe stays, closed on exec.
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65536)
        for descriptor in 3..<max(limit, 3) where descriptor != writeEnd { close(descriptor) }
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let null = open("/dev/null", O_RDWR)
        let output = logfile.map { open($0, O_WRONLY | O_APPEND | O_CREAT, 0o644) } ?? null
        dup2(null, STDIN_FILENO)
        dup2(output >= 0 ? output : null, STDOUT_FILENO)
        dup2(output >= 0 ? output : null, STDERR_FILENO)
        return DaemonStartup(descriptor: writeEnd)
    }

    /// The original process's side: relays the daemon's report and exits.
    private static func waitForStartup(_ descriptor: Int32) -> Never {
        var report = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                report.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        let text = String(decoding: report, as: UTF8.self)
        if text.hasPrefix("ready") { exit(0) }
        if let failure = DaemonStartup.Failure(parsing: text) {
            FileHandle.standardError.write(Data("racecar-host: error: \(failure.message)\n".utf8))
            exit(failure.status)
        }
        fail("the daemon exited before it started consuming; its log (--logfile) may say why")
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("racecar-host: error: \(message)\n".utf8))
        exit(1)
    }
}
