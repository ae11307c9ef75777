import Foundation
import Synchronization

/// Builds the ABI failure-path plugins in Tests/Fixtures with the system C compiler.
enum FixturePlugins {
    private static let directory = TestPaths.temporaryDirectory()
    private static let built = Mutex<[String: String]>([:])

    /// The path of the fixture plugin compiled with `-DVARIANT_<variant>` (or none for `nil`).
    static func path(_ variant: String?) throws -> String {
        let name = variant ?? "DEFAULT"
        if let path = built.withLock({ $0[name] }) { return path }
        let output = directory.appendingPathComponent("libfixture_\(name).so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "cc", "-shared", "-fPIC", "-Wall", "-Werror",
                "-I", TestPaths.repository.appendingPathComponent("SDK/CRacecarPlugin/include").path,
            ]
            + (variant.map { ["-DVARIANT_\($0)"] } ?? [])
            + [TestPaths.repository.appendingPathComponent("Tests/Fixtures/abi_variants.c").path, "-o", output]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CompileFailed(variant: name) }
        built.withLock { $0[name] = output }
        return output
    }

    struct CompileFailed: Error {
        let variant: String
    }
}
