import CRacecarPlugin
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Exports a plugin's consumers to racecar-host.
///
/// Every Swift plugin has exactly one line like this, which defines the entry symbol the
/// host looks for:
///
/// ```swift
/// @_cdecl("racecar_plugin_abi_v1")
/// public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(UserBanConsumer.self) }
/// ```
///
/// - Important: Build Swift plugins with the same Swift toolchain as the host, linked
///   against the shared Swift runtime (never `-static-stdlib`): Swift has no stable ABI
///   on Linux. The host never unloads a plugin.
public enum RacecarPlugin {
    /// The SDK's version, recorded in every plugin's descriptor.
    public static let sdkVersion = "0.2.0"

    /// A descriptor is immutable once built, so sharing its address across threads is safe.
    private struct Exported: @unchecked Sendable {
        let descriptor: UnsafeRawPointer
    }

    private static let exported = Mutex<Exported?>(nil)
    /// Consumer descriptors by consumer type, so that a type has one descriptor for the whole process.
    private static let consumerDescriptors = Mutex<[ObjectIdentifier: Exported]>([:])

    /// Returns the plugin descriptor for `consumers`, building it on the first call.
    ///
    /// - Parameter consumers: The consumer types the plugin offers; the host selects one by
    ///   its type name.
    /// - Returns: A pointer to a `racecar_plugin_descriptor` that lives as long as the process.
    public static func export(_ consumers: any RacecarConsumer.Type...) -> UnsafeRawPointer {
        exported.withLock { exported in
            if let exported { return exported }
            let built = Exported(descriptor: UnsafeRawPointer(makePluginDescriptor(consumers)))
            exported = built
            return built
        }.descriptor
    }

    /// Returns the consumer descriptor of `type`, the one ``export(_:)`` lists for it, building it
    /// on the first call.
    ///
    /// `RacecarTesting` drives a consumer through this descriptor's vtable, as the host does.
    ///
    /// - Returns: A `racecar_consumer_descriptor` that lives as long as the process.
    package static func consumerDescriptor(of type: any RacecarConsumer.Type) -> UnsafePointer<
        racecar_consumer_descriptor
    > {
        let descriptor = consumerDescriptors.withLock { descriptors in
            if let built = descriptors[ObjectIdentifier(type)] { return built }
            let built = Exported(descriptor: UnsafeRawPointer(makeConsumerDescriptor(type)))
            descriptors[ObjectIdentifier(type)] = built
            return built
        }.descriptor
        return descriptor.assumingMemoryBound(to: racecar_consumer_descriptor.self)
    }

    private static func makePluginDescriptor(_ types: [any RacecarConsumer.Type]) -> UnsafePointer<
        racecar_plugin_descriptor
    > {
        // Descriptors live for the whole process, so their storage is intentionally never freed.
        let consumers = UnsafeMutablePointer<UnsafePointer<racecar_consumer_descriptor>?>.allocate(
            capacity: types.count)
        for (index, type) in types.enumerated() {
            consumers[index] = consumerDescriptor(of: type)
        }
        return permanent(
            racecar_plugin_descriptor(
                struct_size: MemoryLayout<racecar_plugin_descriptor>.size,
                abi_major: UInt32(RACECAR_ABI_MAJOR),
                abi_minor: UInt32(RACECAR_ABI_MINOR),
                sdk_version: UnsafePointer(strdup("swift-sdk " + sdkVersion)),
                toolchain: UnsafePointer(strdup(toolchain)),
                consumers: consumers,
                consumer_count: types.count
            ))
    }

