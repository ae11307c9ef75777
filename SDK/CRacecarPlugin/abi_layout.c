// Compile-time guards for the ABI: the layout of these structs is a promise to
// every plugin ever built, so a change that moves a field fails the build here.
#include "racecar_plugin.h"

_Static_assert(offsetof(racecar_message, struct_size) == 0, "struct_size must come first");
_Static_assert(offsetof(racecar_consumer_descriptor, struct_size) == 0, "struct_size must come first");
_Static_assert(offsetof(racecar_plugin_descriptor, struct_size) == 0, "struct_size must come first");
_Static_assert(offsetof(racecar_consumer_vtable, struct_size) == 0, "struct_size must come first");
_Static_assert(offsetof(racecar_host_api, struct_size) == 0, "struct_size must come first");
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(racecar_message) == 96, "racecar_message v1.0 layout changed");
_Static_assert(offsetof(racecar_consumer_descriptor, flags) == 64, "racecar_consumer_descriptor v1.0 layout changed");
_Static_assert(offsetof(racecar_consumer_descriptor, settings) == 72, "racecar_consumer_descriptor v1.1 layout changed");
_Static_assert(sizeof(racecar_consumer_descriptor) == 88, "racecar_consumer_descriptor v1.2 layout changed");
_Static_assert(sizeof(racecar_plugin_descriptor) == 48, "racecar_plugin_descriptor v1.0 layout changed");
_Static_assert(sizeof(racecar_consumer_vtable) == 80, "racecar_consumer_vtable v1.0 layout changed");
_Static_assert(offsetof(racecar_host_api, message_headers) == 32, "racecar_host_api v1.0 layout changed");
_Static_assert(offsetof(racecar_host_api, setting) == 40, "racecar_host_api v1.1 layout changed");
_Static_assert(sizeof(racecar_host_api) == 56, "racecar_host_api v1.2 layout changed");
_Static_assert(sizeof(racecar_setting_declaration) == 32, "racecar_setting_declaration v1.2 layout changed");
_Static_assert(sizeof(racecar_produce_request) == 96, "racecar_produce_request v1.0 layout changed");
_Static_assert(sizeof(racecar_subscription) == 40, "racecar_subscription v1.0 layout changed");
#endif
