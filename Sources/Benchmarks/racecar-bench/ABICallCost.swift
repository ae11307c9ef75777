import CRacecarPlugin

#if canImport(Glibc)
    import Glibc
#endif

/// One measured kind of call across the plugin ABI.
struct ABICallMeasurement {
    let label: String
    /// Median over the repetitions, in nanoseconds per call.
    let nanosecondsPerCall: Double
    /// For batch calls, nanoseconds per message (per call divided by the batch size).
    let nanosecondsPerMessage: Double
    let callsPerRepetition: Int
}

/// Times calls from the host's side of the ABI into a `dlopen`ed no-op plugin, the way
/// racecar-host makes them: a `racecar_message` filled once, a function pointer from the
/// vtable, an error buffer. The plugins' clock reads are switched off (NOOP_SKIP_CLOCK), so
/// what is left is the call, the SDK's trampoline (for Swift) and a counter increment.
enum ABICallCost {
    private typealias DescriptorFunction = @convention(c) () -> UnsafePointer<racecar_plugin_descriptor>?

    static func measure(cPlugin: String, swiftPlugin: String, calls: Int, repetitions: Int) throws(BenchError)
        -> [ABICallMeasurement]
    {
        let batchSize = 1000
        return [
            try measureProcess(
                label: "C plugin, `process` (NoopCConsumer)", plugin: cPlugin, consumer: "NoopCConsumer", calls: calls,
                repetitions: repetitions),
            try measureProcess(
                label: "Swift plugin, `process` (NoopConsumer)", plugin: swiftPlugin, consumer: "NoopConsumer",
                calls: calls, repetitions: repetitions),
            try measureBatch(
                label: "Swift plugin, `process_batch` of \(batchSize) (NoopBatchConsumer)", plugin: swiftPlugin,
                consumer: "NoopBatchConsumer", messages: calls, batchSize: batchSize, repetitions: repetitions),
        ]
    }

    /// What one CLOCK_MONOTONIC read costs here, for scale: the no-op consumers make one per
    /// message (or per batch) in the throughput runs.
    static func clockReadNanoseconds(reads: Int) -> Double {
        var sink: UInt64 = 0
        let start = monotonicNanoseconds()
        for _ in 0..<reads { sink &+= monotonicNanoseconds() }
        let elapsed = monotonicNanoseconds() - start
        withExtendedLifetime(sink) {}
        return Double(elapsed) / Double(reads)
    }

    private struct Instance {
        let vtable: racecar_consumer_vtable
        let instance: UnsafeMutableRawPointer?
    }

