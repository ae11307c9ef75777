/// The medians of SleepingConsumer's runs at one `concurrency` level.
struct ConcurrencySummary {
    let variant: Variant
    let runs: [RunResult]
    let messagesPerSecond: Double
    let cpuSeconds: Double
    let peakRSSMegabytes: Double
    let startToFirstSeconds: Double
    /// Mean time one `process` call took (the sleep and the wake-up), in milliseconds.
    let millisecondsPerMessage: Double
    /// The busiest instance's time inside `process` as a share of the run (first message of
    /// any instance to the last): 1 would mean the run took exactly that instance's sleeps.
    let busiestInstanceShare: Double
    /// Instances that saw messages, fewest over the runs.
    let activeInstances: Int
    /// Messages per instance, fewest and most over every instance of every run.
    let fewestPerInstance: Int
    let mostPerInstance: Int
    /// Throughput against `concurrency: 1`, when it ran.
    var speedUp: Double?

    var concurrency: Int { variant.instances }

    init(variant: Variant, runs: [RunResult]) {
        self.variant = variant
        self.runs = runs
        messagesPerSecond = median(runs.map(\.messagesPerSecond))
        cpuSeconds = median(runs.map(\.cpuSeconds))
        peakRSSMegabytes = median(runs.map { Double($0.peakRSSBytes) / 1_048_576 })
        startToFirstSeconds = median(runs.map { Double($0.startToFirstNanoseconds) / 1e9 })
        millisecondsPerMessage = median(
            runs.compactMap { run in
                run.instanceBusyNanoseconds.map { Double($0.reduce(0, +)) / Double(run.messages) / 1e6 }
            })
        busiestInstanceShare = median(runs.compactMap(\.busiestInstanceShare))
        activeInstances = runs.map { $0.instanceCounts.filter { $0 > 0 }.count }.min() ?? 0
        fewestPerInstance = runs.flatMap(\.instanceCounts).min() ?? 0
        mostPerInstance = runs.flatMap(\.instanceCounts).max() ?? 0
    }
}

extension RunResult {
    /// The busiest instance's time inside `process` over the run's length.
    var busiestInstanceShare: Double? {
        guard let busy = instanceBusyNanoseconds?.max(), consumeNanoseconds > 0 else { return nil }
        return Double(busy) / Double(consumeNanoseconds)
    }
}

/// SleepingConsumer at several `concurrency` levels: what parallel instances buy a consumer
/// that spends its time waiting.
struct ConcurrencyReport {
    let messages: Int
    let partitions: Int
    let sleepMicroseconds: Int
    let summaries: [ConcurrencySummary]

    init(messages: Int, partitions: Int, sleepMicroseconds: Int, summaries: [ConcurrencySummary]) {
        self.messages = messages
        self.partitions = partitions
        self.sleepMicroseconds = sleepMicroseconds
        let single = summaries.first { $0.concurrency == 1 }
        self.summaries = summaries.map { summary in
            var result = summary
            if let single { result.speedUp = summary.messagesPerSecond / single.messagesPerSecond }
            return result
        }
    }

    /// The partitions the busiest instance owns at `concurrency`, when the host spreads them
    /// evenly (it gives each newly assigned partition to the instance owning the fewest).
    func partitionsOfBusiest(_ concurrency: Int) -> Int { (partitions + concurrency - 1) / concurrency }

