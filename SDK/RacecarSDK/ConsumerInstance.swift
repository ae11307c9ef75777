import CRacecarPlugin
import Synchronization

/// The SDK's side of one consumer instance: the consumer object, how to reach the host,
/// and which of `process` / `processBatch` it implements.
/// Immutable after creation; the host never calls one instance from two threads at once.
package final class ConsumerInstance: @unchecked Sendable {
    let consumer: any RacecarConsumer
    package var host: OpaquePointer?
    let hostAPI: UnsafePointer<racecar_host_api>
    let processOne: ((Message) throws -> Void)?
    let processBatch: ((MessageBatch) throws -> Void)?

    package init(consumer: any RacecarConsumer, host: OpaquePointer?, hostAPI: UnsafePointer<racecar_host_api>) {
        self.consumer = consumer
        self.host = host
        self.hostAPI = hostAPI
        if let batchConsumer = consumer as? any BatchConsumer {
            processBatch = batchConsumer.processBatch
            processOne = nil
        } else if let singleConsumer = consumer as? any Consumer {
            processOne = singleConsumer.process
            processBatch = nil
        } else {
            processOne = nil
            processBatch = nil
        }
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
}
