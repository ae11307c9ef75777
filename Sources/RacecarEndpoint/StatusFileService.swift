import Foundation
import Logging
import RacecarConfiguration
import RacecarInstrumentation
import ServiceLifecycle

/// Writes a process's status (and, for a supervised worker, its Prometheus text) to files
/// every second, atomically, for `racecarctl status` and a supervisor's endpoint; and, for a
/// worker, applies the manual pauses its supervisor's endpoint was asked for.
package struct StatusFileService: Service {
    /// Where a process writes, and what it reads.
    package struct Files: Sendable {
        package var status: String
        /// A worker's Prometheus text.
        package var metrics: String?
        /// A supervisor's list of manually paused partitions (``ManualPauseFile``).
        package var manualPauses: String?

        package init(status: String, metrics: String? = nil, manualPauses: String? = nil) {
            self.status = status
            self.metrics = metrics
            self.manualPauses = manualPauses
        }
    }

    private let board: StatusBoard
    private let files: Files
    private let prometheus: PrometheusExposition?
    private let post: @Sendable (ControlRequest) -> Void
    private let logger: Logger
    private let interval: Duration

    /// - Parameter post: Queues a control request for the poll loop.
    package init(
        board: StatusBoard, files: Files, prometheus: PrometheusExposition?, logger: Logger,
        interval: Duration = .seconds(1), post: @escaping @Sendable (ControlRequest) -> Void
    ) {
        self.board = board
        self.files = files
        self.prometheus = prometheus
        self.post = post
        self.logger = logger
        self.interval = interval
    }

    package func run() async {
        var applied: Set<TopicPartition> = []
        var warned = false
        while !Task.isShuttingDownGracefully {
            do {
                try write()
            } catch {
                // Once: a folder that cannot be written stays so, and the consumer runs on.
                if !warned { logger.warning("cannot write status file \(files.status): \(error)") }
                warned = true
            }
            if let path = files.manualPauses {
                let wanted = ManualPauseFile.read(from: path)
                for partition in wanted.subtracting(applied) {
                    post(ControlRequest(action: .pause, partition: partition))
                }
                for partition in applied.subtracting(wanted) {
                    post(ControlRequest(action: .resume, partition: partition))
                }
                applied = wanted
            }
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
        try? FileManager.default.removeItem(atPath: files.status)
        if let metrics = files.metrics { try? FileManager.default.removeItem(atPath: metrics) }
    }

    private func write() throws {
        if let status = board.current {
            try StatusCoding.encode(status).write(to: URL(fileURLWithPath: files.status), options: .atomic)
        }
        if let path = files.metrics, let prometheus {
            try Data(prometheus.text().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
