import CRacecarPlugin
import RacecarSDK

#if canImport(Glibc)
    import Glibc
#endif

/// The host side of one ``ConsumerHarness``: what the consumer reaches through the
/// `racecar_host_api` table. Its address is the `racecar_host *` the harness passes to `create`.
final class HarnessHost {
    /// Everything the consumer produced, in order.
    private(set) var produced: [ProducedMessage] = []
    /// Everything the consumer logged, in order.
    private(set) var logs: [(level: LogLevel, message: String)] = []
    /// When set, `produce` fails with this message.
    var produceFailure: String?
    /// When set, `deliver` fails with this message.
    var deliveryFailure: String?
    /// The messages of the current call, which `message_headers` answers for.
    let messages = MessageSlots()
    /// The consumer's settings as C strings, valid until the host is gone (after `destroy`).
    private let settingsJSON: UnsafeMutablePointer<CChar>
    private let settingTexts: [String: UnsafeMutablePointer<CChar>]

    init(settings: [String: TestSetting]) {
        settingsJSON = strdup(TestSetting.mapping(settings).json)
        settingTexts = settings.filter { $0.value != .null }.mapValues { strdup($0.text) }
    }

    deinit {
        free(settingsJSON)
        for text in settingTexts.values { free(text) }
    }

    /// The `racecar_host *` for this host. The harness keeps the host alive until after `destroy`.
    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    private static func from(_ handle: OpaquePointer?) -> HarnessHost? {
        handle.map { Unmanaged<HarnessHost>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    private func produce(_ request: racecar_produce_request) -> String? {
        if let produceFailure { return produceFailure }
        guard let topic = request.topic else { return "produce needs a topic" }
        func text(_ pointer: UnsafeRawPointer?, _ count: Int) -> String? {
            pointer.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: count), as: UTF8.self) }
        }
        func bytes(_ pointer: UnsafeRawPointer?, _ count: Int) -> [UInt8]? {
            pointer.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) }
        }
        var headers: [(name: String, value: [UInt8]?)] = []
        for index in 0..<request.header_count {
            guard let header = request.headers?[index]?.pointee else { continue }
            headers.append((header.name.map { String(cString: $0) } ?? "", bytes(header.value, header.value_length)))
        }
        produced.append(
            ProducedMessage(
                topic: String(cString: topic),
                keyBytes: bytes(request.key, request.key_length),
                valueBytes: bytes(request.value, request.value_length),
                headerBytes: headers,
                partition: request.partition == RACECAR_PARTITION_ANY ? nil : request.partition,
                partitionKey: text(request.partition_key, request.partition_key_length)
            ))
        return nil
    }

    private func log(_ level: racecar_log_level, _ message: String) {
        let converted: LogLevel =
            switch level {
            case RACECAR_LOG_DEBUG: .debug
            case RACECAR_LOG_WARNING: .warning
            case RACECAR_LOG_ERROR: .error
            default: .info
            }
        logs.append((converted, message))
    }

    /// The table every harness hands its consumer: it records instead of talking to Kafka.
    /// Written once, then only read.
    nonisolated(unsafe) static let api: UnsafePointer<racecar_host_api> = {
        let table = UnsafeMutablePointer<racecar_host_api>.allocate(capacity: 1)
        table.initialize(
            to: racecar_host_api(
                struct_size: MemoryLayout<racecar_host_api>.size,
                produce: { handle, request, error in
                    guard let host = from(handle), let request else {
                        error?.write("produce needs the host handle passed to create and a request")
                        return RACECAR_ERROR
                    }
                    guard let failure = host.produce(request.pointee) else { return RACECAR_OK }
                    error?.write(failure)
                    return RACECAR_ERROR
                },
                deliver: { handle, error in
                    guard let host = from(handle) else {
                        error?.write("deliver needs the host handle passed to create")
                        return RACECAR_ERROR
                    }
                    guard let failure = host.deliveryFailure else { return RACECAR_OK }
                    error?.write(failure)
                    return RACECAR_ERROR
                },
                log: { handle, level, message in
                    guard let message else { return }
                    from(handle)?.log(level, String(cString: message))
                },
                message_headers: { handle, message, headers, count, error in
                    guard let host = from(handle), let message, let headers, let count else {
                        error?.write(
                            "message_headers needs the host handle passed to create, a message and two results")
                        return RACECAR_ERROR
                    }
                    guard let found = host.messages.headers(of: message) else {
                        error?.write(
                            "message_headers: the message is not one of the current process or process_batch call")
                        return RACECAR_ERROR
                    }
                    headers.pointee = found.list
                    count.pointee = found.count
                    return RACECAR_OK
                },
                setting: { handle, name in
                    guard let host = from(handle), let name else { return nil }
                    return host.settingTexts[String(cString: name)].map { UnsafePointer($0) }
                },
                settings_json: { handle in
                    from(handle).map { UnsafePointer($0.settingsJSON) }
                }
            ))
        return UnsafePointer(table)
    }()
}
