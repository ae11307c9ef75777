/// A swift-metrics handler of the DogStatsD backend: it aggregates in memory what is recorded,
/// and the factory's flush turns that into DogStatsD lines.
protocol DogStatsDHandler: AnyObject, Sendable {
    /// Appends the lines for what was recorded since the last call, each at most `lineLimit` bytes.
    func drain(into lines: inout [String], lineLimit: Int)
}

/// A value as DogStatsD reads it: whole numbers without a fraction, others in Swift's shortest
/// exact form (`0.0123`, `1.5e-05`), which the agent's float parser accepts.
func dogStatsDValue(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}
