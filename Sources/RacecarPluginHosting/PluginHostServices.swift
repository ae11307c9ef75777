/// What the host does for a consumer instance when its plugin calls the host API: the
/// runtime's side of `produce` and `deliver`, behind the plugin ABI's C functions.
package protocol PluginHostServices: AnyObject, Sendable {
    /// Enqueues a message the plugin produced.
    ///
    /// - Throws: Why it was refused; its description is what the plugin reads.
    func produce(_ request: ProduceRequest) throws
    /// Waits until everything the instance produced is acknowledged.
    ///
    /// - Throws: The first delivery failure; its description is what the plugin reads.
    func deliver() throws
}
