import CRacecarPlugin
import Logging

/// The `racecar_host_api` table handed to every plugin: C entry points that forward to the
/// instance's ``InstanceHostContext``.
enum HostAPITable {
    /// Written once, then only read.
    nonisolated(unsafe) static let shared: UnsafePointer<racecar_host_api> = {
        let table = UnsafeMutablePointer<racecar_host_api>.allocate(capacity: 1)
        table.initialize(
            to: racecar_host_api(
                struct_size: MemoryLayout<racecar_host_api>.size,
                produce: produce,
                deliver: deliver,
                log: log,
                message_headers: messageHeaders,
                setting: setting,
                settings_json: settingsJSON
            ))
        return UnsafePointer(table)
    }()

    /// For lines logged without an instance (from `racecar_plugin_init_v1`): made at each use, so
    /// that it goes through the logging system as bootstrapped by then.
    private static var pluginLogger: Logger { Logger(label: "racecar.plugin") }

    private static let produce:
        @convention(c) (
            OpaquePointer?, UnsafePointer<racecar_produce_request>?, UnsafeMutablePointer<racecar_error_buffer>?
        ) -> racecar_status = { host, request, error in
            guard let context = InstanceHostContext.from(host), let request else {
                error?.write("produce needs the host handle passed to create and a request")
                return RACECAR_ERROR
            }
            do {
                try context.services.produce(ProduceRequest(readExtensible(request)))
                return RACECAR_OK
            } catch let failure {
                error?.write("\(failure)")
                return RACECAR_ERROR
            }
        }

    private static let deliver:
        @convention(c) (
            OpaquePointer?, UnsafeMutablePointer<racecar_error_buffer>?
        ) -> racecar_status = { host, error in
            guard let context = InstanceHostContext.from(host) else {
                error?.write("deliver needs the host handle passed to create")
                return RACECAR_ERROR
            }
            do {
                try context.services.deliver()
                return RACECAR_OK
            } catch let failure {
                error?.write("\(failure)")
                return RACECAR_ERROR
            }
        }

    private static let messageHeaders:
        @convention(c) (
            OpaquePointer?, UnsafePointer<racecar_message>?,
            UnsafeMutablePointer<UnsafePointer<UnsafePointer<racecar_header>?>?>?, UnsafeMutablePointer<Int>?,
            UnsafeMutablePointer<racecar_error_buffer>?
        ) -> racecar_status = { host, message, headers, count, error in
            guard let context = InstanceHostContext.from(host), let message, let headers, let count else {
                error?.write("message_headers needs the host handle passed to create, a message and two results")
                return RACECAR_ERROR
            }
            guard let found = context.slots.headers(of: message) else {
                error?.write("message_headers: the message is not one of the current process or process_batch call")
                return RACECAR_ERROR
            }
            headers.pointee = found.list
            count.pointee = found.count
            return RACECAR_OK
        }

    private static let setting: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> UnsafePointer<CChar>? = {
        host, name in
        guard let context = InstanceHostContext.from(host), let name else { return nil }
        return context.settings.text(of: String(cString: name))
    }

    private static let settingsJSON: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>? = { host in
        InstanceHostContext.from(host)?.settings.json
    }

    private static let log: @convention(c) (OpaquePointer?, racecar_log_level, UnsafePointer<CChar>?) -> Void = {
        host, level, message in
        guard let message else { return }
        let text = String(cString: message)
        let context = InstanceHostContext.from(host)
        var logger = context?.logger ?? pluginLogger
        if let position = context?.slots.currentPosition {
            // A line logged while processing says which messages it is about.
            logger[metadataKey: "topic"] = "\(position.topic.map { String(cString: $0) } ?? "")"
            logger[metadataKey: "partition"] = "\(position.partition)"
            let offsets = position.offsets
            logger[metadataKey: "offset"] =
                offsets.count == 1 ? "\(offsets.lowerBound)" : "\(offsets.lowerBound)-\(offsets.upperBound)"
        }
        switch level {
        case RACECAR_LOG_DEBUG: logger.debug("\(text)")
        case RACECAR_LOG_WARNING: logger.warning("\(text)")
        case RACECAR_LOG_ERROR: logger.error("\(text)")
        default: logger.info("\(text)")
        }
    }
}

extension UnsafeMutablePointer where Pointee == racecar_error_buffer {
    /// Copies `text` into the plugin's buffer, truncated to fit, always NUL-terminated.
    func write(_ text: String) {
        let buffer = readExtensible(UnsafePointer(self))
        guard buffer.capacity > 0, let destination = buffer.message else { return }
        let bytes = Array(text.utf8.prefix(buffer.capacity - 1))
        bytes.withUnsafeBytes {
            UnsafeMutableRawPointer(destination).copyMemory(from: $0.baseAddress!, byteCount: bytes.count)
        }
        destination[bytes.count] = 0
    }
}

/// Runs `body` with a fresh error buffer and copies what it wrote into `message`.
func withErrorBuffer(
    capturing message: inout String, _ body: (UnsafeMutablePointer<racecar_error_buffer>) -> racecar_status
) -> racecar_status {
    let buffer = ReusableErrorBuffer()
    let status = body(buffer.pointer)
    message = buffer.message
    return status
}
