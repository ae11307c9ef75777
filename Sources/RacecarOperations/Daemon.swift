import Foundation

/// Racecar's `--daemonize`: detaches from the terminal and the parent process.
package enum Daemon {
    /// Forks twice (so the daemon is not a session leader and cannot regain a terminal),
    /// starts a new session, closes inherited descriptors, and points standard input at /dev/null and standard output and
    /// error at `logfile` (or /dev/null). The original process exits 0 once the daemon exists.
    ///
    /// - Important: Call while the process has a single thread.
    package static func detach(logfile: String?) {
        switch fork() {
        case -1:
            FileHandle.standardError.write(
                Data("racecar-host: error: cannot daemonize: fork failed: \(String(cString: strerror(errno)))\n".utf8))
            exit(1)
        case 0: break
        default: _exit(0)
        }
        setsid()
        switch fork() {
        case -1: _exit(1)
        case 0: break
        default: _exit(0)
        }
        // Descriptors inherited from whoever started us (a supervisor's pipes, say) would keep
        // them waiting for output that never comes.
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65536)
        for descriptor in 3..<max(limit, 3) { close(descriptor) }
        let null = open("/dev/null", O_RDWR)
        let output = logfile.map { open($0, O_WRONLY | O_APPEND | O_CREAT, 0o644) } ?? null
        dup2(null, STDIN_FILENO)
        dup2(output >= 0 ? output : null, STDOUT_FILENO)
        dup2(output >= 0 ? output : null, STDERR_FILENO)
    }
}
