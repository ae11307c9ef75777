import RacecarConfiguration

#if canImport(Glibc)
    import Glibc
#endif

/// A consumer's settings as the C strings that `racecar_host_api.setting` and `settings_json`
/// hand out: made once per instance, freed with it, so the plugin may keep them until `destroy`.
final class SettingsStrings: @unchecked Sendable {
    // Written in init only, then read from the instance's thread.
    let json: UnsafePointer<CChar>
    private let byName: [String: UnsafeMutablePointer<CChar>]

    init(_ settings: ConsumerSettings) {
        json = UnsafePointer(strdup(settings.json))
        var byName: [String: UnsafeMutablePointer<CChar>] = [:]
        for (name, value) in settings.values where value != .null {
            byName[name] = strdup(value.text)
        }
        self.byName = byName
    }

    /// The text of setting `name`, or `nil` when it is not set.
    func text(of name: String) -> UnsafePointer<CChar>? {
        byName[name].map { UnsafePointer($0) }
    }

    deinit {
        free(UnsafeMutablePointer(mutating: json))
        for pointer in byName.values { free(pointer) }
    }
}