    /// The summary table (also printed to standard output).
    var table: String {
        var lines = [
            "| `concurrency` | msgs/s | speed-up vs 1 | instances with messages | messages per instance | ms in `process` per message | busiest instance busy | CPU s | peak RSS MB | start + join s |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for summary in summaries {
            let perInstance =
                summary.fewestPerInstance == summary.mostPerInstance
                ? grouped(Double(summary.mostPerInstance))
                : "\(grouped(Double(summary.fewestPerInstance)))–\(grouped(Double(summary.mostPerInstance)))"
            lines.append(
                "| \(summary.concurrency) | \(grouped(summary.messagesPerSecond)) | \(summary.speedUp.map { format($0, 2) + "×" } ?? "–") "
                    + "| \(summary.activeInstances) of \(summary.concurrency) | \(perInstance) "
                    + "| \(summary.millisecondsPerMessage.isNaN ? "–" : format(summary.millisecondsPerMessage, 3)) "
                    + "| \(summary.busiestInstanceShare.isNaN ? "–" : format(summary.busiestInstanceShare * 100, 0) + "%") "
                    + "| \(format(summary.cpuSeconds, 2)) | \(format(summary.peakRSSMegabytes, 1)) | \(format(summary.startToFirstSeconds, 1)) |"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// The report's section: set-up, `tables` (this report's ``table``, or one per librdkafka),
    /// and what limits the speed-up.
    func section(size: Int, commitIntervalSeconds: Double, tables: String) -> String {
        let levels = summaries.map(\.concurrency)
        let spread = levels.map {
            "\(partitionsOfBusiest($0)) partitions (\(grouped(Double(busiestShareOfMessages($0)))) messages) at concurrency \($0)"
        }
        let milliseconds = Double(sleepMicroseconds) / 1000
        return """
            ## What `concurrency` buys a slow consumer

            `SleepingConsumer` (`Sources/Benchmarks/NoopConsumer/SleepingConsumer.swift`) does nothing with a message but sleep \(format(milliseconds, milliseconds < 1 ? 3 : 1)) ms with `nanosleep`, as a consumer waiting on a database would. racecar-host runs it with `concurrency` \(listed(levels.map(String.init))) (`RACECAR_CONCURRENCY`): that many instances, each owning a disjoint set of partitions and called from a thread of its own (with `concurrency: 1`, from the polling thread). The topic is `bench-sleep`: \(grouped(Double(messages))) messages of \(size) B over \(partitions) partitions, loaded like `bench`. Each run uses a fresh consumer group, `fetch_messages` 1000 and `offset_commit_interval` = \(format(commitIntervalSeconds, 1)) s, and passes the same checks as the runs above: exactly \(grouped(Double(messages))) messages seen, added up over the instances' teardown lines (one per instance, or the run fails), and committed offsets equal to the high watermarks once the benchmark has stopped the host with SIGTERM. Medians over the runs:

            \(tables)

            - **msgs/s**: all instances' messages, from the earliest first message of any instance to the latest end of a `process` call (CLOCK_MONOTONIC); start-up and the group join are excluded.
            - **ms in `process` per message**: what one call took on average, the sleep plus `nanosleep`'s wake-up latency; one instance can do at most 1000 / this messages per second.
            - **busiest instance busy**: the time the instance with the most messages spent inside `process`, as a share of the run. At 100% the run took exactly that instance's sleeps; the rest is time it waited for messages.
            - **A run with a wait near 1 s** (see every run below): librdkafka's first fetch after the join covered only the partitions whose start offsets it already knew. The next fetch asked for those alone, found no new data and was held for `fetch.wait.max.ms` (racecar-host's `max_wait_time`, 1 s), as a broker holds it and as the mock does; librdkafka 2.0.2 keeps one fetch in flight per broker, so the other partitions waited for it. That is librdkafka at start-up, not the instances, and the medians are over the runs.
            - **CPU s**: user + system CPU of the whole racecar-host process, start to exit, join included. Sleeping costs none, so it barely changes with the number of instances; each extra instance costs a thread and its buffers, hence the small rise in peak RSS.

            What limits the speed-up: an instance processes its partitions' messages one at a time, so a run takes at least the busiest instance's messages × the time per message. The speed-up is therefore at most the number of instances, and only as even as the spread of the \(partitions) partitions over them (the busiest instance gets \(listed(spread))); instances beyond the partition count get no partition and sit idle. What the busiest instance does not spend sleeping is the host's share: waiting for the first fetch after the join, and, with several instances, the polling thread cutting each polled chunk of up to `fetch_messages` messages into runs per partition, queueing them to their instances and waking those up. The shorter the run (about \(format(Double(busiestShareOfMessages(levels.max() ?? 1)) * milliseconds / 1000, 2)) s of sleeping for the busiest of \(levels.max() ?? 1) instances here), the more that fixed share shows.


            """
    }

    /// Messages of the busiest instance at `concurrency` when partitions are spread evenly and
    /// messages round-robin over the partitions.
    func busiestShareOfMessages(_ concurrency: Int) -> Int {
        let perPartition = (messages + partitions - 1) / partitions
        return min(messages, partitionsOfBusiest(concurrency) * perPartition)
    }

    /// The heading of the table of every concurrency run, which ``everyRunRows(label:)`` fills.
    static let everyRunHeader = """
        ## Every concurrency run

        | variant | run | msgs/s | consume s | CPU s (user + sys) | peak RSS MB | messages per instance | longest wait between messages ms | busiest instance busy | start + join s |
        | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |

        """

    /// Every run of the sleeping consumer, a row each, the variant named by `label`.
    func everyRunRows(label: (Variant) -> String) -> String {
        var text = ""
        for summary in summaries {
            for run in summary.runs {
                let counts = run.instanceCounts
                let perInstance =
                    counts.min() == counts.max()
                    ? "\(grouped(Double(counts[0]))) × \(counts.count)" : "\(counts.min()!)–\(counts.max()!)"
                text +=
                    "| \(label(summary.variant)) | \(run.run) | \(grouped(run.messagesPerSecond)) | \(format(Double(run.consumeNanoseconds) / 1e9, 3)) "
                    + "| \(format(run.cpuSeconds, 2)) (\(format(run.userSeconds, 2)) + \(format(run.systemSeconds, 2))) "
                    + "| \(format(Double(run.peakRSSBytes) / 1_048_576, 1)) | \(perInstance) "
                    + "| \(format(Double(run.longestGapNanoseconds) / 1e6, 0)) "
                    + "| \(run.busiestInstanceShare.map { format($0 * 100, 0) + "%" } ?? "–") "
                    + "| \(format(Double(run.startToFirstNanoseconds) / 1e9, 2)) |\n"
            }
        }
        return text
    }
}

/// "a", "a and b", "a, b and c".
func listed(_ items: [String]) -> String {
    guard items.count > 1 else { return items.first ?? "" }
    return items.dropLast().joined(separator: ", ") + " and " + items.last!
}
