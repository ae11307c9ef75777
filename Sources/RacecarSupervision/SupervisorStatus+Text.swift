import Foundation

extension SupervisorStatus {
    /// The status as `racecarctl status` prints it at time `now` (seconds since 1970): a line
    /// about the supervisor, a table with a row per worker slot, then each running worker's
    /// own status, when the reader filled it in.
    package func text(now: Double) -> String {
        var text =
            "supervisor \(supervisorPID) of \(consumer): \(state.rawValue), up \(Self.span(now - startedAt)), "
            + "\(workers.count) worker\(workers.count == 1 ? "" : "s")\n"
        // After a reload: which library the workers run now, and which before.
        if let plugin, let previousPlugin { text += "plugin \(plugin), before it \(previousPlugin)\n" }
        let rows =
            [["slot", "pid", "state", "uptime", "restarts", "last exit"]]
            + workers.map { worker in
                let restart = worker.restartAt.map { " in \(Self.span($0 - now))" } ?? ""
                return [
                    String(worker.slot), worker.pid.map(String.init) ?? "-", worker.state.rawValue + restart,
                    worker.startedAt.map { Self.span(now - $0) } ?? "-", String(worker.restarts),
                    worker.lastExit.map { exit in
                        let during = exit.inFlight.isEmpty ? "" : " during \(exit.inFlight.joined(separator: ", "))"
                        return "\(exit.description)\(during), \(Self.span(now - exit.at)) ago"
                    } ?? "-",
                ]
            }
        text += Self.table(rows)
        for worker in workers {
            guard let host = worker.host else { continue }
            text += "\nworker \(worker.slot): " + host.text(now: now)
        }
        return text
    }

    /// `rows` as columns padded to their widest cell, the last column unpadded.
    static func table(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in rows {
            let cells = row.indices.map { column in
                column == row.count - 1
                    ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }
            text += cells.joined(separator: "  ") + "\n"
        }
        return text
    }

    /// `42s`, `3m 5s`, `2h 10m`, `3d 4h`.
    static func span(_ seconds: Double) -> String {
        let total = Int(max(seconds, 0))
        let (days, hours, minutes) = (total / 86_400, total / 3600 % 24, total / 60 % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(total % 60)s" }
        return "\(total)s"
    }
}
