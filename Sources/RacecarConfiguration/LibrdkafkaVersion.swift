/// A librdkafka release, as `major.minor.patch`: some defaults depend on the version the host
/// loads at run time, which may be newer than the headers it was built against.
package struct LibrdkafkaVersion: Comparable, Sendable, CustomStringConvertible {
    package var major: Int
    package var minor: Int
    package var patch: Int

    package init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// The first release with `fetch.queue.backoff.ms`: before it, a consumer whose local queue
    /// passed `queued.min.messages` waited a hard-coded second before fetching again.
    package static let fetchQueueBackoff = LibrdkafkaVersion(2, 2, 0)

    package var description: String { "\(major).\(minor).\(patch)" }

    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
