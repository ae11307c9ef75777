import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The socket DogStatsD datagrams leave by. Sending never blocks: a datagram the kernel cannot
/// take at once is dropped, as a busy agent drops them too.
///
/// Over a Unix socket it connects on first use and again after a failure, so an agent that
/// starts later or restarts (and re-creates its socket) is reached without restarting the host.
/// The first failure after a success is logged once.
final class DogStatsDTransport: Sendable {
    private struct State {
        var socket: Int32 = -1
        var isFailing = false
    }

    let destination: DogStatsDDestination
    private let udpAddress: Data?
    private let state = Mutex(State())
    private let logger: Logger

    /// Resolves a UDP destination's host; a Unix socket is only connected when sending.
    ///
    /// - Throws: ``InstrumentationError/unresolvableHost(_:reason:)`` when the host does not resolve.
    init(_ destination: DogStatsDDestination, logger: Logger) throws(InstrumentationError) {
        self.destination = destination
        self.logger = logger
        guard case .udp(let host, let port) = destination else {
            udpAddress = nil
            return
        }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let info = result else {
            throw .unresolvableHost(host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        udpAddress = Data(bytes: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        state.withLock { $0.socket = descriptor }
    }

    deinit {
        state.withLock { if $0.socket >= 0 { close($0.socket) } }
    }

    /// Sends one datagram, or drops it.
    func send(_ datagram: String) {
        var text = datagram
        let failure: String? = state.withLock { state in
            if state.socket < 0, case .unixSocket(let path) = destination {
                state.socket = Self.connectedUnixSocket(path)
            }
            guard state.socket >= 0 else {
                return report(failing: true, in: &state, reason: String(cString: strerror(errno)))
            }
            let sent = text.withUTF8 { bytes in
                if let udpAddress {
                    return udpAddress.withUnsafeBytes { raw in
                        sendto(
                            state.socket, bytes.baseAddress, bytes.count, 0,
                            raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
                    }
                }
                return Glibc.send(state.socket, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            }
            guard sent < 0 else { return report(failing: false, in: &state, reason: "") }
            let error = errno
            // A full socket buffer drops the datagram; anything else means the agent went away.
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            if udpAddress == nil {
                close(state.socket)
                state.socket = -1
            }
            return report(failing: true, in: &state, reason: String(cString: strerror(error)))
        }
        if let failure { logger.warning("\(failure)") }
    }

    /// What to log when sending starts failing; nothing while it keeps failing or succeeds.
    private func report(failing: Bool, in state: inout State, reason: String) -> String? {
        defer { state.isFailing = failing }
        guard failing, !state.isFailing else { return nil }
        let target =
            switch destination {
            case .udp(let host, let port): "\(host):\(port)"
            case .unixSocket(let path): path
            }
        return "cannot send metrics to the Datadog agent at \(target): \(reason) (dropping them until it answers)"
    }

    private static func connectedUnixSocket(_ path: String) -> Int32 {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let bytes = Array(path.utf8)
            guard bytes.count < buffer.count else { return false }
            buffer.copyBytes(from: bytes)
            return true
        }
        guard fits else {
            close(descriptor)
            errno = ENAMETOOLONG
            return -1
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            close(descriptor)
            errno = error
            return -1
        }
        return descriptor
    }
}
