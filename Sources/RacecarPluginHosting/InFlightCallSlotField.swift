import Synchronization

/// A field type of the ``InFlightCallSlot/Layout``, loaded and stored as one relaxed atomic
/// access, so that a reader racing a writer gets an old or a new value, never a mix; the
/// sequence numbers order the accesses.
protocol InFlightCallSlotField {
    /// Loads the field at `address`.
    static func load(from address: UnsafeMutableRawPointer) -> Self
    /// Stores `value` into the field at `address`.
    static func store(_ value: Self, to address: UnsafeMutableRawPointer)
}

extension UInt32: InFlightCallSlotField {
    @inline(__always)
    static func load(from address: UnsafeMutableRawPointer) -> UInt32 {
        address.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.load(ordering: .relaxed)
    }

    @inline(__always)
    static func store(_ value: UInt32, to address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<UInt32>.self).pointee.store(value, ordering: .relaxed)
    }
}

extension Int32: InFlightCallSlotField {
    @inline(__always)
    static func load(from address: UnsafeMutableRawPointer) -> Int32 {
        address.assumingMemoryBound(to: Atomic<Int32>.self).pointee.load(ordering: .relaxed)
    }

    @inline(__always)
    static func store(_ value: Int32, to address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<Int32>.self).pointee.store(value, ordering: .relaxed)
    }
}

extension Int64: InFlightCallSlotField {
    @inline(__always)
    static func load(from address: UnsafeMutableRawPointer) -> Int64 {
        address.assumingMemoryBound(to: Atomic<Int64>.self).pointee.load(ordering: .relaxed)
    }

    @inline(__always)
    static func store(_ value: Int64, to address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<Int64>.self).pointee.store(value, ordering: .relaxed)
    }
}

extension UInt64: InFlightCallSlotField {
    @inline(__always)
    static func load(from address: UnsafeMutableRawPointer) -> UInt64 {
        address.assumingMemoryBound(to: Atomic<UInt64>.self).pointee.load(ordering: .relaxed)
    }

    @inline(__always)
    static func store(_ value: UInt64, to address: UnsafeMutableRawPointer) {
        address.assumingMemoryBound(to: Atomic<UInt64>.self).pointee.store(value, ordering: .relaxed)
    }
}