    private static func makeConsumerDescriptor(_ type: any RacecarConsumer.Type) -> UnsafePointer<
        racecar_consumer_descriptor
    > {
        let subscriptions = type.subscriptions
        let subscriptionPointers = UnsafeMutablePointer<UnsafePointer<racecar_subscription>?>.allocate(
            capacity: max(subscriptions.count, 1)
        )
        for (index, subscription) in subscriptions.enumerated() {
            let properties = subscription.kafkaProperties.sorted { $0.key < $1.key }
            let propertyPointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(
                capacity: max(properties.count, 1))
            for (propertyIndex, property) in properties.enumerated() {
                propertyPointers[propertyIndex] = UnsafePointer(strdup("\(property.key)=\(property.value)"))
            }
            subscriptionPointers[index] = permanent(
                racecar_subscription(
                    struct_size: MemoryLayout<racecar_subscription>.size,
                    topic: UnsafePointer(strdup(subscription.topic)),
                    start_from_beginning: subscription.startFromBeginning ? 1 : 0,
                    kafka_properties: propertyPointers,
                    kafka_property_count: properties.count
                ))
        }
        let declarations = (type as? any ReadsSettings.Type)?.settingDeclarations ?? []
        let settingPointers = UnsafeMutablePointer<UnsafePointer<racecar_setting_declaration>?>.allocate(
            capacity: max(declarations.count, 1))
        for (index, declaration) in declarations.enumerated() {
            settingPointers[index] = permanent(
                racecar_setting_declaration(
                    struct_size: MemoryLayout<racecar_setting_declaration>.size,
                    name: UnsafePointer(strdup(declaration.name)),
                    description: declaration.description.map { UnsafePointer(strdup($0)) },
                    flags: declaration.abiFlags
                ))
        }
        let isBatch = type is any BatchConsumer.Type
        let vtable = permanent(
            racecar_consumer_vtable(
                struct_size: MemoryLayout<racecar_consumer_vtable>.size,
                create: createTrampoline,
                process: isBatch ? nil : processTrampoline,
                process_batch: isBatch ? processBatchTrampoline : nil,
                teardown: teardownTrampoline,
                destroy: destroyTrampoline,
                on_error: errorTrampoline,
                on_partitions_assigned: assignedTrampoline,
                on_partitions_revoked: revokedTrampoline,
                on_statistics: type is any ReceivesStatistics.Type ? statisticsTrampoline : nil
            ))
        return permanent(
            racecar_consumer_descriptor(
                struct_size: MemoryLayout<racecar_consumer_descriptor>.size,
                name: UnsafePointer(strdup(String(describing: type))),
                subscriptions: subscriptionPointers,
                subscription_count: subscriptions.count,
                group_id: type.groupID.map { UnsafePointer(strdup($0)) },
                fetch_messages: Int32(clamping: type.fetchMessages ?? 0),
                max_wait_time_ms: Int32(clamping: Int(((type.maxWaitTime ?? 0) * 1000).rounded())),
                vtable: vtable,
                user_data: UnsafeRawPointer(Unmanaged.passRetained(ConsumerType(type)).toOpaque()),
                // Message.headers asks the host, so messages never pay for parsing unread headers.
                flags: RACECAR_HEADERS_ON_DEMAND,
                settings: settingPointers,
                setting_count: declarations.count
            ))
    }

    private static func permanent<T>(_ value: T) -> UnsafePointer<T> {
        let storage = UnsafeMutablePointer<T>.allocate(capacity: 1)
        storage.initialize(to: value)
        return UnsafePointer(storage)
    }

    private static var toolchain: String {
        #if compiler(>=6.4)
            "swift-6.4+"
        #elseif compiler(>=6.3)
            "swift-6.3"
        #elseif compiler(>=6.2)
            "swift-6.2"
        #else
            "swift-6.1-or-older"
        #endif
    }
}

/// Boxes a metatype so the descriptor's `user_data` can carry it back to `create`.
private final class ConsumerType {
    let type: any RacecarConsumer.Type
    init(_ type: any RacecarConsumer.Type) { self.type = type }
}

private func instance(_ pointer: UnsafeMutableRawPointer?) -> ConsumerInstance {
    Unmanaged<ConsumerInstance>.fromOpaque(pointer!).takeUnretainedValue()
}

