/*
 * Plugins for the failure paths of plugin loading, compiled by the tests with one of:
 *   -DVARIANT_NEWER_MINOR   descriptor claims a newer minor ABI than the host knows
 *   -DVARIANT_OTHER_MAJOR   descriptor claims ABI major 2
 *   -DVARIANT_INIT_FAILS    racecar_plugin_init_v1 returns an error
 *   -DVARIANT_OLDER_STRUCTS structs declare the smaller sizes of an older header
 *   -DVARIANT_ABI_1_0       a plugin built against the ABI 1.0 header (no descriptor flags)
 *   -DVARIANT_ABI_1_1       a plugin built against the ABI 1.1 header (no declared settings)
 *   -DVARIANT_REQUIRED_SETTING the consumer declares a required setting, `api_url`
 *   -DVARIANT_UNKNOWN_FLAGS the consumer sets a flag bit the header does not define
 *   -DVARIANT_CREATE_FAILS  the consumer's create returns an error
 *   -DVARIANT_NO_SYMBOL     the entry symbol is missing
 * Each variant offers one consumer, FixtureConsumer, on topic `events`, which prints
 * `<topic>/<partition>@<offset> <key> <value>`, then ` <name>=<value>` per header, per
 * message. It reads the headers from the message: it never asks for them on demand (the
 * older variants set RACECAR_HEADERS_ON_DEMAND only as garbage past their descriptor's size).
 * From ABI 1.2 on it declares the settings `greeting` and `token` (secret), and its create
 * prints `fixture settings <json>` and `fixture greeting=<value or (unset)>`.
 */
#include <stdio.h>
#include <stddef.h>

#include "racecar_plugin.h"

static racecar_status fixture_create(const racecar_consumer_descriptor *consumer, racecar_host *host,
                                     const racecar_host_api *api, void **instance, racecar_error_buffer *error) {
    (void)consumer; (void)host; (void)api;
#ifdef VARIANT_CREATE_FAILS
    snprintf(error->message, error->capacity, "cannot connect to the fixture database");
    return RACECAR_ERROR;
#else
    (void)error;
#if !defined(VARIANT_OLDER_STRUCTS) && !defined(VARIANT_ABI_1_0) && !defined(VARIANT_ABI_1_1)
    /* A plugin of ABI 1.2 may call the 1.2 functions: the host checked the minor at load. */
    const char *greeting = api->setting(host, "greeting");
    printf("fixture settings %s\n", api->settings_json(host));
    printf("fixture greeting=%s\n", greeting ? greeting : "(unset)");
    fflush(stdout);
#endif
    *instance = NULL;
    return RACECAR_OK;
#endif
}

static racecar_status fixture_process(void *instance, const racecar_message *message, racecar_error_buffer *error) {
    (void)instance; (void)error;
    printf("%s/%d@%lld %.*s %.*s", message->topic, (int)message->partition, (long long)message->offset,
           (int)message->key_length, message->key ? (const char *)message->key : "",
           (int)message->value_length, message->value ? (const char *)message->value : "");
    /* No RACECAR_HEADERS_ON_DEMAND: the headers come in the message. */
    for (size_t i = 0; i < message->header_count; i++) {
        printf(" %s=%.*s", message->headers[i]->name, (int)message->headers[i]->value_length,
               message->headers[i]->value ? (const char *)message->headers[i]->value : "");
    }
    printf("\n");
    fflush(stdout);
    return RACECAR_OK;
}

#ifdef VARIANT_OLDER_STRUCTS
/* An older header had no teardown/destroy in the vtable, no user_data in the descriptor
   and no librdkafka properties in subscriptions. */
#define VTABLE_SIZE offsetof(racecar_consumer_vtable, teardown)
#define CONSUMER_SIZE offsetof(racecar_consumer_descriptor, user_data)
#define SUBSCRIPTION_SIZE offsetof(racecar_subscription, kafka_properties)
#elif defined(VARIANT_ABI_1_0)
/* ABI 1.1 appended `flags` to the consumer descriptor. */
#define VTABLE_SIZE sizeof(racecar_consumer_vtable)
#define CONSUMER_SIZE offsetof(racecar_consumer_descriptor, flags)
#define SUBSCRIPTION_SIZE sizeof(racecar_subscription)
#elif defined(VARIANT_ABI_1_1)
/* ABI 1.2 appended the declared settings to the consumer descriptor. */
#define VTABLE_SIZE sizeof(racecar_consumer_vtable)
#define CONSUMER_SIZE offsetof(racecar_consumer_descriptor, settings)
#define SUBSCRIPTION_SIZE sizeof(racecar_subscription)
#else
#define VTABLE_SIZE sizeof(racecar_consumer_vtable)
#define CONSUMER_SIZE sizeof(racecar_consumer_descriptor)
#define SUBSCRIPTION_SIZE sizeof(racecar_subscription)
#endif

