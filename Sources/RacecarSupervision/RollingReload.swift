import RacecarOperations

/// A reload of a supervisor's workers in progress: one worker swaps at a time, and the new
/// version is watched for a minute after the last one; a worker that fails to swap, or
/// `max_crashes` crashes of the new version within that minute, roll every worker back.
struct RollingReload {
    /// How long after the last swap crashes still count against the new version.
    static let watch: Duration = .seconds(60)
    /// How long one worker may take to swap.
    static let swapTimeout: Duration = .seconds(60)

    /// The worker asked to swap, and how to recognize its answer.
    struct InFlight {
        var slot: Int
        var pid: Int32
        var requestID: String
        var since: ContinuousClock.Instant
    }

    /// The request this answers, if one asked, and where the answer goes.
    let requestID: String?
    let replyTo: ReloadChannel?
    let target: CheckedPlugin
    let previous: CheckedPlugin
    /// Slots still to swap, in order.
    var pending: [Int]
    var inFlight: InFlight?
    /// Slots that run the new version.
    var swapped: [Int] = []
    /// When workers of the new version crashed.
    var crashes: [ContinuousClock.Instant] = []
    /// When the last worker swapped.
    var finishedAt: ContinuousClock.Instant?

    /// Records a crash of the new version; returns how many fell within the last minute.
    mutating func recordCrash(at now: ContinuousClock.Instant) -> Int {
        crashes.append(now)
        crashes.removeAll { now - $0 > Self.watch }
        return crashes.count
    }

    /// Whether the rollout is over: every worker swapped a minute ago.
    func isOver(at now: ContinuousClock.Instant) -> Bool {
        finishedAt.map { now - $0 >= Self.watch } ?? false
    }
}
