/// Merges the Prometheus text of several workers into one document: each sample gains a
/// `worker` label, and each metric family keeps one `# TYPE` and `# HELP` line.
package enum PrometheusText {
    /// - Parameter documents: Each worker's slot and its `/metrics` text.
    package static func merge(_ documents: [(worker: Int, text: String)]) -> String {
        var order: [String] = []
        var headers: [String: [String]] = [:]
        var samples: [String: [String]] = [:]
        for (worker, text) in documents {
            var family = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("#") {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    guard parts.count >= 3, parts[1] == "TYPE" || parts[1] == "HELP" else { continue }
                    family = String(parts[2])
                    if headers[family] == nil {
                        order.append(family)
                        headers[family] = []
                    }
                    if !headers[family]!.contains(String(line)) { headers[family]!.append(String(line)) }
                    continue
                }
                if headers[family] == nil {
                    // A sample without a TYPE line names its own family.
                    family = String(line.prefix { $0 != "{" && $0 != " " })
                    order.append(family)
                    headers[family] = []
                }
                samples[family, default: []].append(labelled(line, worker: worker))
            }
        }
        var merged = ""
        for family in order {
            for header in headers[family] ?? [] { merged += header + "\n" }
            for sample in samples[family] ?? [] { merged += sample + "\n" }
        }
        return merged
    }

    /// `name{a="1"} 5` becomes `name{worker="0",a="1"} 5`; `name 5`, `name{worker="0"} 5`.
    private static func labelled(_ line: Substring, worker: Int) -> String {
        let label = #"worker="\#(worker)""#
        if let brace = line.firstIndex(of: "{") {
            let rest = line[line.index(after: brace)...]
            return "\(line[..<brace]){\(label)\(rest.hasPrefix("}") ? "" : ",")\(rest)"
        }
        guard let space = line.firstIndex(of: " ") else { return String(line) }
        return "\(line[..<space]){\(label)}\(line[space...])"
    }
}
