/*
 * CountingCConsumer: a consumer written in plain C against racecar_plugin.h, to show the
 * ABI is language-neutral. It prints `<topic>/<partition>@<offset> <key> <value>` per
 * message, followed by ` <name>=<value>` per header (like EchoConsumer), and the number of
 * messages it processed at teardown. It reads headers on demand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "racecar_plugin.h"

typedef struct counting_consumer {
    racecar_host *host;
    const racecar_host_api *api;
    unsigned long processed;
} counting_consumer;

static racecar_status counting_create(const racecar_consumer_descriptor *consumer, racecar_host *host,
                                      const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
    (void)consumer;
    counting_consumer *self = calloc(1, sizeof *self);
    if (self == NULL) {
        snprintf(error->message, error->capacity, "out of memory");
        return RACECAR_ERROR;
    }
    self->host = host;
    self->api = api;
    *instance = self;
    return RACECAR_OK;
}

static racecar_status counting_process(void *instance, const racecar_message *message, racecar_error_buffer *error) {
    counting_consumer *self = instance;
    const racecar_header *const *headers = NULL;
    size_t header_count = 0;
    if (self->api->message_headers(self->host, message, &headers, &header_count, error) != RACECAR_OK) {
        return RACECAR_ERROR;
    }
    printf("%s/%d@%lld %.*s %.*s", message->topic, (int)message->partition, (long long)message->offset,
           (int)message->key_length, message->key ? (const char *)message->key : "",
           (int)message->value_length, message->value ? (const char *)message->value : "");
    for (size_t i = 0; i < header_count; i++) {
        printf(" %s=%.*s", headers[i]->name, (int)headers[i]->value_length,
               headers[i]->value ? (const char *)headers[i]->value : "");
    }
    printf("\n");
    fflush(stdout);
    self->processed++;
    return RACECAR_OK;
}

static void counting_teardown(void *instance) {
    counting_consumer *self = instance;
    char line[128];
    snprintf(line, sizeof line, "CountingCConsumer processed %lu messages", self->processed);
    self->api->log(self->host, RACECAR_LOG_INFO, line);
}

static void counting_destroy(void *instance) { free(instance); }

static const racecar_consumer_vtable counting_vtable = {
    .struct_size = sizeof(racecar_consumer_vtable),
    .create = counting_create,
    .process = counting_process,
    .teardown = counting_teardown,
    .destroy = counting_destroy,
};

static const racecar_subscription events = {
    .struct_size = sizeof(racecar_subscription),
    .topic = "events",
    .start_from_beginning = 1,
};
static const racecar_subscription *const subscriptions[] = {&events};

static const racecar_consumer_descriptor counting_consumer_descriptor = {
    .struct_size = sizeof(racecar_consumer_descriptor),
    .name = "CountingCConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &counting_vtable,
    .flags = RACECAR_HEADERS_ON_DEMAND,
};
static const racecar_consumer_descriptor *const consumers[] = {&counting_consumer_descriptor};

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
