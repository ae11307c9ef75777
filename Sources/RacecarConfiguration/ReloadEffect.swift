/// What a reload (`racecarctl reload`, SIGHUP) needs to apply a changed configuration key.
package enum ReloadEffect: Sendable {
    /// Applied when the consumer's instances are swapped, without leaving the group.
    case inPlace
    /// Applied by a new Kafka client: the consumer commits, leaves the group and joins again.
    case newClient
    /// Read once when the process starts (where it logs, its pidfile, its metrics backend):
    /// applied by the next start only.
    case restart
}
