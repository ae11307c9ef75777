import Foundation
import Testing

@testable import RacecarConfiguration
@testable import RacecarKafka
@testable import RacecarPluginHosting
@testable import RacecarRuntime

/// The README's configuration table stays in step with the code's single table of keys.
@Suite struct ReadmeTests {
    @Test func everyKeyAndItsLibrdkafkaPropertyIsDocumented() throws {
        let readme = try String(contentsOf: TestPaths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| ") }
        for key in ConfigKey.all {
            let row = rows.first { $0.hasPrefix("| \(key.name) |") }
            #expect(row != nil, "README has no row for \(key.name)")
            for property in key.kafka {
                #expect(row?.contains(property.name) == true, "README row for \(key.name) lacks \(property.name)")
            }
        }
    }
}
