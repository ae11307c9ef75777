import ArgumentParser
import Foundation
import RacecarOperations
import RacecarSupervision

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the worker processes of a racecar-host running parallel_workers.",
        discussion: """
            Reads the process id from the pidfile, then the status the supervisor publishes in \
            /dev/shm/racecar-<pid>/status.json: each worker's slot, pid, state, uptime, restarts \
            and how its previous process ended.
            """
    )

    @Option(name: .long, help: "The supervisor's pidfile.")
    var pidfile: String

    @Flag(name: .long, help: "Print the status file's JSON as it is.")
    var json = false

    func run() throws {
        let pid: Int32
        do {
            pid = try PidFile(path: pidfile).read()
        } catch {
            fail(error.description)
        }
        guard kill(pid, 0) == 0 || errno == EPERM else { fail("process \(pid) from \(pidfile) is not running") }
        let path = SupervisorDirectory(supervisorPID: pid).statusFile
        guard FileManager.default.fileExists(atPath: path) else {
            print("process \(pid) from \(pidfile) runs the consumer itself (no parallel_workers): it has no workers")
            return
        }
        if json {
            guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
            print(String(decoding: data, as: UTF8.self))
            return
        }
        do {
            print(try SupervisorStatus.read(from: path).text(now: Date().timeIntervalSince1970), terminator: "")
        } catch {
            fail("cannot read the supervisor's status \(path): \(error)")
        }
    }
}
