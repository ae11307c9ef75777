import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small shared-memory file where a worker process records the call into its plugin that is
/// in progress, one record per consumer instance, so that another process can tell what was in
/// flight after the worker died of a signal (a trap in the plugin throws nothing).
///
/// The supervisor creates the file with ``init(creatingAt:instances:)`` (under `/dev/shm`, so
/// that it never touches a disk) before it starts a worker, and passes its path in the
/// ``environmentVariable``. The worker maps it once (``fromEnvironment``) and each
/// ``PluginInstance`` writes its own record through an ``InFlightCallRecorder``: a few stores
/// before and one after each call, no system call. Once the worker is gone, the supervisor
/// opens the file with ``init(openingAt:)`` and reads it with ``read(instance:)`` or
/// ``readAll()``.
///
/// The layout (``Layout``) is fixed, versioned and in native byte order. The header and each
/// record are sequence locks: the sequence number is odd while the writer changes the fields,
/// and changes with every write, so a reader can tell a torn record (a write in progress, or a
/// writer that died in the middle of one) from a complete one; see ``RecordState``.
package final class InFlightCallSlot: @unchecked Sendable {
    /// The environment variable naming the slot file a worker records its calls in.
    package static let environmentVariable = "RACECAR_WORKER_CALL_SLOT"
    /// The most instance records a file holds: the most instances `concurrency` allows.
    package static let maximumInstances = 256

    /// The binary layout: a 512-byte header, then one 384-byte record per instance, every field
    /// at a fixed offset and naturally aligned. A later version may add fields in the reserved
    /// bytes; moving or changing one means a new ``version``.
    package enum Layout {
        /// The first four bytes of every slot file.
        package static let magic: UInt32 = 0x5243_4946
        package static let version: UInt32 = 1
        package static let headerSize = 512
        package static let recordSize = 384
        /// The most bytes of a consumer or topic name kept (Kafka allows 249 for a topic).
        package static let nameCapacity = 256

        /// Byte offsets in the header.
        package enum Header {
            /// `UInt32`, ``Layout/magic``.
            package static let magic = 0
            /// `UInt32`, ``Layout/version``.
            package static let version = 4
            /// `UInt32`, ``Layout/headerSize``.
            package static let headerSize = 8
            /// `UInt32`, ``Layout/recordSize``.
            package static let recordSize = 12
            /// `UInt32`, how many instance records follow the header.
            package static let recordCount = 16
            /// `Int32`, the process that last attached a recorder; 0 before the first.
            package static let processID = 20
            /// `UInt32`, the length of the consumer's name.
            package static let consumerLength = 24
            /// `UInt64`, odd while the process id and consumer name are written.
            package static let sequence = 32
            /// ``Layout/nameCapacity`` bytes of the consumer's name, not NUL-terminated.
            package static let consumer = 64
        }

        /// Byte offsets in a record, from its start (``recordOffset(_:)``).
        package enum Record {
            /// `UInt64`, odd while the record is written.
            package static let sequence = 0
            /// `UInt32`, the raw value of an ``InFlightCall/Call``; 0 when no call is in flight.
            package static let call = 8
            /// `UInt32`, bit 0: the position fields below describe the call's messages.
            package static let flags = 12
            /// `Int32`.
            package static let partition = 16
            /// `UInt32`, the length of the topic's name.
            package static let topicLength = 20
            /// `Int64`, the first message's offset.
            package static let firstOffset = 24
            /// `Int64`, the last message's offset (the first one's for one message).
            package static let lastOffset = 32
            /// ``Layout/nameCapacity`` bytes of the topic's name, not NUL-terminated; rewritten
            /// only when the topic changes.
            package static let topic = 64
        }

        /// Where instance `instance`'s record starts.
        package static func recordOffset(_ instance: Int) -> Int { headerSize + instance * recordSize }

        /// The size of a file holding `instances` records.
        package static func fileSize(instances: Int) -> Int { recordOffset(instances) }

        static let hasPosition: UInt32 = 1
    }

    /// What a reader found in one instance's record.
    package enum RecordState: Sendable, Hashable {
        /// No call was in progress.
        case idle
        /// This call was in progress.
        case inFlight(InFlightCall)
        /// The record was being written and did not settle (or holds values this version does
        /// not know): its writer died in the middle of a write, or kept writing while it was read.
        case torn
    }

    /// The file's path.
    package let path: String
    /// How many instance records the file holds.
    package let instanceCount: Int
    private let base: UnsafeMutableRawPointer
    private let size: Int
    /// Serializes the header's writers: recorders being attached.
    private let headerWriter = Mutex(())

    /// How often a reader retries a record whose sequence number says it is being written.
    private static let readAttempts = 100

    /// Creates a new slot file at `path` with `instances` idle records, replacing any file
    /// there, and maps it.
    ///
    /// The file is new, not the old one emptied: a process that still maps an older file there
    /// cannot write into this one.
    ///
    /// - Throws: ``InFlightCallSlotError``.
    package convenience init(creatingAt path: String, instances: Int = maximumInstances)
        throws(InFlightCallSlotError)
    {
        guard instances >= 1, instances <= Self.maximumInstances else {
            throw .instanceCountOutOfRange(requested: instances, maximum: Self.maximumInstances)
        }
        if unlink(path) != 0, errno != ENOENT { throw Self.systemError(path, "unlink") }
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.systemError(path, "open") }
        defer { close(descriptor) }
        let size = Layout.fileSize(instances: instances)
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw Self.systemError(path, "ftruncate") }
        let base = try Self.map(descriptor, size: size, path: path)
        // ftruncate filled the file with zeros: every record is idle, no process attached.
        base.storeBytes(of: Layout.version, toByteOffset: Layout.Header.version, as: UInt32.self)
        base.storeBytes(of: UInt32(Layout.headerSize), toByteOffset: Layout.Header.headerSize, as: UInt32.self)
        base.storeBytes(of: UInt32(Layout.recordSize), toByteOffset: Layout.Header.recordSize, as: UInt32.self)
        base.storeBytes(of: UInt32(instances), toByteOffset: Layout.Header.recordCount, as: UInt32.self)
        atomicMemoryFence(ordering: .releasing)
        base.storeBytes(of: Layout.magic, toByteOffset: Layout.Header.magic, as: UInt32.self)
        self.init(path: path, base: base, size: size, instanceCount: instances)
    }

    /// Maps the existing slot file at `path`, to read it or to record into it.
    ///
    /// - Throws: ``InFlightCallSlotError``, also when the file is not a slot file of this
    ///   layout version.
    package convenience init(openingAt path: String) throws(InFlightCallSlotError) {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.systemError(path, "open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.systemError(path, "fstat") }
        let size = Int(status.st_size)
        guard size >= Layout.headerSize else {
            throw .notASlotFile(path: path, reason: "\(size) bytes, less than the \(Layout.headerSize)-byte header")
        }
        let base = try Self.map(descriptor, size: size, path: path)
        func field(_ offset: Int) -> UInt32 { base.load(fromByteOffset: offset, as: UInt32.self) }
        let count = Int(field(Layout.Header.recordCount))
        let problem: String? =
            if field(Layout.Header.magic) != Layout.magic {
                "no magic number"
            } else if field(Layout.Header.version) != Layout.version {
                "layout version \(field(Layout.Header.version)), not \(Layout.version)"
            } else if field(Layout.Header.headerSize) != Layout.headerSize
                || field(Layout.Header.recordSize) != Layout.recordSize
            {
                "header or record size differ from layout version \(Layout.version)"
            } else if count < 1 || count > Self.maximumInstances || size < Layout.fileSize(instances: count) {
                "\(count) records do not fit its \(size) bytes"
            } else {
                nil
            }
        if let problem {
            munmap(base, size)
            throw .notASlotFile(path: path, reason: problem)
        }
        self.init(path: path, base: base, size: size, instanceCount: count)
    }

    private init(path: String, base: UnsafeMutableRawPointer, size: Int, instanceCount: Int) {
        self.path = path
        self.base = base
        self.size = size
        self.instanceCount = instanceCount
    }

    deinit {
        munmap(base, size)
    }

    /// The slot file named by ``environmentVariable``, mapped once per process: `nil` when the
    /// variable is unset or empty (the host is not a supervised worker).
    package static let fromEnvironment: Result<InFlightCallSlot, InFlightCallSlotError>? = {
        guard let value = getenv(environmentVariable), value.pointee != 0 else { return nil }
        let path = String(cString: value)
        return Result { () throws(InFlightCallSlotError) in try InFlightCallSlot(openingAt: path) }
    }()

    // MARK: Reading

    /// The call in flight in instance `instance`'s record; `nil` when none was, or when the
    /// record is torn (see ``state(ofInstance:)`` to tell the two apart).
    package func read(instance: Int = 0) -> InFlightCall? {
        guard case .inFlight(let call) = state(ofInstance: instance) else { return nil }
        return call
    }

    /// The calls in flight in every instance's record, in instance order.
    package func readAll() -> [InFlightCall] {
        (0..<instanceCount).compactMap { read(instance: $0) }
    }

    /// What instance `instance`'s record holds. A record being written is read again, up to
    /// ``readAttempts`` times, before it counts as torn.
    package func state(ofInstance instance: Int) -> RecordState {
        precondition(instance >= 0 && instance < instanceCount, "instance \(instance) of \(instanceCount)")
        guard let (processID, consumer) = readHeader() else { return .torn }
        let record = base + Layout.recordOffset(instance)
        var topic = [UInt8](repeating: 0, count: Layout.nameCapacity)
        for _ in 0..<Self.readAttempts {
            let before = Self.sequence(record, Layout.Record.sequence).pointee.load(ordering: .acquiring)
            if before & 1 == 0 {
                let call = Self.load(UInt32.self, record, Layout.Record.call)
                let flags = Self.load(UInt32.self, record, Layout.Record.flags)
                let partition = Self.load(Int32.self, record, Layout.Record.partition)
                let topicLength = Self.load(UInt32.self, record, Layout.Record.topicLength)
                let first = Self.load(Int64.self, record, Layout.Record.firstOffset)
                let last = Self.load(Int64.self, record, Layout.Record.lastOffset)
                let length = min(Int(topicLength), Layout.nameCapacity)
                topic.withUnsafeMutableBytes { _ = memcpy($0.baseAddress!, record + Layout.Record.topic, length) }
                atomicMemoryFence(ordering: .acquiring)
                let after = Self.load(UInt64.self, record, Layout.Record.sequence)
                if after == before {
                    if call == 0 { return .idle }
                    guard let kind = InFlightCall.Call(rawValue: call) else { return .torn }
                    var position: InFlightCall.Position?
                    if flags & Layout.hasPosition != 0 {
                        guard first <= last else { return .torn }
                        position = InFlightCall.Position(
                            topic: String(decoding: topic[..<length], as: UTF8.self), partition: partition,
                            offsets: first...last)
                    }
                    return .inFlight(
                        InFlightCall(
                            consumer: consumer, processID: processID, instance: instance, call: kind,
                            position: position))
                }
            }
            sched_yield()
        }
        return .torn
    }

    /// The process id and consumer name of the header, or `nil` while they are torn.
    private func readHeader() -> (Int32, String)? {
        var name = [UInt8](repeating: 0, count: Layout.nameCapacity)
        for _ in 0..<Self.readAttempts {
            let before = Self.sequence(base, Layout.Header.sequence).pointee.load(ordering: .acquiring)
            if before & 1 == 0 {
                let processID = Self.load(Int32.self, base, Layout.Header.processID)
                let nameLength = Self.load(UInt32.self, base, Layout.Header.consumerLength)
                let length = min(Int(nameLength), Layout.nameCapacity)
                name.withUnsafeMutableBytes { _ = memcpy($0.baseAddress!, base + Layout.Header.consumer, length) }
                atomicMemoryFence(ordering: .acquiring)
                if Self.load(UInt64.self, base, Layout.Header.sequence) == before {
                    return (processID, String(decoding: name[..<length], as: UTF8.self))
                }
            }
            sched_yield()
        }
        return nil
    }

    // MARK: Writing

    /// Names this process and `consumer` in the header and makes `instance`'s record idle;
    /// returns where the record starts and its current sequence number.
    func attach(instance: Int, consumer: String) -> (record: UnsafeMutableRawPointer, sequence: UInt64) {
        headerWriter.withLock { _ -> Void in
            Self.write(base, sequenceAt: Layout.Header.sequence) {
                Self.store(getpid(), base, Layout.Header.processID)
                var name = Array(consumer.utf8.prefix(Layout.nameCapacity))
                let length = name.count
                name.withUnsafeMutableBytes { _ = memcpy(base + Layout.Header.consumer, $0.baseAddress!, length) }
                Self.store(UInt32(length), base, Layout.Header.consumerLength)
            }
        }
        let record = base + Layout.recordOffset(instance)
        let sequence = Self.write(record, sequenceAt: Layout.Record.sequence) {
            Self.store(0 as UInt32, record, Layout.Record.call)
            Self.store(0 as UInt32, record, Layout.Record.flags)
            Self.store(0 as UInt32, record, Layout.Record.topicLength)
        }
        return (record, sequence)
    }

    /// Runs `body`, which changes fields of the sequence lock at `offset` from `start`, with the
    /// sequence number odd; returns the new, even, sequence number.
    @discardableResult
    private static func write(_ start: UnsafeMutableRawPointer, sequenceAt offset: Int, _ body: () -> Void) -> UInt64 {
        // A writer that died in the middle of a write left it odd: stay odd, then move past it.
        let writing = load(UInt64.self, start, offset) | 1
        store(writing, start, offset)
        atomicMemoryFence(ordering: .releasing)
        body()
        sequence(start, offset).pointee.store(writing &+ 1, ordering: .releasing)
        return writing &+ 1
    }

    /// Loads the field of type `Value` at `offset` from `start` (relaxed).
    @inline(__always)
    static func load<Value: InFlightCallSlotField>(_: Value.Type, _ start: UnsafeMutableRawPointer, _ offset: Int)
        -> Value
    {
        Value.load(from: start + offset)
    }

    /// Stores `value` into the field at `offset` from `start` (relaxed).
    @inline(__always)
    static func store<Value: InFlightCallSlotField>(_ value: Value, _ start: UnsafeMutableRawPointer, _ offset: Int) {
        Value.store(value, to: start + offset)
    }

    /// The sequence number at `offset` from `start`, for the accesses that order the others.
    @inline(__always)
    static func sequence(_ start: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (start + offset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    private static func map(_ descriptor: Int32, size: Int, path: String) throws(InFlightCallSlotError)
        -> UnsafeMutableRawPointer
    {
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let address, address != MAP_FAILED else { throw systemError(path, "mmap") }
        return address
    }

    private static func systemError(_ path: String, _ operation: String) -> InFlightCallSlotError {
        .system(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}
