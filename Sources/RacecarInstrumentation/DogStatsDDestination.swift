/// Where DogStatsD datagrams go: a Datadog agent's UDP port (`datadog_host`, `datadog_port`) or
/// its Unix datagram socket (`datadog_socket_path`, which the agent opens with
/// `dogstatsd_socket`).
package enum DogStatsDDestination: Sendable, Equatable {
    case udp(host: String, port: Int)
    case unixSocket(path: String)

    /// The largest datagram worth sending: under a typical MTU over UDP; the agent's default
    /// read buffer (`dogstatsd_buffer_size`, 8 KiB) over the Unix socket.
    var maximumDatagramBytes: Int {
        switch self {
        case .udp: 1432
        case .unixSocket: 8192
        }
    }
}
