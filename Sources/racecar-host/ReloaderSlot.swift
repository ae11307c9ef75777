import Foundation

/// Holds the reloader SIGHUP reaches; set once the consumer is loaded.
final class ReloaderSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var reloader: HostReloader?

    func set(_ reloader: HostReloader) {
        lock.withLock { self.reloader = reloader }
    }

    func request() {
        guard let reloader = lock.withLock({ self.reloader }) else {
            FileHandle.standardError.write(
                Data("racecar-host: SIGHUP before the consumer was loaded; nothing to reload\n".utf8))
            return
        }
        reloader.request()
    }

    /// Reloads and waits for the outcome (`POST /control/reload`), off the cooperative pool.
    ///
    /// - Throws: ``ReloadFailed`` with the line `racecarctl reload` would print.
    func reloadNow() async throws -> String {
        guard let reloader = lock.withLock({ self.reloader }) else {
            throw ReloadFailed(description: "the consumer is not loaded yet")
        }
        let (succeeded, message) = await withCheckedContinuation { finished in
            Thread.detachNewThread { finished.resume(returning: reloader.reloadNow()) }
        }
        guard succeeded else { throw ReloadFailed(description: message) }
        return message
    }
}
