/*
 * racecar_plugin.h -- the racecar-host plugin ABI.
 *
 * This header is the whole contract between the racecar-host executable and a
 * consumer plugin: a shared library (.so) that exports the entry points at the
 * bottom of this file. Read it top to bottom; it is written as a manual.
 *
 * The model (borrowed from Racecar): a consumer is a small object with
 * `process(message)` or `process_batch(messages)`. The host owns everything
 * else: Kafka, the consumer group, offsets, pausing and retrying, producing,
 * shutdown, logging and metrics.
 *
 * Rules that hold everywhere:
 *
 *  - Versioning. The ABI has a major and a minor version. The major version is
 *    part of the entry symbol names (`..._v1`). A plugin whose descriptor names
 *    another major, or a newer minor than the host knows, is refused before any
 *    of its code with effects runs.
 *  - Extensible structs. Every struct that crosses the boundary starts with
 *    `struct_size`, set to `sizeof` of the struct as the writer compiled it.
 *    Fields are only ever appended. A reader looks only at the fields that
 *    `struct_size` covers and treats the rest as zero, so a plugin built
 *    against an older header keeps loading in a newer host.
 *  - Arrays of extensible structs are arrays of pointers, so that each element
 *    may have its own size.
 *  - No exceptions, no Swift errors, no longjmp across the boundary. Functions
 *    return a `racecar_status` and describe failures in a host-provided error
 *    buffer (see `racecar_error_buffer`).
 *  - Memory. Everything the host passes in is borrowed: valid only until the
 *    call returns. Everything the plugin hands out in its descriptor must stay
 *    valid, unchanged, for the life of the process (static storage is ideal).
 *  - Threads. One consumer instance is never called concurrently: every call
 *    for an instance comes from one host thread at a time. Host API functions
 *    may be called from the thread that is currently calling into the
 *    instance.
 *  - Never unloaded. The host loads plugins with RTLD_NOW | RTLD_LOCAL and
 *    never calls dlclose (Swift libraries cannot be unloaded safely).
 */
#ifndef RACECAR_PLUGIN_H
#define RACECAR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

/** Bumped when a change breaks existing plugins; part of the symbol names. */
#define RACECAR_ABI_MAJOR 1
/** Bumped when fields or functions are appended; older plugins keep working. */
#define RACECAR_ABI_MINOR 2

/* ------------------------------------------------------------------------ */
/* Status codes and errors                                                   */
/* ------------------------------------------------------------------------ */

/** What a plugin or host function reports. */
typedef enum racecar_status {
    /** The call did what it was asked to do. */
    RACECAR_OK = 0,
    /**
     * The call failed and may succeed later. For `process` and
     * `process_batch`: the host pauses the message's partition, waits
     * `pause_timeout`, and calls again with the same message (nothing is
     * skipped). For `create`: the host exits with the error message.
     */
    RACECAR_ERROR = 1
} racecar_status;

/**
 * Host-provided storage for a failure description.
 *
 * When a function returns `RACECAR_ERROR` it should write a NUL-terminated,
 * human-readable message into `message` (at most `capacity` bytes, including
 * the NUL). The host logs it with the topic, partition and offset involved.
 * The buffer is borrowed for the duration of the call.
 */
typedef struct racecar_error_buffer {
    size_t struct_size;
    char *message;
    size_t capacity;
} racecar_error_buffer;

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

/** One Kafka header. Name and value are borrowed, like the message. */
typedef struct racecar_header {
    size_t struct_size;
    /** NUL-terminated header name. */
    const char *name;
    /** Header value bytes; NULL for a null value. Not NUL-terminated. */
    const void *value;
    size_t value_length;
} racecar_header;

/**
 * A consumed message.
 *
 * All pointers are borrowed straight from librdkafka's buffers (no copy) and
 * are valid only until `process` / `process_batch` returns. Copy what you
 * need to keep.
 */
typedef struct racecar_message {
    size_t struct_size;
    /** NUL-terminated topic name. */
    const char *topic;
    int32_t partition;
    int64_t offset;
    /** Key bytes, or NULL when the message has no key. */
    const void *key;
    size_t key_length;
    /** Value bytes, or NULL for a tombstone. */
    const void *value;
    size_t value_length;
    /** Milliseconds since the Unix epoch, or -1 when the broker gave none. */
    int64_t timestamp_ms;
    /**
     * How many times in a row processing of this partition has failed just
     * before this call: 0 on a first attempt, 1 on the first retry, and so on.
     */
    int32_t retries_count;
    /**
     * The message's headers, in their original order. Always NULL and 0 for
     * a consumer that reads headers on demand (RACECAR_HEADERS_ON_DEMAND in
     * `racecar_consumer_descriptor.flags`); it calls
     * `racecar_host_api.message_headers` instead.
     */
    const racecar_header *const *headers;
    size_t header_count;
} racecar_message;

