import CRacecarPlugin

/// A plugin's `racecar_produce_request`, read to this host's size: borrowed bytes, valid
/// during the `produce` call.
package struct ProduceRequest {
    /// One header of the request.
    package struct Header {
        package var name: UnsafePointer<CChar>
        /// `nil` for a header without a value.
        package var value: UnsafeRawBufferPointer?
    }

    private let raw: racecar_produce_request

    init(_ raw: racecar_produce_request) {
        self.raw = raw
    }

    /// The topic; `nil` in a malformed request.
    package var topic: UnsafePointer<CChar>? { raw.topic }
    package var key: UnsafeRawBufferPointer? {
        raw.key.map { UnsafeRawBufferPointer(start: $0, count: raw.key_length) }
    }
    package var value: UnsafeRawBufferPointer? {
        raw.value.map { UnsafeRawBufferPointer(start: $0, count: raw.value_length) }
    }
    /// The partition the plugin chose, if it chose one.
    package var partition: Int32? { raw.partition == RACECAR_PARTITION_ANY ? nil : raw.partition }
    package var partitionKey: UnsafeRawBufferPointer? {
        raw.partition_key.map { UnsafeRawBufferPointer(start: $0, count: raw.partition_key_length) }
    }
    /// Milliseconds since the epoch; `nil` for the time of producing.
    package var timestampMilliseconds: Int64? { raw.timestamp_ms > 0 ? raw.timestamp_ms : nil }

    /// The headers that have a name, in order; read lazily, nothing is copied.
    package var headers: some Collection<Header> {
        let list = raw.headers
        return (0..<(list == nil ? 0 : raw.header_count)).lazy.compactMap { index -> Header? in
            guard let header = list?[index].map(readExtensible), let name = header.name else { return nil }
            return Header(
                name: name, value: header.value.map { UnsafeRawBufferPointer(start: $0, count: header.value_length) })
        }
    }
}
