/// The mapping from racecar-host's keys to librdkafka properties (the README's table mirrors it).
extension RacecarConfig {
    private func milliseconds(_ seconds: Double) -> String { String(Int((seconds * 1000).rounded())) }

    /// Properties for the consumer of group `groupID`.
    func consumerConfiguration(groupID: String) -> KafkaConfiguration {
        var configuration = KafkaConfiguration()
        configuration["bootstrap.servers"] = brokers.joined(separator: ",")
        configuration["client.id"] = clientID
        configuration["group.id"] = groupID
        // Offsets are stored by the host only after processing succeeded, and committed in the
        // background every offset_commit_interval (plus on revocation and shutdown).
        configuration["enable.auto.offset.store"] = "false"
        configuration["enable.auto.commit"] = "true"
        configuration["auto.commit.interval.ms"] = milliseconds(offsetCommitInterval)
        configuration["session.timeout.ms"] = milliseconds(sessionTimeout)
        configuration["heartbeat.interval.ms"] = milliseconds(heartbeatInterval)
        configuration["max.poll.interval.ms"] = milliseconds(maxPollInterval)
        configuration["socket.timeout.ms"] = milliseconds(socketTimeout)
        configuration["fetch.wait.max.ms"] = milliseconds(maxWaitTime)
        return configuration
    }

    /// Properties for the producer behind `produce`.
    func producerConfiguration() -> KafkaConfiguration {
        var configuration = KafkaConfiguration()
        configuration["bootstrap.servers"] = brokers.joined(separator: ",")
        configuration["client.id"] = clientID
        configuration["message.timeout.ms"] = milliseconds(messageTimeout)
        configuration["socket.timeout.ms"] = milliseconds(socketTimeout)
        return configuration
    }
}
