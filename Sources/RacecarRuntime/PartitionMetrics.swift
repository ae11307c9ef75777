import Metrics

/// What one partition's messages did, as Racecar reports it: `consumer.messages`,
/// `consumer.process_message.latency` and `.errors` (or `consumer.process_batch.latency` and
/// `.errors`, and `consumer.batch_size`, for a batch consumer), `consumer.offset` and
/// `consumer.time_lag`.
///
/// Racecar records the counts, offset and time lag per message; here they are recorded once
/// per run of messages of the partition (the counts summed, the gauges at the run's last
/// message), which reads the same after aggregation. Latencies are recorded per call.
final class PartitionMetrics: Sendable {
    private let messages: Counter
    private let latency: Timer
    private let errors: Counter
    private let batchSize: Recorder?
    private let offset: Gauge
    private let timeLag: Gauge

    init(dimensions: [(String, String)], isBatchConsumer: Bool) {
        let call = isBatchConsumer ? "consumer.process_batch" : "consumer.process_message"
        messages = Counter(label: "consumer.messages", dimensions: dimensions)
        latency = Timer(label: call + ".latency", dimensions: dimensions)
        errors = Counter(label: call + ".errors", dimensions: dimensions)
        batchSize = isBatchConsumer ? Recorder(label: "consumer.batch_size", dimensions: dimensions) : nil
        offset = Gauge(label: "consumer.offset", dimensions: dimensions)
        timeLag = Gauge(label: "consumer.time_lag", dimensions: dimensions)
    }

    /// A `process` call, or a `process_batch` call of `size` messages, succeeded in
    /// `nanoseconds` (the wait for what it produced included, as in Racecar).
    @inline(__always)
    func succeeded(nanoseconds: Int64, size: Int) {
        latency.recordNanoseconds(nanoseconds)
        batchSize?.record(size)
    }

    /// A call failed; a batch of `size` messages still counts toward `consumer.batch_size`.
    func failed(size: Int, at offset: Int64) {
        errors.increment()
        batchSize?.record(size)
        self.offset.record(offset)
    }

    /// `count` messages were processed, the last at `offset`, created at `timestamp`
    /// (milliseconds since the epoch, or -1 when the message has none).
    func processed(_ count: Int, lastOffset: Int64, timestamp: Int64) {
        if count > 0 { messages.increment(by: count) }
        offset.record(lastOffset)
        if timestamp > 0 { timeLag.record(max(0, wallClockMilliseconds() - timestamp)) }
    }
}

private func wallClockMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
    import Glibc
#endif
