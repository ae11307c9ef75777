/// What one consumer process reports about itself: the `/status` document of a host, and what
/// a supervised worker publishes for its supervisor. Times are seconds since 1970.
///
/// The poll loop builds it (at most a few times a second) and publishes it on a
/// ``StatusBoard``; readers never reach into the loop.
package struct HostStatus: Codable, Sendable, Equatable {
    /// Where the consumer stands in its group.
    package enum Membership: String, Codable, Sendable {
        /// Subscribed; no assignment yet.
        case joining
        /// A member with an assignment (possibly of no partitions).
        case assigned
        /// The assignment was revoked; the next one has not come yet.
        case rebalancing
        /// Shutting down.
        case stopping
    }

    /// The plugin that runs the consumer.
    package struct Plugin: Codable, Sendable, Equatable {
        package var path: String
        /// The plugin ABI it was built against, `1.2`.
        package var abiVersion: String
        package var sdkVersion: String

        package init(path: String, abiVersion: String, sdkVersion: String) {
            self.path = path
            self.abiVersion = abiVersion
            self.sdkVersion = sdkVersion
        }
    }

    /// A call into the plugin that was in progress when the status was built.
    package struct CallInFlight: Codable, Sendable, Equatable {
        /// Which consumer instance (0 unless `concurrency` is above 1).
        package var instance: Int
        /// When the host first saw it running.
        package var since: Double

        package init(instance: Int, since: Double) {
            self.instance = instance
            self.since = since
        }
    }

    package var consumer: String
    package var plugin: Plugin
    package var groupID: String
    /// The member id the group coordinator gave this consumer; `nil` before it joined.
    package var memberID: String?
    package var membership: Membership
    /// When ``membership`` last changed.
    package var membershipSince: Double
    /// When the poll loop last ran a pass.
    package var lastPollAt: Double
    /// The longest-running call into the plugin made off the polling thread (`concurrency`
    /// above 1); calls on the polling thread show in ``lastPollAt``.
    package var callInFlight: CallInFlight?
    /// The assigned partitions, in topic and partition order.
    package var partitions: [PartitionStatus]
    /// The process.
    package var pid: Int32
    /// The supervised worker slot, when a supervisor runs this process.
    package var workerSlot: Int?

    package init(
        consumer: String, plugin: Plugin, groupID: String, memberID: String?, membership: Membership,
        membershipSince: Double, lastPollAt: Double, callInFlight: CallInFlight?, partitions: [PartitionStatus],
        pid: Int32, workerSlot: Int?
    ) {
        self.consumer = consumer
        self.plugin = plugin
        self.groupID = groupID
        self.memberID = memberID
        self.membership = membership
        self.membershipSince = membershipSince
        self.lastPollAt = lastPollAt
        self.callInFlight = callInFlight
        self.partitions = partitions
        self.pid = pid
        self.workerSlot = workerSlot
    }
}
