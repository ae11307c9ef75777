import Foundation

extension PluginLoader {
    /// Finds the library that offers `consumer` among the `*.so` files of `folders`, reading
    /// their descriptors only: no plugin's init function runs.
    ///
    /// A file reached twice (through a repeated folder or a symbolic link) counts once. A
    /// library that cannot be described is skipped, unless no other library offers the consumer,
    /// in which case the error says why it was skipped.
    ///
    /// - Returns: The library offering `consumer`, described but not initialised, and the
    ///   errors of the libraries skipped, for warnings.
    /// - Throws: ``PluginSearchError`` when no library or several offer `consumer`.
    package static func find(consumer: String, in folders: [String]) throws(PluginSearchError) -> (
        plugin: LoadedPlugin, skipped: [PluginLoadError]
    ) {
        var offering: [LoadedPlugin] = []
        var offered: [String] = []
        var skipped: [PluginLoadError] = []
        var missingFolders: [String] = []
        var seen: Set<String> = []
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                missingFolders.append(folder)
                continue
            }
            for name in names.sorted() where name.hasSuffix(".so") {
                let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
                guard seen.insert(URL(fileURLWithPath: path).resolvingSymlinksInPath().path).inserted else { continue }
                do {
                    let plugin = try describe(path: path)
                    for offer in plugin.consumers.map(\.name) where !offered.contains(offer) { offered.append(offer) }
                    if plugin.consumers.contains(where: { $0.name == consumer }) { offering.append(plugin) }
                } catch {
                    skipped.append(error)
                }
            }
        }
        guard let plugin = offering.first else {
            throw .notFound(
                consumer: consumer, folders: folders, missingFolders: missingFolders, offered: offered, skipped: skipped
            )
        }
        guard offering.count == 1 else { throw .ambiguous(consumer: consumer, paths: offering.map(\.path)) }
        return (plugin, skipped)
    }
}
