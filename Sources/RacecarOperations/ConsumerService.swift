import Foundation
import RacecarInstrumentation
import RacecarRuntime
import ServiceLifecycle

/// The consumer as a service of the host's `ServiceGroup`: runs the consumer's poll loop on a
/// thread of its own (it blocks in librdkafka and in plugin code, so it must not occupy the
/// cooperative pool) until a stop is requested, by a signal or by the group's graceful
/// shutdown.
package struct ConsumerService: Service {
    private let stop: StopRequest
    private let consume: @Sendable () throws -> Void

    /// - Parameters:
    ///   - stop: What `consume` checks between messages; requested on graceful shutdown.
    ///   - consume: Consumes until `stop` is requested, then shuts the consumer down.
    package init(stop: StopRequest, consume: @escaping @Sendable () throws -> Void) {
        self.stop = stop
        self.consume = consume
    }

    /// Runs `consume` to its end.
    ///
    /// - Throws: What `consume` throws.
    package func run() async throws {
        let (stop, consume) = (stop, consume)
        try await withGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (finished: CheckedContinuation<Void, Error>) in
                let thread = Thread {
                    nameCurrentThread("racecar-poll")
                    do {
                        try consume()
                        finished.resume()
                    } catch {
                        finished.resume(throwing: error)
                    }
                }
                // Plugins run on this thread with concurrency 1: give it a main thread's stack.
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onGracefulShutdown: {
            stop.request()
        }
    }
}
