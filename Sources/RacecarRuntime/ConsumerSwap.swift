import RacecarConfiguration
import RacecarPluginHosting

/// A new version of the running consumer, checked and loaded, for the poll loop to swap in:
/// its descriptor (from a library already initialized) and the configuration read with it.
package struct ConsumerSwap: Sendable {
    package var consumer: ConsumerDescriptor
    package var config: RacecarConfig
    package var version: PluginVersion

    package init(consumer: ConsumerDescriptor, config: RacecarConfig, version: PluginVersion) {
        self.consumer = consumer
        self.config = config
        self.version = version
    }
}
