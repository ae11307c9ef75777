import CRacecarPlugin
import RacecarSDK

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a consumer in a unit test, without Kafka or racecar-host, as the Racecar README
/// suggests testing consumers: hand it messages, then look at what it produced and logged.
///
/// ```swift
/// let harness = try ConsumerHarness(GeoCodingConsumer.self)
/// try harness.process(TestMessage(topic: "pageviews", value: #"{"id": 1, "ip_address": "10.0.0.1"}"#))
/// #expect(harness.produced.first?.topic == "pageviews-with-country")
/// ```
///
/// The harness calls the consumer through the same C entry points racecar-host calls: it takes
/// the consumer's descriptor as ``RacecarPlugin/export(_:)`` builds it and calls its vtable.
/// `create` gets a host API table that records what the consumer produces and logs; `process`
/// or `process_batch` gets `racecar_message` structs and an error buffer; `on_error` hears about
/// every failure; ``shutDown()`` calls `teardown` (deinitializing the harness does, if you did
/// not), and deinitializing then calls `destroy`. `message.headers` goes through the host API's
/// `message_headers`, which answers only for the messages of the current call, as the host's does.
///
/// A failed call throws the error the consumer threw, so a test can match on its type: the SDK's
/// entry point hands it back to the harness along with the message it wrote into the error
/// buffer, which is all the host sees (``errorMessages`` keeps those). What the host does around
/// the calls is not simulated: there is no pause and retry, dead-letter topic, delivery or commit
/// after a call.
public final class ConsumerHarness<Subject: RacecarConsumer> {
    /// The consumer under test, as the SDK's `create` made it.
    public let consumer: Subject
    /// Everything the consumer produced, in order.
    public var produced: [ProducedMessage] { host.produced }
    /// Everything the consumer logged, in order.
    public var logs: [(level: LogLevel, message: String)] { host.logs }
    /// When set, `produce` fails with this message, as a full local queue would.
    public var produceFailure: String? {
        get { host.produceFailure }
        set { host.produceFailure = newValue }
    }
    /// When set, `deliver` fails with this message, as a failed delivery would.
    public var deliveryFailure: String? {
        get { host.deliveryFailure }
        set { host.deliveryFailure = newValue }
    }
    /// The message of every failed `process` or `process_batch` call as the host reads it from
    /// the error buffer (and would log it), in order.
    public private(set) var errorMessages: [String] = []

    /// Kept alive until after `destroy`, as the ABI requires of the host.
    private let host: HarnessHost
    private let name: String
    private let vtable: racecar_consumer_vtable
    private let instance: UnsafeMutableRawPointer
    private let headersOnDemand: Bool
    private let errorBuffer: HarnessErrorBuffer
    private var isShutDown = false

    /// Creates the consumer through its descriptor's `create`, as the host does at start-up.
    ///
    /// - Parameter settings: The consumer's settings, as racecar.yml's `settings:` would give
    ///   them (``ReadsSettings``): `["archive_dir": "/tmp/out"]`.
    /// - Throws: ``ConsumerHarnessError/missingSetting(consumer:setting:)`` when a required
    ///   setting is missing, as the host refuses to start then; otherwise whatever the
    ///   consumer's `init()` or `init(settings:)` throws (a ``SettingsError`` for a setting of the
    ///   wrong type).
    public init(_ type: Subject.Type = Subject.self, settings: [String: TestSetting] = [:]) throws {
        let descriptor = RacecarPlugin.consumerDescriptor(of: type)
        let name = descriptor.pointee.name.map { String(cString: $0) } ?? String(describing: type)
        guard let vtable = descriptor.pointee.vtable?.pointee, let create = vtable.create else {
            throw ConsumerHarnessError.notCalledByHost("the descriptor of \(name) has no create entry point")
        }
        for index in 0..<descriptor.pointee.setting_count {
            guard let declaration = descriptor.pointee.settings?[index]?.pointee,
                declaration.flags & RACECAR_SETTING_REQUIRED != 0, let settingName = declaration.name
            else { continue }
            let setting = String(cString: settingName)
            if settings[setting] == nil || settings[setting] == .null {
                throw ConsumerHarnessError.missingSetting(consumer: name, setting: setting)
            }
        }
        let host = HarnessHost(settings: settings)
        let errorBuffer = HarnessErrorBuffer()
        var created: UnsafeMutableRawPointer?
        let (status, thrown) = ThrownErrors.recording {
            create(descriptor, host.handle, HarnessHost.api, &created, errorBuffer.pointer)
        }
        guard status == RACECAR_OK else {
            throw thrown ?? ConsumerHarnessError.consumerFailed(message: errorBuffer.message)
        }
        guard let created else {
            throw ConsumerHarnessError.consumerFailed(message: "create of \(name) succeeded but left no instance")
        }
        guard let consumer = ConsumerInstance.consumer(ofInstance: created) as? Subject else {
            vtable.destroy?(created)
            throw ConsumerHarnessError.consumerFailed(message: "create of \(name) made a consumer of another type")
        }
        self.consumer = consumer
        self.host = host
        self.name = name
        self.vtable = vtable
        self.instance = created
        self.headersOnDemand = descriptor.pointee.flags & RACECAR_HEADERS_ON_DEMAND != 0
        self.errorBuffer = errorBuffer
    }

