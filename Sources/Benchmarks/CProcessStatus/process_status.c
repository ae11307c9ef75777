#define _POSIX_C_SOURCE 200809L

#include "process_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long process_status_kb(const char *name) {
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) return -1;
    char line[256];
    size_t length = strlen(name);
    long kilobytes = -1;
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, name, length) == 0 && line[length] == ':') {
            kilobytes = strtol(line + length + 1, NULL, 10);
            break;
        }
    }
    fclose(status);
    return kilobytes;
}

static uint64_t process_cpu_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

void cpu_window_record(cpu_window *window, uint64_t count_before, uint64_t count_after) {
    if (count_before == 0) {
        window->first_cpu_ns = process_cpu_ns();
        window->first_count = count_after;
        window->last_cpu_ns = window->first_cpu_ns;
        window->last_count = count_after;
    } else if (count_before / CPU_WINDOW_STEP != count_after / CPU_WINDOW_STEP) {
        window->last_cpu_ns = process_cpu_ns();
        window->last_count = count_after;
    }
}
