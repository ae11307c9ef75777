/// Which supervised worker this process is, when a supervisor (`parallel_workers`) started it.
///
/// The supervisor starts each worker with `RACECAR_WORKER_SLOT` (slots are numbered from 0) and
/// `RACECAR_SUPERVISOR_PID` in its environment. A worker runs the consumer as a single host
/// does, with two values of its own derived from the shared configuration: the static-membership
/// id `<group_instance_id>-<slot>`, so that a restarted worker takes its slot's partitions back,
/// and its own liveness file `<liveness_probe_file_path>.worker-<slot>`, which the supervisor
/// watches.
package struct WorkerIdentity: Sendable, Equatable {
    /// The worker's slot, from 0.
    package static let slotVariable = "RACECAR_WORKER_SLOT"
    /// The process id of the supervisor that started the worker.
    package static let supervisorVariable = "RACECAR_SUPERVISOR_PID"
    /// Where the worker records the plugin call in flight, for the supervisor to read after a crash.
    package static let callSlotVariable = "RACECAR_WORKER_CALL_SLOT"
    /// The library a worker runs instead of `--plugin`'s after a reload, as the operator named it.
    package static let pluginVariable = "RACECAR_WORKER_PLUGIN"
    /// The copy of that library the worker opens (``PluginCopies``).
    package static let pluginFileVariable = "RACECAR_WORKER_PLUGIN_FILE"
    /// The variables a supervisor sets: process plumbing, not configuration keys.
    package static let variables: Set<String> = [
        slotVariable, supervisorVariable, callSlotVariable, pluginVariable, pluginFileVariable,
    ]

    /// The worker's slot, from 0 to `parallel_workers` - 1.
    package let slot: Int
    /// The supervisor's process id.
    package let supervisorPID: Int32

    package init(slot: Int, supervisorPID: Int32) {
        self.slot = slot
        self.supervisorPID = supervisorPID
    }

    /// The worker `environment` names; `nil` for a process that no supervisor started.
    ///
    /// - Throws: ``ConfigError/invalidValue(key:value:source:expected:)`` when the variables are
    ///   set but malformed, or only one of them is set.
    package static func current(in environment: [String: String]) throws(ConfigError) -> WorkerIdentity? {
        let slotText = environment[slotVariable]
        let supervisorText = environment[supervisorVariable]
        if slotText == nil, supervisorText == nil { return nil }
        guard let slot = slotText.flatMap({ Int($0) }), slot >= 0 else {
            throw .invalidValue(
                key: slotVariable, value: "`\(slotText ?? "")`", source: .environment(variable: slotVariable),
                expected: "a worker slot from 0, set by the supervisor together with \(supervisorVariable)")
        }
        guard let supervisorPID = supervisorText.flatMap({ Int32($0) }), supervisorPID > 0 else {
            throw .invalidValue(
                key: supervisorVariable, value: "`\(supervisorText ?? "")`",
                source: .environment(variable: supervisorVariable),
                expected: "the supervisor's process id, set by the supervisor together with \(slotVariable)")
        }
        return WorkerIdentity(slot: slot, supervisorPID: supervisorPID)
    }

    /// The static-membership id of this worker's slot: `base` is `group_instance_id`.
    package func groupInstanceID(from base: String) -> String {
        "\(base)-\(slot)"
    }

    /// The liveness file of worker `slot`, next to `base` (`liveness_probe_file_path`), which the
    /// supervisor touches while every worker's file is fresh.
    package static func livenessProbeFilePath(base: String, slot: Int) -> String {
        "\(base).worker-\(slot)"
    }
}
