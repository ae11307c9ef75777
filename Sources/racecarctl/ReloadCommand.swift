import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarOperations

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Swap a running racecar-host's consumer for a new build of its plugin, without leaving the group.",
        discussion: """
            Asks the process named in the pidfile to reload (as SIGHUP does) and waits for the \
            outcome: the host checks the new library in a throwaway process, then swaps it in \
            and rereads racecar.yml. If anything fails, the running version keeps processing and \
            this command prints why and exits 1.
            """
    )

    @Option(name: .long, help: "The host's pidfile.")
    var pidfile: String

    @Option(name: .long, help: "The new library (default: the one the host runs, from the same path).")
    var plugin: String?

    @Option(name: .long, help: "Seconds to wait for the outcome.")
    var timeout: Double = 120

    func run() throws {
        let pid = processID(inPidfile: pidfile)
        // The host resolves the path from its own working directory.
        let absolute = plugin.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let channel = ReloadChannel(pidfile: pidfile)
        let request = ReloadChannel.Request(plugin: absolute)
        do {
            try channel.send(request)
        } catch {
            fail("cannot ask process \(pid) to reload: \(error.localizedDescription)")
        }
        guard kill(pid, SIGHUP) == 0 else {
            fail("cannot signal process \(pid) from \(pidfile): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let result = channel.result(), result.id == request.id {
                guard result.succeeded else { fail(result.message) }
                report(result.message)
                return
            }
            guard kill(pid, 0) == 0 else { fail("process \(pid) exited before it reported the reload") }
            guard Date() < deadline else {
                fail("process \(pid) did not report the reload within \(formatSeconds(timeout)) s")
            }
            usleep(50_000)
        }
    }
}
