import CRacecarPlugin
import RacecarConfiguration

/// A consumer a plugin offers, read out of its C descriptor.
package struct ConsumerDescriptor: Sendable {
    /// The name and compiled-in settings, which configuration overrides.
    package let defaults: ConsumerDefaults
    /// The name an operator runs it by.
    package var name: String { defaults.name }
    package var subscriptions: [ConsumerDefaults.Subscription] { defaults.subscriptions }
    /// The settings the consumer reads, as it declares them (required, secret).
    package var declaredSettings: [DeclaredSetting] { defaults.settings }
    /// Whether the consumer takes batches (`process_batch`) rather than single messages.
    package var isBatchConsumer: Bool { vtable.process_batch != nil }
    /// Whether the consumer wants librdkafka's statistics (`on_statistics`).
    package var wantsStatistics: Bool { vtable.on_statistics != nil }
    /// Whether the consumer asks for headers when it needs them (RACECAR_HEADERS_ON_DEMAND)
    /// rather than finding them in every message.
    package let readsHeadersOnDemand: Bool
    /// The library that offers the consumer, its plugin ABI version (`1.2`) and SDK version.
    package let pluginPath: String
    package let abiVersion: String
    package let sdkVersion: String?

    /// The C descriptor and vtable, as the plugin laid them out, read to this host's size.
    nonisolated(unsafe) let raw: UnsafePointer<racecar_consumer_descriptor>
    let vtable: racecar_consumer_vtable

    init(
        raw: UnsafePointer<racecar_consumer_descriptor>, pluginPath: String, abiVersion: String, sdkVersion: String?
    ) throws(PluginLoadError) {
        self.pluginPath = pluginPath
        self.abiVersion = abiVersion
        self.sdkVersion = sdkVersion
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
        let settings = try Self.declaredSettings(descriptor, consumer: name, pluginPath: pluginPath)
        self.defaults = ConsumerDefaults(
            name: name,
            subscriptions: subscriptions,
            groupID: descriptor.group_id.map { String(cString: $0) },
            fetchMessages: descriptor.fetch_messages > 0 ? Int(descriptor.fetch_messages) : nil,
            maxWaitTime: descriptor.max_wait_time_ms > 0 ? .milliseconds(Int64(descriptor.max_wait_time_ms)) : nil,
            settings: settings
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

    /// The settings the consumer declares (ABI 1.2; none for older plugins, whose descriptors
    /// end before the field).
    private static func declaredSettings(
        _ descriptor: racecar_consumer_descriptor, consumer name: String, pluginPath: String
    ) throws(PluginLoadError) -> [DeclaredSetting] {
        let knownFlags = RACECAR_SETTING_REQUIRED | RACECAR_SETTING_SECRET
        var settings: [DeclaredSetting] = []
        for index in 0..<descriptor.setting_count {
            guard let pointer = descriptor.settings?[index] else {
                throw .invalidDescriptor(path: pluginPath, reason: "consumer \(name) has a null setting #\(index)")
            }
            let declaration = readExtensible(pointer)
            guard let namePointer = declaration.name, namePointer.pointee != 0 else {
                throw .invalidDescriptor(path: pluginPath, reason: "consumer \(name) declares a setting without a name")
            }
            let settingName = String(cString: namePointer)
            guard !settings.contains(where: { $0.name == settingName }) else {
                throw .invalidDescriptor(
                    path: pluginPath, reason: "consumer \(name) declares setting `\(settingName)` twice")
            }
            guard declaration.flags & ~knownFlags == 0 else {
                throw .invalidDescriptor(
                    path: pluginPath,
                    reason: "consumer \(name)'s setting `\(settingName)` sets flags this host does not know "
                        + "(0x\(String(declaration.flags & ~knownFlags, radix: 16)))")
            }
            settings.append(
                DeclaredSetting(
                    name: settingName,
                    description: declaration.description.map { String(cString: $0) },
                    isRequired: declaration.flags & RACECAR_SETTING_REQUIRED != 0,
                    isSecret: declaration.flags & RACECAR_SETTING_SECRET != 0))
        }
        return settings
    }
}
