import Foundation
import RacecarSDK

/// Marks users as banned when a `user_banned` event arrives.
final class UserBanConsumer: Consumer {
    static let subscriptions = [Subscription("user_banned")]

    struct MalformedEvent: Error, CustomStringConvertible {
        let description: String
    }

    func process(_ message: Message) throws {
        guard let bytes = message.valueBytes,
            let event = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let userID = event["user_id"]
        else {
            throw MalformedEvent(description: "expected {\"user_id\": ...} at offset \(message.offset)")
        }
        log("banning user \(userID)")
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(UserBanConsumer.self) }
