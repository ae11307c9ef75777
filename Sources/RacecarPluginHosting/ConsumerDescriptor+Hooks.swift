extension ConsumerDescriptor {
    /// The optional vtable functions the consumer implements, in the vtable's order. Entries
    /// past an older plugin's vtable size read as unset.
    package var hooks: [ConsumerHook] {
        ConsumerHook.allCases.filter { hook in
            switch hook {
            case .teardown: vtable.teardown != nil
            case .destroy: vtable.destroy != nil
            case .onError: vtable.on_error != nil
            case .onPartitionsAssigned: vtable.on_partitions_assigned != nil
            case .onPartitionsRevoked: vtable.on_partitions_revoked != nil
            case .onStatistics: vtable.on_statistics != nil
            }
        }
    }
}
