#ifndef PROCESS_STATUS_H
#define PROCESS_STATUS_H

/* The benchmark consumers' view of their own memory, from /proc/self/status. */

/* The kB value of the NAME line ("VmRSS" now, "VmHWM" the peak), or -1. */
long process_status_kb(const char *name);

#endif
