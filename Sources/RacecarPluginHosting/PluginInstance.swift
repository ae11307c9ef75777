import CRacecarPlugin
import Logging
import RacecarConfiguration

#if canImport(Glibc)
    import Glibc
#endif

/// One instance of a plugin's consumer, and all the C marshalling of calling it: `create`,
/// `process` / `process_batch` with the ABI's message slots and error buffer, the hooks,
/// `teardown` and `destroy`.
///
/// The plugin ABI promises that one instance is never called concurrently: every method but
/// `init` must be called from one thread at a time (checked in debug builds).
package final class PluginInstance: @unchecked Sendable {
    private let consumer: ConsumerDescriptor
    private let context: InstanceHostContext
    private let slots: MessageSlots
    private let errorBuffer = ReusableErrorBuffer()
    private let vtable: racecar_consumer_vtable
    private var instance: UnsafeMutableRawPointer?
    /// Where each call is recorded for a supervisor to read after a crash; `nil` unless the
    /// host runs as a supervised worker.
    private let recorder: InFlightCallRecorder?
    /// Counts calls, for the liveness check of calls that run too long.
    package let activity = CallActivity()
    #if DEBUG
        private let callerCheck = SingleCallerCheck()
    #endif

    /// Creates the instance through the plugin's `create`.
    ///
    /// - Parameters:
    ///   - capacity: The most messages one `process_batch` call receives.
    ///   - services: Where the plugin's `produce` and `deliver` calls go.
    ///   - headerSource: Reads the headers of the messages of the current call.
    ///   - settings: The consumer's settings, which the plugin reads through the host API.
    ///   - instanceIndex: Which of the consumer's instances in this process this is: the record
    ///     of an ``InFlightCallSlot`` it writes to.
    /// - Throws: ``PluginCallError/createFailed(consumer:message:)`` with the plugin's message.
    package init(
        consumer: ConsumerDescriptor,
        capacity: Int,
        logger: Logger,
        services: any PluginHostServices,
        headerSource: MessageHeaderSource,
        settings: ConsumerSettings,
        instanceIndex: Int = 0
    ) throws(PluginCallError) {
        self.consumer = consumer
        self.vtable = consumer.vtable
        slots = MessageSlots(
            capacity: capacity, headersOnDemand: consumer.readsHeadersOnDemand, headerSource: headerSource)
        context = InstanceHostContext(
            logger: logger, services: services, slots: slots, settings: SettingsStrings(settings))
        recorder = InFlightCallRecorder.fromEnvironment(
            instance: instanceIndex, consumer: consumer.name, logger: logger)
        var created: UnsafeMutableRawPointer?
        var message = ""
        recorder?.record(.create)
        let status = withErrorBuffer(capturing: &message) { error in
            consumer.vtable.create!(consumer.raw, context.opaque, HostAPITable.shared, &created, error)
        }
        recorder?.clear()
        guard status == RACECAR_OK else { throw .createFailed(consumer: consumer.name, message: message) }
        instance = created
    }

    /// The logger the plugin's `log` lines go to.
    package var logger: Logger { context.logger }

    /// The most messages one batch may hold.
    package var batchCapacity: Int { slots.capacity }

    /// Calls `process` with `message`; returns the plugin's error message when it failed.
    @inline(__always)
    package func process(_ message: BorrowedMessage, retries: Int32) -> String? {
        enterCall()
        defer { leaveCall() }
        slots.fill(count: 1, retries: retries) { _ in message }
        errorBuffer.clear()
        // Optional chaining, not `if let`: a bound copy would be retained and released around
        // the call. Both `?` test one immutable field, which the optimizer turns into one branch.
        recorder?.record(
            .process, topic: message.topic, partition: message.partition, first: message.offset, last: message.offset)
        let status = vtable.process!(instance, slots.pointers[0], errorBuffer.pointer)
        recorder?.clear()
        slots.callEnded()
        return status == RACECAR_OK ? nil : errorBuffer.message
    }

    /// Calls `process_batch` with `count` messages (at most ``batchCapacity``) from `message`.
    ///
    /// - Returns: `nil` on success; otherwise the plugin's error message and how many leading
    ///   messages it reported as finished (clamped to `0..<count`).
    @inline(__always)
    package func processBatch(count: Int, retries: Int32, _ message: (Int) -> BorrowedMessage) -> (
        failure: String, processed: Int
    )? {
        enterCall()
        defer { leaveCall() }
        slots.fill(count: count, retries: retries, message)
        var processed = 0
        errorBuffer.clear()
        recorder?.record(
            .processBatch, topic: slots.pointers[0]!.pointee.topic, partition: slots.pointers[0]!.pointee.partition,
            first: slots.pointers[0]!.pointee.offset, last: slots.pointers[max(count - 1, 0)]!.pointee.offset)
        let status = vtable.process_batch!(instance, slots.pointers, count, &processed, errorBuffer.pointer)
        recorder?.clear()
        slots.callEnded()
        guard status != RACECAR_OK else { return nil }
        return (errorBuffer.message, min(max(processed, 0), count - 1))
    }

    /// Tells the plugin's `on_error` hook about a failure.
    package func reportFailure(_ report: FailureReport) {
        enterCall()
        defer { leaveCall() }
        guard let onError = vtable.on_error else { return }
        report.reason.withCString { text in
            var info = racecar_error_info()
            info.struct_size = MemoryLayout<racecar_error_info>.size
            info.message = text
            info.topic = report.topic
            info.partition = report.partition
            info.offset = report.offset
            info.first_offset = report.batch?.lowerBound ?? report.offset
            info.last_offset = report.batch?.upperBound ?? report.offset
            info.is_batch = report.batch == nil ? 0 : 1
            info.retries_count = Int32(clamping: report.retries)
            info.recovery =
                switch report.recovery {
                case .retry: RACECAR_RECOVERY_RETRY
                case .pauseUntilRestart: RACECAR_RECOVERY_PAUSE
                case .stop: RACECAR_RECOVERY_STOP
                case .deadLetter: RACECAR_RECOVERY_DEAD_LETTER
                }
            recorder?.record(
                .onError, topic: report.topic, partition: report.partition, first: report.offset, last: report.offset)
            onError(instance, &info)
            recorder?.clear()
        }
    }

    package func partitionsAssigned(_ partitions: [TopicPartition]) {
        enterCall()
        defer { leaveCall() }
        guard let hook = vtable.on_partitions_assigned, !partitions.isEmpty else { return }
        recording(.onPartitionsAssigned) { withTopicPartitions(partitions) { hook(instance, $0, $1) } }
    }

    package func partitionsRevoked(_ partitions: [TopicPartition]) {
        enterCall()
        defer { leaveCall() }
        guard let hook = vtable.on_partitions_revoked, !partitions.isEmpty else { return }
        recording(.onPartitionsRevoked) { withTopicPartitions(partitions) { hook(instance, $0, $1) } }
    }

    /// Hands librdkafka's statistics JSON, valid during the call, to `on_statistics`.
    package func statisticsReceived(_ json: UnsafePointer<CChar>, length: Int) {
        enterCall()
        defer { leaveCall() }
        guard let hook = vtable.on_statistics else { return }
        recording(.onStatistics) { hook(instance, json, length) }
    }

    package func teardown() {
        enterCall()
        defer { leaveCall() }
        guard let teardown = vtable.teardown else { return }
        recording(.teardown) { teardown(instance) }
    }

    package func destroy() {
        enterCall()
        defer { leaveCall() }
        if let destroy = vtable.destroy { recording(.destroy) { destroy(instance) } }
        instance = nil
    }

    /// Runs `body`, a call into the plugin, with `call` recorded as in flight.
    private func recording(_ call: InFlightCall.Call, _ body: () -> Void) {
        recorder?.record(call)
        body()
        recorder?.clear()
    }

    @inline(__always)
    private func enterCall() {
        activity.step()
        #if DEBUG
            callerCheck.enter(consumer.name)
        #endif
    }

    @inline(__always)
    private func leaveCall() {
        activity.step()
        #if DEBUG
            callerCheck.leave()
        #endif
    }
}

/// Lays `partitions` out as the ABI's array of `racecar_topic_partition` pointers for `body`.
private func withTopicPartitions(
    _ partitions: [TopicPartition],
    _ body: (UnsafePointer<UnsafePointer<racecar_topic_partition>?>, Int) -> Void
) {
    let structs = UnsafeMutableBufferPointer<racecar_topic_partition>.allocate(capacity: max(partitions.count, 1))
    let pointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_topic_partition>?>.allocate(
        capacity: max(partitions.count, 1))
    for (index, partition) in partitions.enumerated() {
        structs[index] = racecar_topic_partition(
            struct_size: MemoryLayout<racecar_topic_partition>.size,
            topic: UnsafePointer(strdup(partition.topic)),
            partition: partition.partition
        )
        pointers[index] = UnsafePointer(structs.baseAddress! + index)
    }
    defer {
        for index in partitions.indices { free(UnsafeMutablePointer(mutating: structs[index].topic)) }
        structs.deallocate()
        pointers.deallocate()
    }
    body(UnsafePointer(pointers.baseAddress!), partitions.count)
}
