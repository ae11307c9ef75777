import Glibc
import Logging

/// Where the host's log lines go: standard error (the default) or `logfile`.
///
/// Standard output is left to consumers (EchoConsumer prints processed messages there).
package struct LogOutput: Sendable {
    private let descriptor: Int32

    /// Standard error.
    package static let standardError = LogOutput(descriptor: 2)

    /// Appends to `path`, creating it if needed.
    ///
    /// - Throws: ``InstrumentationError/unwritableLogFile(path:reason:)`` when it cannot be opened.
    package static func file(at path: String) throws(InstrumentationError) -> LogOutput {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .unwritableLogFile(path: path, reason: String(cString: strerror(errno)))
        }
        return LogOutput(descriptor: descriptor)
    }

    /// Writes one line with a single write(2), so lines from several threads never interleave.
    func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in _ = Glibc.write(descriptor, bytes.baseAddress, bytes.count) }
    }

    /// Writes why the process exits: `racecar-host: error: DESCRIPTION`, or in `json` an object
    /// like every other line (level `critical`, label `racecar`), so that a log pipeline reading
    /// JSON also gets the last line.
    package func writeFailure(_ description: String, format: LogFormat) {
        switch format {
        case .text:
            write("racecar-host: error: \(description)\n")
        case .json:
            JSONLogHandler(label: "racecar", output: self).write(level: .critical, message: description, metadata: [:])
        }
    }

    /// Installs this output, at `level` and in `format`, as the process's swift-log backend;
    /// every logger starts with `metadata` (a supervised worker's slot and process id).
    package func bootstrap(level: Logger.Level, format: LogFormat = .text, metadata: Logger.Metadata = [:]) {
        LoggingSystem.bootstrap { label -> any LogHandler in
            switch format {
            case .text:
                var handler = LineLogHandler(label: label, output: self)
                handler.logLevel = level
                handler.metadata = metadata
                return handler
            case .json:
                var handler = JSONLogHandler(label: label, output: self)
                handler.logLevel = level
                handler.metadata = metadata
                return handler
            }
        }
    }
}
