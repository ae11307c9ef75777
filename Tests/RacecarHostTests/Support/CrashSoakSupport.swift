import Foundation
import RacecarKafka

/// The positions a supervisor's log declares poison: its `<position> crashed <consumer> <n> times
/// (max_crashes <m>): it is not processed again` lines.
func poisonedPositions(in log: String) -> Set<ProcessedLine> {
    var positions: Set<ProcessedLine> = []
    for line in log.split(separator: "\n") where line.contains(": it is not processed again") {
        guard let crashed = line.range(of: " crashed ") else { continue }
        let before = line[..<crashed.lowerBound]
        let word = before.split(separator: " ").last.map(String.init) ?? ""
        if let position = ProcessedLine(word) { positions.insert(position) }
    }
    return positions
}
