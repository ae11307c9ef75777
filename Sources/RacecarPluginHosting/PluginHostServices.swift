/// What the host does for a consumer instance when its plugin calls the host API: the
/// runtime's side of `produce` and `deliver`, behind the plugin ABI's C functions.
package protocol PluginHostServices: AnyObject, Sendable {
    /// Enqueues a message the plugin produced; returns why it was refused, if it was.
    func produce(_ request: ProduceRequest) -> String?
    /// Waits until everything the instance produced is acknowledged; returns the first
    /// failure, if any.
    func deliver() -> String?
}
