import Foundation
import RacecarSDK

/// Prints `processed <topic>/<partition>@<offset> <value>` per message and traps with
/// `fatalError` at the positions of its ``CrashPlan``.
final class FatalErrorConsumer: Consumer {
    static let subscriptions = [Subscription("events")]
    private let plan = CrashPlan()

    func process(_ message: Message) throws {
        if plan.crashes(topic: message.topic, partition: message.partition, offset: message.offset) {
            fatalError("FatalErrorConsumer crashes at \(message.topic)/\(message.partition)@\(message.offset)")
        }
        print("processed \(message.topic)/\(message.partition)@\(message.offset) \(message.value ?? "")")
        fflush(nil)
    }
}

/// Like ``FatalErrorConsumer``, but traps by force-unwrapping `nil`.
final class ForceUnwrapConsumer: Consumer {
    static let subscriptions = [Subscription("events")]
    private let plan = CrashPlan()

    func process(_ message: Message) throws {
        let missing: String? =
            plan.crashes(topic: message.topic, partition: message.partition, offset: message.offset)
            ? nil : message.value ?? ""
        print("processed \(message.topic)/\(message.partition)@\(message.offset) \(missing!)")
        fflush(nil)
    }
}

/// A batch consumer that processes its batch in order and traps with `fatalError` on reaching
/// a crash position, so that the messages before it were seen but not committed.
final class FatalErrorBatchConsumer: BatchConsumer {
    static let subscriptions = [Subscription("events")]
    private let plan = CrashPlan()

    func processBatch(_ messages: MessageBatch) throws {
        guard let first = messages.first, let last = messages.last else { return }
        print("batch \(first.topic)/\(first.partition)@\(first.offset)-\(last.offset) count=\(messages.count)")
        for message in messages {
            if plan.crashes(topic: message.topic, partition: message.partition, offset: message.offset) {
                fatalError("FatalErrorBatchConsumer crashes at \(message.topic)/\(message.partition)@\(message.offset)")
            }
        }
        for message in messages {
            print("processed \(message.topic)/\(message.partition)@\(message.offset) \(message.value ?? "")")
        }
        fflush(nil)
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer {
    RacecarPlugin.export(FatalErrorConsumer.self, ForceUnwrapConsumer.self, FatalErrorBatchConsumer.self)
}
