import CRacecarPlugin
import RacecarConfiguration

/// A consumer a plugin offers, read out of its C descriptor.
package struct ConsumerDescriptor: Sendable {
    /// The name and compiled-in settings, which configuration overrides.
    package let defaults: ConsumerDefaults
    /// The name an operator runs it by.
    package var name: String { defaults.name }
    package var subscriptions: [ConsumerDefaults.Subscription] { defaults.subscriptions }
    /// Whether the consumer takes batches (`process_batch`) rather than single messages.
    package var isBatchConsumer: Bool { vtable.process_batch != nil }
    /// Whether the consumer wants librdkafka's statistics (`on_statistics`).
    package var wantsStatistics: Bool { vtable.on_statistics != nil }
    /// Whether the consumer asks for headers when it needs them (RACECAR_HEADERS_ON_DEMAND)
    /// rather than finding them in every message.
    package let readsHeadersOnDemand: Bool

    /// The C descriptor and vtable, as the plugin laid them out, read to this host's size.
    nonisolated(unsafe) let raw: UnsafePointer<racecar_consumer_descriptor>
    let vtable: racecar_consumer_vtable

    init(raw: UnsafePointer<racecar_consumer_descriptor>, pluginPath: String) throws(PluginLoadError) {
        let descriptor = readExtensible(raw)
        guard let namePointer = descriptor.name else {
            throw .invalidDescriptor(path: pluginPath, reason: "a consumer has no name")
        }
        let name = String(cString: namePointer)
        guard let vtablePointer = descriptor.vtable else {
            throw .invalidDescriptor(path: pluginPath, reason: "consumer \(name) has no vtable")
        }
        let vtable = readExtensible(vtablePointer)
        guard vtable.create != nil else {
            throw .invalidDescriptor(path: pluginPath, reason: "consumer \(name) has no create function")
        }
        guard vtable.process != nil || vtable.process_batch != nil else {
            throw .invalidDescriptor(path: pluginPath, reason: "consumer \(name) has neither process nor process_batch")
        }
        var subscriptions: [ConsumerDefaults.Subscription] = []
        for index in 0..<descriptor.subscription_count {
            guard let subscriptionPointer = descriptor.subscriptions?[index] else {
                throw .invalidDescriptor(path: pluginPath, reason: "consumer \(name) has a null subscription #\(index)")
            }
            let subscription = readExtensible(subscriptionPointer)
            guard let topic = subscription.topic else {
                throw .invalidDescriptor(
                    path: pluginPath, reason: "consumer \(name) has a subscription without a topic")
            }
            var properties: [String] = []
            for propertyIndex in 0..<subscription.kafka_property_count {
                guard let property = subscription.kafka_properties?[propertyIndex] else {
                    throw .invalidDescriptor(
                        path: pluginPath,
                        reason: "consumer \(name) has a null librdkafka property on \(String(cString: topic))")
                }
                properties.append(String(cString: property))
            }
            subscriptions.append(
                ConsumerDefaults.Subscription(
                    topic: String(cString: topic),
                    startFromBeginning: subscription.start_from_beginning != 0,
                    kafkaProperties: properties
                ))
        }
        self.defaults = ConsumerDefaults(
            name: name,
            subscriptions: subscriptions,
            groupID: descriptor.group_id.map { String(cString: $0) },
            fetchMessages: descriptor.fetch_messages > 0 ? Int(descriptor.fetch_messages) : nil,
            maxWaitTime: descriptor.max_wait_time_ms > 0 ? .milliseconds(Int64(descriptor.max_wait_time_ms)) : nil
        )
        // Bits this host does not know would mean something it cannot honour.
        let unknownFlags = descriptor.flags & ~RACECAR_HEADERS_ON_DEMAND
        guard unknownFlags == 0 else {
            throw .invalidDescriptor(
                path: pluginPath,
                reason: "consumer \(name) sets flags this host does not know (0x\(String(unknownFlags, radix: 16)))")
        }
        self.readsHeadersOnDemand = descriptor.flags & RACECAR_HEADERS_ON_DEMAND != 0
        self.raw = raw
        self.vtable = vtable
    }
}
