import Foundation
import RacecarConfiguration
import RacecarEndpoint
import RacecarInstrumentation
import Synchronization
import Testing

/// The endpoint's routes, health rules and Prometheus merge as pure logic; the end-to-end
/// tests (EndpointTests) run them in the real binary.
@Suite struct EndpointRoutesTests {
    /// Answers with fixed verdicts and records the control requests it was given.
    final class FixedSource: EndpointSource {
        let live: HealthVerdict
        let controls = Mutex<[ControlRequest]>([])

        init(live: HealthVerdict = .healthy(note: nil)) { self.live = live }

        func liveness() -> HealthVerdict { live }
        func readiness() -> HealthVerdict { .failing(reason: "joining") }
        func statusJSON() -> Data { Data("{}".utf8) }
        func metricsText() -> String { "" }
        func control(_ request: ControlRequest) -> String {
            controls.withLock { $0.append(request) }
            return "queued"
        }
    }

    func object(_ response: EndpointResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
    }

    @Test func probesAnswer200Or503WithTheReason() async throws {
        let routes = EndpointRoutes(source: FixedSource(live: .failing(reason: "stuck")), token: nil)
        let live = await routes.respond(to: EndpointRequest(method: "GET", path: "/health/live", authorization: nil))
        #expect(live.status == 503)
        #expect(try object(live)["reason"] as? String == "stuck")
        let ready = await routes.respond(to: EndpointRequest(method: "GET", path: "/health/ready", authorization: nil))
        #expect(ready.status == 503)
    }

    @Test func controlIsRefusedWithoutAConfiguredToken() async throws {
        let source = FixedSource()
        let routes = EndpointRoutes(source: source, token: nil)
        let response = await routes.respond(
            to: EndpointRequest(
                method: "POST", path: "/control/pause", authorization: "Bearer anything",
                body: Data(#"{"topic":"events","partition":0}"#.utf8)))
        #expect(response.status == 403)
        #expect((try object(response)["error"] as? String)?.contains("set http_control_token") == true)
        #expect(source.controls.withLock { $0 }.isEmpty)
    }

    @Test func aValidControlRequestReachesTheSource() async throws {
        let source = FixedSource()
        let routes = EndpointRoutes(source: source, token: "secret")
        let response = await routes.respond(
            to: EndpointRequest(
                method: "POST", path: "/control/resume", authorization: "Bearer secret",
                body: Data(#"{"topic":"events","partition":3}"#.utf8)))
        #expect(response.status == 202)
        #expect(
            source.controls.withLock { $0 }
                == [ControlRequest(action: .resume, partition: TopicPartition(topic: "events", partition: 3))])
        let negative = await routes.respond(
            to: EndpointRequest(
                method: "POST", path: "/control/pause", authorization: "Bearer secret",
                body: Data(#"{"topic":"events","partition":-1}"#.utf8)))
        #expect(negative.status == 400)
    }

    @Test func reloadAnswers501UntilTheCompositionSuppliesOne() async throws {
        let request = EndpointRequest(method: "POST", path: "/control/reload", authorization: "Bearer secret")
        let without = await EndpointRoutes(source: FixedSource(), token: "secret").respond(to: request)
        #expect(without.status == 501)
        let with = await EndpointRoutes(source: FixedSource(), token: "secret", reload: { "reloaded v2" })
            .respond(to: request)
        #expect(with.status == 202)
        #expect(try object(with)["result"] as? String == "reloaded v2")
    }

    @Test func unknownRoutesAndWrongMethodsAreJSONErrors() async throws {
        let routes = EndpointRoutes(source: FixedSource(), token: "secret")
        let unknown = await routes.respond(to: EndpointRequest(method: "GET", path: "/nope", authorization: nil))
        #expect(unknown.status == 404 && unknown.contentType == "application/json")
        let wrong = await routes.respond(to: EndpointRequest(method: "GET", path: "/control/pause", authorization: nil))
        #expect(wrong.status == 405)
    }

    func status(membership: HostStatus.Membership, since: Double, lastPoll: Double, callSince: Double? = nil)
        -> HostStatus
    {
        HostStatus(
            consumer: "C", plugin: .init(path: "lib.so", abiVersion: "1.2", sdkVersion: "0.2.0"), groupID: "g",
            memberID: nil, membership: membership, membershipSince: since, lastPollAt: lastPoll,
            callInFlight: callSince.map { .init(instance: 1, since: $0) }, partitions: [], pid: 1, workerSlot: nil)
    }

    @Test func healthRulesFollowTheLimits() {
        let limits = HealthLimits(maxPollInterval: 5, maxCallDuration: 30, maxJoinDuration: 60)
        let now = 1000.0
        #expect(HealthCheck.liveness(nil, now: now, limits: limits).isHealthy, "starting")
        #expect(
            HealthCheck.liveness(status(membership: .assigned, since: 0, lastPoll: 996), now: now, limits: limits)
                .isHealthy)
        #expect(
            !HealthCheck.liveness(status(membership: .assigned, since: 0, lastPoll: 994), now: now, limits: limits)
                .isHealthy)
        #expect(
            !HealthCheck.liveness(
                status(membership: .assigned, since: 0, lastPoll: now, callSince: 969), now: now, limits: limits
            ).isHealthy)
        #expect(!HealthCheck.readiness(nil, now: now, limits: limits).isHealthy)
        #expect(
            !HealthCheck.readiness(status(membership: .joining, since: 999, lastPoll: now), now: now, limits: limits)
                .isHealthy)
        #expect(
            HealthCheck.readiness(status(membership: .rebalancing, since: 950, lastPoll: now), now: now, limits: limits)
                .isHealthy)
        let stuck = HealthCheck.readiness(
            status(membership: .rebalancing, since: 900, lastPoll: now), now: now, limits: limits)
        #expect(
            stuck
                == .failing(
                    reason: "without an assignment from group g for 100 s (readiness_probe_max_join_duration 60 s)"))
        #expect(
            HealthCheck.combine([(0, .healthy(note: nil)), (1, .failing(reason: "stuck"))])
                == .failing(reason: "worker 1: stuck"))
    }

    @Test func mergedMetricsKeepOneTypeLinePerFamilyAndLabelEachWorker() {
        let worker = """
            # TYPE consumer_messages counter
            consumer_messages{topic="events"} 3
            # TYPE up gauge
            up 1

            """
        let merged = PrometheusText.merge([(0, worker), (1, worker.replacingOccurrences(of: "} 3", with: "} 4"))])
        #expect(
            merged == """
                # TYPE consumer_messages counter
                consumer_messages{worker="0",topic="events"} 3
                consumer_messages{worker="1",topic="events"} 4
                # TYPE up gauge
                up{worker="0"} 1
                up{worker="1"} 1

                """)
    }

    @Test func loopbackAddressesAreTheOnlyOnesThatNeedNoToken() {
        #expect(["127.0.0.1", "127.1.2.3", "localhost", "::1"].allSatisfy(RacecarConfig.isLoopback))
        #expect(!["0.0.0.0", "10.0.0.1", "::", "127.0.0", "example.com"].contains(where: RacecarConfig.isLoopback))
    }
}
