import RacecarOperations
import RacecarPluginHosting

extension ConsumerOptions {
    /// Copies the library `--plugin` names into `copies` and checks the copy in a throwaway
    /// process (``PluginCheck``); a refused copy is removed.
    ///
    /// - Returns: The checked copy's path.
    /// - Throws: A configuration error with the refusal, in one line.
    func checkedCopy(in copies: PluginCopies) throws(UserError) -> String {
        let copy: String
        do {
            copy = try copies.copy(plugin ?? "")
        } catch {
            throw .configuration(error.description)
        }
        if let refusal = PluginCheck(arguments: ["check-plugin"] + commandLine + ["--load-from", copy]).run() {
            copies.remove(copy)
            throw .configuration(refusal)
        }
        return copy
    }
}
