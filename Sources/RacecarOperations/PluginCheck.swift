import Foundation
import Glibc
import RacecarConfiguration

/// Checks a new version of a plugin in a throwaway process before it is swapped in: this
/// executable's `check-plugin` command loads it (ABI, init function), creates one instance of
/// the consumer with the new configuration and destroys it. Whatever the library does wrong,
/// down to a crash, happens in that process.
package struct PluginCheck: Sendable {
    /// The command's arguments after the executable: `check-plugin` and what it loads.
    package var arguments: [String]
    /// How long the check may take before it is refused.
    package var timeout: Duration = .seconds(30)

    package init(arguments: [String]) {
        self.arguments = arguments
    }

    /// Runs the check.
    ///
    /// - Returns: `nil` when the version passed, else why it was refused, in one line.
    package func run() -> String? {
        var output: [Int32] = [0, 0]
        guard pipe(&output) == 0 else {
            return "cannot check the new version: pipe failed: \(String(cString: strerror(errno)))"
        }
        // Other processes this one starts must not hold the pipe open.
        for end in output { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The calling thread blocks the signals the host waits for; the check must not.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        // A supervised worker's variables would make the check write into the worker's slot.
        let environment = ProcessInfo.processInfo.environment.filter { !WorkerIdentity.variables.contains($0.key) }
        let argv = (["racecar-host"] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, envp)
        close(output[1])
        defer { close(output[0]) }
        guard spawned == 0 else { return "cannot check the new version: \(String(cString: strerror(spawned)))" }

        let (text, finished) = read(output[0], until: .now + timeout)
        if !finished { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard finished else {
            return
                "checking the new version took longer than \(timeout.components.seconds) s (its init function or create hangs)"
        }
        return Self.verdict(status: status, stderr: text)
    }

    /// Reads `descriptor` to its end or the deadline; returns what it read and whether it ended.
    private func read(_ descriptor: Int32, until deadline: ContinuousClock.Instant) -> (String, Bool) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - .now
            guard left > .zero else { return (String(decoding: bytes, as: UTF8.self), false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: Int64(left / .milliseconds(1)) + 1))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    /// The check's result from its exit status and what it wrote to standard error.
    static func verdict(status: Int32, stderr: String) -> String? {
        let lines = stderr.split(separator: "\n").map(String.init)
        let prefix = "racecar-host: error: "
        if let error = lines.last(where: { $0.hasPrefix(prefix) }) { return String(error.dropFirst(prefix.count)) }
        let signal = status & 0x7f
        if signal != 0 {
            return
                "the new version crashed while being checked (signal \(signal), \(String(cString: strsignal(signal))))"
        }
        let exitStatus = (status >> 8) & 0xff
        guard exitStatus != 0 else { return nil }
        return "checking the new version failed with exit status \(exitStatus)\(lines.last.map { ": \($0)" } ?? "")"
    }
}
