import Foundation
import RacecarConfiguration

/// The file holding a running host's process id (`pidfile`), for `racecarctl stop`.
package struct PidFile: Sendable {
    /// Why a pidfile could not be used.
    package enum Failure: Error, CustomStringConvertible {
        case alreadyRunning(path: String, pid: Int32)
        case unwritable(path: String, reason: String)
        case unreadable(path: String, reason: String)

        package var description: String {
            switch self {
            case .alreadyRunning(let path, let pid):
                "pidfile \(path) names process \(pid), which is still running; stop it first (racecarctl stop --pidfile \(path))"
            case .unwritable(let path, let reason): "cannot write pidfile \(path): \(reason)"
            case .unreadable(let path, let reason): "cannot read pidfile \(path): \(reason)"
            }
        }
    }

    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// The pidfile's default name for a consumer, as Racecar builds it from the class name.
    package static func defaultPath(consumer: String) -> String {
        ConsumerGroupName.derive(consumerName: consumer, explicit: nil, prefix: nil) + ".pid"
    }

    /// The process id in the file.
    package func read() throws(Failure) -> Int32 {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "no such file, or no permission")
        }
        guard let pid = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            pid > 0
        else {
            throw .unreadable(path: path, reason: "it does not hold a process id")
        }
        return pid
    }

    /// Writes this process's id, refusing if the file names another live process.
    package func write() throws(Failure) {
        if let existing = try? read(), existing != getpid(), kill(existing, 0) == 0 {
            throw .alreadyRunning(path: path, pid: existing)
        }
        do {
            try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// Removes the file if it still names this process.
    package func remove() {
        if (try? read()) == getpid() { unlink(path) }
    }
}
