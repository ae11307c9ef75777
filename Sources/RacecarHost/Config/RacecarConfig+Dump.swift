import Foundation

extension RacecarConfig {
    /// Every key with its effective value and where it came from, one per line.
    public func dump(consumer: String) -> String {
        let width = ConfigKey.all.map(\.name.count).max() ?? 0
        var text = "effective configuration for \(consumer):\n"
        for key in ConfigKey.all {
            let padded = key.name.padding(toLength: width, withPad: " ", startingAt: 0)
            text += "  \(padded)  \(key.render(self))  (\(sources[key.name] ?? .builtInDefault))\n"
        }
        return text
    }
}
