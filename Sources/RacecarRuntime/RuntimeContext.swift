/// What every part of one consumer's runtime shares: the stop request, the workers' inbox to
/// the polling thread, the clock and the metrics.
struct RuntimeContext: Sendable {
    let stop: StopRequest
    let inbox: WorkerInbox
    let clock: RuntimeClock
    let metrics: ConsumerMetrics?
}
