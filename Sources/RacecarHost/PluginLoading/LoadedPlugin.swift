/// A plugin whose descriptor was accepted and whose init function succeeded.
public struct LoadedPlugin: Sendable {
    public var path: String
    public var abiMajor: UInt32
    public var abiMinor: UInt32
    public var sdkVersion: String?
    public var toolchain: String?
    public var consumers: [ConsumerDescriptor]

    /// The consumer called `name`.
    ///
    /// - Throws: ``PluginLoadError/unknownConsumer(path:name:available:)`` listing what the plugin offers.
    public func consumer(named name: String) throws(PluginLoadError) -> ConsumerDescriptor {
        guard let consumer = consumers.first(where: { $0.name == name }) else {
            throw .unknownConsumer(path: path, name: name, available: consumers.map(\.name))
        }
        return consumer
    }
}
