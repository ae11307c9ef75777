/// A swap that only a new Kafka client can apply (a changed broker list, group or
/// subscription): the loop that returns it has committed and left the group; its caller joins
/// with a new client and the new version, then reports the outcome.
package struct ClientRestart: Sendable {
    package var swap: ConsumerSwap
    /// The keys that need the new client, for the log.
    package var keys: [String]
    let mailbox: SwapMailbox?

    /// Reports how the restart ended to whoever asked for the swap.
    package func finish(_ outcome: SwapOutcome) {
        mailbox?.finish(outcome)
    }
}
