import RacecarOperations
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
            let path = reloading.plugin ?? running.path
            let copy = try copies.copy(path)
            let check = PluginCheck(arguments: ["check-plugin"] + reloading.commandLine + ["--load-from", copy])
            if let refusal = check.run() {
                copies.remove(copy)
                return .refused(refusal)
            }
            return .passed(CheckedPlugin(path: path, copy: copy))
        } catch {
            return .refused("\(error)")
        }
    }

}
