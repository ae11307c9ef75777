import CRacecarPlugin

/// Reads an ABI struct that starts with `struct_size`, written by a plugin that may have
/// been built against an older header: only the bytes the plugin's size covers are read,
/// the fields it does not know are zero.
func readExtensible<Struct>(_ pointer: UnsafePointer<Struct>) -> Struct {
    let declaredSize = UnsafeRawPointer(pointer).load(as: Int.self)
    // A plugin built against this header or a newer one: every field is there.
    if declaredSize >= MemoryLayout<Struct>.size { return pointer.pointee }
    let byteCount = min(max(declaredSize, 0), MemoryLayout<Struct>.size)
    let copy = UnsafeMutableRawPointer.allocate(
        byteCount: MemoryLayout<Struct>.size, alignment: MemoryLayout<Struct>.alignment)
    defer { copy.deallocate() }
    copy.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<Struct>.size)
    copy.copyMemory(from: pointer, byteCount: byteCount)
    return copy.load(as: Struct.self)
}
