import ArgumentParser
import Foundation
import RacecarConfiguration
import RacecarOperations

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a racecar-host (a daemonized one, typically) gracefully, as SIGTERM does.",
        discussion: "Sends SIGTERM to the process named in the pidfile and waits for it to exit."
    )

    @Option(name: .long, help: "The host's pidfile.")
    var pidfile: String

    @Option(name: .long, help: "Seconds to wait for the process to exit.")
    var timeout: Double = 60

    func run() throws {
        let pid = processID(inPidfile: pidfile)
        guard kill(pid, SIGTERM) == 0 else {
            fail("cannot signal process \(pid) from \(pidfile): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while kill(pid, 0) == 0 {
            guard Date() < deadline else { fail("process \(pid) did not exit within \(formatSeconds(timeout)) s") }
            usleep(50_000)
        }
        report("stopped process \(pid)")
    }
}
