/* One consumer, VersionedConsumer on topic `events`, built in versions for the live-swap
 * tests: compile with -DVERSION=<n>, and optionally
 *   -DVARIANT_SECOND_CREATE_FAILS  every create after the first one in this image fails, so
 *                                  the check (one create) passes and a swap to two instances
 *                                  (concurrency 2) fails
 *   -DVARIANT_CREATE_FAILS         every create fails
 *   -DVARIANT_CRASHES              process aborts on every message
 * It prints to standard output, one line each:
 *   `<topic>/<partition>@<offset> v<n>` per message processed,
 *   `v<n> create`, `v<n> teardown`, `v<n> destroy`, `v<n> assigned <count>`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "racecar_plugin.h"

#ifndef VERSION
#error "build with -DVERSION=<n>"
#endif

static int creates;

static racecar_status versioned_create(const racecar_consumer_descriptor *consumer, racecar_host *host,
                                       const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
    (void)consumer; (void)host; (void)api;
    creates++;
#ifdef VARIANT_CREATE_FAILS
    snprintf(error->message, error->capacity, "v%d cannot reach its database", VERSION);
    return RACECAR_ERROR;
#endif
#ifdef VARIANT_SECOND_CREATE_FAILS
    if (creates > 1) {
        snprintf(error->message, error->capacity, "v%d cannot open a second connection", VERSION);
        return RACECAR_ERROR;
    }
#endif
    (void)error;
    printf("v%d create\n", VERSION);
    fflush(stdout);
    *instance = NULL;
    return RACECAR_OK;
}

static racecar_status versioned_process(void *instance, const racecar_message *message, racecar_error_buffer *error) {
    (void)instance; (void)error;
#ifdef VARIANT_CRASHES
    abort();
#endif
    printf("%s/%d@%lld v%d\n", message->topic, (int)message->partition, (long long)message->offset, VERSION);
    fflush(stdout);
    return RACECAR_OK;
}

static void versioned_assigned(void *instance, const racecar_topic_partition *const *partitions, size_t count) {
    (void)instance; (void)partitions;
    printf("v%d assigned %zu\n", VERSION, count);
    fflush(stdout);
}

static void versioned_teardown(void *instance) {
    (void)instance;
    printf("v%d teardown\n", VERSION);
    fflush(stdout);
}

static void versioned_destroy(void *instance) {
    (void)instance;
    printf("v%d destroy\n", VERSION);
    fflush(stdout);
}

static const racecar_consumer_vtable vtable = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = versioned_create,
    .process = versioned_process,
    .on_partitions_assigned = versioned_assigned,
    .teardown = versioned_teardown,
    .destroy = versioned_destroy,
};

static const racecar_subscription events = {
    .struct_size = sizeof(racecar_subscription),
    .topic = "events",
    .start_from_beginning = 1,
};
static const racecar_subscription *const subscriptions[] = {&events};

static const racecar_consumer_descriptor consumer = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "VersionedConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &vtable,
};
static const racecar_consumer_descriptor *const consumers[] = {&consumer};

static const racecar_plugin_descriptor plugin = {
    .struct_size = sizeof(racecar_plugin_descriptor),
    .abi_major = RACECAR_ABI_MAJOR,
    .abi_minor = RACECAR_ABI_MINOR,
    .sdk_version = "fixture",
    .toolchain = "c",
    .consumers = consumers,
    .consumer_count = 1,
};

const racecar_plugin_descriptor *racecar_plugin_abi_v1(void) { return &plugin; }