private let createTrampoline:
    @convention(c) (
        UnsafePointer<racecar_consumer_descriptor>?, OpaquePointer?, UnsafePointer<racecar_host_api>?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<racecar_error_buffer>?
    ) -> racecar_status = { descriptor, host, hostAPI, instancePointer, errorBuffer in
        guard let descriptor, let hostAPI, let instancePointer, let userData = descriptor.pointee.user_data else {
            errorBuffer?.write("racecar SDK: create called without a descriptor, host API or instance slot")
            return RACECAR_ERROR
        }
        let type = Unmanaged<ConsumerType>.fromOpaque(userData).takeUnretainedValue().type
        do {
            let consumer: any RacecarConsumer
            if let readsSettings = type as? any ReadsSettings.Type {
                let json = hostAPI.pointee.settings_json(host).map { String(cString: $0) } ?? "{}"
                consumer = try readsSettings.make(settingsJSON: json)
            } else {
                consumer = try type.init()
            }
            let created = ConsumerInstance(consumer: consumer, host: host, hostAPI: hostAPI)
            ConsumerInstance.register(created)
            instancePointer.pointee = Unmanaged.passRetained(created).toOpaque()
            return RACECAR_OK
        } catch {
            ThrownErrors.record(error)
            errorBuffer?.write(String(describing: error))
            return RACECAR_ERROR
        }
    }

private let processTrampoline:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<racecar_message>?, UnsafeMutablePointer<racecar_error_buffer>?
    ) -> racecar_status = { pointer, message, errorBuffer in
        do {
            // Borrowing the instance avoids a retain and release per message.
            try Unmanaged<ConsumerInstance>.fromOpaque(pointer!)._withUnsafeGuaranteedRef { instance in
                try instance.single?.process(Message(message!, host: instance.host, hostAPI: instance.hostAPI))
            }
            return RACECAR_OK
        } catch {
            ThrownErrors.record(error)
            errorBuffer?.write(String(describing: error))
            return RACECAR_ERROR
        }
    }

private let processBatchTrampoline:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<UnsafePointer<racecar_message>?>?, Int,
        UnsafeMutablePointer<Int>?, UnsafeMutablePointer<racecar_error_buffer>?
    ) -> racecar_status = { pointer, messages, count, processedCount, errorBuffer in
        do {
            try Unmanaged<ConsumerInstance>.fromOpaque(pointer!)._withUnsafeGuaranteedRef { instance in
                try instance.batch?.processBatch(
                    MessageBatch(
                        UnsafeBufferPointer(start: messages, count: count), host: instance.host,
                        hostAPI: instance.hostAPI))
            }
            return RACECAR_OK
        } catch let failure as PartialBatchFailure {
            ThrownErrors.record(failure)
            processedCount?.pointee = min(max(failure.processedCount, 0), count)
            errorBuffer?.write(String(describing: failure.underlying))
            return RACECAR_ERROR
        } catch {
            ThrownErrors.record(error)
            errorBuffer?.write(String(describing: error))
            return RACECAR_ERROR
        }
    }

private let teardownTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
    instance(pointer).consumer.teardown()
}

private let destroyTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
    let released = Unmanaged<ConsumerInstance>.fromOpaque(pointer!).takeRetainedValue()
    ConsumerInstance.unregister(released)
}

private let errorTrampoline: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<racecar_error_info>?) -> Void = {
    pointer, info in
    guard let info else { return }
    instance(pointer).consumer.onError(ProcessingError(info.pointee))
}

private func partitions(_ list: UnsafePointer<UnsafePointer<racecar_topic_partition>?>?, _ count: Int)
    -> [TopicPartition]
{
    (0..<count).compactMap { index in
        guard let partition = list?[index], let topic = partition.pointee.topic else { return nil }
        return TopicPartition(topic: String(cString: topic), partition: partition.pointee.partition)
    }
}

private let assignedTrampoline:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<UnsafePointer<racecar_topic_partition>?>?, Int
    ) -> Void = { pointer, list, count in
        instance(pointer).consumer.partitionsAssigned(partitions(list, count))
    }

private let revokedTrampoline:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<UnsafePointer<racecar_topic_partition>?>?, Int
    ) -> Void = { pointer, list, count in
        instance(pointer).consumer.partitionsRevoked(partitions(list, count))
    }

private let statisticsTrampoline: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> Void = {
    pointer, json, length in
    guard let json, let receiver = instance(pointer).consumer as? any ReceivesStatistics else { return }
    receiver.statistics(String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self))
}
