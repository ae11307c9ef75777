import CRacecarPlugin
import Synchronization

/// The SDK's side of one consumer instance: the consumer object, how to reach the host,
/// and which of `process` / `processBatch` it implements.
/// Immutable after creation; the host never calls one instance from two threads at once.
package final class ConsumerInstance: @unchecked Sendable {
    let consumer: any RacecarConsumer
    package let host: OpaquePointer?
    let hostAPI: UnsafePointer<racecar_host_api>
    /// The consumer as a ``Consumer``, when it processes messages one by one.
    let single: (any Consumer)?
    /// The consumer as a ``BatchConsumer``, when it processes batches.
    let batch: (any BatchConsumer)?

    package init(consumer: any RacecarConsumer, host: OpaquePointer?, hostAPI: UnsafePointer<racecar_host_api>) {
        self.consumer = consumer
        self.host = host
        self.hostAPI = hostAPI
        batch = consumer as? any BatchConsumer
        single = batch == nil ? consumer as? any Consumer : nil
    }

    /// Instances by consumer object, so that `produce` on a consumer finds its host.
    private static let registry = Mutex<[ObjectIdentifier: ConsumerInstance]>([:])

    package static func register(_ instance: ConsumerInstance) {
        registry.withLock { $0[ObjectIdentifier(instance.consumer)] = instance }
    }

    package static func unregister(_ instance: ConsumerInstance) {
        _ = registry.withLock { $0.removeValue(forKey: ObjectIdentifier(instance.consumer)) }
    }

    static func of(_ consumer: some RacecarConsumer) -> ConsumerInstance? {
        registry.withLock { $0[ObjectIdentifier(consumer)] }
    }

    /// The consumer object behind `instance`, the pointer `create` stored for the host to pass back.
    package static func consumer(ofInstance instance: UnsafeMutableRawPointer) -> any RacecarConsumer {
        Unmanaged<ConsumerInstance>.fromOpaque(instance).takeUnretainedValue().consumer
    }
}