    deinit {
        shutDown()
        vtable.destroy?(instance)
    }

    /// Hands `message` to the consumer's `process`, as the host hands over each message.
    ///
    /// After a failure the consumer's `on_error` hears about it, as from the host with the
    /// default `pause_timeout`: the recovery is ``ProcessingError/Recovery/retry``.
    ///
    /// - Throws: The error the consumer threw, or ``ConsumerHarnessError/notCalledByHost(_:)`` when
    ///   the consumer also is a ``BatchConsumer`` (the host then calls `process_batch` only) or
    ///   was shut down.
    public func process(_ message: TestMessage) throws where Subject: Consumer {
        guard let process = vtable.process else {
            throw ConsumerHarnessError.notCalledByHost(
                "\(name) exports process_batch instead of process, so the host calls that: use processBatch")
        }
        let instance = instance
        try call(with: [message], isBatch: false) { messages, _, error in process(instance, messages[0], error) }
    }

    /// Hands `messages` to the consumer's `process_batch`, as the host hands over a batch.
    ///
    /// After a failure the consumer's `on_error` hears about it at the first message not
    /// processed, as from the host with the default `pause_timeout`.
    ///
    /// - Parameter messages: At least one message, all of one topic and partition, in offset order.
    /// - Throws: The error the consumer threw. A ``PartialBatchFailure`` comes back with the
    ///   processed count the host received, which the SDK limits to the batch's size.
    ///   ``ConsumerHarnessError/notCalledByHost(_:)`` for a batch the host would never hand over,
    ///   or after ``shutDown()``.
    public func processBatch(_ messages: [TestMessage]) throws where Subject: BatchConsumer {
        guard let processBatch = vtable.process_batch else {
            throw ConsumerHarnessError.notCalledByHost("\(name) exports no process_batch")
        }
        guard let first = messages.first else {
            throw ConsumerHarnessError.notCalledByHost("a batch has at least one message")
        }
        guard messages.allSatisfy({ $0.topic == first.topic && $0.partition == first.partition }) else {
            throw ConsumerHarnessError.notCalledByHost(
                "a batch holds messages of one partition only; split the messages by topic and partition")
        }
        let instance = instance
        try call(with: messages, isBatch: true) { pointers, processed, error in
            processBatch(instance, pointers, messages.count, processed, error)
        }
    }

    /// Tells the consumer that it now consumes `partitions`, through `on_partitions_assigned`, as
    /// the host does after a rebalance. The host skips the hook when no partitions were assigned.
    public func assignPartitions(_ partitions: [TopicPartition]) {
        precondition(!isShutDown, "assignPartitions(_:) after shutDown(): the host calls no hook after teardown")
        guard let hook = vtable.on_partitions_assigned, !partitions.isEmpty else { return }
        withTopicPartitions(partitions) { hook(instance, $0, $1) }
    }

    /// Tells the consumer that `partitions` were taken away, through `on_partitions_revoked`, as
    /// the host does after their work finished and was committed.
    public func revokePartitions(_ partitions: [TopicPartition]) {
        precondition(!isShutDown, "revokePartitions(_:) after shutDown(): the host calls no hook after teardown")
        guard let hook = vtable.on_partitions_revoked, !partitions.isEmpty else { return }
        withTopicPartitions(partitions) { hook(instance, $0, $1) }
    }

