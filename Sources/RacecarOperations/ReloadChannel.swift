import Foundation

/// How `racecarctl reload` asks a running host to reload and hears how it went: two files next
/// to the host's pidfile, written atomically, and SIGHUP to wake the host.
///
/// SIGHUP without a request file reloads the library the host runs, from the same path.
package struct ReloadChannel: Sendable {
    /// A reload asked for; `plugin` replaces the library's path when given.
    package struct Request: Codable, Sendable, Equatable {
        package var id: String
        package var plugin: String?
        /// A copy of `plugin` already checked (a supervisor's, for its workers): opened as it
        /// is, without another check.
        package var checkedCopy: String?

        package init(id: String = UUID().uuidString, plugin: String?, checkedCopy: String? = nil) {
            self.id = id
            self.plugin = plugin
            self.checkedCopy = checkedCopy
        }
    }

    /// How a reload ended; `id` is the request's, when there was one.
    package struct Result: Codable, Sendable, Equatable {
        package var id: String?
        package var succeeded: Bool
        package var message: String

        package init(id: String?, succeeded: Bool, message: String) {
            self.id = id
            self.succeeded = succeeded
            self.message = message
        }
    }

    package let requestPath: String
    package let resultPath: String

    /// The channel of the host whose pidfile is `pidfile`.
    package init(pidfile: String) {
        self.init(prefix: pidfile)
    }

    /// The channel whose files are `<prefix>.reload-request` and `<prefix>.reload-result`.
    package init(prefix: String) {
        requestPath = prefix + ".reload-request"
        resultPath = prefix + ".reload-result"
    }

    /// Writes `request` for the host to read on its next SIGHUP.
    package func send(_ request: Request) throws {
        try write(request, to: requestPath)
    }

    /// Takes the pending request, if there is one: read and removed.
    package func takeRequest() -> Request? {
        guard let data = FileManager.default.contents(atPath: requestPath) else { return nil }
        try? FileManager.default.removeItem(atPath: requestPath)
        return try? JSONDecoder().decode(Request.self, from: data)
    }

    /// Publishes how a reload ended.
    package func publish(_ result: Result) {
        try? write(result, to: resultPath)
    }

    /// The last published result.
    package func result() -> Result? {
        FileManager.default.contents(atPath: resultPath).flatMap { try? JSONDecoder().decode(Result.self, from: $0) }
    }

    private func write(_ value: some Encodable, to path: String) throws {
        let temporary = path + ".\(getpid()).tmp"
        try JSONEncoder().encode(value).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(
                .fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot write \(path): \(reason)"])
        }
    }
}
