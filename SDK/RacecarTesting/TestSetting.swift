/// A value for ``ConsumerHarness/init(_:settings:)``, written as a literal, as it would be in
/// the `settings:` of racecar.yml: `["archive_dir": "/tmp/out", "max_files": 3, "gzip": true]`.
public enum TestSetting: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case list([TestSetting])
    case mapping([String: TestSetting])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TestSetting...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, TestSetting)...) {
        self = .mapping(Dictionary(elements) { _, last in last })
    }
    public init(nilLiteral: ()) { self = .null }

    /// The value as JSON, as the host hands it to the consumer.
    var json: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .double(let value): "\(value)"
        case .string(let value): Self.quoted(value)
        case .list(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
        case .mapping(let entries):
            "{"
                + entries.sorted { $0.key < $1.key }.map { Self.quoted($0.key) + ":" + $0.value.json }
                .joined(separator: ",") + "}"
        }
    }

    /// The value as `racecar_host_api.setting` returns it: scalars as written, collections as JSON.
    var text: String {
        if case .string(let value) = self { return value }
        return json
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += "\\u" + String(scalar.value + 0x10000, radix: 16).dropFirst()
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
