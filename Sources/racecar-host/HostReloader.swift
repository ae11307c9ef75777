import Dispatch
import Foundation
import Logging
import RacecarConfiguration
import RacecarOperations
import RacecarPluginHosting
import RacecarRuntime

/// Reloads the running consumer on request (SIGHUP, `racecarctl reload`): finds the library,
/// copies it under a name of its own, checks the copy in a throwaway process, loads it and the
/// configuration here, and hands both to the poll loop, which swaps them in. Anything refused
/// before the swap leaves the running version alone; the log, and `racecarctl reload`, get one
/// line saying why.
///
/// Reloads run one at a time on a queue of their own, never on the poll loop's thread.
final class HostReloader: Sendable {
    /// What runs now and what ran before it; changed on the queue only.
    private struct Versions {
        var consumer: ConsumerDescriptor
        var config: RacecarConfig
        var current: PluginVersion
        var previous: PluginVersion?
    }

    private let options: ConsumerOptions
    private let mailbox: SwapMailbox
    private let stop: StopRequest
    private let channel: ReloadChannel?
    private let copies = PluginCopies()
    private let logger: Logger
    private let queue = DispatchQueue(label: "racecar.reload")
    private let onSwapped: @Sendable (RacecarConfig, ConsumerDescriptor, PluginVersion, PluginVersion?) -> Void
    // Read and written on `queue` only.
    nonisolated(unsafe) private var versions: Versions

    /// - Parameters:
    ///   - channel: Where `racecarctl reload` leaves requests and reads results (by pidfile).
    ///   - onSwapped: Called with the new configuration and versions after each swap.
    init(
        options: ConsumerOptions, consumer: ConsumerDescriptor, config: RacecarConfig, version: PluginVersion,
        mailbox: SwapMailbox, stop: StopRequest, channel: ReloadChannel?, logger: Logger,
        onSwapped: @escaping @Sendable (RacecarConfig, ConsumerDescriptor, PluginVersion, PluginVersion?) -> Void
    ) {
        self.options = options
        self.mailbox = mailbox
        self.stop = stop
        self.channel = channel
        self.logger = logger
        self.onSwapped = onSwapped
        versions = Versions(consumer: consumer, config: config, current: version)
    }

    /// Starts a reload; returns at once (called from the signal thread).
    func request() {
        queue.async { [self] in
            let request = channel?.takeRequest()
            let (succeeded, message) = reload(plugin: request?.plugin, checkedCopy: request?.checkedCopy)
            channel?.publish(.init(id: request?.id, succeeded: succeeded, message: message))
        }
    }

    /// Reloads from the same path and waits for the outcome.
    func reloadNow() -> (succeeded: Bool, message: String) {
        queue.sync { reload(plugin: nil, checkedCopy: nil) }
    }

    /// Removes the copies of loaded versions, at exit.
    func removeCopies() {
        copies.removeAll()
    }

    private func reload(plugin: String?, checkedCopy: String?) -> (Bool, String) {
        // `versions` is the queue's alone.
        dispatchPrecondition(condition: .onQueue(queue))
        let name = versions.consumer.name
        logger.info("reloading \(name)\(plugin.map { " from \($0)" } ?? "")")
        let (swap, warnings): (ConsumerSwap, [String])
        do throws(UserError) {
            (swap, warnings) = try prepare(name, plugin: plugin, checkedCopy: checkedCopy)
        } catch {
            let message = "reload refused, \(name) keeps running \(versions.current.text): \(error.description)"
            logger.error("\(message)")
            return (false, message)
        }
        for warning in warnings { logger.warning("\(warning)") }
        for key in ConfigChanges(from: versions.config, to: swap.config).restart {
            logger.warning("\(key) changed in the configuration; it takes effect when racecar-host restarts")
        }
        let outcome = mailbox.submit(swap) { !stop.isRequested }
        guard outcome.isSuccess else {
            return (false, "reload of \(name) failed: \(outcome.text)")
        }
        versions.previous = versions.current
        versions.current = swap.version
        versions.consumer = swap.consumer
        versions.config = swap.config
        onSwapped(swap.config, swap.consumer, swap.version, versions.previous)
        return (true, "reloaded \(name): \(swap.version.text); \(outcome.text)")
    }

    /// Finds, copies, checks and loads the new version, and reads the configuration with it;
    /// a copy that a supervisor checked is only loaded.
    private func prepare(_ name: String, plugin: String?, checkedCopy: String?) throws(UserError) -> (
        ConsumerSwap, [String]
    ) {
        let reloading: ConsumerOptions
        do {
            reloading = try options.reloading(name, from: plugin)
        } catch {
            throw error as? UserError ?? .configuration("\(error)")
        }
        let copy: String
        if let checkedCopy {
            copy = checkedCopy
        } else {
            copy = try reloading.checkedCopy(in: copies)
        }
        do {
            let (loaded, descriptor, config, warnings) = try reloading.loadPlugin(openingCopy: copy)
            return (ConsumerSwap(consumer: descriptor, config: config, version: PluginVersion(loaded)), warnings)
        } catch {
            throw error as? UserError ?? .configuration("\(error)")
        }
    }
}
