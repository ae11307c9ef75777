import ArgumentParser
import Foundation
import RacecarEndpoint
import RacecarInstrumentation
import RacecarOperations
import RacecarSupervision
import Synchronization

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print what a running racecar-host consumes: its partitions, lag and pauses, or its workers'.",
        discussion: """
            With --pidfile, reads what the host publishes in /dev/shm/racecar-<pid>/: a supervisor's \
            status.json (each worker's slot, pid, state, uptime, restarts and how its previous process \
            ended) and each worker's own status, or a single host's host.json. With --url, asks the \
            host's HTTP endpoint (http_port) for /status. Either way: the consumer, group, member id and \
            plugin, and per assigned partition its position, committed offset, high watermark, lag and \
            whether it is paused, why and for how long.
            """
    )

    @Option(name: .long, help: "The host's pidfile (a supervisor's, with parallel_workers).")
    var pidfile: String?

    @Option(name: .long, help: "The host's HTTP endpoint, e.g. http://127.0.0.1:8080.")
    var url: String?

    @Flag(name: .long, help: "Print the status as JSON.")
    var json = false

    func validate() throws {
        guard (pidfile == nil) != (url == nil) else {
            throw ValidationError("give one of --pidfile PATH or --url http://HOST:PORT")
        }
    }

    func run() throws {
        let now = Date().timeIntervalSince1970
        if let url {
            let body = fetchStatus(url)
            if json { return print(String(decoding: body, as: UTF8.self)) }
            if let supervisor = try? StatusCoding.decode(SupervisorStatus.self, from: body) {
                return print(supervisor.text(now: now), terminator: "")
            }
            guard let host = try? StatusCoding.decode(HostStatus.self, from: body) else {
                fail("\(url)/status answered with no status yet: \(String(decoding: body, as: UTF8.self))")
            }
            return print(host.text(now: now), terminator: "")
        }
        let pidfile = pidfile ?? ""
        let pid: Int32
        do {
            pid = try PidFile(path: pidfile).read()
        } catch {
            fail(error.description)
        }
        guard kill(pid, 0) == 0 || errno == EPERM else { fail("process \(pid) from \(pidfile) is not running") }
        let directory = SupervisorDirectory(supervisorPID: pid)
        if FileManager.default.fileExists(atPath: directory.statusFile) {
            do {
                let status = try SupervisorEndpointSource.read(directory)
                print(
                    json ? String(decoding: StatusCoding.encode(status), as: UTF8.self) + "\n" : status.text(now: now),
                    terminator: "")
            } catch {
                fail("cannot read the supervisor's status \(directory.statusFile): \(error)")
            }
            return
        }
        guard let data = FileManager.default.contents(atPath: directory.hostStatusFile),
            let host = try? StatusCoding.decode(HostStatus.self, from: data)
        else {
            fail("process \(pid) from \(pidfile) has published no status in \(directory.path) yet (still connecting?)")
        }
        print(json ? String(decoding: data, as: UTF8.self) : host.text(now: now), terminator: json ? "\n" : "")
    }

    /// GET `/status` from the endpoint at `url`, waiting on this thread.
    private func fetchStatus(_ url: String) -> Data {
        let result = Mutex<Result<EndpointClient.Response, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let response = try await EndpointClient.send("GET", "/status", to: url)
                result.withLock { $0 = .success(response) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        switch result.withLock({ $0 })! {
        case .success(let response) where response.status == 200:
            return response.body
        case .success(let response):
            fail("\(url)/status answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        case .failure(let error):
            fail("cannot reach \(url): \(error)")
        }
    }
}
