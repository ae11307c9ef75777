/// One value of a consumer's settings, typed as YAML's core schema resolves it.
package indirect enum SettingValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case list([SettingValue])
    /// Entries in the order they were written.
    case mapping([(key: String, value: SettingValue)])

    /// Resolves an unquoted scalar: `null`/`~`/empty, `true`/`false`, integers, decimals, or text.
    /// Environment variables are read the same way, so `RACECAR_SETTINGS_PORT=8080` is a number.
    package init(plainScalar text: String) {
        switch text {
        case "", "~", "null", "Null", "NULL": self = .null
        case "true", "True", "TRUE": self = .bool(true)
        case "false", "False", "FALSE": self = .bool(false)
        default:
            if let integer = Int64(text) {
                self = .integer(integer)
            } else if text.contains(where: \.isNumber), text.allSatisfy({ "0123456789+-.eE".contains($0) }),
                let double = Double(text)
            {
                self = .double(double)
            } else {
                self = .string(text)
            }
        }
    }

    /// The value as JSON text.
    package var json: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .double(let value): value.isFinite ? "\(value)" : "null"
        case .string(let value): Self.quoted(value)
        case .list(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
        case .mapping(let entries):
            "{" + entries.map { Self.quoted($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
    }

    /// What `racecar_host_api.setting` returns: scalars as written, collections as JSON.
    package var text: String {
        switch self {
        case .null: ""
        case .bool, .integer, .double, .list, .mapping: json
        case .string(let value): value
        }
    }

    package static func == (lhs: SettingValue, rhs: SettingValue) -> Bool { lhs.json == rhs.json }

    private static func quoted(_ text: String) -> String {
        var result = "\""
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
