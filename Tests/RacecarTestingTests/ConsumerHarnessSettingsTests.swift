import RacecarSDK
import RacecarTesting
import Testing

/// Settings (`ReadsSettings`) and bytes produced, through the harness as through the host.
@Suite struct ConsumerHarnessSettingsTests {
    final class ThrottledForwarder: Consumer, ReadsSettings {
        struct Settings: Decodable {
            var outputTopic: String
            var maxPerSecond: Int
            var dryRun: Bool?
            var regions: [String]?
        }

        static let subscriptions = [Subscription("events")]
        static let settingDeclarations: [SettingDeclaration] = [
            .required("output_topic", "where messages are forwarded"),
            .optional("max_per_second"),
            .secret("api_token", isRequired: false),
        ]
        let settings: Settings

        init(settings: Settings) throws {
            self.settings = settings
        }

        func process(_ message: Message) throws {
            try produce(
                bytes: [0xFF] + Array(message.valueBytes ?? UnsafeRawBufferPointer(start: nil, count: 0)),
                topic: settings.outputTopic, key: [0x00, 0x01], headers: [("raw", [0xC0, 0x00]), ("none", nil)])
        }
    }

    @Test func settingsAreDecodedSnakeCaseToCamelCase() throws {
        let harness = try ConsumerHarness(
            ThrottledForwarder.self,
            settings: ["output_topic": "forwarded", "max_per_second": 50, "regions": ["eu", "us"]])
        #expect(harness.consumer.settings.outputTopic == "forwarded")
        #expect(harness.consumer.settings.maxPerSecond == 50)
        #expect(harness.consumer.settings.dryRun == nil)
        #expect(harness.consumer.settings.regions == ["eu", "us"])
    }

    @Test func aMissingRequiredSettingIsRefusedAsByTheHost() throws {
        #expect {
            try ConsumerHarness(ThrottledForwarder.self, settings: ["max_per_second": 1])
        } throws: { error in
            "\(error)" == "ThrottledForwarder requires setting `output_topic`: pass it in the harness's settings"
        }
    }

    @Test func aSettingOfTheWrongTypeNamesTheSettingAsWritten() throws {
        #expect {
            try ConsumerHarness(ThrottledForwarder.self, settings: ["output_topic": "x", "max_per_second": "fast"])
        } throws: { error in
            (error as? SettingsError)?.description.hasPrefix(
                "setting `max_per_second` of ThrottledForwarder has the wrong type: expected a whole number") == true
        }
    }

    @Test func anUndeclaredButNeededFieldIsNamedToo() throws {
        #expect {
            try ConsumerHarness(ThrottledForwarder.self, settings: ["output_topic": "x"])
        } throws: { error in
            (error as? SettingsError)?.description.hasPrefix(
                "ThrottledForwarder requires setting `max_per_second`, which is not set") == true
        }
    }

    @Test func bytesAreProducedExactly() throws {
        let harness = try ConsumerHarness(
            ThrottledForwarder.self, settings: ["output_topic": "forwarded", "max_per_second": 5])
        try harness.process(TestMessage(topic: "events", value: "hi"))
        let produced = try #require(harness.produced.first)
        #expect(produced.topic == "forwarded")
        #expect(produced.valueBytes == [0xFF, 0x68, 0x69])
        #expect(produced.keyBytes == [0x00, 0x01])
        #expect(produced.headerBytes.map(\.name) == ["raw", "none"])
        #expect(produced.headerBytes.map(\.value) == [[0xC0, 0x00], nil])
    }
}
