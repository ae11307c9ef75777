import Foundation
import Glibc
import RacecarOperations

/// A reload asked of a supervisor from inside its own process (its endpoint's
/// `POST /control/reload`), through ``SupervisorDirectory/reloadChannel`` and SIGHUP, as
/// `racecarctl reload` asks through the pidfile's channel.
package enum SupervisorReloadRequest {
    /// Why the supervisor did not swap the new version in.
    package struct Failed: Error, CustomStringConvertible {
        package let description: String
    }

    /// Asks supervisor `pid` to reload from the same path and waits, off the cooperative pool,
    /// until every worker swapped or the reload failed.
    ///
    /// - Throws: ``Failed`` with the supervisor's line.
    package static func send(toSupervisor pid: Int32, timeout: Duration = .seconds(120)) async throws -> String {
        let channel = SupervisorDirectory(supervisorPID: pid).reloadChannel
        let request = ReloadChannel.Request(plugin: nil)
        try channel.send(request)
        kill(pid, SIGHUP)
        let result = await withCheckedContinuation { (finished: CheckedContinuation<ReloadChannel.Result?, Never>) in
            Thread.detachNewThread {
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    if let result = channel.result(), result.id == request.id {
                        return finished.resume(returning: result)
                    }
                    usleep(50_000)
                }
                finished.resume(returning: nil)
            }
        }
        guard let result else { throw Failed(description: "the supervisor did not answer within \(timeout)") }
        guard result.succeeded else { throw Failed(description: result.message) }
        return result.message
    }
}