    private static func createInstance(plugin: String, consumer name: String) throws(BenchError) -> Instance {
        guard let handle = dlopen(plugin, RTLD_NOW | RTLD_LOCAL) else {
            throw BenchError("dlopen \(plugin): \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        guard let symbol = dlsym(handle, RACECAR_PLUGIN_ABI_SYMBOL) else {
            throw BenchError("\(plugin) has no \(RACECAR_PLUGIN_ABI_SYMBOL)")
        }
        guard let descriptor = unsafeBitCast(symbol, to: DescriptorFunction.self)() else {
            throw BenchError("\(plugin) returned no descriptor")
        }
        var found: UnsafePointer<racecar_consumer_descriptor>?
        for index in 0..<descriptor.pointee.consumer_count {
            if let consumer = descriptor.pointee.consumers[index], String(cString: consumer.pointee.name) == name {
                found = consumer
            }
        }
        guard let found, let vtablePointer = found.pointee.vtable, let create = vtablePointer.pointee.create else {
            throw BenchError("\(plugin) has no consumer \(name) with a create function")
        }
        // The no-op consumers never call the host, so an empty table is enough.
        let hostAPI = UnsafeMutablePointer<racecar_host_api>.allocate(capacity: 1)
        var emptyTable = racecar_host_api()
        emptyTable.struct_size = MemoryLayout<racecar_host_api>.size
        hostAPI.initialize(to: emptyTable)
        var instance: UnsafeMutableRawPointer?
        var text = [CChar](repeating: 0, count: 1024)
        setenv("NOOP_SKIP_CLOCK", "1", 1)
        let status = text.withUnsafeMutableBufferPointer { characters in
            var error = makeErrorBuffer(characters)
            return create(found, nil, hostAPI, &instance, &error)
        }
        unsetenv("NOOP_SKIP_CLOCK")
        guard status == RACECAR_OK else { throw BenchError("creating \(name) failed: \(cString(text))") }
        // The host API table and the instance live until the process exits, as in the host.
        return Instance(vtable: vtablePointer.pointee, instance: instance)
    }

    /// A message like the ones the benchmark consumes, with borrowed value bytes.
    private static func withSampleMessage<R>(_ body: (UnsafePointer<racecar_message>) -> R) -> R {
        let value = [UInt8](repeating: UInt8(ascii: "a"), count: 100)
        return "bench".withCString { topic in
            value.withUnsafeBytes { bytes in
                var message = racecar_message()
                message.struct_size = MemoryLayout<racecar_message>.size
                message.topic = topic
                message.partition = 7
                message.offset = 123_456
                message.value = bytes.baseAddress
                message.value_length = bytes.count
                message.timestamp_ms = 1_700_000_000_000
                return withUnsafePointer(to: &message) { body($0) }
            }
        }
    }

    private static func makeErrorBuffer(_ characters: UnsafeMutableBufferPointer<CChar>) -> racecar_error_buffer {
        var buffer = racecar_error_buffer()
        buffer.struct_size = MemoryLayout<racecar_error_buffer>.size
        buffer.message = characters.baseAddress
        buffer.capacity = characters.count
        return buffer
    }

    /// Times `calls` calls of `call` in each of `repetitions` rounds, after one untimed round
    /// that warms caches and branch predictors; returns nanoseconds per call for each round.
    /// Inlined, so that `call` is too and the loop measures the ABI call alone.
    @inline(__always)
    private static func nanosecondsPerCall(calls: Int, repetitions: Int, _ call: () -> Bool) -> [Double] {
        var failures = 0
        var results: [Double] = []
        for repetition in 0...repetitions {
            let start = monotonicNanoseconds()
            for _ in 0..<calls where !call() { failures += 1 }
            let elapsed = monotonicNanoseconds() - start
            if repetition > 0 { results.append(Double(elapsed) / Double(calls)) }
        }
        precondition(failures == 0, "a no-op consumer failed")
        return results
    }

    private static func measureProcess(label: String, plugin: String, consumer: String, calls: Int, repetitions: Int)
        throws(BenchError) -> ABICallMeasurement
    {
        let created = try createInstance(plugin: plugin, consumer: consumer)
        guard let process = created.vtable.process else { throw BenchError("\(consumer) has no process function") }
        var errorText = [CChar](repeating: 0, count: 4096)
        let timings: [Double] = withSampleMessage { message in
            errorText.withUnsafeMutableBufferPointer { characters in
                var error = makeErrorBuffer(characters)
                return nanosecondsPerCall(calls: calls, repetitions: repetitions) {
                    process(created.instance, message, &error) == RACECAR_OK
                }
            }
        }
        let perCall = median(timings)
        return ABICallMeasurement(
            label: label, nanosecondsPerCall: perCall, nanosecondsPerMessage: perCall, callsPerRepetition: calls)
    }

    private static func measureBatch(
        label: String, plugin: String, consumer: String, messages: Int, batchSize: Int, repetitions: Int
    ) throws(BenchError) -> ABICallMeasurement {
        let created = try createInstance(plugin: plugin, consumer: consumer)
        guard let processBatch = created.vtable.process_batch else {
            throw BenchError("\(consumer) has no process_batch function")
        }
        let calls = max(messages / batchSize, 1)
        var errorText = [CChar](repeating: 0, count: 4096)
        let timings: [Double] = withSampleMessage { message in
            let pointers = [UnsafePointer<racecar_message>?](repeating: message, count: batchSize)
            return pointers.withUnsafeBufferPointer { batch in
                errorText.withUnsafeMutableBufferPointer { characters in
                    var error = makeErrorBuffer(characters)
                    return nanosecondsPerCall(calls: calls, repetitions: repetitions) {
                        var processed = 0
                        return processBatch(created.instance, batch.baseAddress, batchSize, &processed, &error)
                            == RACECAR_OK
                    }
                }
            }
        }
        let perCall = median(timings)
        return ABICallMeasurement(
            label: label, nanosecondsPerCall: perCall, nanosecondsPerMessage: perCall / Double(batchSize),
            callsPerRepetition: calls)
    }
}
