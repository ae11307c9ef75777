import Foundation

/// A file `racecar-host init` or `new` writes: never over an existing one, which may hold work.
struct GeneratedFile {
    /// Where to write it, relative to the working directory or absolute.
    let path: String
    let contents: String

    /// Creates the file, and the folders it is in.
    ///
    /// - Throws: ``UserError`` naming the file and the reason, also when it exists.
    func create() throws(UserError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError("cannot create folder \(folder) for \(path): \(error.localizedDescription)")
        }
        // O_EXCL: even a file created since the caller looked is left alone.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure() }
        defer { close(descriptor) }
        var bytes = Array(contents.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw failure() }
            bytes = bytes.dropFirst(written)
        }
    }

    private func failure() -> UserError {
        UserError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
