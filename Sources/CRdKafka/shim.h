// librdkafka from the system (Debian: librdkafka-dev), including the mock
// cluster used by `racecar-host mock-cluster` and the integration tests.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
