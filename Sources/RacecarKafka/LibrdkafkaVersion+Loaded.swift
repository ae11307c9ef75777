import CRdKafka
import RacecarConfiguration

extension LibrdkafkaVersion {
    /// The librdkafka this process loaded (which `LD_LIBRARY_PATH` may have chosen), not the
    /// one whose headers it was built against.
    package static let loaded: LibrdkafkaVersion = {
        // 0xMMmmrrxx: major, minor, revision, pre-release.
        let packed = Int(rd_kafka_version())
        return LibrdkafkaVersion((packed >> 24) & 0xff, (packed >> 16) & 0xff, (packed >> 8) & 0xff)
    }()

    /// librdkafka's own version text, e.g. `2.0.2`.
    package static var loadedText: String { String(cString: rd_kafka_version_str()) }
}
