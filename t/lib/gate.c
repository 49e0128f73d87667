/*
 * gate.so: holds an nginx worker's renders at a gate the test opens, so
 * that "a render is in flight" (a full pool, a render during a reload) is
 * a fact the test makes, however fast the CPU renders.
 *
 * Preloaded into nginx (LD_PRELOAD), it does nothing unless the worker's
 * environment has SMALLPT_GATE=DIR (nginx's `env` directive). Then, while
 * the file DIR/closed exists, every thread but the process's main one (in
 * a worker: the thread pools') that reads the monotonic clock stops there.
 * The module reads that clock in a pool thread when a render begins and
 * when its image is encoded: a render is held before its first row or
 * after its last, and is not answered until the gate opens. Each thread
 * appends a line to DIR/held as it stops, so that a test waits for N
 * lines to know that N renders are held, not for a time.
 *
 * The gate opens when DIR/closed is removed; also on a fast shutdown
 * (nginx's ngx_terminate, as the module's renders stop then) and after
 * SMALLPT_GATE_MAX seconds (60 if unset), so that a test that fails
 * leaves no thread held and no nginx that cannot exit.
 */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>


static int  (*next_clock_gettime)(clockid_t, struct timespec *);

/* 1: this thread is the process's main thread, 2: another, 0: not known */
static __thread int  thread_kind;


/* 1 if nginx was told to stop now (TERM, INT): nginx's own flag. */
static int
terminating(void)
{
    static volatile sig_atomic_t  *flag;
    static int                     looked;

    if (!looked) {
        flag = dlsym(RTLD_DEFAULT, "ngx_terminate");
        looked = 1;
    }

    return flag != NULL && *flag != 0;
}


/* Appends "TID\n" to DIR/held: one line a thread that stops at the gate. */
static void
note_held(const char *dir)
{
    int   fd, len;
    char  path[PATH_MAX], line[32];

    if (snprintf(path, sizeof(path), "%s/held", dir) >= (int) sizeof(path)) {
        return;
    }

    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd == -1) {
        return;
    }

    len = snprintf(line, sizeof(line), "%ld\n", (long) syscall(SYS_gettid));

    /* one write with O_APPEND: lines of several threads never mix */
    if (write(fd, line, (size_t) len) != len) {
        /* nothing to do: the test waits in vain and says so */
    }

    close(fd);
}


/* Waits while DIR/closed exists (and the gate has not opened by itself). */
static void
hold(const char *dir)
{
    long             max, waited;
    char             closed[PATH_MAX];
    const char      *s;
    struct timespec  tick = { 0, 1000000 };

    if (snprintf(closed, sizeof(closed), "%s/closed", dir)
        >= (int) sizeof(closed)
        || access(closed, F_OK) != 0)
    {
        return;
    }

    note_held(dir);

    s = getenv("SMALLPT_GATE_MAX");
    max = (s != NULL && *s != '\0') ? atol(s) * 1000 : 60000;

    for (waited = 0; waited < max; waited++) {
        if (access(closed, F_OK) != 0 || terminating()) {
            return;
        }

        nanosleep(&tick, NULL);
    }
}


int
clock_gettime(clockid_t clock, struct timespec *tp)
{
    const char  *dir;

    if (next_clock_gettime == NULL) {
        next_clock_gettime = (int (*)(clockid_t, struct timespec *))
                             dlsym(RTLD_NEXT, "clock_gettime");
    }

    if (clock == CLOCK_MONOTONIC && thread_kind != 1) {
        dir = getenv("SMALLPT_GATE");

        if (dir != NULL && *dir != '\0') {
            if (thread_kind == 0) {
                thread_kind = syscall(SYS_gettid) == getpid() ? 1 : 2;
            }

            if (thread_kind == 2) {
                hold(dir);
            }
        }
    }

    return next_clock_gettime(clock, tp);
}
