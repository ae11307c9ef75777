import CRacecarPlugin

/// A setting a consumer reads from the `settings:` mapping of its racecar.yml section (or
/// `RACECAR_SETTINGS_<NAME>`), as ``ReadsSettings/settingDeclarations`` lists it.
///
/// The host refuses to start a consumer without its required settings, before any consumer is
/// created, and shows secret ones as `[redacted]` in `racecar-host config`.
public struct SettingDeclaration: Sendable, Hashable {
    /// The name as written in racecar.yml, in snake case: `archive_dir`.
    public var name: String
    /// What the setting is for, in one line (`racecar-host inspect` and `config` show it).
    public var description: String?
    /// The host refuses to start without it.
    public var isRequired: Bool
    /// Its value is never shown.
    public var isSecret: Bool

    public init(_ name: String, description: String? = nil, isRequired: Bool = false, isSecret: Bool = false) {
        self.name = name
        self.description = description
        self.isRequired = isRequired
        self.isSecret = isSecret
    }

    /// A setting the consumer cannot run without.
    public static func required(_ name: String, _ description: String? = nil) -> SettingDeclaration {
        SettingDeclaration(name, description: description, isRequired: true)
    }

    /// A setting with a default of the consumer's own.
    public static func optional(_ name: String, _ description: String? = nil) -> SettingDeclaration {
        SettingDeclaration(name, description: description)
    }

    /// A password, token or key: never shown.
    public static func secret(_ name: String, _ description: String? = nil, isRequired: Bool = true)
        -> SettingDeclaration
    {
        SettingDeclaration(name, description: description, isRequired: isRequired, isSecret: true)
    }

    var abiFlags: UInt32 {
        (isRequired ? RACECAR_SETTING_REQUIRED : 0) | (isSecret ? RACECAR_SETTING_SECRET : 0)
    }
}
