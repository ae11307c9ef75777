/// A call into a plugin that was in progress, as an ``InFlightCallSlot`` recorded it: what a
/// supervisor reads after the worker process died, to say which message killed it.
package struct InFlightCall: Sendable, Hashable, CustomStringConvertible {
    /// Which entry point of the consumer vtable was called, named after its field in
    /// `racecar_plugin.h`. The raw values are part of the slot's binary layout: never renumber.
    package enum Call: UInt32, Sendable, CaseIterable, CustomStringConvertible {
        case create = 1
        case process = 2
        case processBatch = 3
        case onError = 4
        case onPartitionsAssigned = 5
        case onPartitionsRevoked = 6
        case onStatistics = 7
        case teardown = 8
        case destroy = 9

        package var description: String {
            switch self {
            case .create: "create"
            case .process: "process"
            case .processBatch: "process_batch"
            case .onError: "on_error"
            case .onPartitionsAssigned: "on_partitions_assigned"
            case .onPartitionsRevoked: "on_partitions_revoked"
            case .onStatistics: "on_statistics"
            case .teardown: "teardown"
            case .destroy: "destroy"
            }
        }
    }

    /// The messages a call was about: one partition's offsets `first...last` (equal for
    /// `process` and `on_error` of one message).
    package struct Position: Sendable, Hashable, CustomStringConvertible {
        package var topic: String
        package var partition: Int32
        package var offsets: ClosedRange<Int64>

        package init(topic: String, partition: Int32, offsets: ClosedRange<Int64>) {
            self.topic = topic
            self.partition = partition
            self.offsets = offsets
        }

        /// `events/0@17`, or `events/0@10-19` for a range.
        package var description: String {
            let range =
                offsets.lowerBound == offsets.upperBound
                ? "\(offsets.lowerBound)" : "\(offsets.lowerBound)-\(offsets.upperBound)"
            return "\(topic)/\(partition)@\(range)"
        }
    }

    /// The consumer whose instance was called.
    package var consumer: String
    /// The process that recorded the call.
    package var processID: Int32
    /// Which of the process's consumer instances (0 unless `concurrency` is above 1).
    package var instance: Int
    package var call: Call
    /// The messages of `process`, `process_batch` and `on_error`; `nil` for the other calls.
    package var position: Position?

    package init(consumer: String, processID: Int32, instance: Int, call: Call, position: Position?) {
        self.consumer = consumer
        self.processID = processID
        self.instance = instance
        self.call = call
        self.position = position
    }

    /// `process of events/0@17`, `process_batch of events/0@10-19`, or just the call (`create`).
    package var description: String {
        position.map { "\(call) of \($0)" } ?? "\(call)"
    }
}
