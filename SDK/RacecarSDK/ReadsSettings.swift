/// A consumer that is given settings of its own: the `settings:` mapping of its section in
/// racecar.yml (with `common` merged under the environment's section and `${VAR}` replaced),
/// and `RACECAR_SETTINGS_<NAME>` variables, decoded into ``Settings``.
///
/// ```swift
/// final class ArchiveEventsConsumer: Consumer, ReadsSettings {
///     struct Settings: Decodable { var archiveDir: String }
///     static let settingDeclarations = [SettingDeclaration.required("archive_dir", "where events are written")]
///     static let subscriptions = [Subscription("events")]
///     let directory: String
///     init(settings: Settings) throws { directory = settings.archiveDir }
///     func process(_ message: Message) throws { ... }
/// }
/// ```
///
/// Names are snake case in racecar.yml and converted to camel case for ``Settings``'s
/// properties (`archive_dir` → `archiveDir`). A setting of the wrong type stops the host with
/// a line naming the setting and the consumer.
public protocol ReadsSettings: RacecarConsumer {
    /// The consumer's settings.
    associatedtype Settings: Decodable

    /// The settings the consumer reads: the host checks the required ones before any consumer
    /// is created, and redacts the secret ones.
    static var settingDeclarations: [SettingDeclaration] { get }

    /// Creates the consumer with its settings; a thrown error stops the host with its description.
    init(settings: Settings) throws
}

extension ReadsSettings {
    public static var settingDeclarations: [SettingDeclaration] { [] }

    /// Not called for a consumer that reads settings: the SDK calls ``init(settings:)``.
    public init() throws {
        throw SettingsError(description: "\(Self.self) reads settings: create it with init(settings:)")
    }

    /// Decodes the host's settings JSON and creates the consumer.
    static func make(settingsJSON: String) throws -> Self {
        try Self(settings: SettingsDecoding.decode(Settings.self, from: settingsJSON, consumer: "\(Self.self)"))
    }
}
