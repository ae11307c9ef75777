import Logging
import RacecarConfiguration
import RacecarKafka

/// The one place that decides when stored offsets are committed: every
/// `offset_commit_interval` (asynchronously unless `synchronous_commits`; with
/// `offset_commit_on_idle` every stored offset again, so an idle group's offsets do not
/// expire), soon after a message went to the dead-letter topic, synchronously when partitions
/// are revoked (unless the assignment was already lost), and synchronously at shutdown.
///
/// Used from the polling thread; workers record stored offsets into the ledger from theirs.
final class OffsetCommitter<Client: KafkaClient> {
    private let client: Client
    private let interval: Duration
    private let synchronous: Bool
    private let clock: RuntimeClock
    private let logger: Logger
    /// The next offset stored per partition, kept only for `offset_commit_on_idle`.
    let ledger: OffsetLedger?
    private var lastCommit: ContinuousClock.Instant
    private var isCommitRequested = false
    /// The shortest time between two commits that ``commitSoon()`` brings forward: a burst of
    /// dead letters costs the broker at most ten commits a second.
    static var soonestRequestedCommit: Duration { .milliseconds(100) }

    /// - Parameter ledger: The ledger of the committer this one replaces (a swap), whose
    ///   offsets stay committed on idle.
    init(
        client: Client, config: RacecarConfig, clock: RuntimeClock, logger: Logger, carrying ledger: OffsetLedger? = nil
    ) {
        self.client = client
        self.interval = config.offsetCommitInterval
        self.synchronous = config.synchronousCommits
        self.clock = clock
        self.logger = logger
        self.ledger = config.offsetCommitOnIdle ? ledger ?? OffsetLedger() : nil
        self.lastCommit = clock.now()
    }

    /// Commits if `offset_commit_interval` passed since the last periodic commit, or a commit
    /// was asked for and the last one is ``soonestRequestedCommit`` old.
    func commitIfDue() {
        let now = clock.now()
        let since = now - lastCommit
        guard since >= interval || (isCommitRequested && since >= Self.soonestRequestedCommit) else { return }
        lastCommit = now
        isCommitRequested = false
        if let ledger, case let stored = ledger.snapshot, !stored.isEmpty {
            logger.debug("committing \(stored.count) stored offsets (offset_commit_on_idle)")
            client.commit(stored, synchronously: synchronous)
        } else {
            client.commit(nil, synchronously: synchronous)
        }
    }

    /// Brings the next commit forward, to the end of this pass or 100 ms after the last commit,
    /// whichever is later: a message was dead-lettered, and once the offset past it is committed
    /// the next consumer of its partition does not copy it again.
    func commitSoon() {
        isCommitRequested = true
    }

    /// Commits before `partitions` leave the assignment, once their work is finished and
    /// stored, so that their next owner resumes exactly after it. Nothing is committed when
    /// the assignment was lost: the group has moved on, and the broker would refuse it.
    func commitBeforeRevoking(_ partitions: [TopicPartition], assignmentLost: Bool) {
        ledger?.forget(Set(partitions))
        guard !assignmentLost else {
            logger.warning(
                "assignment lost (session timeout or max_poll_interval exceeded); the group's new owners resume from the last commit"
            )
            return
        }
        client.commit(nil, synchronously: true)
    }

    /// Commits everything stored, at shutdown, before the group is left.
    func commitAtShutdown() {
        client.commit(nil, synchronously: true)
    }
}
