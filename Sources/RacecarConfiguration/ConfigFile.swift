import Foundation
import Yams

/// racecar.yml, parsed: a mapping of sections (`common`, one per environment), each a mapping
/// of keys to values, with per-consumer sections nested inside.
struct ConfigFile {
    let path: String
    let root: [String: Node]
    /// Section names in file order, for error messages.
    let sectionNames: [String]

    init(path: String, contents: String) throws(ConfigError) {
        self.path = path
        let document: Node?
        do {
            // The basic resolver tags no scalar: the key table reads every value from its text
            // itself, and Yams's default resolver compiles a dozen NSRegularExpressions (ICU's
            // regex engine, about 1 MB of every host process's RSS) to guess types unused here.
            document = try Yams.compose(yaml: contents, .basic)
        } catch let error as YamlError {
            throw .unreadableFile(path: path, reason: Self.describe(error))
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        guard let document else {
            root = [:]
            sectionNames = []
            return
        }
        guard let mapping = document.mapping else {
            throw .unreadableFile(
                path: path,
                reason:
                    "line \(document.mark?.line ?? 1): expected a mapping of sections (common, development, production, ...)"
            )
        }
        var root: [String: Node] = [:]
        var names: [String] = []
        for (key, value) in try Self.flatten(mapping, path: path) {
            root[key] = value
            names.append(key)
        }
        self.root = root
        self.sectionNames = names
    }

    /// The section's key/value pairs with merge keys (`<<: *anchor`) applied, or `nil` if absent.
    func section(_ name: String) throws(ConfigError) -> [(key: String, value: Node)]? {
        guard let node = root[name] else { return nil }
        if case .scalar(let scalar) = node, scalar.isNull { return [] }
        guard let mapping = node.mapping else {
            throw .unreadableFile(
                path: path, reason: "line \(node.mark?.line ?? 0): section `\(name)` must be a mapping of keys")
        }
        return try Self.flatten(mapping, path: path)
    }

    /// Mapping entries in order, with `<<` merge keys expanded (explicit keys win).
    static func flatten(_ mapping: Node.Mapping, path: String) throws(ConfigError) -> [(key: String, value: Node)] {
        var merged: [(key: String, value: Node)] = []
        var explicit: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                throw .unreadableFile(path: path, reason: "line \(keyNode.mark?.line ?? 0): keys must be strings")
            }
            if key == "<<" {
                let sources = value.sequence.map { Array($0) } ?? [value]
                for source in sources {
                    guard let sourceMapping = source.mapping else {
                        throw .unreadableFile(
                            path: path, reason: "line \(source.mark?.line ?? 0): `<<` must merge a mapping")
                    }
                    for entry in try flatten(sourceMapping, path: path)
                    where !merged.contains(where: { $0.key == entry.key }) {
                        merged.append(entry)
                    }
                }
            } else {
                explicit.append((key, value))
            }
        }
        return merged.filter { entry in !explicit.contains { $0.key == entry.key } } + explicit
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return "line \(mark.line), column \(mark.column): \(prefix)\(problem)"
        case .reader(let problem, let offset, _, _):
            return "\(problem) at byte \(offset ?? 0)"
        default:
            return "\(error)"
        }
    }
}

extension Node.Scalar {
    /// `~`, `null` or nothing, unquoted.
    var isNull: Bool {
        style == .plain && ["", "~", "null", "Null", "NULL"].contains(string)
    }
}
