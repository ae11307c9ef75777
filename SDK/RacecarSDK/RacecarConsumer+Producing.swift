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
        guard let instance = ConsumerInstance.of(self) else {
            throw HostError(description: "produce called on a consumer the host did not create")
        }
        try withOptionalBytes(value) { value in
            try withOptionalBytes(key) { key in
                try withOptionalBytes(partitionKey) { partitionKey in
                    try withHeaders(headers) { headerPointers in
                        try topic.withCString { topicName in
                            var request = racecar_produce_request()
                            request.struct_size = MemoryLayout<racecar_produce_request>.size
                            request.topic = topicName
                            request.value = value.baseAddress.map(UnsafeRawPointer.init)
                            request.value_length = value.count
                            request.key = key.baseAddress.map(UnsafeRawPointer.init)
                            request.key_length = key.count
                            request.partition_key = partitionKey.baseAddress.map(UnsafeRawPointer.init)
                            request.partition_key_length = partitionKey.count
                            request.headers = headerPointers.baseAddress
                            request.header_count = headerPointers.count
                            request.partition = partition ?? RACECAR_PARTITION_ANY
                            request.timestamp_ms = timestampMilliseconds ?? 0
                            try callHost { error in instance.hostAPI.pointee.produce(instance.host, &request, error) }
                        }
                    }
                }
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

/// Lays `headers` out as C structs for the duration of `body`.
private func withHeaders<Result>(
    _ headers: [(name: String, value: String?)],
    _ body: (UnsafeBufferPointer<UnsafePointer<racecar_header>?>) throws -> Result
) rethrows -> Result {
    if headers.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
    // Headers are rare and small: C copies keep the pointers valid without nesting closures.
    let structs = UnsafeMutableBufferPointer<racecar_header>.allocate(capacity: headers.count)
    let pointers = UnsafeMutableBufferPointer<UnsafePointer<racecar_header>?>.allocate(capacity: headers.count)
    for (index, header) in headers.enumerated() {
        structs[index] = racecar_header(
            struct_size: MemoryLayout<racecar_header>.size,
            name: UnsafePointer(strdup(header.name)),
            value: header.value.map { UnsafeRawPointer(strdup($0)) },
            value_length: header.value?.utf8.count ?? 0
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
