import Foundation

/// Relays connections to a fixed port on 127.0.0.1 to one broker of the mock cluster, whose
/// own ports change on every start: clients bootstrap through it, then reach every broker at
/// the addresses the cluster advertises.
final class BootstrapForwarder: @unchecked Sendable {
    /// Why the port cannot be served.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let listener: Int32
    private let target: sockaddr_in

    /// Listens on 127.0.0.1:`port` for connections to relay to `broker` (`127.0.0.1:PORT`).
    init(port: Int, broker: String) throws(Failure) {
        guard let colon = broker.lastIndex(of: ":"), let targetPort = UInt16(broker[broker.index(after: colon)...])
        else {
            throw Failure(description: "cannot relay to broker address \(broker)")
        }
        target = Self.loopback(port: targetPort)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: UInt16(clamping: port))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(listener)
            throw Failure(
                description: "cannot listen on 127.0.0.1:\(port): \(reason) (is another broker running there?)")
        }
    }

    /// Accepts connections on a thread of its own until the process exits.
    func start() {
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                relay(client)
            }
        }
    }

    private func relay(_ client: Int32) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = target
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(client)
            close(upstream)
            return
        }
        Thread.detachNewThread { Self.copy(from: client, to: upstream) }
        Thread.detachNewThread { Self.copy(from: upstream, to: client) }
    }

    /// Copies bytes until `source` ends, then ends the other direction too.
    private static func copy(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(source, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            var sent = 0
            while sent < count {
                let written = buffer[sent..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                guard written > 0 else { break }
                sent += written
            }
            guard sent == count else { break }
        }
        // The reading thread of the other direction sees end-of-file and closes its side.
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }
}
