import CRdKafka

extension KafkaError {
    /// Whether the failure is time running out rather than a refusal: a message that was not
    /// acknowledged within `message.timeout.ms`, or a wait (a flush, a metadata request) that
    /// ended first.
    ///
    /// An unreachable broker shows up this way: librdkafka keeps reconnecting until the time
    /// is up.
    package var isTimeout: Bool {
        switch self {
        case .deliveryFailed(_, let code, _), .operationFailed(_, let code?, _), .brokersUnreachable(_, let code):
            code == KafkaErrorCode(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
                || code == KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT)
        case .invalidProperty, .operationFailed, .fatal, .unresolvableBrokers, .stoppedBeforeConnecting:
            false
        }
    }
}
