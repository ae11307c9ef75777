#if DEBUG
    import Synchronization

    #if canImport(Glibc)
        import Glibc
    #endif

    /// Debug-build check that calls into one consumer instance never overlap, as the plugin
    /// ABI promises plugins: entering while another thread is inside is a programming error
    /// in the host, and traps.
    final class SingleCallerCheck: Sendable {
        /// The thread inside a call, or 0.
        private let caller = Atomic<UInt>(0)

        func enter(_ consumer: String) {
            let current = UInt(bitPattern: Int(bitPattern: UInt(pthread_self())))
            let (exchanged, inside) = caller.compareExchange(
                expected: 0, desired: current, ordering: .acquiringAndReleasing)
            precondition(
                exchanged || inside == current,
                "an instance of \(consumer) was called from two threads at once; the plugin ABI forbids it")
        }

        func leave() {
            caller.store(0, ordering: .releasing)
        }
    }
#endif
