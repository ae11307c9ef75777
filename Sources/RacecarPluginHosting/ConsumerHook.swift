/// An optional function of a consumer's vtable, named as in racecar_plugin.h.
package enum ConsumerHook: String, CaseIterable, Sendable, Encodable {
    case teardown
    case destroy
    case onError = "on_error"
    case onPartitionsAssigned = "on_partitions_assigned"
    case onPartitionsRevoked = "on_partitions_revoked"
    case onStatistics = "on_statistics"
}
