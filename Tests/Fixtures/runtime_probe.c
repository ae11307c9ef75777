/*
 * A plugin for the in-process runtime tests: ProbeConsumer (process) and ProbeBatchConsumer
 * (process_batch) report every call the host makes, in order, to a sink the test installs
 * with probe_configure, and fail on the positions it names.
 *
 * Lines: `process t/p@o retries=n`, `batch t/p@first-last retries=n`, `failed t/p@o`,
 * `error t/p@o recovery=<r> retries=n batch=<0|1>`, `assigned t/p,...`, `revoked t/p,...`,
 * `teardown`, `destroy`.
 */
#include <stdio.h>
#include <string.h>

#include "racecar_plugin.h"

static void (*sink)(const char *line);
static char failures[4096];
static int fail_times;

/* Installs the sink and the positions that fail (`t/p@o,t/p@o`, each its first `times` attempts). */
void probe_configure(void (*line_sink)(const char *line), const char *failing, int times) {
    sink = line_sink;
    snprintf(failures, sizeof failures, ",%s,", failing ? failing : "");
    fail_times = times;
}

static void emit(const char *line) {
    if (sink) sink(line);
}

static int fails(const racecar_message *message) {
    char position[512];
    snprintf(position, sizeof position, ",%s/%d@%lld,", message->topic, (int)message->partition,
             (long long)message->offset);
    return strstr(failures, position) != NULL && message->retries_count < fail_times;
}

static racecar_status probe_create(const racecar_consumer_descriptor *consumer, racecar_host *host,
                                   const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
    (void)consumer; (void)host; (void)api; (void)error;
    *instance = NULL;
    return RACECAR_OK;
}

static racecar_status probe_process(void *instance, const racecar_message *message, racecar_error_buffer *error) {
    (void)instance;
    char line[512];
    snprintf(line, sizeof line, "process %s/%d@%lld retries=%d", message->topic, (int)message->partition,
             (long long)message->offset, (int)message->retries_count);
    emit(line);
    if (fails(message)) {
        snprintf(error->message, error->capacity, "probe failure at %s/%d@%lld", message->topic,
                 (int)message->partition, (long long)message->offset);
        return RACECAR_ERROR;
    }
    return RACECAR_OK;
}

static racecar_status probe_process_batch(void *instance, const racecar_message *const *messages, size_t count,
                                          size_t *processed_count, racecar_error_buffer *error) {
    (void)instance;
    char line[512];
    snprintf(line, sizeof line, "batch %s/%d@%lld-%lld retries=%d", messages[0]->topic, (int)messages[0]->partition,
             (long long)messages[0]->offset, (long long)messages[count - 1]->offset, (int)messages[0]->retries_count);
    emit(line);
    for (size_t i = 0; i < count; i++) {
        if (fails(messages[i])) {
            *processed_count = i;
            snprintf(error->message, error->capacity, "probe failure at %s/%d@%lld", messages[i]->topic,
                     (int)messages[i]->partition, (long long)messages[i]->offset);
            return RACECAR_ERROR;
        }
    }
    return RACECAR_OK;
}

static void probe_on_error(void *instance, const racecar_error_info *info) {
    (void)instance;
    static const char *const recoveries[] = {"retry", "pause", "stop", "dead_letter"};
    char line[512];
    snprintf(line, sizeof line, "error %s/%d@%lld recovery=%s retries=%d batch=%d", info->topic, (int)info->partition,
             (long long)info->offset, info->recovery < 4 ? recoveries[info->recovery] : "?", (int)info->retries_count,
             info->is_batch);
    emit(line);
}

static void list(const char *what, const racecar_topic_partition *const *partitions, size_t count) {
    char line[2048];
    int used = snprintf(line, sizeof line, "%s ", what);
    for (size_t i = 0; i < count && used < (int)sizeof line; i++) {
        used += snprintf(line + used, sizeof line - used, "%s%s/%d", i ? "," : "", partitions[i]->topic,
                         (int)partitions[i]->partition);
    }
    emit(line);
}

static void probe_assigned(void *instance, const racecar_topic_partition *const *partitions, size_t count) {
    (void)instance;
    list("assigned", partitions, count);
}

static void probe_revoked(void *instance, const racecar_topic_partition *const *partitions, size_t count) {
    (void)instance;
    list("revoked", partitions, count);
}

static void probe_teardown(void *instance) {
    (void)instance;
    emit("teardown");
}

static void probe_destroy(void *instance) {
    (void)instance;
    emit("destroy");
}

static const racecar_consumer_vtable single = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = probe_create,
    .process = probe_process,
    .on_error = probe_on_error,
    .on_partitions_assigned = probe_assigned,
    .on_partitions_revoked = probe_revoked,
    .teardown = probe_teardown,
    .destroy = probe_destroy,
};

static const racecar_consumer_vtable batch = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = probe_create,
    .process_batch = probe_process_batch,
    .on_error = probe_on_error,
    .on_partitions_assigned = probe_assigned,
    .on_partitions_revoked = probe_revoked,
    .teardown = probe_teardown,
    .destroy = probe_destroy,
};

static const racecar_subscription events = {
    .struct_size = sizeof(racecar_subscription),
    .topic = "events",
    .start_from_beginning = 1,
};
static const racecar_subscription *const subscriptions[] = {&events};

static const racecar_consumer_descriptor probe = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "ProbeConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &single,
    .flags = RACECAR_HEADERS_ON_DEMAND,
};
static const racecar_consumer_descriptor probe_batch = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "ProbeBatchConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &batch,
    .flags = RACECAR_HEADERS_ON_DEMAND,
};
static const racecar_consumer_descriptor *const consumers[] = {&probe, &probe_batch};

static const racecar_plugin_descriptor plugin = {
    .struct_size = sizeof(racecar_plugin_descriptor),
    .abi_major = RACECAR_ABI_MAJOR,
    .abi_minor = RACECAR_ABI_MINOR,
    .sdk_version = "probe",
    .toolchain = "c",
    .consumers = consumers,
    .consumer_count = 2,
};

const racecar_plugin_descriptor *racecar_plugin_abi_v1(void) { return &plugin; }
