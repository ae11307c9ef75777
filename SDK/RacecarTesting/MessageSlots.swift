import CRacecarPlugin

/// The `racecar_message` structs the harness hands to `process` and `process_batch`, laid out as
/// racecar-host lays them out.
///
/// As in the host, the structs live in slots reused from call to call, so a message kept past its
/// call still points at valid memory, and `message_headers` refuses it. The bytes the structs
/// borrow (topic, key, value, headers) are C copies freed as soon as the call returns, as the host
/// destroys librdkafka's messages: a consumer that keeps them reads freed memory here as it would
/// in the host.
final class MessageSlots {
    typealias HeaderList = UnsafePointer<UnsafePointer<racecar_header>?>

    private var capacity = 0
    private var slots = UnsafeMutablePointer<racecar_message>.allocate(capacity: 0)
    /// `pointers[i]` is `slots + i`, the array-of-pointers form the ABI takes.
    private(set) var pointers = UnsafeMutablePointer<UnsafePointer<racecar_message>?>.allocate(capacity: 0)
    /// Slots outgrown by a larger batch. They stay allocated, so that a message kept from an
    /// earlier call never points at freed slot memory.
    private var retired: [UnsafeMutableRawPointer] = []
    /// How many slots the current call uses; 0 between calls.
    private var filled = 0
    /// The headers of each slot of the current call, laid out for the ABI.
    private var headers: [(list: HeaderList?, count: Int)] = []
    /// What the current call's messages borrow, freed when the call ends.
    private var borrowed: [UnsafeMutableRawPointer] = []

    deinit {
        callEnded()
        slots.deallocate()
        pointers.deallocate()
        retired.forEach { $0.deallocate() }
    }

    /// Lays `messages` out in the first slots for one call. With `headersOnDemand`
    /// (RACECAR_HEADERS_ON_DEMAND) the structs carry no headers and ``headers(of:)`` hands them out.
    func fill(_ messages: [TestMessage], headersOnDemand: Bool) {
        callEnded()
        if messages.count > capacity { grow(to: messages.count) }
        for (index, message) in messages.enumerated() {
            let laidOut = layOut(message.headers)
            headers.append(laidOut)
            let (key, keyLength) = copy(message.key)
            let (value, valueLength) = copy(message.value)
            slots[index] = racecar_message(
                struct_size: MemoryLayout<racecar_message>.size,
                topic: copy(message.topic).bytes?.assumingMemoryBound(to: CChar.self),
                partition: message.partition,
                offset: message.offset,
                key: key,
                key_length: keyLength,
                value: value,
                value_length: valueLength,
                timestamp_ms: message.timestampMilliseconds ?? -1,
                retries_count: Int32(clamping: message.retriesCount),
                headers: headersOnDemand ? nil : laidOut.list,
                header_count: headersOnDemand ? 0 : laidOut.count
            )
        }
        filled = messages.count
    }

    /// Ends the current call: from now on ``headers(of:)`` refuses its messages, and what they
    /// borrowed is freed.
    func callEnded() {
        filled = 0
        headers.removeAll(keepingCapacity: true)
        borrowed.forEach { $0.deallocate() }
        borrowed.removeAll(keepingCapacity: true)
    }

    /// The headers of `message`, which must be the address of a slot of the current call (as the
    /// host requires of `message_headers`); `nil` for any other address.
    func headers(of message: UnsafePointer<racecar_message>) -> (list: HeaderList?, count: Int)? {
        let slot = UnsafePointer(slots).distance(to: message)
        guard slot >= 0, slot < filled, UnsafePointer(slots + slot) == message else { return nil }
        return headers[slot]
    }

    private func grow(to count: Int) {
        retired.append(UnsafeMutableRawPointer(slots))
        retired.append(UnsafeMutableRawPointer(pointers))
        slots = .allocate(capacity: count)
        slots.initialize(repeating: racecar_message(), count: count)
        pointers = .allocate(capacity: count)
        for index in 0..<count { pointers[index] = UnsafePointer(slots + index) }
        capacity = count
    }

    /// Copies `text` into C memory the current call borrows, NUL-terminated.
    private func copy(_ text: String?) -> (bytes: UnsafeRawPointer?, count: Int) {
        guard let text else { return (nil, 0) }
        let utf8 = Array(text.utf8) + [0]
        let storage = UnsafeMutableRawPointer.allocate(byteCount: utf8.count, alignment: 1)
        storage.copyMemory(from: utf8, byteCount: utf8.count)
        borrowed.append(storage)
        return (UnsafeRawPointer(storage), utf8.count - 1)
    }

    /// Lays `list` out as the ABI's array of header pointers, or `nil` and 0 when it is empty.
    private func layOut(_ list: [(name: String, value: String?)]) -> (list: HeaderList?, count: Int) {
        guard !list.isEmpty else { return (nil, 0) }
        let structs = UnsafeMutablePointer<racecar_header>.allocate(capacity: list.count)
        let pointers = UnsafeMutablePointer<UnsafePointer<racecar_header>?>.allocate(capacity: list.count)
        borrowed.append(UnsafeMutableRawPointer(structs))
        borrowed.append(UnsafeMutableRawPointer(pointers))
        for (index, header) in list.enumerated() {
            let (value, length) = copy(header.value)
            (structs + index).initialize(
                to: racecar_header(
                    struct_size: MemoryLayout<racecar_header>.size,
                    name: copy(header.name).bytes?.assumingMemoryBound(to: CChar.self),
                    value: value,
                    value_length: length
                ))
            pointers[index] = UnsafePointer(structs + index)
        }
        return (UnsafePointer(pointers), list.count)
    }
}
