import Logging

/// The host's side of one consumer instance: what the opaque `racecar_host *` handed to
/// `create` points to. The C functions of ``HostAPITable`` reach the instance through it.
final class InstanceHostContext: Sendable {
    let logger: Logger
    let services: any PluginHostServices
    /// The messages of the instance's current call, for headers on demand.
    let slots: MessageSlots
    /// The consumer's settings, for `setting` and `settings_json`.
    let settings: SettingsStrings

    init(logger: Logger, services: any PluginHostServices, slots: MessageSlots, settings: SettingsStrings) {
        self.logger = logger
        self.services = services
        self.slots = slots
        self.settings = settings
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ host: OpaquePointer?) -> InstanceHostContext? {
        host.map { Unmanaged<InstanceHostContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}
