import Synchronization

/// Keeps the Swift error behind a `RACECAR_ERROR` for a caller that asks, so that the test kit
/// can rethrow the consumer's own error after a call through the C entry points.
///
/// Only the error's description crosses the ABI, in the error buffer; that is all the host ever
/// sees. `RacecarTesting` wraps each call it makes in ``recording(_:)`` and rethrows the error the
/// entry point caught, so a test can still match on its type. Outside ``recording(_:)`` nothing is
/// kept, and the entry points look for a recording only on the failure path.
package enum ThrownErrors {
    /// The last error recorded during one ``recording(_:)``.
    private final class Recording: Sendable {
        let last = Mutex<(any Error)?>(nil)
    }

    @TaskLocal private static var current: Recording?

    /// Runs `body`, a call into an SDK entry point, and returns what it returned with the last
    /// Swift error an entry point turned into `RACECAR_ERROR` meanwhile, if any.
    package static func recording<Result>(_ body: () -> Result) -> (result: Result, thrown: (any Error)?) {
        let recording = Recording()
        let result = $current.withValue(recording) { body() }
        return (result, recording.last.withLock { $0.take() })
    }

    /// Called by the entry points when they catch `error`.
    static func record(_ error: any Error) {
        current?.last.withLock { $0 = error }
    }
}
