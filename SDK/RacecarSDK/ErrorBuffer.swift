import CRacecarPlugin

extension UnsafeMutablePointer where Pointee == racecar_error_buffer {
    /// Copies `text` into the host's buffer, truncated to fit, always NUL-terminated.
    package func write(_ text: String) {
        guard pointee.capacity > 0, let destination = pointee.message else { return }
        var utf8 = Array(text.utf8.prefix(pointee.capacity - 1))
        utf8.append(0)
        utf8.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
    }
}

/// An error the host reported through the ABI, with its message.
public struct HostError: Error, CustomStringConvertible {
    /// What the host said went wrong.
    public var description: String
}

/// Calls a host function that reports failure through an error buffer.
///
/// The buffer lives on the stack: a consumer that produces per message pays no allocation for it.
func callHost(_ body: (UnsafeMutablePointer<racecar_error_buffer>) -> racecar_status) throws(HostError) {
    let failure: String? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { characters in
        characters[0] = 0
        var buffer = racecar_error_buffer(
            struct_size: MemoryLayout<racecar_error_buffer>.size,
            message: characters.baseAddress,
            capacity: characters.count
        )
        guard body(&buffer) != RACECAR_OK else { return nil }
        let length = characters.firstIndex(of: 0) ?? characters.count
        return String(
            decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(characters)[..<length]), as: UTF8.self)
    }
    if let failure { throw HostError(description: failure) }
}
