#if canImport(Glibc)
    import Glibc
#endif

/// The time of day in seconds since 1970, as status documents and files carry it: comparable
/// between the processes of one machine.
package func wallClockSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