/* ------------------------------------------------------------------------ */
/* The host API: what a consumer can ask of the host                         */
/* ------------------------------------------------------------------------ */

/** Opaque: the host's side of one consumer instance. */
typedef struct racecar_host racecar_host;

/** Severity for `racecar_host_api.log`. */
typedef enum racecar_log_level {
    RACECAR_LOG_DEBUG = 0,
    RACECAR_LOG_INFO = 1,
    RACECAR_LOG_WARNING = 2,
    RACECAR_LOG_ERROR = 3
} racecar_log_level;

/** Use as `racecar_produce_request.partition` to let the partitioner pick. */
#define RACECAR_PARTITION_ANY (-1)

/**
 * A message to produce. Every pointer is borrowed for the duration of the
 * `produce` call only: the host copies what it needs.
 */
typedef struct racecar_produce_request {
    size_t struct_size;
    /** NUL-terminated topic name. Required. */
    const char *topic;
    const void *key;
    size_t key_length;
    const void *value;
    size_t value_length;
    const racecar_header *const *headers;
    size_t header_count;
    /** An explicit partition, or RACECAR_PARTITION_ANY. */
    int32_t partition;
    /**
     * Bytes hashed by the partitioner instead of the key, or NULL to hash the
     * key. Ignored when `partition` is explicit.
     */
    const void *partition_key;
    size_t partition_key_length;
    /** Milliseconds since the Unix epoch, or 0 for "now". */
    int64_t timestamp_ms;
} racecar_produce_request;

/**
 * Functions the host offers to each consumer instance.
 *
 * Every function takes the `racecar_host *` that was passed to `create`.
 * Call them only from inside a call the host made into that instance.
 * The table itself lives as long as the process.
 */
typedef struct racecar_host_api {
    size_t struct_size;
    /**
     * Enqueues a message for delivery; it does not wait for the broker.
     * Returns RACECAR_ERROR (with a message) when the request is invalid or
     * the local queue is full.
     *
     * The host delivers everything a `process` / `process_batch` call
     * produced before it stores that call's offsets: a message is never
     * committed before its outputs are acknowledged.
     */
    racecar_status (*produce)(racecar_host *host, const racecar_produce_request *request,
                              racecar_error_buffer *error);
    /**
     * Blocks until everything this instance produced so far is acknowledged
     * by the broker, or failed. Returns RACECAR_ERROR, naming the first
     * failure, if any delivery failed.
     */
    racecar_status (*deliver)(racecar_host *host, racecar_error_buffer *error);
    /**
     * Writes a line to the host's log, tagged with the consumer's name.
     * `host` may be NULL (from `racecar_plugin_init_v1`) for plugin-wide lines.
     */
    void (*log)(racecar_host *host, racecar_log_level level, const char *message);
    /**
     * Since ABI 1.1. Reads the headers of `message` into `*headers` and
     * `*count` (NULL and 0 when it has none), for consumers that set
     * RACECAR_HEADERS_ON_DEMAND in `racecar_consumer_descriptor.flags`.
     *
     * `message` must be a pointer the host passed to the current `process` /
     * `process_batch` call (not a copy of the struct); anything else,
     * including a message kept from an earlier call, gets RACECAR_ERROR.
     * The headers are borrowed like the message. The first call for a
     * message with headers allocates; asking again returns the same array.
     * `error` may be NULL.
     */
    racecar_status (*message_headers)(racecar_host *host, const racecar_message *message,
                                      const racecar_header *const **headers, size_t *count,
                                      racecar_error_buffer *error);
    /**
     * Since ABI 1.2. The value of the consumer's setting `name` (the `settings:`
     * mapping of its section in racecar.yml, or RACECAR_SETTINGS_<NAME>), as
     * NUL-terminated text: a scalar as written (`8080`, `true`, `/var/archive`),
     * a list or mapping as JSON. NULL when the setting is not set. The text
     * stays valid until `destroy` returns.
     */
    const char *(*setting)(racecar_host *host, const char *name);
    /**
     * Since ABI 1.2. Every setting of the consumer as one NUL-terminated JSON
     * object (`{}` when it has none): strings, numbers, booleans, null, lists
     * and mappings as YAML resolved them. Valid until `destroy` returns.
     */
    const char *(*settings_json)(racecar_host *host);
} racecar_host_api;

