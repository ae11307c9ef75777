import Foundation
import RacecarOperations
import RacecarSDK
import Testing

@Suite struct BuildInfoTests {
    @Test func theSDKVersionTheHostReportsIsTheSDKs() {
        #expect(BuildInfo.sdkVersion == RacecarPlugin.sdkVersion)
    }

    /// FoundationNetworking brings libcurl and its chain (TLS, Kerberos, LDAP, SSH): 3.6 MB of
    /// an idle host's resident memory, in every host process, worker and racecarctl, for code
    /// none of them calls. The HTTP endpoint is swift-nio, which needs neither.
    @Test(arguments: [TestPaths.host, TestPaths.racecarctl])
    func theBinaryLoadsNeitherFoundationNetworkingNorLibcurl(_ binary: String) async throws {
        let ldd = try await PackageBuild.run("/usr/bin/ldd", [binary], in: TestPaths.products)
        try #require(ldd.status == 0, "\(ldd.output)")
        #expect(ldd.output.contains("libFoundation.so"), "ldd lists the libraries: \(ldd.output)")
        let unwanted = ldd.output.split(separator: "\n").filter {
            $0.contains("libFoundationNetworking") || $0.contains("libcurl")
        }
        #expect(unwanted.isEmpty, "\(binary) links \(unwanted.joined(separator: "; "))")
    }
}
