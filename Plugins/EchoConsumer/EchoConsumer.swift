import RacecarSDK

#if canImport(Glibc)
    import Glibc
#endif

/// Prints one line per message to standard output: `<topic>/<partition>@<offset> <key> <value>`,
/// followed by ` <name>=<value>` for each header the message has.
///
/// The quickest way to see racecar-host work: run it against the `events` topic.
final class EchoConsumer: Consumer {
    static let subscriptions = [Subscription("events")]

    func process(_ message: Message) throws {
        let headers = message.headers.map { " \($0.name)=\($0.value ?? "")" }.joined()
        print(
            "\(message.topic)/\(message.partition)@\(message.offset) \(message.key ?? "") \(message.value ?? "")\(headers)"
        )
        // Flushed per line so that a pipe or a supervisor sees each message as it is processed.
        fflush(nil)
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(EchoConsumer.self) }
