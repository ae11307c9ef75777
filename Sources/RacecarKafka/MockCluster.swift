import CRdKafka
import Foundation

/// librdkafka's built-in mock Kafka cluster: real Kafka protocol over TCP on 127.0.0.1, in
/// this process. For development (`racecar-host mock-cluster`) and tests; not for production.
package final class MockCluster: @unchecked Sendable {
    /// The client that owns the cluster.
    private let client: OpaquePointer
    /// The `rd_kafka_mock_cluster_t`, for fault injection through rdkafka_mock.h.
    package let cluster: OpaquePointer

    /// Starts a cluster of `brokers` brokers.
    package init(brokers: Int = 1) throws(KafkaError) {
        var configuration = KafkaConfiguration()
        configuration.set("test.mock.num.brokers", String(brokers))
        configuration.set("log_level", "3")
        // A broker set up again is reachable at once; the default backoff of up to 10 s would
        // leave what the cluster's own client produced waiting that long.
        configuration.set("reconnect.backoff.max.ms", "1000")
        let conf = try configuration.makeConf()
        var errorText = [CChar](repeating: 0, count: 512)
        guard let client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw .operationFailed(operation: "starting the mock cluster", message: String(nulTerminated: errorText))
        }
        guard let cluster = rd_kafka_handle_mock_cluster(client) else {
            rd_kafka_destroy(client)
            throw .operationFailed(
                operation: "starting the mock cluster", message: "librdkafka has no mock cluster support")
        }
        self.client = client
        self.cluster = cluster
    }

    deinit {
        rd_kafka_destroy(client)
    }

    /// The `host:port,...` list to give clients as `brokers`.
    package var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates `topic` with `partitions` partitions.
    package func createTopic(_ topic: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let error = rd_kafka_mock_topic_create(cluster, topic, Int32(partitions), Int32(replicationFactor))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .failed("creating topic \(topic)", error)
        }
    }
}

extension MockCluster {
    /// Produces messages into the cluster and waits until they are stored.
    ///
    /// - Parameters:
    ///   - messages: Key and value of each message; `partition` nil lets the partitioner choose.
    ///   - deliveryTimeout: How long to wait for the cluster to store them, for example while a
    ///     broker that was set down comes back.
    package func produce(
        topic: String, messages: [(key: String?, value: String, partition: Int32?)],
        deliveryTimeout: Duration = .seconds(30)
    ) throws(KafkaError) {
        for message in messages {
            var arguments = ProduceArguments()
            let error: OpaquePointer? = topic.withCString { topicName in
                message.value.withCString { value in
                    (message.key ?? "").withCString { key in
                        arguments.add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
                        arguments.add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        arguments.add(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value)
                            $0.u.mem.size = strlen(value)
                        }
                        if message.key != nil {
                            arguments.add(RD_KAFKA_VTYPE_KEY) {
                                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key)
                                $0.u.mem.size = strlen(key)
                            }
                        }
                        if let partition = message.partition {
                            arguments.add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition }
                        }
                        return arguments.produce(on: client)
                    }
                }
            }
            if let error {
                throw .operationFailed(
                    operation: "producing to \(topic)", message: KafkaError.message(consuming: error))
            }
        }
        let flushed = rd_kafka_flush(client, Int32(deliveryTimeout / .milliseconds(1)))
        guard flushed == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .failed("producing to \(topic)", flushed)
        }
    }
}

extension MockCluster {
    /// Holds back every response of broker `broker` (brokers count from 1) for `roundTripTime`,
    /// as a slow link to it would; `.zero` makes it answer at once again.
    package func setRoundTripTime(_ roundTripTime: Duration, broker: Int32) throws(KafkaError) {
        let error = rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(roundTripTime / .milliseconds(1)))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .failed("setting the round-trip time of broker \(broker)", error)
        }
    }
}
