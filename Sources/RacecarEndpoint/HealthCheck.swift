import RacecarConfiguration
import RacecarInstrumentation

/// What `/health/live` and `/health/ready` decide from a ``HostStatus``: pure functions of the
/// status, the time and the limits.
package enum HealthCheck {
    /// Live while the poll loop runs and no call into the plugin is stuck: the poll loop ran
    /// within `maxPollInterval` and no call has run longer than `maxCallDuration`. A host that
    /// has not polled yet (still connecting) is live: it exits on its own if no broker answers.
    package static func liveness(_ status: HostStatus?, now: Double, limits: HealthLimits) -> HealthVerdict {
        guard let status else { return .healthy(note: "starting") }
        let sincePoll = now - status.lastPollAt
        if sincePoll > limits.maxPollInterval {
            return .failing(
                reason: "the poll loop last ran \(seconds(sincePoll)) s ago (liveness_probe_max_interval "
                    + "\(seconds(limits.maxPollInterval)) s): a call into the plugin on the polling thread, "
                    + "or the host, is stuck")
        }
        if let call = status.callInFlight, now - call.since > limits.maxCallDuration {
            return .failing(
                reason: "consumer instance \(call.instance) has been in one call into the plugin for "
                    + "\(seconds(now - call.since)) s (liveness_probe_max_call_duration "
                    + "\(seconds(limits.maxCallDuration)) s)")
        }
        return .healthy(note: nil)
    }

    /// Ready while a member of the group with an assignment (of any number of partitions), and
    /// through a rebalance for up to `maxJoinDuration`; not before the first assignment.
    package static func readiness(_ status: HostStatus?, now: Double, limits: HealthLimits) -> HealthVerdict {
        guard let status else { return .failing(reason: "not consuming yet: connecting to Kafka") }
        switch status.membership {
        case .assigned:
            return .healthy(note: nil)
        case .joining:
            return .failing(
                reason: "joining group \(status.groupID) for \(seconds(now - status.membershipSince)) s: "
                    + "no assignment yet")
        case .rebalancing:
            let waited = now - status.membershipSince
            guard waited > limits.maxJoinDuration else {
                return .healthy(note: "rebalancing for \(seconds(waited)) s")
            }
            return .failing(
                reason: "without an assignment from group \(status.groupID) for \(seconds(waited)) s "
                    + "(readiness_probe_max_join_duration \(seconds(limits.maxJoinDuration)) s)")
        case .stopping:
            return .failing(reason: "stopping")
        }
    }

    /// One verdict for several workers: healthy when every one is, else the failing ones'
    /// reasons, each named by its slot.
    package static func combine(_ verdicts: [(slot: Int, verdict: HealthVerdict)]) -> HealthVerdict {
        let failing = verdicts.compactMap { slot, verdict -> String? in
            guard case .failing(let reason) = verdict else { return nil }
            return "worker \(slot): \(reason)"
        }
        return failing.isEmpty ? .healthy(note: nil) : .failing(reason: failing.joined(separator: "; "))
    }

    /// Tenths of a second, as an operator reads them.
    package static func seconds(_ value: Double) -> String {
        formatSeconds((max(value, 0) * 10).rounded() / 10)
    }
}
