import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka

extension ConsumerLoop {
    /// Applies the operator's control commands and, when due, publishes the status. Called on
    /// each pass while the chunk is empty, so a manual pause takes effect before the next poll,
    /// and once as shutdown begins (`stopping`), to publish that at once.
    func reportAndControl(stopping: Bool = false) {
        guard let reporter else { return }
        let now = runtime.clock.now()
        if stopping {
            reporter.membershipChanged(to: .stopping)
        } else {
            for command in reporter.controls.drain() { apply(command, reporter) }
            guard reporter.isDue(now) else { return }
        }
        let clockNow = now
        let wallNow = wallClockSeconds()
        reporter.publish(
            at: now, memberID: client.memberID, offsets: client.offsets(of: ownership.partitions),
            pause: { partition in
                if reporter.isManuallyPaused(partition) { return (.manual, nil) }
                if case .some(let deadline) = self.pauses.deadline(of: partition) {
                    return (.failure, deadline.map { wallNow + clockNow.duration(to: $0).inSeconds })
                }
                return self.flow.isPaused(partition) ? (.flowControl, nil) : nil
            },
            activity: threads.isEmpty ? [] : workers.map(\.instance.activity))
    }

    private func apply(_ command: ControlCommand, _ reporter: StatusReporter) {
        switch command {
        case .pause(let partition):
            guard reporter.pauseManually(partition) else { return }
            let assigned = ownership.isAssigned(partition)
            logger.info("pausing \(partition) until it is resumed (manual)\(assigned ? "" : "; not assigned here now")")
            // librdkafka drops what it fetched for a paused partition and resumes after the last
            // message polled, as for the pauses of flow control: no seek needed.
            if assigned { client.pause(partition) }
        case .resume(let partition):
            guard reporter.resumeManually(partition) else { return }
            logger.info("resuming \(partition) (manual pause lifted)")
            guard ownership.isAssigned(partition), !pauses.isPaused(partition), !flow.isPaused(partition) else {
                return
            }
            client.resume(partition)
        }
    }

    /// Records that the group gave this member its assignment, and pauses again the newly
    /// assigned partitions that an operator paused: a manual pause outlives rebalances.
    func noteAssigned(_ partitions: [TopicPartition]) {
        guard let reporter else { return }
        reporter.membershipChanged(to: .assigned)
        for partition in partitions where reporter.isManuallyPaused(partition) { client.pause(partition) }
    }
}
