import Foundation

/// One loaded version of a plugin library, for the operator: where it came from, what it was
/// built with, and when this process loaded it.
package struct PluginVersion: Sendable, Equatable, Codable {
    /// The library's path as the operator named it.
    package var path: String
    /// The SDK version the library declares, if it declares one.
    package var sdkVersion: String?
    /// The plugin ABI the library was built against.
    package var abi: String
    /// Seconds since 1970 when this process loaded it.
    package var loadedAt: Double

    package init(_ plugin: LoadedPlugin, loadedAt: Double = Date().timeIntervalSince1970) {
        path = plugin.path
        sdkVersion = plugin.sdkVersion
        abi = "\(plugin.abiMajor).\(plugin.abiMinor)"
        self.loadedAt = loadedAt
    }

    /// `/opt/plugins/libfoo.so (ABI 1.2, SDK 0.2.0), loaded 2026-12-02T01:15:00Z`.
    package var text: String {
        let date = Date(timeIntervalSince1970: loadedAt).formatted(.iso8601)
        return "\(path) (ABI \(abi), SDK \(sdkVersion ?? "none")), loaded \(date)"
    }
}

extension PluginVersion {
    /// The lines the SIGUSR1 dump ends with: this version, and the one it replaced.
    package func dumpLines(previous: PluginVersion?) -> String {
        "  plugin loaded: \(text)\n" + (previous.map { "  previous plugin: \($0.text)\n" } ?? "")
    }
}
