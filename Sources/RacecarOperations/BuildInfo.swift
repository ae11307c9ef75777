/// The versions `--version` reports.
package enum BuildInfo {
    /// racecar-host's own version.
    package static let version = "0.2.0"
    /// The version of the SDK shipped with this host (`RacecarPlugin.sdkVersion`, which a test
    /// keeps equal to this).
    package static let sdkVersion = "0.2.0"
}
