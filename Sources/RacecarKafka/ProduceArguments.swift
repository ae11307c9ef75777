import CRdKafka

/// The argument list of `rd_kafka_produceva`, the importable form of librdkafka's variadic
/// `rd_kafka_producev`.
struct ProduceArguments {
    private var values: [rd_kafka_vu_t] = []

    init() {
        values.reserveCapacity(8)
    }

    /// Appends an argument of `type`, filled in by `fill`.
    mutating func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
        var value = rd_kafka_vu_t()
        value.vtype = type
        fill(&value)
        values.append(value)
    }

    /// Enqueues the message on `handle`; returns librdkafka's error, which the caller destroys.
    func produce(on handle: OpaquePointer) -> OpaquePointer? {
        rd_kafka_produceva(handle, values, values.count)
    }
}
