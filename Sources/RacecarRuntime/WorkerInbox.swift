import Synchronization

/// Events from the workers, drained by the polling thread.
final class WorkerInbox: Sendable {
    private let events = Mutex<[WorkerEvent]>([])

    func post(_ event: WorkerEvent) {
        events.withLock { $0.append(event) }
    }

    func drain() -> [WorkerEvent] {
        events.withLock { events in
            defer { events.removeAll() }
            return events
        }
    }
}
