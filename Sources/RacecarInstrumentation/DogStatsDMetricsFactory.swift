import CoreMetrics
import Foundation
import Synchronization

/// A swift-metrics backend that sends DogStatsD datagrams over UDP to a Datadog agent
/// (`datadog_enabled`, `datadog_host`, `datadog_port`, `datadog_namespace`, `datadog_tags`).
///
/// Handlers aggregate in memory (an atomic add for counters) and ``flush()``, called once per
/// interval by the host's metrics service, sends what changed, so recording costs the hot
/// path next to nothing.
package final class DogStatsDMetricsFactory: MetricsFactory, Sendable {
    private let namespace: String
    private let globalTags: [String]
    private let socket: Int32
    private let address: Data
    private let handlers = Mutex<[any DogStatsDHandler]>([])

    /// Opens the UDP socket.
    ///
    /// - Throws: ``InstrumentationError/unresolvableHost(_:reason:)`` when `host` does not resolve.
    package init(host: String, port: Int, namespace: String, tags: [String]) throws(InstrumentationError) {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let info = result else {
            throw .unresolvableHost(host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        address = Data(bytes: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen))
        socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.namespace = namespace.isEmpty ? "" : namespace + "."
        self.globalTags = tags
    }

    /// Sends everything recorded since the last flush.
    package func flush() {
        let lines = handlers.withLock { $0.flatMap { $0.drain() } }
        var datagram = ""
        for line in lines {
            // Stay under a typical MTU: one datagram per about 1,400 bytes of lines.
            if !datagram.isEmpty, datagram.utf8.count + line.utf8.count + 1 > 1400 {
                send(datagram)
                datagram = ""
            }
            datagram += datagram.isEmpty ? line : "\n" + line
        }
        if !datagram.isEmpty { send(datagram) }
    }

    private func send(_ datagram: String) {
        var text = datagram
        text.withUTF8 { bytes in
            address.withUnsafeBytes { raw in
                _ = sendto(
                    socket, bytes.baseAddress, bytes.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                    socklen_t(raw.count))
            }
        }
    }

    private func register<Handler: DogStatsDHandler>(_ handler: Handler) -> Handler {
        handlers.withLock { $0.append(handler) }
        return handler
    }

    private func name(_ label: String, _ dimensions: [(String, String)]) -> (String, String) {
        let tags = globalTags + dimensions.map { "\($0.0):\($0.1)" }
        return (namespace + label, tags.isEmpty ? "" : "|#" + tags.joined(separator: ","))
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        let (name, tags) = name(label, dimensions)
        return register(DogStatsDCounter(name: name, tags: tags))
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        let (name, tags) = name(label, dimensions)
        return register(DogStatsDDistribution(name: name, tags: tags, isGauge: !aggregate, scale: 1))
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        let (name, tags) = name(label, dimensions)
        return register(DogStatsDDistribution(name: name, tags: tags, isGauge: true, scale: 1))
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        let (name, tags) = name(label, dimensions)
        // Datadog expects milliseconds.
        return register(DogStatsDDistribution(name: name, tags: tags, isGauge: false, scale: 1e-6))
    }

    package func destroyCounter(_ handler: CounterHandler) { unregister(handler) }
    package func destroyRecorder(_ handler: RecorderHandler) { unregister(handler) }
    package func destroyMeter(_ handler: MeterHandler) { unregister(handler) }
    package func destroyTimer(_ handler: TimerHandler) { unregister(handler) }

    private func unregister(_ handler: AnyObject) {
        handlers.withLock { $0.removeAll { $0 === handler } }
    }
}

/// A handler that turns what it recorded since the last call into DogStatsD lines.
private protocol DogStatsDHandler: AnyObject, Sendable {
    func drain() -> [String]
}

private final class DogStatsDCounter: CounterHandler, DogStatsDHandler {
    let name: String
    let tags: String
    private let delta = Atomic<Int64>(0)

    init(name: String, tags: String) {
        self.name = name
        self.tags = tags
    }

    func increment(by amount: Int64) { delta.add(amount, ordering: .relaxed) }
    func reset() { delta.store(0, ordering: .relaxed) }

    func drain() -> [String] {
        let value = delta.exchange(0, ordering: .relaxed)
        return value == 0 ? [] : ["\(name):\(value)|c\(tags)"]
    }
}

/// Gauges send their last value; distributions (recorders, timers) send count, average and
/// maximum per interval.
private final class DogStatsDDistribution: RecorderHandler, MeterHandler, TimerHandler, DogStatsDHandler {
    private struct Window {
        var count = 0
        var sum = 0.0
        var maximum = -Double.infinity
        var last: Double?
    }

    let name: String
    let tags: String
    let isGauge: Bool
    let scale: Double
    private let window = Mutex(Window())

    init(name: String, tags: String, isGauge: Bool, scale: Double) {
        self.name = name
        self.tags = tags
        self.isGauge = isGauge
        self.scale = scale
    }

    func record(_ value: Int64) { record(Double(value)) }

    func record(_ value: Double) {
        let scaled = value * scale
        window.withLock { window in
            window.count += 1
            window.sum += scaled
            window.maximum = max(window.maximum, scaled)
            window.last = scaled
        }
    }

    func set(_ value: Int64) { record(Double(value)) }
    func set(_ value: Double) { record(value) }
    func increment(by amount: Double) { window.withLock { $0.last = ($0.last ?? 0) + amount * scale } }
    func decrement(by amount: Double) { increment(by: -amount) }
    func recordNanoseconds(_ duration: Int64) { record(Double(duration)) }

    func drain() -> [String] {
        window.withLock { window in
            defer {
                let last = window.last
                window = Window()
                if isGauge { window.last = last }
            }
            if isGauge {
                return window.last.map { ["\(name):\(format($0))|g\(tags)"] } ?? []
            }
            guard window.count > 0 else { return [] }
            return [
                "\(name).count:\(window.count)|c\(tags)",
                "\(name).avg:\(format(window.sum / Double(window.count)))|g\(tags)",
                "\(name).max:\(format(window.maximum))|g\(tags)",
            ]
        }
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
