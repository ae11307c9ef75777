import Logging

/// One JSON object per line (`log_format: json`): `time` (UTC, ISO 8601 to the millisecond),
/// `level`, `label` (`racecar`, `racecar.plugin`, `racecar.supervisor`), `message`, then every
/// metadata field: `consumer`, `group`, `topic`, `partition`, `offset`, `error`, `facility`,
/// `worker`, `pid`, `instance`, where a line has them. Positions and process ids are numbers.
struct JSONLogHandler: LogHandler {
    /// Metadata written as JSON numbers when they hold whole numbers.
    static let numericFields: Set<String> = ["partition", "offset", "pid", "worker", "instance"]
    /// The fields every line has, which metadata of the same name must not repeat.
    static let fixedFields: Set<String> = ["time", "level", "label", "message"]

    let label: String
    let output: LogOutput
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        write(level: event.level, message: event.message.description, metadata: event.metadata ?? [:])
    }

    /// Writes one line, with this handler's metadata and `extra`.
    func write(level: Logger.Level, message: String, metadata extra: Logger.Metadata) {
        var merged = metadata
        merged.merge(extra) { $1 }
        var line = "{\"time\":\"" + LineLogHandler.timestamp() + "Z\",\"level\":\"" + level.rawValue + "\""
        line += ",\"label\":" + Self.quoted(label) + ",\"message\":" + Self.quoted(message)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let name = Self.fixedFields.contains(key) ? "metadata." + key : key
            line += "," + Self.quoted(name) + ":"
            if Self.numericFields.contains(key), case .string(let text) = value, let number = Int64(text) {
                line += String(number)
            } else {
                line += Self.json(value)
            }
        }
        output.write(line + "}\n")
    }

    private static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            return quoted(text)
        case .stringConvertible(let convertible):
            return quoted(convertible.description)
        case .array(let values):
            return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            let fields = entries.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + json($0.value) }
            return "{" + fields.joined(separator: ",") + "}"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
