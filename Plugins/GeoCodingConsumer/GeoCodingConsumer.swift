import Foundation
import RacecarSDK

/// Enriches page views with a country and produces them to `pageviews-with-country`, like
/// the Racecar README's GeoCodingConsumer.
///
/// Input values are JSON objects with `id` and `ip_address`; the output adds `country`.
final class GeoCodingConsumer: Consumer {
    static let subscriptions = [Subscription("pageviews")]

    struct InvalidPageView: Error, CustomStringConvertible {
        let description: String
    }

    func process(_ message: Message) throws {
        guard let data = message.valueBytes.map({ Data($0) }),
            var pageView = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let ipAddress = pageView["ip_address"] as? String
        else {
            throw InvalidPageView(
                description: "page view at \(message.topic)/\(message.partition)@\(message.offset) has no ip_address")
        }
        pageView["country"] = Self.country(of: ipAddress)
        let output = try JSONSerialization.data(withJSONObject: pageView, options: .sortedKeys)
        try produce(
            String(decoding: output, as: UTF8.self), topic: "pageviews-with-country",
            key: pageView["id"].map { "\($0)" })
    }

    /// A stand-in for a real GeoIP lookup: decides by the first octet.
    static func country(of ipAddress: String) -> String {
        let firstOctet = Int(ipAddress.split(separator: ".").first ?? "") ?? 0
        switch firstOctet {
        case 0..<64: return "DK"
        case 64..<128: return "US"
        case 128..<192: return "BR"
        default: return "JP"
        }
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(GeoCodingConsumer.self) }
