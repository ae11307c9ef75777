#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread, as `top -H`, `perf` and debuggers show it. Foundation on Linux
/// does not apply `Thread.name` set before the thread starts, and `pthread_setname_np` is not
/// visible to Swift without `_GNU_SOURCE`; the kernel's `comm` file takes the name directly.
///
/// - Parameter name: At most 15 bytes; the kernel cuts longer names.
package func nameCurrentThread(_ name: String) {
    let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = name.withCString { write(descriptor, $0, strlen($0)) }
    close(descriptor)
}
