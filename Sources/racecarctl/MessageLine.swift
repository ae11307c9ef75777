import Foundation
import RacecarKafka

/// A message as `racecarctl consume` prints it: `<partition>@<offset> <key> <value>`, then
/// ` <name>=<value>` per header, and a newline.
///
/// Every part is UTF-8 text, with invalid bytes decoded as U+FFFD and control characters
/// escaped (``escaped(_:count:)``), so that one message is always one line.
struct MessageLine {
    /// The line, newline included.
    let text: String

    /// Formats `message`, which must stay valid for the call.
    init(_ message: KafkaMessage) {
        var text = "\(message.partition)@\(message.offset) "
        text += Self.escaped(message.key, count: message.keyLength)
        text += " "
        text += Self.escaped(message.value, count: message.valueLength)
        message.forEachHeader { name, value, count in
            text += " "
            text += name.map { Self.escaped(UnsafeRawPointer($0), count: strlen($0)) } ?? ""
            text += "="
            text += Self.escaped(value, count: count)
        }
        text += "\n"
        self.text = text
    }

    /// `count` bytes at `bytes` as UTF-8 text: `\\`, `\n`, `\r` and `\t` for backslash,
    /// newline, carriage return and tab, `\xHH` for other control characters; nothing for no
    /// bytes.
    static func escaped(_ bytes: UnsafeRawPointer?, count: Int) -> String {
        guard let bytes else { return "" }
        let decoded = String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
        guard decoded.unicodeScalars.contains(where: { $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f }) else {
            return decoded
        }
        var text = ""
        text.reserveCapacity(decoded.utf8.count + 8)
        for scalar in decoded.unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                text += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}
