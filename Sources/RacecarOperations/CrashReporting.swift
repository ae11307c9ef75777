import RacecarInstrumentation

/// How a host process that crashes reports it: the Swift runtime's backtracer settings.
///
/// The runtime reads `SWIFT_BACKTRACE` once, when the process starts, so a supervisor sets it
/// in each worker's environment; nothing in a running process can change it.
package enum CrashReporting {
    /// The environment variable the Swift runtime reads its backtracer settings from.
    package static let backtraceEnvironmentVariable = "SWIFT_BACKTRACE"

    /// The `SWIFT_BACKTRACE` a supervisor gives its worker processes: a short backtrace of the
    /// crashed thread on standard error (where the worker's log goes), and nothing that can hold
    /// the dying process.
    ///
    /// - `interactive=no,timeout=0s`: a worker started from a terminal inherits it, and an
    ///   interactive backtracer would wait up to 30 s for a key press before letting it die.
    /// - `threads=crashed,registers=none,images=none`: the crashed thread's frames are what
    ///   names the plugin's bug; every thread's frames, registers and the image list are a
    ///   hundred lines of noise in a log per crash.
    /// - `limit=16,top=4`: the innermost frames (the plugin's, then the host's call into it) and
    ///   the outermost four; a runaway recursion cannot flood the log.
    /// - `symbolicate=fast`: symbol lookup without the inline-frame search of `full`.
    /// - `color=no`: the output goes to a log, not a terminal.
    ///
    /// Measured on a 2-core machine, debug and release builds, with the C and Swift crash test
    /// plugins: 0.02-0.34 s from the first crash output to the exit, against 0.03-0.72 s with the
    /// runtime's defaults (every thread, registers, images), and 32 s before the host stopped
    /// keeping the crash handler waiting (see `BlockedSignalReader`).
    package static let workerBacktraceSetting =
        "enable=yes,interactive=no,timeout=0s,color=no,threads=crashed,registers=none,images=none,"
        + "limit=16,top=4,symbolicate=fast,output-to=stderr"

    /// ``workerBacktraceSetting`` for a worker whose log lines are `logFormat`: with `json`, the
    /// backtracer writes its report as one JSON object on one line (`format=json`, Swift 6.2 and
    /// later), so that a pipeline reading the log as JSON gets the crash too. The runtime's own
    /// `Fatal error: ...` line and the backtracer's `*** Signal ... ***` banner stay text.
    package static func workerBacktraceSetting(logFormat: LogFormat) -> String {
        #if compiler(>=6.2)
            logFormat == .json ? workerBacktraceSetting + ",format=json" : workerBacktraceSetting
        #else
            // Older runtimes know no `format` and would say so, in text, at every start.
            workerBacktraceSetting
        #endif
    }
}
