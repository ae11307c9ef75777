import CRacecarPlugin

extension UnsafeMutablePointer where Pointee == racecar_error_buffer {
    /// Copies `text` into the host's buffer, truncated to fit, always NUL-terminated.
    func write(_ text: String) {
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
func callHost(_ body: (UnsafeMutablePointer<racecar_error_buffer>) -> racecar_status) throws(HostError) {
    let capacity = 512
    var storage = [CChar](repeating: 0, count: capacity)
    let status = storage.withUnsafeMutableBufferPointer { characters in
        var buffer = racecar_error_buffer(
            struct_size: MemoryLayout<racecar_error_buffer>.size,
            message: characters.baseAddress,
            capacity: capacity
        )
        return body(&buffer)
    }
    if status != RACECAR_OK {
        throw HostError(
            description: String(decoding: storage.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
