import Foundation

/// Runs blocking work (a librdkafka flush, poll loop or client shutdown) on a thread of its own
/// and awaits its result.
///
/// Swift Testing runs the suites in parallel on the cooperative pool, which has one thread per
/// core. Blocking calls made directly from a test would hold those threads and stall every other
/// test's timing (its outages, deadlines and signals), so they run here instead.
func onOwnThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}
