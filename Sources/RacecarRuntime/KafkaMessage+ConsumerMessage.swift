import RacecarKafka
import RacecarPluginHosting

extension KafkaMessage: ConsumerMessage {
    @inline(__always)
    package func borrowed(topic: UnsafePointer<CChar>) -> BorrowedMessage {
        BorrowedMessage(
            topic: topic,
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
