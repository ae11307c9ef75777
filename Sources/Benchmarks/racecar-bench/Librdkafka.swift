import CRdKafka
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A librdkafka the consumer processes run against: the one the benchmark itself loaded (the
/// system's), or the `librdkafka.so.1` in `--librdkafka DIR`.
struct LibrdkafkaBuild {
    /// What `rd_kafka_version_str()` returns.
    let version: String
    /// The library file.
    let path: String
    /// What goes first on every consumer process's LD_LIBRARY_PATH; nil for the benchmark's own.
    let directory: String?

    /// The librdkafka this process loaded: the mock cluster and the offset checks run on it,
    /// and the consumers load it too unless told otherwise.
    static func current() -> LibrdkafkaBuild {
        LibrdkafkaBuild(
            version: String(cString: rd_kafka_version_str()),
            path: mappedLibrdkafka(process: "self") ?? "unknown path",
            directory: nil
        )
    }

    /// The `librdkafka.so.1` in `directory` (absolute). Its version is what raw-consumer
    /// prints with that file preloaded (LD_PRELOAD, which does not depend on LD_LIBRARY_PATH
    /// working), so that the runs can check their consumers against it.
    static func probe(directory: String, rawConsumer: String) throws(BenchError) -> LibrdkafkaBuild {
        let path = directory + "/librdkafka.so.1"
        var environment = ProcessInfo.processInfo.environment.filter { !isConsumerSetting($0.key) }
        environment["LD_PRELOAD"] = path
        var template = Array("/tmp/racecar-bench-probe.XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw BenchError("could not create a temporary directory") }
        let scratch = String(cString: created)
        let child = try ChildProcess(
            executable: rawConsumer,
            arguments: ["--librdkafka-version"],
            environment: environment,
            directory: scratch,
            standardOutputPath: scratch + "/stdout.txt",
            standardErrorPath: scratch + "/stderr.txt"
        )
        let outcome = child.waitForExit(timeoutSeconds: 30)
        // The dynamic loader skips a file it cannot preload, and the system's librdkafka answers.
        let printed =
            child.standardError.contains("cannot be preloaded")
            ? nil : reportedLibrdkafkaVersion(in: child.standardOutput)
        guard outcome?.exitStatus == 0, let version = printed else {
            throw BenchError(
                "--librdkafka \(directory): raw-consumer could not load \(path) (`LD_PRELOAD=\(path) \(rawConsumer)"
                    + " --librdkafka-version` ended with \(outcome?.summary ?? "no exit within 30 s")): is it a librdkafka"
                    + " for this machine? Its output is in \(scratch); the last lines of its standard error:\n"
                    + child.standardErrorTail()
            )
        }
        for file in ["stdout.txt", "stderr.txt"] { unlink(scratch + "/" + file) }
        rmdir(scratch)
        return LibrdkafkaBuild(version: version, path: path, directory: directory)
    }

    /// The version and where it came from, as the report and the log name it.
    var label: String {
        directory.map { "\(version) (\($0))" } ?? "\(version) (system)"
    }
}

/// Which librdkafka a consumer process loaded, and how the benchmark knows.
struct LoadedLibrdkafka {
    enum Source: Equatable {
        /// raw-consumer's `librdkafka X loaded` line.
        case printed
        /// racecar-host's start-up log line.
        case logged
        /// The librdkafka file in the process's /proc/PID/maps.
        case mapped(path: String)
        /// Neither: the process said nothing and /proc/PID/maps showed no librdkafka.
        case none
    }

    /// nil when the process did not say and the file it mapped is none of the benchmark's builds.
    let version: String?
    let source: Source

    /// The version the process printed (raw-consumer) or logged (racecar-host) in `output`,
    /// else the build whose file it had mapped (`mappedPath`, read while it ran), else unknown.
    init(output: String, printed: Bool, mappedPath: String?, builds: [LibrdkafkaBuild]) {
        if let version = reportedLibrdkafkaVersion(in: output) {
            self.version = version
            source = printed ? .printed : .logged
        } else if let mappedPath {
            version = builds.first { sameFile($0.path, mappedPath) }?.version
            source = .mapped(path: mappedPath)
        } else {
            version = nil
            source = .none
        }
    }

    var description: String {
        let how =
            switch source {
            case .printed: "printed"
            case .logged: "logged"
            case .mapped(let path): "/proc maps: \(path)"
            case .none: "said nothing; /proc maps showed no librdkafka"
            }
        return "librdkafka \(version ?? "unknown") (\(how))"
    }
}

/// The version in the first line that says `librdkafka <version> loaded` (raw-consumer's, and
/// a host log line's after its prefix) or that ends with `librdkafka <version>` (racecar-host's
/// start-up line, `... as group G on librdkafka 2.16.0`).
func reportedLibrdkafkaVersion(in text: String) -> String? {
    for line in text.split(separator: "\n") where line.contains("librdkafka ") {
        let words = line.split(separator: " ")
        for index in words.indices.dropLast() where words[index] == "librdkafka" {
            let version = words[index + 1]
            guard version.first?.isNumber == true, version.contains(".") else { continue }
            if index + 2 == words.count || words[index + 2] == "loaded" { return String(version) }
        }
    }
    return nil
}

/// The librdkafka file a process has mapped, from /proc/PID/maps (PID `self` for this one).
func mappedLibrdkafka(process: String) -> String? {
    // Read to the end: String(contentsOfFile:) stops after the first read, one page of maps.
    guard let file = FileHandle(forReadingAtPath: "/proc/\(process)/maps"),
        let data = try? file.readToEnd()
    else { return nil }
    try? file.close()
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        // The path is the last field, the only one with a slash.
        guard let slash = line.firstIndex(of: "/") else { continue }
        let path = line[slash...]
        if path.split(separator: "/").last?.hasPrefix("librdkafka.so") == true { return String(path) }
    }
    return nil
}

/// Whether two paths name the same file (device and inode), links and all.
func sameFile(_ first: String, _ second: String) -> Bool {
    var one = stat()
    var other = stat()
    guard stat(first, &one) == 0, stat(second, &other) == 0 else { return false }
    return one.st_dev == other.st_dev && one.st_ino == other.st_ino
}

/// `environment` with `directory` first on LD_LIBRARY_PATH, before whatever it held.
func prependingLibraryPath(_ directory: String, to environment: [String: String]) -> [String: String] {
    var result = environment
    let existing = environment["LD_LIBRARY_PATH"] ?? ""
    result["LD_LIBRARY_PATH"] = existing.isEmpty ? directory : directory + ":" + existing
    return result
}
