#ifndef PROCESS_STATUS_H
#define PROCESS_STATUS_H

#include <stdint.h>

/* The benchmark consumers' view of their own memory, from /proc/self/status, and of the CPU
 * they spent consuming. */

/* The kB value of the NAME line ("VmRSS" now, "VmHWM" the peak), or -1. */
long process_status_kb(const char *name);

/* Messages between two readings of the process's CPU time. */
#define CPU_WINDOW_STEP 1024

/* The CPU time of the whole process (every thread: CLOCK_PROCESS_CPUTIME_ID) at its first
 * message and at the last message that took the count past a multiple of CPU_WINDOW_STEP,
 * with the count at each. The difference is what consuming cost, without the start-up, the
 * group join and the idle polling after the last message, which whole-process figures
 * include; one reading per CPU_WINDOW_STEP messages costs well under a nanosecond a message. */
typedef struct cpu_window {
    uint64_t first_cpu_ns, last_cpu_ns;
    uint64_t first_count, last_count;
} cpu_window;

/* Notes that the count went from COUNT_BEFORE to COUNT_AFTER (a message or a batch). */
void cpu_window_record(cpu_window *window, uint64_t count_before, uint64_t count_after);

#endif
