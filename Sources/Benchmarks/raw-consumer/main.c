/*
 * raw-consumer: the plain librdkafka baseline racecar-bench compares racecar-host with.
 *
 *     raw-consumer BROKERS GROUP TOPIC EXPECTED_MESSAGES message|batch [COMMIT_INTERVAL_MS [NAME=VALUE...]]
 *     raw-consumer --librdkafka-version
 *
 * It does the work racecar-host does for a consumer that does nothing, and no more: a
 * high-level consumer (subscribe, consumer group) with the librdkafka properties
 * racecar-host sets by default (ConfigKey.swift, RacecarConfig+Kafka.swift), offsets
 * stored by the application (enable.auto.offset.store=false) and committed in the
 * background every COMMIT_INTERVAL_MS (enable.auto.commit; racecar-host issues the same
 * asynchronous commits from its poll loop instead). NAME=VALUE arguments set further
 * librdkafka properties (racecar-bench passes the same ones to racecar-host).
 *
 *  - message: poll one message, store its offset, repeat.
 *  - batch:   poll up to BATCH_SIZE messages (rd_kafka_consumer_poll, not
 *             rd_kafka_consume_batch: the latter is unsafe in librdkafka 2.0.x), then store
 *             the last offset of each partition once per batch.
 *
 * It first prints the librdkafka it loaded, `librdkafka <rd_kafka_version_str()> loaded`
 * (racecar-bench reads it, as it reads racecar-host's start-up line, to check that every
 * consumer loaded the librdkafka it was meant to), and with --librdkafka-version does nothing
 * else. After EXPECTED_MESSAGES messages it commits synchronously, leaves the group and prints
 *     noop count=<messages> first_ns=<CLOCK_MONOTONIC ns of the first> last_ns=<of the last>
 *          max_gap_ns=<longest wait between two messages or batches> first_rss_kb=<VmRSS at the
 *          first message> peak_rss_kb=<VmHWM> window_cpu_ns=<CPU spent consuming>
 *          window_messages=<messages in that window> (see cpu_window in process_status.h)
 * Exit status 0 on success, 1 on a usage or Kafka error, 2 when no message came for
 * IDLE_LIMIT_MS.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "process_status.h"

/* racecar-host's default fetch_messages: messages polled per dispatch round. */
#define BATCH_SIZE 1000
/* Give up when nothing arrives for this long (the group join takes about 3 s on the mock). */
#define IDLE_LIMIT_MS 60000

static uint64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Notes the time of a message (or batch): the first, the last and the longest gap, and the
 * CPU spent consuming. */
typedef struct timing {
    uint64_t first_ns, last_ns, max_gap_ns;
    long first_rss_kb;
    cpu_window cpu;
} timing;

/* The count went from COUNT_BEFORE to COUNT_AFTER. */
static void timing_record(timing *t, long long count_before, long long count_after) {
    cpu_window_record(&t->cpu, (uint64_t)count_before, (uint64_t)count_after);
    uint64_t now = monotonic_ns();
    if (t->first_ns == 0) {
        t->first_ns = now;
        /* What the process holds before librdkafka's prefetched queue has had time to grow. */
        t->first_rss_kb = process_status_kb("VmRSS");
    } else if (now - t->last_ns > t->max_gap_ns) {
        t->max_gap_ns = now - t->last_ns;
    }
    t->last_ns = now;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char error[512];
    if (rd_kafka_conf_set(conf, name, value, error, sizeof error) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "raw-consumer: %s=%s: %s\n", name, value, error);
        exit(1);
    }
}

/* The last offset seen per partition within one batch; partitions are small integers. */
typedef struct progress {
    int64_t *last;
    int32_t capacity;
    int32_t *touched;
    int32_t touched_count;
} progress;

