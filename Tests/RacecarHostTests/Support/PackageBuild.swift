import Foundation
import Synchronization

/// Runs a build tool (`swift`, `make`) in a generated package, in a clean environment: the tests
/// run inside `swift test`, whose variables must not leak into a nested build.
enum PackageBuild {
    /// How a command ended: its exit status and everything it printed.
    struct Outcome: Sendable {
        let status: Int32
        let output: String
    }

    struct ToolchainNotFound: Error, CustomStringConvertible {
        var description: String { "no libswiftCore.so in /proc/self/maps, so no toolchain to build with" }
    }

    /// The `swift` of the toolchain whose runtime this process runs on: the one that built the host,
    /// as a Swift plugin must be built with it.
    static func swift() throws -> String {
        // Read to its end: /proc files report a size of 0.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps"))
        defer { try? handle.close() }
        let maps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        guard let line = maps.split(separator: "\n").first(where: { $0.hasSuffix("/libswiftCore.so") }),
            let start = line.firstIndex(of: "/")
        else { throw ToolchainNotFound() }
        // <toolchain>/usr/lib/swift/linux/libswiftCore.so -> <toolchain>/usr/bin/swift
        var usr = URL(fileURLWithPath: String(line[start...]))
        for _ in 0..<4 { usr.deleteLastPathComponent() }
        return usr.appendingPathComponent("bin/swift").path
    }

    /// Runs `executable` with `arguments` in `folder`, with only PATH (the toolchain's first) and HOME set.
    static func run(_ executable: String, _ arguments: [String], in folder: URL) async throws -> Outcome {
        let toolchainBin = URL(fileURLWithPath: try swift()).deletingLastPathComponent().path
        let home = ProcessInfo.processInfo.environment["HOME"] ?? folder.path
        // The build takes tens of seconds: block a thread of its own, not one of the test pool's.
        return try await onOwnThread {
            let collected = Mutex(Data())
            let ended = DispatchSemaphore(value: 0)
            // At the lowest priority: the tests that time the host run beside these builds.
            let process = try SpawnedProcess(
                executable: "/usr/bin/nice", arguments: ["-n", "19", executable] + arguments,
                environment: ["PATH": "\(toolchainBin):/usr/local/bin:/usr/bin:/bin", "HOME": home],
                workingDirectory: folder.path,
                standardOutput: .collect { data in
                    guard let data else {
                        ended.signal()
                        return
                    }
                    collected.withLock { $0.append(data) }
                },
                standardError: .standardOutput)
            let status = process.waitUntilExit()
            ended.wait()
            return Outcome(status: status, output: String(decoding: collected.withLock { $0 }, as: UTF8.self))
        }
    }
}
