/// What went wrong with the HTTP endpoint or one of its requests.
package enum EndpointError: Error, Equatable, CustomStringConvertible {
    /// The endpoint could not listen on its address (in use, not an address of this machine).
    case cannotListen(address: String, reason: String)
    /// `http_host` is not an IP address or `localhost`.
    case invalidHost(String)
    /// A control request whose body or parameters are wrong.
    case malformedRequest(String)

    package var description: String {
        switch self {
        case .cannotListen(let address, let reason):
            "the HTTP endpoint cannot listen on \(address): \(reason) (check http_host and http_port)"
        case .invalidHost(let host):
            "`http_host` \(host) is not an IPv4 or IPv6 address, or localhost"
        case .malformedRequest(let problem):
            problem
        }
    }
}
