#include "process_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
