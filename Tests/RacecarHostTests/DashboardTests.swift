import Foundation
import Testing

/// `examples/datadog-dashboard.json` is a Datadog dashboard that queries only metrics the host
/// sends, as the README's list of metrics names and types them.
@Suite struct DashboardTests {
    /// The README's metrics: name to DogStatsD type (count, gauge, histogram, timing).
    func documentedMetrics() throws -> [String: String] {
        let readme = try String(contentsOf: TestPaths.repository.appendingPathComponent("README.md"), encoding: .utf8)
        var metrics: [String: String] = [:]
        for row in readme.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, ["count", "gauge", "histogram", "timing"].contains(cells[1]) else { continue }
            metrics[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[1]
        }
        return metrics
    }

    /// Every `q` of every widget, groups included.
    func queries(in widgets: [[String: Any]]) -> [String] {
        widgets.flatMap { widget -> [String] in
            guard let definition = widget["definition"] as? [String: Any] else { return [] }
            let own = (definition["requests"] as? [[String: Any]] ?? []).compactMap { $0["q"] as? String }
            return own + queries(in: definition["widgets"] as? [[String: Any]] ?? [])
        }
    }

    @Test func theDashboardQueriesTheDocumentedMetrics() throws {
        let metrics = try documentedMetrics()
        #expect(metrics.count >= 25, "\(metrics)")
        let url = TestPaths.repository.appendingPathComponent("examples/datadog-dashboard.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect(dashboard["title"] is String)
        #expect(dashboard["layout_type"] as? String == "ordered")
        let widgets = try #require(dashboard["widgets"] as? [[String: Any]])
        let all = queries(in: widgets)
        #expect(all.count >= 20)
        let reference = try NSRegularExpression(pattern: #"racecar\.([a-z0-9_.]+)\{"#)
        var used: Set<String> = []
        for query in all {
            let matches = reference.matches(in: query, range: NSRange(query.startIndex..., in: query))
            #expect(!matches.isEmpty, "\(query)")
            for match in matches {
                var name = String(query[Range(match.range(at: 1), in: query)!])
                var aggregate: String?
                for suffix in [".avg", ".median", ".max", ".95percentile", ".count"] where name.hasSuffix(suffix) {
                    if metrics[name] == nil {
                        aggregate = suffix
                        name = String(name.dropLast(suffix.count))
                    }
                }
                if name.hasPrefix("consumer.poll.rdkafka_error.") { name = "consumer.poll.rdkafka_error.<code>" }
                let type = metrics[name]
                #expect(type != nil, "\(query): \(name) is not a metric the host sends")
                if aggregate != nil {
                    #expect(type == "histogram" || type == "timing", "\(query): only distributions have \(aggregate!)")
                }
                used.insert(name)
            }
        }
        #expect(used.count >= 20, "the dashboard covers most metrics: \(used.sorted())")
    }
}
