import CRacecarPlugin

#if canImport(Glibc)
    import Glibc
#endif

/// Severity of a line written with ``RacecarConsumer/log(_:level:)``.
public enum LogLevel: Sendable {
    case debug, info, warning, error

    var abiValue: racecar_log_level {
        switch self {
        case .debug: RACECAR_LOG_DEBUG
        case .info: RACECAR_LOG_INFO
        case .warning: RACECAR_LOG_WARNING
        case .error: RACECAR_LOG_ERROR
        }
    }
}

extension RacecarConsumer {
    /// Enqueues a message for delivery, like Racecar's `produce`.
    ///
    /// The host delivers it before it commits the offset of the message being processed,
    /// so outputs are never lost; call ``deliver()`` to wait for acknowledgement sooner.
    ///
    /// - Parameters:
    ///   - value: The message value; `nil` produces a tombstone.
    ///   - topic: The topic to produce to.
    ///   - key: The message key, also used for partitioning unless `partitionKey` is given.
    ///   - headers: Headers to attach, in order.
    ///   - partition: An explicit partition; `nil` lets the partitioner choose.
    ///   - partitionKey: Hashed instead of the key to choose the partition.
    ///   - timestampMilliseconds: Create time since the Unix epoch; `nil` means now.
    /// - Throws: ``HostError`` when the host rejects the message, or when called outside
    ///   a call from the host.
    public func produce(
        _ value: String?,
        topic: String,
        key: String? = nil,
        headers: [(name: String, value: String?)] = [],
        partition: Int32? = nil,
        partitionKey: String? = nil,
        timestampMilliseconds: Int64? = nil
    ) throws {
        try withOptionalBytes(value) { value in
            try withOptionalBytes(key) { key in
                try withOptionalBytes(partitionKey) { partitionKey in
                    try produce(
                        value: value, topic: topic, key: key,
                        headers: headers.map { ($0.name, $0.value.map { Array($0.utf8) }) },
                        partition: partition, partitionKey: partitionKey, timestampMilliseconds: timestampMilliseconds)
                }
            }
        }
    }

    /// Enqueues a message of raw bytes (protobuf, Avro, ...) for delivery, like
    /// ``produce(_:topic:key:headers:partition:partitionKey:timestampMilliseconds:)``.
    ///
    /// - Parameters:
    ///   - value: The message value; `nil` produces a tombstone.
    ///   - topic: The topic to produce to.
    ///   - key: The message key, also used for partitioning unless `partitionKey` is given.
    ///   - headers: Headers to attach, in order; a `nil` value is a null header value.
    ///   - partition: An explicit partition; `nil` lets the partitioner choose.
    ///   - partitionKey: Hashed instead of the key to choose the partition.
    ///   - timestampMilliseconds: Create time since the Unix epoch; `nil` means now.
    /// - Throws: ``HostError`` when the host rejects the message, or when called outside
    ///   a call from the host.
    public func produce(
        bytes value: [UInt8]?,
        topic: String,
        key: [UInt8]? = nil,
        headers: [(name: String, value: [UInt8]?)] = [],
        partition: Int32? = nil,
        partitionKey: [UInt8]? = nil,
        timestampMilliseconds: Int64? = nil
    ) throws {
        try withOptionalBytes(value) { value in
            try withOptionalBytes(key) { key in
                try withOptionalBytes(partitionKey) { partitionKey in
                    try produce(
                        value: value, topic: topic, key: key, headers: headers, partition: partition,
                        partitionKey: partitionKey, timestampMilliseconds: timestampMilliseconds)
                }
            }
        }
    }

