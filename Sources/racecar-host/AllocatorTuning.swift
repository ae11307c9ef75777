import CGlibcMalloc
import Glibc

/// glibc malloc settings for a long-running consumer.
enum AllocatorTuning {
    /// The mmap threshold glibc starts with (128 KiB).
    private static let mmapThreshold: Int32 = 128 * 1024

    /// Keeps librdkafka's large fetch buffers in mmap, so each goes back to the system when its
    /// last message is destroyed.
    ///
    /// glibc raises its mmap threshold to the size of any mmapped block freed, up to 32 MiB. The
    /// large buffers freed while the host starts (configuration, plugin loading) raise it past
    /// the size of a fetch response, and from then on fetch buffers come from the heap, where
    /// freed space is kept and fragments. Measured with racecar-bench's topic, that costs a
    /// host 10 to 40 MB more peak RSS than the same process with the threshold fixed. The
    /// price is CPU: each fetch buffer is a fresh mapping to fault in and zero (about 17,000
    /// more page faults per million 100-byte messages). Trimming the heap every 20-100 ms
    /// instead (`malloc_trim`) kept less memory back. An operator's `MALLOC_MMAP_THRESHOLD_`
    /// takes precedence.
    static func apply() {
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil else { return }
        // Setting it explicitly is what turns glibc's dynamic adjustment off.
        mallopt(M_MMAP_THRESHOLD, mmapThreshold)
    }
}
