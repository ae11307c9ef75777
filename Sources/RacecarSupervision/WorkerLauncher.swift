import Foundation
import Glibc

/// Starts worker processes: this very executable, with this process's arguments and its
/// environment plus the worker's variables.
///
/// The executable is `/proc/self/exe`, not the path it was started from: a binary replaced on
/// disk while the supervisor runs (an upgrade) does not mix versions, since every worker runs the
/// supervisor's own image. `posix_spawn` starts each worker (never `fork()`, since the supervisor
/// has threads), with no signal blocked and in a process group of its own, so that a terminal's
/// Ctrl-C reaches the supervisor alone, which stops the workers in order, and with standard
/// input, output and error as its only descriptors: swift-nio opens the endpoint's sockets
/// without close-on-exec, and a worker holding the listening socket would keep the port from a
/// supervisor started again while it lingers.
struct WorkerLauncher {
    /// Where workers are started from.
    static let executable = "/proc/self/exe"

    /// `argv`, the program name first.
    let arguments: [String]
    /// The environment every worker starts from.
    let environment: [String: String]

    init(
        arguments: [String] = CommandLine.arguments, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.arguments = arguments
        self.environment = environment
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not import (it needs _GNU_SOURCE): looked up at run time.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Starts a worker with `variables` added to the environment.
    ///
    /// - Returns: Its process id.
    /// - Throws: ``SupervisorError/spawnFailed(executable:reason:)``.
    func launch(adding variables: [String: String]) throws(SupervisorError) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.merging(variables) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, Self.executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw .spawnFailed(executable: Self.executable, reason: String(cString: strerror(result)))
        }
        return pid
    }
}
