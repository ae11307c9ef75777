import RacecarOperations
import RacecarSDK
import Testing

@Suite struct BuildInfoTests {
    @Test func theSDKVersionTheHostReportsIsTheSDKs() {
        #expect(BuildInfo.sdkVersion == RacecarPlugin.sdkVersion)
    }
}