static void progress_record(progress *p, int32_t partition, int64_t offset) {
    if (partition >= p->capacity) {
        int32_t capacity = p->capacity * 2 > partition + 1 ? p->capacity * 2 : partition + 1;
        int64_t *last = realloc(p->last, (size_t)capacity * sizeof *last);
        int32_t *touched = realloc(p->touched, (size_t)capacity * sizeof *touched);
        if (last == NULL || touched == NULL) {
            fprintf(stderr, "raw-consumer: out of memory\n");
            exit(1);
        }
        for (int32_t i = p->capacity; i < capacity; i++) last[i] = -1;
        p->last = last;
        p->touched = touched;
        p->capacity = capacity;
    }
    if (p->last[partition] < 0) p->touched[p->touched_count++] = partition;
    p->last[partition] = offset;
}

/* Stores next offsets (last + 1) of the partitions touched in this batch, then resets. */
static void progress_store(progress *p, rd_kafka_t *rk, const char *topic) {
    if (p->touched_count == 0) return;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(p->touched_count);
    for (int32_t i = 0; i < p->touched_count; i++) {
        int32_t partition = p->touched[i];
        rd_kafka_topic_partition_list_add(list, topic, partition)->offset = p->last[partition] + 1;
        p->last[partition] = -1;
    }
    p->touched_count = 0;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk, list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "raw-consumer: storing offsets: %s\n", rd_kafka_err2str(err));
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* Counts a message; returns 1 for a message to process, 0 for an event or error. */
static int accept_message(rd_kafka_message_t *message) {
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return 1;
    if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        fprintf(stderr, "raw-consumer: consumer error: %s\n", rd_kafka_message_errstr(message));
    }
    return 0;
}

