import Foundation

/// Racecar's liveness probe: while the host polls, it touches a file at least every second;
/// `racecarctl liveness-probe` succeeds while the file is younger than
/// `liveness_probe_max_interval`. The file is removed on shutdown.
package struct LivenessProbe: Sendable {
    package let path: String
    package let maxInterval: Duration
    private var lastTouch: ContinuousClock.Instant?

    package init(path: String, maxInterval: Duration) {
        self.path = path
        self.maxInterval = maxInterval
    }

    /// Marks the host alive; cheap enough to call on every loop iteration.
    package mutating func touch() {
        let now = ContinuousClock.now
        if let lastTouch, now - lastTouch < .seconds(1) { return }
        lastTouch = now
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor >= 0 {
            futimens(descriptor, nil)
            close(descriptor)
        }
    }

    package func remove() {
        unlink(path)
    }

    /// Whether a host touched the file within `maxInterval`.
    package func isAlive() -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        else { return false }
        let (seconds, attoseconds) = maxInterval.components
        return Date().timeIntervalSince(modified) <= Double(seconds) + Double(attoseconds) / 1e18
    }
}
