import Foundation

/// Where the built binaries, plugins and the repository live.
enum TestPaths {
    /// The repository root, found from this file's location.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The build products folder: the one holding the test bundle that is running.
    static let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

    static let host = products.appendingPathComponent("racecar-host").path

    static let racecarctl = products.appendingPathComponent("racecarctl").path

    static func plugin(_ name: String) -> String {
        products.appendingPathComponent("lib\(name).so").path
    }

    /// A fresh temporary folder for one test.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("racecar-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
