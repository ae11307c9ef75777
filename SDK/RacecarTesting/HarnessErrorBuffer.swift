import CRacecarPlugin

/// The `racecar_error_buffer` the harness hands to each call, as large as the host's, so a
/// consumer's message is cut where the host would cut it.
final class HarnessErrorBuffer {
    private static let capacity = 4096
    private let characters: UnsafeMutablePointer<CChar>
    /// Pass this to the consumer after ``clear()``.
    let pointer: UnsafeMutablePointer<racecar_error_buffer>

    init() {
        characters = .allocate(capacity: Self.capacity)
        characters.initialize(repeating: 0, count: Self.capacity)
        pointer = .allocate(capacity: 1)
        pointer.initialize(
            to: racecar_error_buffer(
                struct_size: MemoryLayout<racecar_error_buffer>.size, message: characters, capacity: Self.capacity))
    }

    deinit {
        characters.deallocate()
        pointer.deallocate()
    }

    /// Empties the message before a call, so that a failure without a message reads as one.
    func clear() { characters[0] = 0 }

    /// What the consumer wrote, decoded as UTF-8 up to the first NUL or the end of the buffer.
    var message: String {
        let bytes = UnsafeRawBufferPointer(start: characters, count: Self.capacity)
        let length = bytes.firstIndex(of: 0) ?? Self.capacity
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<length]), as: UTF8.self)
    }
}