/* ------------------------------------------------------------------------ */
/* Consumers                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct racecar_consumer_descriptor racecar_consumer_descriptor;

/** A partition, for the rebalance hooks. Borrowed for the duration of the call. */
typedef struct racecar_topic_partition {
    size_t struct_size;
    const char *topic;
    int32_t partition;
} racecar_topic_partition;

/**
 * What failed, for `on_error` (Racecar's `on_error` hook): report it to your
 * error tracker. Borrowed for the duration of the call.
 */
typedef struct racecar_error_info {
    size_t struct_size;
    /** The error message `process` / `process_batch` (or delivery) reported. */
    const char *message;
    const char *topic;
    int32_t partition;
    /** The message that failed: for a batch, the first one not processed. */
    int64_t offset;
    /** For a batch, its first and last offsets; for a single message, both equal `offset`. */
    int64_t first_offset;
    int64_t last_offset;
    /** Non-zero when the failure came from `process_batch`. */
    int is_batch;
    /** Consecutive failures of this partition before this one (0 on the first). */
    int32_t retries_count;
    /**
     * What the host does next: RACECAR_RECOVERY_RETRY (pause, then retry),
     * RACECAR_RECOVERY_PAUSE (pause until restart), RACECAR_RECOVERY_STOP
     * (shut down) or RACECAR_RECOVERY_DEAD_LETTER (sent to the dead-letter
     * topic, then skipped).
     */
    int recovery;
} racecar_error_info;

#define RACECAR_RECOVERY_RETRY 0
#define RACECAR_RECOVERY_PAUSE 1
#define RACECAR_RECOVERY_STOP 2
#define RACECAR_RECOVERY_DEAD_LETTER 3

/**
 * The functions of one consumer. Either `process` or `process_batch` must be
 * set; when both are, the host uses `process_batch`. Unused entries are NULL.
 *
 * Threads: the host calls every function of one instance from one thread at
 * a time, never concurrently.
 */
typedef struct racecar_consumer_vtable {
    size_t struct_size;
    /**
     * Creates an instance of `consumer` (the descriptor it was listed with,
     * so one function can serve several consumers). Store whatever you need
     * in `*instance`; the host passes it back to every other function. `host` and `host_api` stay
     * valid until `destroy` returns. Return RACECAR_ERROR to abort start-up
     * (the host exits non-zero with the message).
     */
    racecar_status (*create)(const racecar_consumer_descriptor *consumer, racecar_host *host,
                             const racecar_host_api *host_api, void **instance, racecar_error_buffer *error);
    /** Processes one message. See racecar_status for what an error does. */
    racecar_status (*process)(void *instance, const racecar_message *message, racecar_error_buffer *error);
    /**
     * Processes `count` messages, all from one partition, in offset order
     * (at most `fetch_messages` of them).
     *
     * On RACECAR_ERROR, set `*processed_count` to the number of leading
     * messages that were handled completely (it starts at 0): their offsets
     * are stored and only the rest is retried.
     */
    racecar_status (*process_batch)(void *instance, const racecar_message *const *messages, size_t count,
                                    size_t *processed_count, racecar_error_buffer *error);
    /**
     * Called once on shutdown after the last `process` call, before the
     * final delivery and commit: close files and connections here. May
     * produce. Optional.
     */
    void (*teardown)(void *instance);
    /** Frees the instance. Called last. Optional. */
    void (*destroy)(void *instance);
    /** Told about every processing or delivery failure, after the host logged it. Optional. */
    void (*on_error)(void *instance, const racecar_error_info *error);
    /** Told which partitions this instance now consumes, after they were assigned. Optional. */
    void (*on_partitions_assigned)(void *instance, const racecar_topic_partition *const *partitions, size_t count);
    /**
     * Told which partitions were taken away, after the work on them finished
     * and their offsets were committed, before they move to another member.
     * With cooperative-sticky assignment, partitions a member keeps are never
     * revoked. Not called during shutdown, where `teardown` is. Optional.
     */
    void (*on_partitions_revoked)(void *instance, const racecar_topic_partition *const *partitions, size_t count);
    /**
     * Receives librdkafka's statistics JSON (`length` bytes, NUL-terminated)
     * every `statistics_interval` seconds. Statistics are only collected when
     * this is set. Optional.
     */
    void (*on_statistics)(void *instance, const char *json, size_t length);
} racecar_consumer_vtable;

/** A topic the consumer subscribes to. */
typedef struct racecar_subscription {
    size_t struct_size;
    /** NUL-terminated topic name. */
    const char *topic;
    /**
     * Non-zero: a group with no committed offset starts at the oldest
     * message; zero: at the next new message. Racecar's default is non-zero.
     */
    int start_from_beginning;
    /**
     * Extra librdkafka consumer properties the subscription needs, as
     * NUL-terminated "name=value" strings (for example "fetch.min.bytes=1024"),
     * or NULL. They are defaults: an operator's `consumer` properties in
     * racecar.yml win. The host runs one librdkafka consumer for all of a
     * consumer's subscriptions, so subscriptions must not disagree on a value.
     */
    const char *const *kafka_properties;
    size_t kafka_property_count;
} racecar_subscription;

