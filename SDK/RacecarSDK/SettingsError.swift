/// A consumer's settings could not be given to it: one of them has the wrong type, or a
/// setting its ``ReadsSettings/Settings`` needs is missing.
public struct SettingsError: Error, CustomStringConvertible {
    /// One line naming the setting, the consumer and what was expected.
    public var description: String
}
