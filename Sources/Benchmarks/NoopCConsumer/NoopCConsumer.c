/*
 * NoopCConsumer: a consumer written in C that does nothing with a message but count it and
 * note when it arrived. racecar-bench runs it to measure what the host costs per message
 * when the plugin costs (almost) nothing, and calls it in-process to time one call across
 * the plugin ABI.
 *
 * At teardown it prints one line to standard output:
 *     noop count=<messages> first_ns=<CLOCK_MONOTONIC ns of the first> last_ns=<of the last>
 *          max_gap_ns=<longest wait between two messages> first_rss_kb=<VmRSS at the first
 *          message> peak_rss_kb=<VmHWM> window_cpu_ns=<CPU spent consuming>
 *          window_messages=<messages in that window> (see cpu_window in process_status.h)
 * (the peak RSS comes from the process itself: Linux carries a spawning process's peak over
 * into a child started with vfork and exec, so wait4 cannot tell it).
 *
 * With NOOP_SKIP_CLOCK set in the environment when the instance is created, it does not
 * read the clock (racecar-bench uses this to time a bare call).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "process_status.h"
#include "racecar_plugin.h"

typedef struct noop_consumer {
    uint64_t count;
    uint64_t first_ns;
    uint64_t last_ns;
    uint64_t max_gap_ns;
    long first_rss_kb;
    cpu_window cpu;
    int reads_clock;
} noop_consumer;

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static racecar_status noop_create(const racecar_consumer_descriptor *consumer, racecar_host *host,
                                  const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
    (void)consumer;
    (void)host;
    (void)api;
    noop_consumer *self = calloc(1, sizeof *self);
    if (self == NULL) {
        if (error != NULL && error->capacity > 0) snprintf(error->message, error->capacity, "out of memory");
        return RACECAR_ERROR;
    }
    self->reads_clock = getenv("NOOP_SKIP_CLOCK") == NULL;
    *instance = self;
    return RACECAR_OK;
}

static racecar_status noop_process(void *instance, const racecar_message *message, racecar_error_buffer *error) {
    (void)message;
    (void)error;
    noop_consumer *self = instance;
    self->count++;
    if (self->reads_clock) {
        cpu_window_record(&self->cpu, self->count - 1, self->count);
        uint64_t now = monotonic_ns();
        if (self->first_ns == 0) {
            self->first_ns = now;
            self->first_rss_kb = process_status_kb("VmRSS");
        } else if (now - self->last_ns > self->max_gap_ns) {
            self->max_gap_ns = now - self->last_ns;
        }
        self->last_ns = now;
    }
    return RACECAR_OK;
}

static void noop_teardown(void *instance) {
    noop_consumer *self = instance;
    printf("noop count=%" PRIu64 " first_ns=%" PRIu64 " last_ns=%" PRIu64 " max_gap_ns=%" PRIu64
           " first_rss_kb=%ld peak_rss_kb=%ld window_cpu_ns=%" PRIu64 " window_messages=%" PRIu64 "\n",
           self->count, self->first_ns, self->last_ns, self->max_gap_ns, self->first_rss_kb, process_status_kb("VmHWM"),
           self->cpu.last_cpu_ns - self->cpu.first_cpu_ns, self->cpu.last_count - self->cpu.first_count);
    fflush(stdout);
}

static void noop_destroy(void *instance) { free(instance); }

static const racecar_consumer_vtable noop_vtable = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = noop_create,
    .process = noop_process,
    .teardown = noop_teardown,
    .destroy = noop_destroy,
};

static const racecar_subscription bench_topic = {
    .struct_size = sizeof(racecar_subscription),
    .topic = "bench",
    .start_from_beginning = 1,
};
static const racecar_subscription *const subscriptions[] = {&bench_topic};

static const racecar_consumer_descriptor noop_consumer_descriptor = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "NoopCConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &noop_vtable,
    /* It never reads headers, so the host does not parse them. */
    .flags = RACECAR_HEADERS_ON_DEMAND,
};
static const racecar_consumer_descriptor *const consumers[] = {&noop_consumer_descriptor};

static const racecar_plugin_descriptor plugin = {
    .struct_size = sizeof(racecar_plugin_descriptor),
    .abi_major = RACECAR_ABI_MAJOR,
    .abi_minor = RACECAR_ABI_MINOR,
    .sdk_version = "c-header",
    .toolchain = "c",
    .consumers = consumers,
    .consumer_count = 1,
};

const racecar_plugin_descriptor *racecar_plugin_abi_v1(void) { return &plugin; }