int main(int argc, char **argv) {
    /* On standard output, flushed, so that it is there even when the run fails. */
    printf("librdkafka %s loaded\n", rd_kafka_version_str());
    fflush(stdout);
    if (argc == 2 && strcmp(argv[1], "--librdkafka-version") == 0) return 0;
    if (argc < 6) {
        fprintf(stderr, "usage: raw-consumer BROKERS GROUP TOPIC EXPECTED_MESSAGES message|batch [COMMIT_INTERVAL_MS [NAME=VALUE...]]\n"
                        "       raw-consumer --librdkafka-version\n");
        return 1;
    }
    const char *brokers = argv[1], *group = argv[2], *topic = argv[3], *mode = argv[5];
    char *end = NULL;
    long long expected = strtoll(argv[4], &end, 10);
    if (*end != '\0' || expected <= 0) {
        fprintf(stderr, "raw-consumer: EXPECTED_MESSAGES must be a positive number, not %s\n", argv[4]);
        return 1;
    }
    int batch = strcmp(mode, "batch") == 0;
    if (!batch && strcmp(mode, "message") != 0) {
        fprintf(stderr, "raw-consumer: mode must be message or batch, not %s\n", mode);
        return 1;
    }
    const char *commit_interval = argc >= 7 ? argv[6] : "10000";

    /* racecar-host's defaults for the librdkafka loaded (RacecarConfig+Kafka.swift), nothing else. */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "client.id", "racecar");
    set(conf, "group.id", group);
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.auto.commit", "true");
    set(conf, "auto.commit.interval.ms", commit_interval);
    set(conf, "session.timeout.ms", "30000");
    set(conf, "heartbeat.interval.ms", "10000");
    set(conf, "max.poll.interval.ms", "300000");
    set(conf, "socket.timeout.ms", "30000");
    set(conf, "fetch.wait.max.ms", "1000");
    set(conf, "fetch.max.bytes", "10485760");
    set(conf, "max.partition.fetch.bytes", "1048576");
    /* From 2.2.0 on, fetch.queue.backoff.ms exists and racecar-host sets it to 10 ms, with
     * librdkafka's own queued.min.messages instead of the workaround for 2.0.2's one-second
     * fetch stall (LibrdkafkaVersion.swift, ConfigLoader.swift). */
    int fetch_queue_backoff = rd_kafka_version() >= 0x02020000;
    set(conf, "queued.min.messages", fetch_queue_backoff ? "100000" : "1000000");
    if (fetch_queue_backoff) set(conf, "fetch.queue.backoff.ms", "10");
    set(conf, "fetch.min.bytes", "1");
    set(conf, "partition.assignment.strategy", "range,roundrobin");
    set(conf, "auto.offset.reset", "earliest");
    for (int i = 7; i < argc; i++) {
        char *equals = strchr(argv[i], '=');
        if (equals == NULL || equals == argv[i]) {
            fprintf(stderr, "raw-consumer: expected NAME=VALUE, not %s\n", argv[i]);
            return 1;
        }
        *equals = '\0';
        set(conf, argv[i], equals + 1);
    }

    char error[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (rk == NULL) {
        fprintf(stderr, "raw-consumer: creating the consumer: %s\n", error);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *subscription = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subscription, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, subscription);
    rd_kafka_topic_partition_list_destroy(subscription);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "raw-consumer: subscribing to %s: %s\n", topic, rd_kafka_err2str(err));
        return 1;
    }

    long long count = 0;
    timing t = {0};
    uint64_t started = monotonic_ns();
    int status = 0;
    progress p = {0};
    rd_kafka_message_t *messages[BATCH_SIZE];

    while (count < expected) {
        if (!batch) {
            rd_kafka_message_t *message = rd_kafka_consumer_poll(rk, 100);
            if (message != NULL) {
                if (accept_message(message)) {
                    rd_kafka_resp_err_t stored = rd_kafka_offset_store(message->rkt, message->partition, message->offset);
                    if (stored != RD_KAFKA_RESP_ERR_NO_ERROR) {
                        fprintf(stderr, "raw-consumer: storing an offset: %s\n", rd_kafka_err2str(stored));
                    }
                    count++;
                    timing_record(&t, count - 1, count);
                }
                rd_kafka_message_destroy(message);
                continue;
            }
        } else {
            size_t polled = 0;
            rd_kafka_message_t *message = rd_kafka_consumer_poll(rk, 100);
            while (message != NULL) {
                messages[polled++] = message;
                if (polled == BATCH_SIZE) break;
                message = rd_kafka_consumer_poll(rk, 0);
            }
            if (polled > 0) {
                size_t accepted = 0;
                for (size_t i = 0; i < polled; i++) {
                    if (accept_message(messages[i])) {
                        progress_record(&p, messages[i]->partition, messages[i]->offset);
                        accepted++;
                    }
                }
                progress_store(&p, rk, topic);
                for (size_t i = 0; i < polled; i++) rd_kafka_message_destroy(messages[i]);
                if (accepted > 0) {
                    count += (long long)accepted;
                    timing_record(&t, count - (long long)accepted, count);
                }
                continue;
            }
        }
        uint64_t last_activity = t.last_ns != 0 ? t.last_ns : started;
        if (monotonic_ns() - last_activity > (uint64_t)IDLE_LIMIT_MS * 1000000u) {
            fprintf(stderr, "raw-consumer: no message for %d ms after %lld of %lld\n", IDLE_LIMIT_MS, count, expected);
            status = 2;
            break;
        }
    }

    err = rd_kafka_commit(rk, NULL, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        fprintf(stderr, "raw-consumer: committing: %s\n", rd_kafka_err2str(err));
        status = 1;
    }
    err = rd_kafka_consumer_close(rk);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "raw-consumer: closing: %s\n", rd_kafka_err2str(err));
        status = 1;
    }
    rd_kafka_destroy(rk);
    free(p.last);
    free(p.touched);
    printf("noop count=%lld first_ns=%" PRIu64 " last_ns=%" PRIu64 " max_gap_ns=%" PRIu64
           " first_rss_kb=%ld peak_rss_kb=%ld window_cpu_ns=%" PRIu64 " window_messages=%" PRIu64 "\n",
           count, t.first_ns, t.last_ns, t.max_gap_ns, t.first_rss_kb, process_status_kb("VmHWM"),
           t.cpu.last_cpu_ns - t.cpu.first_cpu_ns, t.cpu.last_count - t.cpu.first_count);
    fflush(stdout);
    return status;
}
