import Foundation
import RacecarInstrumentation

extension HostStatus {
    /// The status as `racecarctl status` prints it at time `now` (seconds since 1970): the
    /// consumer, its group and plugin, then a table with a row per assigned partition.
    package func text(now: Double) -> String {
        let span = SupervisorStatus.span
        let member = memberID.map { " as member \($0)" } ?? ""
        var text =
            "\(consumer) (pid \(pid)) in group \(groupID)\(member): \(membership.rawValue) for "
            + "\(span(now - membershipSince)), polled \(span(now - lastPollAt)) ago\n"
            + "plugin \(plugin.path) (ABI \(plugin.abiVersion), SDK \(plugin.sdkVersion))\n"
        if let call = callInFlight {
            text += "instance \(call.instance) has been in one plugin call for \(span(now - call.since))\n"
        }
        guard !partitions.isEmpty else { return text + "no partitions assigned\n" }
        let rows =
            [["partition", "position", "committed", "high watermark", "lag", "paused"]]
            + partitions.map { partition in
                let until = partition.pausedUntil.map { " for \(span($0 - now))" } ?? ""
                return [
                    "\(partition.topic)/\(partition.partition)", partition.position.map(String.init) ?? "-",
                    partition.committed.map(String.init) ?? "-", partition.highWatermark.map(String.init) ?? "-",
                    partition.lag.map(String.init) ?? "-", partition.pauseReason.map { $0.rawValue + until } ?? "-",
                ]
            }
        return text + SupervisorStatus.table(rows)
    }
}
