import Foundation

/// Finds the racecar SDK package a generated consumer depends on.
enum SDKLocation {
    /// The variable that names the SDK folder when `--sdk` is not given.
    static let environmentVariable = "RACECAR_SDK_PATH"

    /// The SDK folder as an absolute path: `explicit` (`--sdk`), else `$RACECAR_SDK_PATH`, else the
    /// `SDK` folder of the racecar-host checkout this executable was built in, else the one installed
    /// beside it in `<executable's folder>/../share/racecar-host/SDK`.
    ///
    /// - Throws: ``UserError`` when the folder named by `--sdk` or the variable is not an SDK, or
    ///   when no SDK is found.
    static func find(explicit: String?, environment: [String: String]) throws(UserError) -> URL {
        for (path, origin) in [(explicit, "--sdk"), (environment[environmentVariable], "$\(environmentVariable)")] {
            guard let path else { continue }
            let folder = URL(fileURLWithPath: path).standardizedFileURL
            guard isSDK(folder) else {
                throw UserError(
                    "\(origin) \(path) is not the racecar SDK: it has no Package.swift of package racecar-sdk; "
                        + "name the SDK folder of a racecar-host checkout")
            }
            return folder
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        // A build product lives below its checkout (.build/<triple>/debug/racecar-host).
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("SDK")
            if isSDK(candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        let installed = executable.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/racecar-host/SDK")
        if isSDK(installed) { return installed }
        throw UserError(
            "the racecar SDK was not found (no $\(environmentVariable), no SDK folder above \(executable.path), "
                + "none in \(installed.path)); pass --sdk PATH, the SDK folder of a racecar-host checkout")
    }

    /// Whether `folder` holds the SDK's package, and not some other folder named SDK.
    private static func isSDK(_ folder: URL) -> Bool {
        guard let manifest = FileManager.default.contents(atPath: folder.appendingPathComponent("Package.swift").path)
        else { return false }
        return String(decoding: manifest, as: UTF8.self).contains(#"name: "racecar-sdk""#)
    }
}
