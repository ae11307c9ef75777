import Foundation
import Synchronization

/// Builds `Plugins/RustCountingConsumer` with cargo, once per test process, into the build
/// products folder (nothing appears in the source tree), for the end-to-end tests of a plugin
/// written in Rust against the C header.
enum RustPlugin {
    /// The crate's folder.
    static let crate = TestPaths.repository.appendingPathComponent("Plugins/RustCountingConsumer")
    /// Each build's outcome, by feature. Held locked while a build runs, so concurrent callers
    /// wait for it rather than start cargo again.
    private static let built = Mutex<[String: Result<String, BuildFailed>]>([:])

    /// The path of `libRustCountingConsumer.so`, built by the first call (off the cooperative pool:
    /// cargo takes seconds).
    ///
    /// - Parameter feature: A cargo feature of the crate to build with (`test-panics`), or `nil`
    ///   for the plugin as shipped. Each has a target folder of its own.
    /// - Throws: ``BuildFailed`` when cargo is not on `PATH` or the build fails, with cargo's
    ///   standard error: the test fails, it is never skipped.
    static func path(feature: String? = nil) async throws -> String {
        try await onOwnThread {
            try built.withLock { outcomes in
                if let outcome = outcomes[feature ?? ""] { return try outcome.get() }
                let outcome = Result { () throws(BuildFailed) in try build(feature: feature) }
                outcomes[feature ?? ""] = outcome
                return try outcome.get()
            }
        }
    }

    private static func build(feature: String?) throws(BuildFailed) -> String {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        guard
            let cargo = searchPath.split(separator: ":").map({ "\($0)/cargo" }).first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw BuildFailed(
                "cargo is not on PATH (\(searchPath)): the Rust plugin tests build \(crate.path) with it; "
                    + "install a Rust toolchain (https://rustup.rs) or add its bin folder (~/.cargo/bin) to PATH")
        }
        // Next to the Swift products of this build, so that nothing appears in the source tree.
        let targetDirectory = TestPaths.products.appendingPathComponent(
            feature.map { "cargo-target-\($0)" } ?? "cargo-target")
        let arguments =
            [
                "build", "--release", "--offline", "--locked",
                "--manifest-path", crate.appendingPathComponent("Cargo.toml").path,
                "--target-dir", targetDirectory.path,
            ] + (feature.map { ["--features", $0] } ?? [])
        let command = ([cargo] + arguments).joined(separator: " ")
        let collected = Mutex(Data())
        let ended = DispatchSemaphore(value: 0)
        let process: SpawnedProcess
        do {
            // At the lowest priority: the tests that time the host run beside this build.
            process = try SpawnedProcess(
                executable: "/usr/bin/nice", arguments: ["-n", "19", cargo] + arguments,
                environment: ProcessInfo.processInfo.environment.merging(["CARGO_TERM_COLOR": "never"]) { $1 },
                standardOutput: .discard,
                standardError: .collect { data in
                    guard let data else {
                        ended.signal()
                        return
                    }
                    collected.withLock { $0.append(data) }
                })
        } catch {
            throw BuildFailed("could not start `\(command)`: \(error)")
        }
        let status = process.waitUntilExit()
        ended.wait()
        let stderr = String(decoding: collected.withLock { $0 }, as: UTF8.self)
        guard status == 0 else {
            throw BuildFailed("`\(command)` failed with status \(status):\n\(stderr)")
        }
        let library = targetDirectory.appendingPathComponent("release/libRustCountingConsumer.so").path
        guard FileManager.default.fileExists(atPath: library) else {
            throw BuildFailed("`\(command)` succeeded but left no \(library):\n\(stderr)")
        }
        return library
    }

    /// Why the Rust plugin could not be built.
    struct BuildFailed: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
