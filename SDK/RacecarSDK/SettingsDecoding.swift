import FoundationEssentials

/// Decodes the host's settings JSON into a consumer's ``ReadsSettings/Settings``, turning
/// decoding errors into lines that name the setting as racecar.yml spells it.
enum SettingsDecoding {
    static func decode<Settings: Decodable>(_ type: Settings.Type, from json: String, consumer: String)
        throws(SettingsError) -> Settings
    {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw SettingsError(description: describe(error, consumer: consumer))
        } catch {
            throw SettingsError(description: "\(consumer)'s settings could not be read: \(error)")
        }
    }

    private static func describe(_ error: DecodingError, consumer: String) -> String {
        let hint = "(under `settings:` in the \(consumer) section of racecar.yml, or RACECAR_SETTINGS_<NAME>)"
        switch error {
        case .keyNotFound(let key, let context):
            let name = settingName(context.codingPath + [key])
            return "\(consumer) requires setting `\(name)`, which is not set \(hint)"
        case .typeMismatch(let expected, let context):
            return "setting `\(settingName(context.codingPath))` of \(consumer) has the wrong type: expected "
                + "\(typeName(expected)) \(hint)"
        case .valueNotFound(let expected, let context):
            return
                "setting `\(settingName(context.codingPath))` of \(consumer) is null: expected \(typeName(expected)) "
                + hint
        case .dataCorrupted(let context):
            return "setting `\(settingName(context.codingPath))` of \(consumer) is invalid: "
                + "\(context.debugDescription) \(hint)"
        @unknown default:
            return "\(consumer)'s settings could not be read: \(error)"
        }
    }

    /// `archiveDir` back to `archive_dir`, list indexes as `[0]`.
    private static func settingName(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue {
                name += "[\(index)]"
                continue
            }
            if !name.isEmpty { name += "." }
            for character in key.stringValue {
                if character.isUppercase {
                    name += "_" + character.lowercased()
                } else {
                    name.append(character)
                }
            }
        }
        return name.isEmpty ? "settings" : name
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt16.Type, is UInt32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default: "\(type)"
        }
    }
}
