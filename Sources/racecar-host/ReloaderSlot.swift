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
}
