/// Why the folders of `plugin_path` gave no single library for a consumer. Each message names
/// the consumer and the folders or libraries involved, and says what to do.
package enum PluginSearchError: Error, Equatable, CustomStringConvertible {
    /// No library in the folders offers the consumer.
    case notFound(
        consumer: String, folders: [String], missingFolders: [String], offered: [String], skipped: [PluginLoadError])
    /// Several libraries offer the consumer, so which one to run is unclear.
    case ambiguous(consumer: String, paths: [String])

    package var description: String {
        switch self {
        case .notFound(let consumer, let folders, let missingFolders, let offered, let skipped):
            let searched = folders.map { missingFolders.contains($0) ? "\($0) (not a readable folder)" : $0 }
            var text =
                "no library in plugin_path offers consumer \(consumer); searched \(searched.joined(separator: ", "))"
                + "; consumers found: \(offered.isEmpty ? "none" : offered.joined(separator: ", "))"
            if !skipped.isEmpty {
                text += "; skipped: \(skipped.map(\.description).joined(separator: "; "))"
            }
            return text + ". Add the folder of the consumer's library to plugin_path, or name it with --plugin"
        case .ambiguous(let consumer, let paths):
            let listed = paths.dropLast().joined(separator: ", ") + " and " + (paths.last ?? "")
            return "consumer \(consumer) is offered by \(paths.count) libraries in plugin_path: \(listed); "
                + "keep one in plugin_path's folders, or choose one with --plugin"
        }
    }
}
