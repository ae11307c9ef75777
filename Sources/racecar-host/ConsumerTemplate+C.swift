/// The C package: the consumer against racecar_plugin.h, a Makefile and the README with the
/// commands to build and run it.
extension ConsumerTemplate {
    var cFiles: [(path: String, contents: String)] {
        [
            (cSource, isBatch ? cBatchConsumer : cConsumer),
            ("Makefile", makefile),
            (".gitignore", "/\(library)\n"),
            ("README.md", cReadme),
        ]
    }

    /// `tap_dance_consumer.c`.
    private var cSource: String { "\(prefix).c" }

    /// What the C identifiers start with: `tap_dance_consumer`.
    private var prefix: String { "\(name.snakeCase)_consumer" }

    private var makefile: String {
        // `$` and `#` mean something to make.
        let sdkValue = sdk.replacingOccurrences(of: "$", with: "$$").replacingOccurrences(of: "#", with: "\\#")
        return """
            # Builds \(library), a racecar-host consumer plugin: `make`, then
            #   racecar-host --plugin ./\(library) \(name.typeName)
            # RACECAR_SDK is the racecar SDK folder, for racecar_plugin.h: `make RACECAR_SDK=/path/to/SDK`.
            RACECAR_SDK ?= \(sdkValue)
            CFLAGS ?= -O2 -g

            \(library): \(cSource)
            \t$(CC) $(CFLAGS) -shared -fPIC -Wall -Werror -I "$(RACECAR_SDK)/CRacecarPlugin/include" -o $@ \(cSource)

            clean:
            \trm -f \(library)

            .PHONY: clean

            """
    }

    /// The instance, `create`, logging and `destroy`, shared by both kinds of consumer.
    private var cPrologue: String {
        """
        /*
         * \(name.typeName): a racecar-host consumer plugin in C, made by
         * `racecar-host new \(name.base) --language c\(isBatch ? " --batch" : "")`. It subscribes to the
         * placeholder topic `\(topic)` and logs each message. Put your code in
         * `\(prefix)_\(isBatch ? "process_batch" : "process")` and change the topic below.
         *
         * racecar_plugin.h is the whole contract between plugin and host: read it top to bottom.
         */
        #include <stdio.h>
        #include <stdlib.h>

        #include "racecar_plugin.h"

        typedef struct \(prefix) {
            racecar_host *host;
            const racecar_host_api *api;
        } \(prefix);

        static racecar_status \(prefix)_create(const racecar_consumer_descriptor *consumer,
                racecar_host *host, const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
            (void)consumer;
            \(prefix) *self = calloc(1, sizeof *self);
            if (self == NULL) {
                snprintf(error->message, error->capacity, "out of memory");
                return RACECAR_ERROR;
            }
            self->host = host;
            self->api = api;
            *instance = self;
            return RACECAR_OK;
        }

        /* Logs `<topic>/<partition>@<offset> <value>` through the host, which adds the time and level. */
        static void \(prefix)_log(\(prefix) *self, const racecar_message *message) {
            char line[512];
            snprintf(line, sizeof line, "%s/%d@%lld %.*s", message->topic, (int)message->partition,
                     (long long)message->offset, (int)message->value_length,
                     message->value ? (const char *)message->value : "");
            self->api->log(self->host, RACECAR_LOG_INFO, line);
        }

        static void \(prefix)_destroy(void *instance) { free(instance); }

        """
    }

    private var cConsumer: String {
        cPrologue + """

            /*
             * Called for each message, in order within its partition. Return RACECAR_ERROR with a message
             * in `error` to pause the partition for `pause_timeout` seconds and retry this message: nothing
             * is skipped.
             */
            static racecar_status \(prefix)_process(void *instance, const racecar_message *message,
                    racecar_error_buffer *error) {
                (void)error;
                \(prefix)_log(instance, message);
                return RACECAR_OK;
            }

            static const racecar_consumer_vtable \(prefix)_vtable = {
                .struct_size = sizeof(racecar_consumer_vtable),
                .create = \(prefix)_create,
                .process = \(prefix)_process,
                .destroy = \(prefix)_destroy,
            };

            """ + cDescriptors
    }

