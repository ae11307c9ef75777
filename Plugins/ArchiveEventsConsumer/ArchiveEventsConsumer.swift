import Foundation
import RacecarSDK

/// Archives `events` in batches, one file per batch, like the Racecar README's
/// ArchiveEventsConsumer. Files go to the `archive_dir` setting, named
/// `<topic>-<partition>-<first offset>-<last offset>`, one value per line:
///
/// ```yaml
/// production:
///   ArchiveEventsConsumer:
///     settings:
///       archive_dir: /var/lib/archive
/// ```
final class ArchiveEventsConsumer: BatchConsumer, ReadsSettings {
    struct Settings: Decodable {
        var archiveDir: String
    }

    static let subscriptions = [Subscription("events")]
    static let fetchMessages: Int? = 100
    static let settingDeclarations = [SettingDeclaration.required("archive_dir", "the folder batches are written to")]

    private let directory: URL

    init(settings: Settings) throws {
        directory = URL(fileURLWithPath: settings.archiveDir)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func processBatch(_ messages: MessageBatch) throws {
        guard let first = messages.first, let last = messages.last else { return }
        let name = "\(first.topic)-\(first.partition)-\(first.offset)-\(last.offset)"
        let contents = messages.map { ($0.value ?? "") + "\n" }.joined()
        try Data(contents.utf8).write(to: directory.appendingPathComponent(name), options: .atomic)
        print("archived \(messages.count) messages to \(name)")
        fflush(nil)
    }
}

@_cdecl("racecar_plugin_abi_v1")
public func racecarPlugin() -> UnsafeRawPointer { RacecarPlugin.export(ArchiveEventsConsumer.self) }
