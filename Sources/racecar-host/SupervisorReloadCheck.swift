import RacecarPluginHosting
import RacecarSupervision

/// A supervisor's check of a new version, once for all its workers: the library found as a
/// single host finds it, copied, and checked in a throwaway process.
struct SupervisorReloadCheck {
    let options: ConsumerOptions
    let copies: PluginCopies

    func check(consumer: String, plugin: String?, running: CheckedPlugin) -> SupervisorReloads.Check {
        do {
            var current = options
            current.plugin = running.path
            let reloading = try current.reloading(consumer, from: plugin)
            let copy = try reloading.checkedCopy(in: copies)
            return .passed(CheckedPlugin(path: reloading.plugin ?? running.path, copy: copy))
        } catch {
            return .refused("\(error)")
        }
    }
}