    private var cBatchConsumer: String {
        cPrologue + """

            /*
             * Called with up to `fetch_messages` messages of one partition at a time, in offset order.
             * Return RACECAR_ERROR with a message in `error` to pause the partition for `pause_timeout`
             * seconds and retry: set `*processed_count` to the number of leading messages that were
             * handled completely, and only the rest is retried. Nothing is skipped.
             */
            static racecar_status \(prefix)_process_batch(void *instance, const racecar_message *const *messages,
                    size_t count, size_t *processed_count, racecar_error_buffer *error) {
                (void)processed_count;
                (void)error;
                for (size_t i = 0; i < count; i++) {
                    \(prefix)_log(instance, messages[i]);
                }
                return RACECAR_OK;
            }

            static const racecar_consumer_vtable \(prefix)_vtable = {
                .struct_size = sizeof(racecar_consumer_vtable),
                .create = \(prefix)_create,
                .process_batch = \(prefix)_process_batch,
                .destroy = \(prefix)_destroy,
            };

            """ + cDescriptors
    }

    /// The subscription, consumer and plugin descriptors, and the entry point.
    private var cDescriptors: String {
        """

        /* The placeholder topic, like Racecar's `subscribes_to`: change it to yours. Operators can
         * override it with `subscribes_to` in racecar.yml. */
        static const racecar_subscription \(prefix)_topic = {
            .struct_size = sizeof(racecar_subscription),
            .topic = "\(topic)",
            .start_from_beginning = 1,
        };
        static const racecar_subscription *const \(prefix)_subscriptions[] = {&\(prefix)_topic};

        static const racecar_consumer_descriptor \(prefix)_descriptor = {
            .struct_size = sizeof(racecar_consumer_descriptor),
            .name = "\(name.typeName)",
            .subscriptions = \(prefix)_subscriptions,
            .subscription_count = 1,
            .vtable = &\(prefix)_vtable,
            /* Headers are read with api->message_headers when needed, not parsed for every message. */
            .flags = RACECAR_HEADERS_ON_DEMAND,
        };
        static const racecar_consumer_descriptor *const \(prefix)_consumers[] = {&\(prefix)_descriptor};

        static const racecar_plugin_descriptor \(prefix)_plugin = {
            .struct_size = sizeof(racecar_plugin_descriptor),
            .abi_major = RACECAR_ABI_MAJOR,
            .abi_minor = RACECAR_ABI_MINOR,
            .sdk_version = "c-header",
            .toolchain = "c",
            .consumers = \(prefix)_consumers,
            .consumer_count = 1,
        };

        /* The entry point racecar-host looks for. Everything it returns stays valid for the whole process. */
        const racecar_plugin_descriptor *racecar_plugin_abi_v1(void) { return &\(prefix)_plugin; }

        """
    }

    private var cReadme: String {
        """
        # \(name.typeName)

        A consumer plugin for racecar-host in C, made by
        `racecar-host new \(name.base) --language c\(isBatch ? " --batch" : "")`: a shared library that racecar-host
        loads and hands Kafka messages to. It subscribes to the placeholder topic `\(topic)` and logs
        each message. Put your code in `\(prefix)_\(isBatch ? "process_batch" : "process")` in `\(cSource)`, and change the
        topic there.

        ## Build, run

        ```sh
        \(commands.joined(separator: "\n"))
        ```

        The Makefile compiles against `racecar_plugin.h` in the racecar SDK at \(sdk)
        (`make RACECAR_SDK=/path/to/SDK` names another). That header is the whole contract between
        plugin and host, and reads top to bottom as a manual.

        racecar-host reads `racecar.yml` from the folder it runs in (`racecar-host init` writes one),
        `RACECAR_*` variables and flags; it connects to Kafka at localhost:9092 unless told otherwise.
        For a Kafka in memory, run `racecar-host mock-cluster --topic \(topic) --sample-messages 5` in
        another terminal and paste the `export RACECAR_BROKERS=...` line it prints before the run command.

        ## Rules

        - Report a failure by returning `RACECAR_ERROR` with a message, never by exiting or aborting:
          the host pauses the partition and retries the message.
        - Everything the descriptors point to must stay valid and unchanged for the life of the process
          (static storage, as here).
        - Messages and everything in them are borrowed: copy what you keep past the call.

        """
    }
}