/**
 * For `racecar_consumer_descriptor.flags`: the host leaves every message's
 * `headers` empty and the consumer asks for them with
 * `racecar_host_api.message_headers` when it needs them. librdkafka
 * allocates and frees a parse buffer to read a message's headers, even to
 * find that it has none; a consumer that reads headers rarely or never saves
 * that on every message. The Swift SDK sets it for every consumer.
 */
#define RACECAR_HEADERS_ON_DEMAND 0x1u

/** For `racecar_setting_declaration.flags`: the host refuses to start without it. */
#define RACECAR_SETTING_REQUIRED 0x1u
/** For `racecar_setting_declaration.flags`: its value is shown as [redacted]. */
#define RACECAR_SETTING_SECRET 0x2u

/**
 * Since ABI 1.2. A setting the consumer reads (see `racecar_host_api.setting`).
 * The host checks required settings before any consumer is created, and
 * `racecar-host config` and `inspect` list the declared ones.
 */
typedef struct racecar_setting_declaration {
    size_t struct_size;
    /** NUL-terminated name, as written in racecar.yml (e.g. "archive_dir"). */
    const char *name;
    /** One line saying what it is for, or NULL. */
    const char *description;
    /** RACECAR_SETTING_REQUIRED and RACECAR_SETTING_SECRET, or 0. */
    uint32_t flags;
} racecar_setting_declaration;

/**
 * One consumer a plugin offers, with its compiled-in defaults. An operator
 * can override every default in racecar.yml, the environment or flags.
 */
struct racecar_consumer_descriptor {
    size_t struct_size;
    /** The name the operator passes on the command line, e.g. "EchoConsumer". */
    const char *name;
    const racecar_subscription *const *subscriptions;
    size_t subscription_count;
    /** Consumer group id, or NULL to derive one from `name`. */
    const char *group_id;
    /** Largest batch for `process_batch`, or 0 for the host's default. */
    int32_t fetch_messages;
    /** Longest broker wait for a fetch in milliseconds, or 0 for the default. */
    int32_t max_wait_time_ms;
    const racecar_consumer_vtable *vtable;
    /** Anything the plugin wants to find again in `create`; the host never reads it. */
    const void *user_data;
    /**
     * Since ABI 1.1. RACECAR_HEADERS_ON_DEMAND, or 0. The host refuses a
     * consumer that sets any other bit.
     */
    uint32_t flags;
    /** Since ABI 1.2. The settings the consumer reads, or NULL and 0. */
    const racecar_setting_declaration *const *settings;
    size_t setting_count;
};

/** What a plugin is: returned by `racecar_plugin_abi_v1`. */
typedef struct racecar_plugin_descriptor {
    size_t struct_size;
    /** Set to RACECAR_ABI_MAJOR and RACECAR_ABI_MINOR as compiled. */
    uint32_t abi_major;
    uint32_t abi_minor;
    /** Free-form version of the SDK the plugin was built with, or NULL. */
    const char *sdk_version;
    /** Compiler/toolchain the plugin was built with, or NULL. */
    const char *toolchain;
    const racecar_consumer_descriptor *const *consumers;
    size_t consumer_count;
} racecar_plugin_descriptor;

/* ------------------------------------------------------------------------ */
/* Entry points: what a plugin exports                                       */
/* ------------------------------------------------------------------------ */

/** The exported name of the descriptor function for ABI major 1. */
#define RACECAR_PLUGIN_ABI_SYMBOL "racecar_plugin_abi_v1"
/** The exported name of the optional init function for ABI major 1. */
#define RACECAR_PLUGIN_INIT_SYMBOL "racecar_plugin_init_v1"

/**
 * Required. Returns the plugin's static descriptor. Must be pure: no I/O, no
 * threads, no global state changes; the host calls it before deciding
 * whether to trust the plugin at all.
 */
const racecar_plugin_descriptor *racecar_plugin_abi_v1(void);

/**
 * Optional. Called once, after the descriptor was accepted and before any
 * consumer is created: set up process-wide state here. Return RACECAR_ERROR
 * with a message to stop the host.
 */
racecar_status racecar_plugin_init_v1(const racecar_host_api *host_api, racecar_error_buffer *error);

#ifdef __cplusplus
}
#endif

#endif /* RACECAR_PLUGIN_H */