/* Fields past VTABLE_SIZE hold garbage on purpose: the host must not read them. */
static const racecar_consumer_vtable vtable = {
    .struct_size = VTABLE_SIZE,
    .create = fixture_create,
    .process = fixture_process,
#ifdef VARIANT_OLDER_STRUCTS
    .teardown = (void (*)(void *))0x1,
    .destroy = (void (*)(void *))0x1,
#endif
};

static const racecar_subscription events = {
    .struct_size = SUBSCRIPTION_SIZE,
    .topic = "events",
    .start_from_beginning = 1,
#ifdef VARIANT_OLDER_STRUCTS
    .kafka_properties = (const char *const *)0x1, /* garbage past the old size: never read */
    .kafka_property_count = 3,
#endif
};
static const racecar_subscription *const subscriptions[] = {&events};

static const racecar_setting_declaration greeting_setting = {
    .struct_size = sizeof(racecar_setting_declaration),
    .name = "greeting",
    .description = "printed at create",
};
static const racecar_setting_declaration token_setting = {
    .struct_size = sizeof(racecar_setting_declaration),
    .name = "token",
    .flags = RACECAR_SETTING_SECRET,
};
#ifdef VARIANT_REQUIRED_SETTING
static const racecar_setting_declaration api_url_setting = {
    .struct_size = sizeof(racecar_setting_declaration),
    .name = "api_url",
    .description = "where the fixture sends nothing",
    .flags = RACECAR_SETTING_REQUIRED,
};
static const racecar_setting_declaration *const settings[] = {&greeting_setting, &token_setting, &api_url_setting};
#else
static const racecar_setting_declaration *const settings[] = {&greeting_setting, &token_setting};
#endif

static const racecar_consumer_descriptor consumer = {
    .struct_size = CONSUMER_SIZE,
    .name = "FixtureConsumer",
    .subscriptions = subscriptions,
    .subscription_count = 1,
    .vtable = &vtable,
#if defined(VARIANT_OLDER_STRUCTS) || defined(VARIANT_ABI_1_0)
    .flags = RACECAR_HEADERS_ON_DEMAND, /* garbage past the old size: headers still come in messages */
#elif defined(VARIANT_UNKNOWN_FLAGS)
    .flags = 0x80u,
#endif
    /* Past the size of the 1.0 and 1.1 variants: garbage the host must not read. */
    .settings = settings,
    .setting_count = sizeof settings / sizeof settings[0],
};
static const racecar_consumer_descriptor *const consumers[] = {&consumer};

static const racecar_plugin_descriptor plugin = {
    .struct_size = sizeof(racecar_plugin_descriptor),
#ifdef VARIANT_OTHER_MAJOR
    .abi_major = RACECAR_ABI_MAJOR + 1,
#else
    .abi_major = RACECAR_ABI_MAJOR,
#endif
#ifdef VARIANT_NEWER_MINOR
    .abi_minor = RACECAR_ABI_MINOR + 1,
#elif defined(VARIANT_OLDER_STRUCTS) || defined(VARIANT_ABI_1_0)
    .abi_minor = 0,
#elif defined(VARIANT_ABI_1_1)
    .abi_minor = 1,
#else
    .abi_minor = RACECAR_ABI_MINOR,
#endif
    .sdk_version = "fixture",
    .toolchain = "c",
    .consumers = consumers,
    .consumer_count = 1,
};

#ifndef VARIANT_NO_SYMBOL
const racecar_plugin_descriptor *racecar_plugin_abi_v1(void) { return &plugin; }
#else
const racecar_plugin_descriptor *racecar_plugin_abi_v0(void) { return &plugin; }
#endif

#ifdef VARIANT_INIT_FAILS
racecar_status racecar_plugin_init_v1(const racecar_host_api *host_api, racecar_error_buffer *error) {
    host_api->log(NULL, RACECAR_LOG_WARNING, "fixture init is about to fail");
    snprintf(error->message, error->capacity, "license key missing");
    return RACECAR_ERROR;
}
#endif
