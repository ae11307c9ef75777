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
/// The consumer is created with `init()` and called exactly as the host calls it, through the
/// plugin ABI's message structs, so borrowed-buffer mistakes show up here too.
public final class ConsumerHarness<Subject: RacecarConsumer> {
    /// The consumer under test.
    public let consumer: Subject
    /// Everything the consumer produced, in order.
    public private(set) var produced: [ProducedMessage] = []
    /// Everything the consumer logged, in order.
    public private(set) var logs: [(level: LogLevel, message: String)] = []
    /// When set, `produce` fails with this message, as a full local queue would.
    public var produceFailure: String?
    /// When set, `deliver` fails with this message, as a failed delivery would.
    public var deliveryFailure: String?

    private let instance: ConsumerInstance

    /// Creates the consumer.
    ///
    /// - Throws: whatever the consumer's `init()` throws.
    public init(_ type: Subject.Type = Subject.self) throws {
        consumer = try type.init()
        let box = HarnessBox()
        instance = ConsumerInstance(
            consumer: consumer, host: OpaquePointer(Unmanaged.passRetained(box).toOpaque()), hostAPI: harnessHostAPI)
        box.attach(self)
        ConsumerInstance.register(instance)
    }

    deinit {
        ConsumerInstance.unregister(instance)
        if let host = instance.host { Unmanaged<HarnessBox>.fromOpaque(UnsafeRawPointer(host)).release() }
    }

    /// Calls `process` with `message`.
    public func process(_ message: TestMessage) throws where Subject: Consumer {
        try message.withABIMessage { raw in try consumer.process(Message(raw)) }
    }

    /// Calls `processBatch` with `messages`, which should share a topic and partition.
    public func processBatch(_ messages: [TestMessage]) throws where Subject: BatchConsumer {
        try TestMessage.withABIMessages(messages) { pointers in
            try consumer.processBatch(MessageBatch(pointers))
        }
    }

    fileprivate func record(_ request: racecar_produce_request) -> String? {
        if let produceFailure { return produceFailure }
        func text(_ pointer: UnsafeRawPointer?, _ count: Int) -> String? {
            pointer.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: count), as: UTF8.self) }
        }
        var headers: [(name: String, value: String?)] = []
        for index in 0..<request.header_count {
            guard let header = request.headers?[index]?.pointee else { continue }
            headers.append((header.name.map { String(cString: $0) } ?? "", text(header.value, header.value_length)))
        }
        produced.append(
            ProducedMessage(
                topic: request.topic.map { String(cString: $0) } ?? "",
                key: text(request.key, request.key_length),
                value: text(request.value, request.value_length),
                headers: headers,
                partition: request.partition == RACECAR_PARTITION_ANY ? nil : request.partition,
                partitionKey: text(request.partition_key, request.partition_key_length)
            ))
        return nil
    }

    fileprivate func recordLog(_ level: racecar_log_level, _ message: String) {
        let converted: LogLevel =
            switch level {
            case RACECAR_LOG_DEBUG: .debug
            case RACECAR_LOG_WARNING: .warning
            case RACECAR_LOG_ERROR: .error
            default: .info
            }
        logs.append((converted, message))
    }
}

/// A message produced by a consumer under test.
public struct ProducedMessage: Sendable {
    public var topic: String
    public var key: String?
    public var value: String?
    public var headers: [(name: String, value: String?)]
    public var partition: Int32?
    public var partitionKey: String?
}

/// Type-erases the harness for the C host API functions. Created before the harness it
/// serves, which attaches itself once initialized.
private final class HarnessBox {
    private(set) var record: (racecar_produce_request) -> String? = { _ in nil }
    private(set) var deliveryFailure: () -> String? = { nil }
    private(set) var log: (racecar_log_level, String) -> Void = { _, _ in }

    func attach<Subject>(_ harness: ConsumerHarness<Subject>) {
        // The harness owns the box's lifetime; unowned avoids a cycle.
        record = { [unowned harness] in harness.record($0) }
        deliveryFailure = { [unowned harness] in harness.deliveryFailure }
        log = { [unowned harness] in harness.recordLog($0, $1) }
    }

    static func from(_ host: OpaquePointer?) -> HarnessBox? {
        host.map { Unmanaged<HarnessBox>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}

/// The host API a harness hands its consumer: it records instead of talking to Kafka.
nonisolated(unsafe) private let harnessHostAPI: UnsafePointer<racecar_host_api> = {
    let table = UnsafeMutablePointer<racecar_host_api>.allocate(capacity: 1)
    table.initialize(
        to: racecar_host_api(
            struct_size: MemoryLayout<racecar_host_api>.size,
            produce: { host, request, error in
                guard let box = HarnessBox.from(host), let request else { return RACECAR_ERROR }
                if let failure = box.record(request.pointee) {
                    error?.write(failure)
                    return RACECAR_ERROR
                }
                return RACECAR_OK
            },
            deliver: { host, error in
                guard let failure = HarnessBox.from(host)?.deliveryFailure() else { return RACECAR_OK }
                error?.write(failure)
                return RACECAR_ERROR
            },
            log: { host, level, message in
                guard let message else { return }
                HarnessBox.from(host)?.log(level, String(cString: message))
            },
            // The harness hands its consumer messages that carry their headers.
            message_headers: nil
        ))
    return UnsafePointer(table)
}()
