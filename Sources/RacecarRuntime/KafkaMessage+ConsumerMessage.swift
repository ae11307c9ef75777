import RacecarKafka
import RacecarPluginHosting

extension KafkaMessage: ConsumerMessage {
    package var borrowed: BorrowedMessage {
        BorrowedMessage(
            topic: topicName,
            partition: partition,
            offset: offset,
            key: key,
            keyLength: keyLength,
            value: value,
            valueLength: valueLength,
            timestampMilliseconds: timestampMilliseconds
        )
    }
}
