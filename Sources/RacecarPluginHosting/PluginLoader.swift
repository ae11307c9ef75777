import CRacecarPlugin
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Loads consumer plugins: opens the library, checks its ABI descriptor before running any
/// code with effects, then calls its optional init function.
package enum PluginLoader {
    /// The ABI version this host speaks.
    package static let abiMajor = UInt32(RACECAR_ABI_MAJOR)
    package static let abiMinor = UInt32(RACECAR_ABI_MINOR)

    /// The libraries whose init function succeeded, by handle.
    private static let initialized = Mutex<Set<Int>>([])

    private typealias DescriptorFunction = @convention(c) () -> UnsafePointer<racecar_plugin_descriptor>?
    private typealias InitFunction =
        @convention(c) (
            UnsafePointer<racecar_host_api>?, UnsafeMutablePointer<racecar_error_buffer>?
        ) -> racecar_status

    /// Loads the plugin at `path`: ``describe(path:)``, then the plugin's init function.
    ///
    /// - Parameter file: The file to open, when it is not `path` itself: a reload opens a copy
    ///   of the library under a name of its own (``PluginCopies``), since `dlopen` of a path
    ///   already loaded returns the image loaded before. Errors name `path`.
    /// - Throws: ``PluginLoadError`` naming the path and the problem.
    package static func load(path: String, file: String? = nil) throws(PluginLoadError) -> LoadedPlugin {
        let (handle, plugin) = try open(path: path, file: file ?? path)
        // Opening a file again returns its image again (a rollback to an earlier reload's copy):
        // its init function ran already.
        let first = initialized.withLock { $0.insert(Int(bitPattern: handle)).inserted }
        if first, let initSymbol = dlsym(handle, RACECAR_PLUGIN_INIT_SYMBOL) {
            let initFunction = unsafeBitCast(initSymbol, to: InitFunction.self)
            var message = ""
            let status = withErrorBuffer(capturing: &message) { initFunction(HostAPITable.shared, $0) }
            if status != RACECAR_OK {
                initialized.withLock { _ = $0.remove(Int(bitPattern: handle)) }
                throw .initFailed(path: path, message: message)
            }
        }
        return plugin
    }

    /// Reads what the plugin at `path` offers, calling nothing but its descriptor function
    /// (which the ABI requires to be pure).
    ///
    /// - Important: The plugin's init function has not run: ``load(path:)`` it before
    ///   creating any of its consumers.
    /// - Throws: ``PluginLoadError`` naming the path and the problem.
    package static func describe(path: String) throws(PluginLoadError) -> LoadedPlugin {
        try open(path: path, file: path).plugin
    }

    /// Opens the library `file` and reads and checks its descriptor; errors name `path`.
    private static func open(path: String, file: String) throws(PluginLoadError) -> (
        handle: UnsafeMutableRawPointer, plugin: LoadedPlugin
    ) {
        guard access(file, F_OK) == 0 else { throw .fileNotFound(path: path) }
        // A bare file name would make dlopen search the library path, not the working directory.
        let openPath = file.contains("/") ? file : "./" + file
        // RTLD_LOCAL keeps plugins from seeing each other's symbols; the handle is never closed
        // because Swift libraries cannot be unloaded safely.
        guard let handle = dlopen(openPath, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw .notALibrary(path: path, reason: reason.replacingOccurrences(of: openPath, with: path))
        }
        guard let descriptorSymbol = dlsym(handle, RACECAR_PLUGIN_ABI_SYMBOL) else {
            throw .missingEntrySymbol(path: path, symbol: RACECAR_PLUGIN_ABI_SYMBOL)
        }
        let descriptorFunction = unsafeBitCast(descriptorSymbol, to: DescriptorFunction.self)
        guard let descriptorPointer = descriptorFunction() else {
            throw .noDescriptor(path: path, symbol: RACECAR_PLUGIN_ABI_SYMBOL)
        }
        let descriptor = readExtensible(descriptorPointer)
        try checkCompatibility(major: descriptor.abi_major, minor: descriptor.abi_minor, path: path)

        var consumers: [ConsumerDescriptor] = []
        for index in 0..<descriptor.consumer_count {
            guard let consumer = descriptor.consumers?[index] else {
                throw .invalidDescriptor(path: path, reason: "consumer #\(index) is null")
            }
            consumers.append(
                try ConsumerDescriptor(
                    raw: consumer, pluginPath: path, abiVersion: "\(descriptor.abi_major).\(descriptor.abi_minor)",
                    sdkVersion: descriptor.sdk_version.map { String(cString: $0) }))
        }
        let plugin = LoadedPlugin(
            path: path,
            abiMajor: descriptor.abi_major,
            abiMinor: descriptor.abi_minor,
            sdkVersion: descriptor.sdk_version.map { String(cString: $0) },
            toolchain: descriptor.toolchain.map { String(cString: $0) },
            consumers: consumers
        )
        return (handle, plugin)
    }

    /// Refuses another major version, or a newer minor than this host knows.
    static func checkCompatibility(major: UInt32, minor: UInt32, path: String) throws(PluginLoadError) {
        guard major == abiMajor, minor <= abiMinor else {
            throw .incompatibleABI(
                path: path, pluginMajor: major, pluginMinor: minor, hostMajor: abiMajor, hostMinor: abiMinor)
        }
    }
}
