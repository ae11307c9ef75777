import CRdKafka
import Foundation
import Synchronization

/// Runs a ``PartitionWorker`` on its own thread (`concurrency` > 1): a queue of runs of
/// messages handed over by the polling thread, plus tasks (hooks, rebalance bookkeeping)
/// that jump the queue so the instance is never called from two threads at once.
final class WorkerThread: @unchecked Sendable {
    typealias MessagePointer = UnsafeMutablePointer<rd_kafka_message_t>

    private enum Item {
        case run([MessagePointer])
        case task(() -> Void)
    }

    let worker: PartitionWorker
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var queued: [PartitionRef: Int] = [:]
    private var current: PartitionRef?
    /// Set while the polling thread waits for the run in progress to stop; read lock-free per
    /// message. The worker clears it when the run ends.
    private let currentRunAbandoned = Atomic<Bool>(false)
    private var stopping = false
    private var exited = false
    private var completedTasks = 0

    init(worker: PartitionWorker) {
        self.worker = worker
    }

    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "racecar-worker-\(worker.index)"
        thread.start()
    }

    /// Hands `run` (consecutive messages of one partition) to the worker, which destroys them.
    /// Returns how many messages of that partition are now queued.
    func enqueue(_ run: [MessagePointer], partition: PartitionRef) -> Int {
        condition.withLock {
            items.append(.run(run))
            queued[partition, default: 0] += run.count
            condition.broadcast()
            return queued[partition]!
        }
    }

    /// Messages of `partition` queued and not yet processed.
    func queuedCount(_ partition: PartitionRef) -> Int {
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
            for item in items {
                guard case .run(let run) = item, let first = run.first else {
                    kept.append(item)
                    continue
                }
                let partition = PartitionRef(first)
                guard partitions.contains(partition.topicPartition) else {
                    kept.append(item)
                    continue
                }
                queued[partition, default: 0] -= run.count
                for message in run { rd_kafka_message_destroy(message) }
            }
            items = kept
            if let current, partitions.contains(current.topicPartition) {
                currentRunAbandoned.store(true, ordering: .releasing)
                while self.current == current { condition.wait() }
            }
            for partition in queued.keys where partitions.contains(partition.topicPartition) {
                queued[partition] = nil
            }
        }
    }

    /// Whether the worker should stop the run in progress early (its partition was revoked).
    func isAbandoned(_ partition: PartitionRef) -> Bool {
        currentRunAbandoned.load(ordering: .acquiring)
    }

    /// Drops every queued message, lets the run in progress finish (it stops early on a stop
    /// request) and waits for the thread to exit.
    func stop() {
        condition.withLock {
            for case .run(let run) in items {
                for message in run { rd_kafka_message_destroy(message) }
            }
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
            if case .run(let run) = item { current = PartitionRef(run[0]) }
            condition.unlock()

            switch item {
            case .run(let run):
                let partition = PartitionRef(run[0])
                run.withUnsafeBufferPointer { worker.handle($0, isAbandoned: isAbandoned) }
                for message in run { rd_kafka_message_destroy(message) }
                condition.withLock {
                    if let count = queued[partition] { queued[partition] = count - run.count }
                    currentRunAbandoned.store(false, ordering: .relaxed)
                    current = nil
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
