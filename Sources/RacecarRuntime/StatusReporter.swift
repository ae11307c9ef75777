import Metrics
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka
import RacecarPluginHosting

/// The poll loop's side of the operations endpoint: keeps the manual pauses, follows the
/// group membership and the calls in progress on worker threads, and publishes a
/// ``HostStatus`` (and the `consumer.lag` gauges) at most every ``interval``.
///
/// Used from the polling thread only.
final class StatusReporter {
    /// How often the status is rebuilt: often enough for probes, rarely enough to cost nothing.
    static let interval: Duration = .milliseconds(250)

    private let operations: RuntimeOperations
    /// The consumer running, which a swap replaces.
    private var consumer: ConsumerDescriptor
    private let groupID: String
    private let clientID: String
    private let metricsEnabled: Bool
    private(set) var manualPauses: Set<TopicPartition> = []
    private var membership = HostStatus.Membership.joining
    private var membershipSince = wallClockSeconds()
    private var lastPublished: ContinuousClock.Instant?
    /// Per instance: the call count last seen, and since when it has been that odd count.
    private var calls: [(count: UInt64, since: Double)]
    private var lagGauges: [TopicPartition: Gauge] = [:]

    init(operations: RuntimeOperations, consumer: ConsumerDescriptor, config: RacecarConfig, instances: Int) {
        self.operations = operations
        self.consumer = consumer
        groupID = config.effectiveGroupID(consumer: consumer.name)
        clientID = config.clientID
        metricsEnabled = config.metricsEnabled
        calls = Array(repeating: (0, 0), count: instances)
    }

    var controls: ControlInbox { operations.controls }

    /// A swap replaced the consumer's instances: the status names the new version, and counts
    /// the new instances' calls.
    func swapped(to consumer: ConsumerDescriptor, instances: Int) {
        self.consumer = consumer
        calls = Array(repeating: (0, 0), count: instances)
        lastPublished = nil
    }

    func isManuallyPaused(_ partition: TopicPartition) -> Bool {
        !manualPauses.isEmpty && manualPauses.contains(partition)
    }

    /// Records a manual pause; returns whether it is new.
    func pauseManually(_ partition: TopicPartition) -> Bool { manualPauses.insert(partition).inserted }

    /// Forgets a manual pause; returns whether there was one.
    func resumeManually(_ partition: TopicPartition) -> Bool { manualPauses.remove(partition) != nil }

    func membershipChanged(to state: HostStatus.Membership) {
        guard state != membership else { return }
        membership = state
        membershipSince = wallClockSeconds()
    }

    /// Whether the status is due for rebuilding at `now`.
    func isDue(_ now: ContinuousClock.Instant) -> Bool {
        guard let lastPublished else { return true }
        return now - lastPublished >= Self.interval
    }

    /// Publishes the status built from what the loop knows.
    ///
    /// - Parameters:
    ///   - offsets: The assigned partitions' offsets, in topic and partition order.
    ///   - pause: Why each partition is paused, and until when (seconds since 1970).
    ///   - activity: Each instance's call counter, when instances run on threads of their own.
    func publish(
        at now: ContinuousClock.Instant, memberID: String?, offsets: [PartitionOffsets],
        pause: (TopicPartition) -> (PartitionStatus.PauseReason, Double?)?, activity: [CallActivity]
    ) {
        lastPublished = now
        let wallNow = wallClockSeconds()
        let partitions = offsets.map { offsets in
            let paused = pause(offsets.partition)
            return PartitionStatus(
                topic: offsets.partition.topic, partition: offsets.partition.partition, position: offsets.position,
                committed: offsets.committed, highWatermark: offsets.highWatermark, pauseReason: paused?.0,
                pausedUntil: paused?.1)
        }
        var longest: HostStatus.CallInFlight?
        for (index, counter) in activity.enumerated() where index < calls.count {
            let count = counter.current
            if count != calls[index].count { calls[index] = (count, wallNow) }
            guard count & 1 == 1 else { continue }
            if longest.map({ calls[index].since < $0.since }) ?? true {
                longest = HostStatus.CallInFlight(instance: index, since: calls[index].since)
            }
        }
        operations.board.publish(
            HostStatus(
                consumer: consumer.name,
                plugin: HostStatus.Plugin(
                    path: consumer.pluginPath, abiVersion: consumer.abiVersion,
                    sdkVersion: consumer.sdkVersion ?? "unknown"),
                groupID: groupID, memberID: memberID, membership: membership, membershipSince: membershipSince,
                lastPollAt: wallNow, callInFlight: longest, partitions: partitions, pid: getpid(),
                workerSlot: operations.workerSlot))
        if metricsEnabled { recordLag(partitions) }
    }

    private func recordLag(_ partitions: [PartitionStatus]) {
        var seen: Set<TopicPartition> = []
        for status in partitions {
            let partition = TopicPartition(topic: status.topic, partition: status.partition)
            seen.insert(partition)
            guard let lag = status.lag else { continue }
            let gauge =
                lagGauges[partition]
                ?? Gauge(
                    label: "consumer.lag",
                    dimensions: [
                        ("client", clientID), ("group_id", groupID), ("topic", partition.topic),
                        ("partition", String(partition.partition)),
                    ])
            lagGauges[partition] = gauge
            gauge.record(lag)
        }
        // A partition that moved to another member is that member's to report.
        for (partition, gauge) in lagGauges where !seen.contains(partition) {
            gauge.destroy()
            lagGauges[partition] = nil
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
