/// A version of the plugin library that workers may load: its path as the operator named it,
/// and the copy of it that was checked, which workers open (``WorkerIdentity/pluginFileVariable``).
package struct CheckedPlugin: Sendable, Equatable {
    package var path: String
    package var copy: String

    package init(path: String, copy: String) {
        self.path = path
        self.copy = copy
    }
}
