#if canImport(Glibc)
    import Glibc
#endif

/// The host names in a `brokers` list, checked before connecting: librdkafka reports a name
/// that does not resolve only as a transport failure after `socket_timeout`.
package enum BrokerAddresses {
    /// The host of each `host:port` entry (`[::1]:9092` and `SSL://host:port` too).
    package static func hosts(in brokers: [String]) -> [String] {
        brokers.map { entry in
            var address = Substring(entry)
            if let scheme = address.range(of: "://") { address = address[scheme.upperBound...] }
            if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
                return String(address[address.index(after: address.startIndex)..<close])
            }
            if let colon = address.lastIndex(of: ":") { address = address[..<colon] }
            return String(address)
        }
    }

    /// Fails when no host of `brokers` resolves; one that resolves is enough to bootstrap.
    ///
    /// - Throws: ``KafkaError/unresolvableBrokers(hosts:reason:)`` with the resolver's reason.
    package static func checkResolvable(_ brokers: [String]) throws(KafkaError) {
        var reason = ""
        let hosts = hosts(in: brokers)
        for host in hosts {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            if let result { freeaddrinfo(result) }
            if status == 0 { return }
            reason = String(cString: gai_strerror(status))
        }
        throw .unresolvableBrokers(hosts: hosts, reason: reason)
    }
}
