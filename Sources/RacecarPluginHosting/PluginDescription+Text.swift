import RacecarConfiguration

extension PluginDescription {
    /// The description as `racecar-host inspect` prints it: the plugin, then each consumer,
    /// labelled with the racecar.yml keys that override its defaults.
    package var text: String {
        var lines = ["plugin \(path)"]
        lines.append(
            row("abi", "\(abiMajor).\(abiMinor) (this host speaks \(PluginLoader.abiMajor).\(PluginLoader.abiMinor))"))
        lines.append(row("sdk_version", sdkVersion ?? "(none)"))
        lines.append(row("toolchain", toolchain ?? "(none)"))
        if let toolchainWarning { lines.append(row("warning", toolchainWarning)) }
        if consumers.isEmpty { lines.append(row("consumers", "(none)")) }
        let hostDefaults = RacecarConfig()
        for consumer in consumers {
            lines.append("")
            lines.append("consumer \(consumer.name)")
            if consumer.subscriptions.isEmpty { lines.append(row("subscription", "(none: set subscribes_to)")) }
            for subscription in consumer.subscriptions {
                let properties =
                    subscription.kafkaProperties.isEmpty
                    ? "" : "; librdkafka \(subscription.kafkaProperties.joined(separator: ", "))"
                lines.append(
                    row(
                        "subscription",
                        "\(subscription.topic) (start_from_beginning \(subscription.startFromBeginning)\(properties))"))
            }
            lines.append(
                row(
                    "group_id",
                    consumer.groupID + (consumer.groupIDIsDerived ? " (derived from the consumer name)" : "")))
            lines.append(
                row(
                    "fetch_messages",
                    consumer.fetchMessages.map(String.init) ?? "\(hostDefaults.fetchMessages) (the host's default)"))
            lines.append(
                row(
                    "max_wait_time",
                    consumer.maxWaitTime.map { "\(formatSeconds($0)) s" }
                        ?? "\(formatSeconds(hostDefaults.maxWaitTime)) s (the host's default)"))
            lines.append(row("batch", consumer.isBatch ? "yes (process_batch)" : "no (process)"))
            lines.append(row("flags", list(consumer.flags)))
            lines.append(row("hooks", list(consumer.hooks.map(\.rawValue))))
            if consumer.settings.isEmpty { lines.append(row("settings", "(none)")) }
            for setting in consumer.settings {
                let marks = [setting.isRequired ? "required" : nil, setting.isSecret ? "secret" : nil].compactMap { $0 }
                let detail = marks.isEmpty ? "" : " (\(marks.joined(separator: ", ")))"
                lines.append(row("setting", setting.name + detail + (setting.description.map { ": \($0)" } ?? "")))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func row(_ label: String, _ value: String) -> String {
        "  " + label.padding(toLength: 16, withPad: " ", startingAt: 0) + value
    }

    private func list(_ names: [String]) -> String {
        names.isEmpty ? "(none)" : names.joined(separator: ", ")
    }
}
