import Glibc
import Logging

/// One line per event (`log_format: text`): UTC time to the millisecond, level, label,
/// metadata, message. ``LogField/error`` is left out (the message says it), and a line with a
/// ``LogField/facility`` reads `librdkafka FACILITY: message`.
struct LineLogHandler: LogHandler {
    let label: String
    let output: LogOutput
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        merged[LogField.error] = nil
        let facility = merged.removeValue(forKey: LogField.facility).map { "librdkafka \($0): " } ?? ""
        let fields =
            merged.isEmpty
            ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        output.write(
            "\(Self.timestamp()) \(event.level.rawValue.uppercased()) \(label)\(fields): \(facility)\(event.message)\n")
    }

    /// `2026-11-25T21:15:54.078`, from the C library: Foundation's formatters load ICU, which
    /// costs a long-running host about 5 MB of resident memory for this one line.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + "."
            + digits(Int32(now.tv_nsec / 1_000_000), 3)
    }
}
