/*
 * C consumers that crash at scripted positions, for the supervised-worker tests:
 *   SegfaultConsumer       process: writes through a null pointer (SIGSEGV)
 *   AbortingBatchConsumer  process_batch: calls abort() (SIGABRT) on reaching the position
 * Positions come from the environment: CRASH_AT="events/0@5,events/1@7" and CRASH_MODULO=N
 * (every offset o with o % N == N - 1). Both print `processed <topic>/<partition>@<offset>
 * <value>` per message they finished, and `crashing <topic>/<partition>@<offset> at=<ms since
 * 1970>` just before they crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "racecar_plugin.h"

static int scheduled(const racecar_message *message);

/* Whether the consumer crashes at `message`; if so, announces it first. */
static int crashes(const racecar_message *message) {
    if (!scheduled(message)) return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    printf("crashing %s/%d@%lld at=%lld\n", message->topic, (int)message->partition, (long long)message->offset,
           (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    fflush(stdout);
    return 1;
}

static int scheduled(const racecar_message *message) {
    const char *modulo = getenv("CRASH_MODULO");
    if (modulo != NULL && atoll(modulo) > 0) {
        long long n = atoll(modulo);
        if (message->offset % n == n - 1) return 1;
    }
    const char *list = getenv("CRASH_AT");
    if (list == NULL) return 0;
    char position[300];
    snprintf(position, sizeof position, "%s/%d@%lld", message->topic, (int)message->partition,
             (long long)message->offset);
    size_t length = strlen(position);
    for (const char *at = strstr(list, position); at != NULL; at = strstr(at + 1, position)) {
        int starts = at == list || at[-1] == ',';
        int ends = at[length] == '\0' || at[length] == ',';
        if (starts && ends) return 1;
    }
    return 0;
}

static void print_processed(const racecar_message *message) {
    printf("processed %s/%d@%lld %.*s\n", message->topic, (int)message->partition, (long long)message->offset,
           (int)message->value_length, message->value ? (const char *)message->value : "");
}

static racecar_status crash_create(const racecar_consumer_descriptor *consumer, racecar_host *host,
                                   const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
    (void)consumer; (void)host; (void)api; (void)error;
    *instance = NULL;
    return RACECAR_OK;
}

static racecar_status segfault_process(void *instance, const racecar_message *message, racecar_error_buffer *error) {
    (void)instance; (void)error;
    if (crashes(message)) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    print_processed(message);
    fflush(stdout);
    return RACECAR_OK;
}

static racecar_status aborting_process_batch(void *instance, const racecar_message *const *messages, size_t count,
                                             size_t *processed_count, racecar_error_buffer *error) {
    (void)instance; (void)processed_count; (void)error;
    for (size_t i = 0; i < count; i++) {
        if (crashes(messages[i])) abort();
    }
    for (size_t i = 0; i < count; i++) print_processed(messages[i]);
    fflush(stdout);
    return RACECAR_OK;
}

static const racecar_consumer_vtable segfault_vtable = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = crash_create,
    .process = segfault_process,
};
static const racecar_consumer_vtable aborting_vtable = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = crash_create,
    .process_batch = aborting_process_batch,
};

static const racecar_subscription events = {
    .struct_size = sizeof(racecar_subscription),
    .topic = "events",
    .start_from_beginning = 1,
};
static const racecar_subscription *const subscriptions[] = {&events};

static const racecar_consumer_descriptor segfault_consumer = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "SegfaultConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &segfault_vtable,
};
static const racecar_consumer_descriptor aborting_consumer = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "AbortingBatchConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &aborting_vtable,
};
static const racecar_consumer_descriptor *const consumers[] = {&segfault_consumer, &aborting_consumer};

static const racecar_plugin_descriptor plugin = {
    .struct_size = sizeof(racecar_plugin_descriptor),
    .abi_major = RACECAR_ABI_MAJOR,
    .abi_minor = RACECAR_ABI_MINOR,
    .sdk_version = "crash fixture",
    .toolchain = "c",
    .consumers = consumers,
    .consumer_count = 2,
};

const racecar_plugin_descriptor *racecar_plugin_abi_v1(void) { return &plugin; }
