/* What supervising worker processes needs from Linux and glibc that Swift's Glibc module does not
   offer: prctl (variadic, and not in the module), SIGRTMIN and the wait-status and siginfo macros. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* Asks the kernel to send `signal` to this process when the thread that started it exits. */
static inline int racecar_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

/* Names this process (its first 15 bytes) for ps and top, which otherwise show the file the
   kernel executed: "exe", for /proc/self/exe. */
static inline int racecar_set_process_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

/* The first real-time signal an application may use (glibc reserves the ones below it). */
static inline int racecar_sigrtmin(void) { return SIGRTMIN; }

/* The process that sent a signal, from what sigtimedwait filled in. */
static inline int racecar_siginfo_pid(const siginfo_t *info) { return info->si_pid; }

static inline int racecar_wait_exited(int status) { return WIFEXITED(status); }
static inline int racecar_wait_exit_status(int status) { return WEXITSTATUS(status); }
static inline int racecar_wait_signaled(int status) { return WIFSIGNALED(status); }
static inline int racecar_wait_term_signal(int status) { return WTERMSIG(status); }
static inline int racecar_wait_core_dumped(int status) { return WCOREDUMP(status); }
