/// A setting a consumer reads from the `settings:` mapping of its racecar.yml section, as its
/// plugin declares it.
package struct DeclaredSetting: Sendable, Equatable {
    /// The name as written in racecar.yml, e.g. `archive_dir`.
    package var name: String
    /// What it is for, in one line.
    package var description: String?
    /// The host refuses to start without it.
    package var isRequired: Bool
    /// Its value is shown as `[redacted]`.
    package var isSecret: Bool

    package init(name: String, description: String? = nil, isRequired: Bool = false, isSecret: Bool = false) {
        self.name = name
        self.description = description
        self.isRequired = isRequired
        self.isSecret = isSecret
    }

    /// The environment variable that sets it: `RACECAR_SETTINGS_ARCHIVE_DIR` for `archive_dir`.
    package var environmentVariable: String { ConsumerSettings.environmentPrefix + name.uppercased() }
}