    private func produce(
        value: UnsafeRawBufferPointer, topic: String, key: UnsafeRawBufferPointer,
        headers: [(name: String, value: [UInt8]?)], partition: Int32?, partitionKey: UnsafeRawBufferPointer,
        timestampMilliseconds: Int64?
    ) throws {
        guard let instance = ConsumerInstance.of(self) else {
            throw HostError(description: "produce called on a consumer the host did not create")
        }
        try withHeaders(headers) { headerPointers in
            try topic.withCString { topicName in
                var request = racecar_produce_request()
                request.struct_size = MemoryLayout<racecar_produce_request>.size
                request.topic = topicName
                request.value = value.baseAddress
                request.value_length = value.count
                request.key = key.baseAddress
                request.key_length = key.count
                request.partition_key = partitionKey.baseAddress
                request.partition_key_length = partitionKey.count
                request.headers = headerPointers.baseAddress
                request.header_count = headerPointers.count
                request.partition = partition ?? RACECAR_PARTITION_ANY
                request.timestamp_ms = timestampMilliseconds ?? 0
                try callHost { error in instance.hostAPI.pointee.produce(instance.host, &request, error) }
            }
        }
    }

    /// Blocks until everything this consumer produced so far is acknowledged, like
    /// Racecar's `deliver!`.
    ///
    /// - Throws: ``HostError`` naming the first failed delivery.
    public func deliver() throws {
        guard let instance = ConsumerInstance.of(self) else {
            throw HostError(description: "deliver called on a consumer the host did not create")
        }
        try callHost { error in instance.hostAPI.pointee.deliver(instance.host, error) }
    }

    /// Writes a line to the host's log, tagged with this consumer's name.
    public func log(_ message: String, level: LogLevel = .info) {
        guard let instance = ConsumerInstance.of(self) else { return }
        message.withCString { instance.hostAPI.pointee.log(instance.host, level.abiValue, $0) }
    }
}

/// Gives `body` the UTF-8 bytes of `text`, or an empty buffer with no base address for `nil`.
private func withOptionalBytes<Result>(
    _ text: String?,
    _ body: (UnsafeRawBufferPointer) throws -> Result
) rethrows -> Result {
    guard let text else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    var copy = text
    return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
}

/// Gives `body` the bytes, or an empty buffer with no base address for `nil`; an empty array
/// still has an address, so that an empty value is not taken for a tombstone.
private func withOptionalBytes<Result>(
    _ bytes: [UInt8]?,
    _ body: (UnsafeRawBufferPointer) throws -> Result
) rethrows -> Result {
    guard let bytes else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
    if bytes.isEmpty {
        var empty: UInt8 = 0
        return try withUnsafeBytes(of: &empty) { try body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
    }
    return try bytes.withUnsafeBytes { try body($0) }
}

/// Lays `headers` out as C structs for the duration of `body`.
private func withHeaders<Result>(
    _ headers: [(name: String, value: [UInt8]?)],
    _ body: (UnsafeBufferPointer<UnsafePointer<racecar_header>?>) throws -> Result
) rethrows -> Result {
    if headers.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
    // Headers are rare and small: C copies keep the pointers valid without nesting closures.
    let structs = UnsafeMutableBufferPointer<racecar_header>.allocate(capacity: headers.count)
    let pointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_header>?>.allocate(capacity: headers.count)
    for (index, header) in headers.enumerated() {
        var value: UnsafeMutableRawPointer?
        if let bytes = header.value {
            // One byte at least, so that an empty value has an address and is not taken for null.
            let copy = malloc(max(bytes.count, 1))!
            if !bytes.isEmpty { bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            value = copy
        }
        structs[index] = racecar_header(
            struct_size: MemoryLayout<racecar_header>.size,
            name: UnsafePointer(strdup(header.name)),
            value: UnsafeRawPointer(value),
            value_length: header.value?.count ?? 0
        )
        pointers[index] = UnsafePointer(structs.baseAddress! + index)
    }
    defer {
        for header in structs {
            free(UnsafeMutablePointer(mutating: header.name))
            free(UnsafeMutableRawPointer(mutating: header.value))
        }
        structs.deallocate()
        pointers.deallocate()
    }
    return try body(UnsafeBufferPointer(pointers))
}
