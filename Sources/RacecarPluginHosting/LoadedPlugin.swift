/// A plugin whose descriptor was accepted: by ``PluginLoader/load(path:)`` after its init function
/// succeeded, by ``PluginLoader/describe(path:)`` with its init function not run.
package struct LoadedPlugin: Sendable {
    package var path: String
    package var abiMajor: UInt32
    package var abiMinor: UInt32
    package var sdkVersion: String?
    package var toolchain: String?
    package var consumers: [ConsumerDescriptor]

    /// The Swift toolchain this host was built with, in the SDK's notation.
    static let hostToolchain: String = {
        #if compiler(>=6.4)
            "swift-6.4+"
        #elseif compiler(>=6.3)
            "swift-6.3"
        #elseif compiler(>=6.2)
            "swift-6.2"
        #else
            "swift-6.1-or-older"
        #endif
    }()

    /// A warning when a Swift plugin was built with another Swift toolchain than the host:
    /// Swift has no stable ABI on Linux, so such a plugin may crash in the runtime.
    package var toolchainWarning: String? {
        guard let toolchain, toolchain.hasPrefix("swift-"), toolchain != Self.hostToolchain else { return nil }
        return "plugin \(path) was built with \(toolchain) but racecar-host with \(Self.hostToolchain); "
            + "rebuild the plugin with the host's toolchain (Swift has no stable ABI on Linux)"
    }

    /// The consumer called `name`.
    ///
    /// - Throws: ``PluginLoadError/unknownConsumer(path:name:available:)`` listing what the plugin offers.
    package func consumer(named name: String) throws(PluginLoadError) -> ConsumerDescriptor {
        guard let consumer = consumers.first(where: { $0.name == name }) else {
            throw .unknownConsumer(path: path, name: name, available: consumers.map(\.name))
        }
        return consumer
    }
}
