import Foundation
import Synchronization

/// Copies of plugin libraries under names of their own, one per reload.
///
/// `dlopen` of a path already loaded returns the image loaded before, even when the file was
/// replaced since, and Swift libraries cannot be unloaded: so every version a reload loads is a
/// copy with a new name, opened once and never closed. The copy is checked and loaded from the
/// same bytes, whatever happens to the original meanwhile. A refused copy is removed; a loaded
/// one stays while the process runs, for backtraces to read its symbols from.
package final class PluginCopies: Sendable {
    /// Where the copies are made: a folder of this process's own.
    package let directory: String
    /// Copies made so far, which number the next one's name.
    private let made = Mutex(0)

    package init(directory: String = NSTemporaryDirectory() + "racecar-host-\(getpid())") {
        self.directory = directory
    }

    /// Copies `path` to a new name in ``directory``.
    ///
    /// - Throws: ``PluginLoadError/fileNotFound(path:)`` when there is nothing at `path`,
    ///   ``PluginLoadError/notALibrary(path:reason:)`` when it cannot be copied.
    package func copy(_ path: String) throws(PluginLoadError) -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path: path) }
        let number = made.withLock { made in
            defer { made += 1 }
            return made
        }
        let name = "\(number)-" + URL(fileURLWithPath: path).lastPathComponent
        let copy = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
        } catch {
            throw .notALibrary(
                path: path, reason: "cannot copy it to \(copy) for loading: \(error.localizedDescription)")
        }
        return copy
    }

    /// Removes a copy that was refused.
    package func remove(_ copy: String) {
        try? FileManager.default.removeItem(atPath: copy)
    }

    /// Removes the folder and every copy in it, at exit.
    package func removeAll() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
