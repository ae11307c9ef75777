import Foundation
import Synchronization

/// Builds the plugins in Tests/Fixtures with the system C compiler: the ABI failure paths and
/// the runtime tests' probe.
enum FixturePlugins {
    private static let directory = TestPaths.temporaryDirectory()
    private static let built = Mutex<[String: String]>([:])

    /// The path of the fixture plugin compiled with `-DVARIANT_<variant>` (or none for `nil`).
    static func path(_ variant: String?) throws -> String {
        try build(
            source: "abi_variants.c", name: variant ?? "DEFAULT", flags: variant.map { ["-DVARIANT_\($0)"] } ?? [])
    }

    /// The path of the C consumers that crash at scripted positions (`Tests/Fixtures/crash_consumer.c`).
    static func crashing() throws -> String {
        try build(source: "crash_consumer.c", name: "CRASHING", flags: [])
    }

    /// The path of VersionedConsumer (`Tests/Fixtures/versioned_consumer.c`) built as
    /// `version`, with `-DVARIANT_<variant>` if given.
    static func versioned(_ version: Int, _ variant: String? = nil) throws -> String {
        try build(
            source: "versioned_consumer.c", name: "VERSIONED_\(version)\(variant.map { "_\($0)" } ?? "")",
            flags: ["-DVERSION=\(version)"] + (variant.map { ["-DVARIANT_\($0)"] } ?? []))
    }

    /// The path of the runtime probe plugin (`Tests/Fixtures/runtime_probe.c`).
    static func probe() throws -> String {
        try build(source: "runtime_probe.c", name: "PROBE", flags: [])
    }

    private static func build(source: String, name: String, flags: [String]) throws -> String {
        if let path = built.withLock({ $0[name] }) { return path }
        let output = directory.appendingPathComponent("libfixture_\(name).so").path
        // Tests ask for the same fixture at once: each compiles to a file of its own and renames
        // it into place, so that none loads a library another compiler is still writing.
        let partial = directory.appendingPathComponent("partial-\(UUID().uuidString).so").path
        let arguments =
            [
                "cc", "-shared", "-fPIC", "-Wall", "-Werror",
                "-I", TestPaths.repository.appendingPathComponent("SDK/CRacecarPlugin/include").path,
            ]
            + flags + [TestPaths.repository.appendingPathComponent("Tests/Fixtures/\(source)").path, "-o", partial]
        let process = try SpawnedProcess(
            executable: "/usr/bin/env", arguments: arguments, environment: ProcessInfo.processInfo.environment,
            standardOutput: .inherit, standardError: .inherit)
        guard process.waitUntilExit() == 0, rename(partial, output) == 0 else { throw CompileFailed(variant: name) }
        built.withLock { $0[name] = output }
        return output
    }

    struct CompileFailed: Error {
        let variant: String
    }
}
