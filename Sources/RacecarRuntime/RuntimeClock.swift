/// Where the runtime reads the time: the continuous clock, or a test's manual one.
package struct RuntimeClock: Sendable {
    package var now: @Sendable () -> ContinuousClock.Instant

    package init(now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.now = now
    }

    package static let continuous = RuntimeClock { .now }
}
