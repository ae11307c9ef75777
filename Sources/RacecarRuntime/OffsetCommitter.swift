import Logging
import RacecarConfiguration
import RacecarKafka

/// The one place that decides when stored offsets are committed: every
/// `offset_commit_interval` (asynchronously unless `synchronous_commits`; with
/// `offset_commit_on_idle` every stored offset again, so an idle group's offsets do not
/// expire), synchronously when partitions are revoked (unless the assignment was already
/// lost), and synchronously at shutdown.
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

    /// Commits if `offset_commit_interval` passed since the last periodic commit.
    func commitIfDue() {
        let now = clock.now()
        guard now - lastCommit >= interval else { return }
        lastCommit = now
        if let ledger, case let stored = ledger.snapshot, !stored.isEmpty {
            logger.debug("committing \(stored.count) stored offsets (offset_commit_on_idle)")
            client.commit(stored, synchronously: synchronous)
        } else {
            client.commit(nil, synchronously: synchronous)
        }
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
