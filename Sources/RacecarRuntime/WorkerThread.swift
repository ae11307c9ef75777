import Foundation
import RacecarConfiguration
import RacecarInstrumentation
import RacecarKafka
import Synchronization

/// Runs an ``InstanceWorker`` on its own thread (`concurrency` > 1): a queue of runs of
/// messages handed over by the polling thread, plus tasks (hooks, rebalance bookkeeping)
/// that jump the queue so the instance is never called from two threads at once.
final class WorkerThread<Client: KafkaClient>: @unchecked Sendable {
    private enum Item {
        case run(MessageRun<Client.Message>)
        case task(() -> Void)
    }

    let worker: InstanceWorker<Client>
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var queued: [PartitionID: Int] = [:]
    private var current: PartitionID?
    /// The name of `current`'s partition, for revocations, which name partitions.
    private var currentName: TopicPartition?
    /// Set while the polling thread waits for the run in progress to stop; read lock-free per
    /// message. The worker clears it when the run ends.
    private let currentRunAbandoned = Atomic<Bool>(false)
    private var stopping = false
    private var exited = false
    private var completedTasks = 0

    init(worker: InstanceWorker<Client>) {
        self.worker = worker
    }

    func start() {
        let name = "rc-instance-\(worker.index)"
        let thread = Thread { [self] in
            nameCurrentThread(name)
            loop()
        }
        thread.start()
    }

    /// Hands `run` (consecutive messages of one partition) to the worker.
    /// Returns how many messages of that partition are now queued.
    func enqueue(_ run: MessageRun<Client.Message>) -> Int {
        condition.withLock {
            items.append(.run(run))
            queued[run.partition, default: 0] += run.count
            condition.broadcast()
            return queued[run.partition]!
        }
    }

    /// Messages of `partition` queued and not yet processed.
    func queuedCount(_ partition: PartitionID) -> Int {
        condition.withLock { queued[partition] ?? 0 }
    }

    /// Runs `task` on the worker's thread, ahead of queued messages, and waits for it.
    func perform(_ task: @escaping () -> Void) {
        condition.withLock {
            guard !exited else {
                task()
                return
            }
            items.insert(.task(task), at: 0)
            let target = completedTasks + 1
            condition.broadcast()
            while completedTasks < target { condition.wait() }
        }
    }

    /// Drops queued messages of `partitions` and waits until the run in progress, if it is one
    /// of theirs, stops: their work is then finished or abandoned, never half-stored later.
    func abandon(_ partitions: Set<TopicPartition>) {
        condition.withLock {
            var kept: [Item] = []
            var dropped: Set<PartitionID> = []
            for item in items {
                guard case .run(let run) = item, partitions.contains(run.messages[0].topicPartition) else {
                    kept.append(item)
                    continue
                }
                queued[run.partition, default: 0] -= run.count
                dropped.insert(run.partition)
            }
            // Dropping the runs destroys their messages.
            items = kept
            if let inFlight = current, let name = currentName, partitions.contains(name) {
                dropped.insert(inFlight)
                currentRunAbandoned.store(true, ordering: .releasing)
                while current == inFlight { condition.wait() }
            }
            for partition in dropped { queued[partition] = nil }
        }
    }

    /// Waits until every queued run is processed (a swap finishes the work handed over; the
    /// polling thread hands over nothing meanwhile).
    func drain() {
        condition.withLock {
            while current != nil || items.contains(where: { if case .run = $0 { true } else { false } }) {
                condition.wait()
            }
        }
    }

    /// Whether the worker should stop the run in progress early (its partition was revoked).
    func isAbandoned() -> Bool {
        currentRunAbandoned.load(ordering: .acquiring)
    }

    /// Drops every queued message, lets the run in progress finish (it stops early on a stop
    /// request) and waits for the thread to exit.
    func stop() {
        condition.withLock {
            // Dropping the runs destroys their messages.
            items.removeAll { if case .run = $0 { return true } else { return false } }
            queued.removeAll()
            stopping = true
            condition.broadcast()
            while !exited { condition.wait() }
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while items.isEmpty && !stopping { condition.wait() }
            if items.isEmpty {
                exited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let item = items.removeFirst()
            if case .run(let run) = item {
                current = run.partition
                currentName = run.messages[0].topicPartition
            }
            condition.unlock()

            switch item {
            case .run(let run):
                run.messages.withUnsafeBufferPointer { worker.handle($0, isAbandoned: isAbandoned) }
                condition.withLock {
                    if let count = queued[run.partition] { queued[run.partition] = count - run.count }
                    currentRunAbandoned.store(false, ordering: .relaxed)
                    current = nil
                    currentName = nil
                    condition.broadcast()
                }
            case .task(let task):
                task()
                condition.withLock {
                    completedTasks += 1
                    condition.broadcast()
                }
            }
        }
    }
}
