/// Why a plugin could not be loaded. Each message names the plugin path and says what to do.
package enum PluginLoadError: Error, Equatable, CustomStringConvertible {
    /// No file exists at the path.
    case fileNotFound(path: String)
    /// `dlopen` refused the file: not a shared library, wrong architecture, or missing dependencies.
    case notALibrary(path: String, reason: String)
    /// The library does not export the entry symbol.
    case missingEntrySymbol(path: String, symbol: String)
    /// The entry symbol returned no descriptor.
    case noDescriptor(path: String, symbol: String)
    /// The plugin was built for an ABI version this host cannot run.
    case incompatibleABI(path: String, pluginMajor: UInt32, pluginMinor: UInt32, hostMajor: UInt32, hostMinor: UInt32)
    /// The descriptor is malformed (a missing name, vtable or process function).
    case invalidDescriptor(path: String, reason: String)
    /// The plugin's init function failed.
    case initFailed(path: String, message: String)
    /// The plugin does not offer the requested consumer.
    case unknownConsumer(path: String, name: String, available: [String])

    package var description: String {
        switch self {
        case .fileNotFound(let path):
            return "plugin not found: \(path) (check the --plugin path; build plugins with `swift build`)"
        case .notALibrary(let path, let reason):
            return "plugin \(path) is not a loadable shared library: \(reason)"
        case .missingEntrySymbol(let path, let symbol):
            return "plugin \(path) does not export the entry symbol \(symbol); "
                + "is it built against the racecar SDK (Swift: RacecarPlugin.export, C: racecar_plugin.h)?"
        case .noDescriptor(let path, let symbol):
            return "plugin \(path): \(symbol)() returned no descriptor"
        case .incompatibleABI(let path, let pluginMajor, let pluginMinor, let hostMajor, let hostMinor):
            let advice =
                pluginMajor == hostMajor
                ? "it needs a newer racecar-host; upgrade the host"
                : "rebuild the plugin against SDK ABI \(hostMajor).x"
            return "plugin \(path) was built for plugin ABI \(pluginMajor).\(pluginMinor), "
                + "but this racecar-host speaks ABI \(hostMajor).\(hostMinor): \(advice)"
        case .invalidDescriptor(let path, let reason):
            return "plugin \(path) has an invalid descriptor: \(reason)"
        case .initFailed(let path, let message):
            return "plugin \(path) failed to initialise: \(message)"
        case .unknownConsumer(let path, let name, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "plugin \(path) has no consumer named \(name); it offers: \(list)"
        }
    }
}