    /// Hands the consumer a librdkafka statistics document through `on_statistics`. Only a
    /// consumer that conforms to ``ReceivesStatistics`` exports that hook; for any other this does
    /// nothing, as the host then collects no statistics.
    public func reportStatistics(_ json: String) {
        precondition(!isShutDown, "reportStatistics(_:) after shutDown(): the host calls no hook after teardown")
        guard let hook = vtable.on_statistics else { return }
        json.withCString { hook(instance, $0, json.utf8.count) }
    }

    /// Calls the consumer's `teardown`, as the host does on a graceful stop, after the last message.
    ///
    /// The harness calls it when it goes away, if it was not called; call it yourself to look at
    /// what `teardown` produced or logged. After it the harness makes no more calls but `destroy`.
    public func shutDown() {
        guard !isShutDown else { return }
        isShutDown = true
        vtable.teardown?(instance)
    }

    /// Makes one `process` or `process_batch` call with `messages` laid out as the host lays them
    /// out, and turns a failure back into the error the consumer threw.
    private func call(
        with messages: [TestMessage],
        isBatch: Bool,
        _ entryPoint: (
            UnsafePointer<UnsafePointer<racecar_message>?>, UnsafeMutablePointer<Int>,
            UnsafeMutablePointer<racecar_error_buffer>
        ) -> racecar_status
    ) throws {
        guard !isShutDown else {
            throw ConsumerHarnessError.notCalledByHost("\(name) was shut down: the host calls nothing after teardown")
        }
        host.messages.fill(messages, headersOnDemand: headersOnDemand)
        errorBuffer.clear()
        var processed = 0
        let (status, thrown) = ThrownErrors.recording { [host, errorBuffer] in
            entryPoint(host.messages.pointers, &processed, errorBuffer.pointer)
        }
        host.messages.callEnded()
        guard status != RACECAR_OK else { return }

        let message = errorBuffer.message
        errorMessages.append(message)
        processed = isBatch ? min(max(processed, 0), messages.count) : 0
        notifyError(message, at: messages[min(processed, messages.count - 1)], batch: isBatch ? messages : nil)
        if let failure = thrown as? PartialBatchFailure {
            throw PartialBatchFailure(processedCount: processed, underlying: failure.underlying)
        }
        if let thrown { throw thrown }
        let unexplained = ConsumerHarnessError.consumerFailed(message: message)
        if processed > 0 { throw PartialBatchFailure(processedCount: processed, underlying: unexplained) }
        throw unexplained
    }

    /// Tells the consumer's `on_error` about a failure at `failed`, as the host does after it
    /// logged the failure and decided to retry.
    private func notifyError(_ message: String, at failed: TestMessage, batch: [TestMessage]?) {
        guard let onError = vtable.on_error else { return }
        message.withCString { text in
            failed.topic.withCString { topic in
                var info = racecar_error_info()
                info.struct_size = MemoryLayout<racecar_error_info>.size
                info.message = text
                info.topic = topic
                info.partition = failed.partition
                info.offset = failed.offset
                info.first_offset = batch?.first?.offset ?? failed.offset
                info.last_offset = batch?.last?.offset ?? failed.offset
                info.is_batch = batch == nil ? 0 : 1
                info.retries_count = Int32(clamping: failed.retriesCount)
                info.recovery = RACECAR_RECOVERY_RETRY
                onError(instance, &info)
            }
        }
    }
}

/// Lays `partitions` out as the ABI's array of `racecar_topic_partition` pointers for `body`.
private func withTopicPartitions(
    _ partitions: [TopicPartition],
    _ body: (UnsafePointer<UnsafePointer<racecar_topic_partition>?>, Int) -> Void
) {
    let structs = UnsafeMutableBufferPointer<racecar_topic_partition>.allocate(capacity: partitions.count)
    let pointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_topic_partition>?>.allocate(
        capacity: partitions.count)
    for (index, partition) in partitions.enumerated() {
        structs[index] = racecar_topic_partition(
            struct_size: MemoryLayout<racecar_topic_partition>.size,
            topic: UnsafePointer(strdup(partition.topic)),
            partition: partition.partition
        )
        pointers[index] = UnsafePointer(structs.baseAddress! + index)
    }
    defer {
        for partition in structs { free(UnsafeMutablePointer(mutating: partition.topic)) }
        structs.deallocate()
        pointers.deallocate()
    }
    body(UnsafePointer(pointers.baseAddress!), partitions.count)
}
