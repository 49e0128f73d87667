/*
 * failalloc.so: makes memory allocation fail in an nginx worker's pool
 * threads, for t/013-faults.t. Preloaded into nginx (LD_PRELOAD), it does
 * nothing unless the worker's environment has SMALLPT_FAIL_ALLOC_ABOVE=N
 * (nginx's `env` directive): then every malloc(), calloc() and realloc() of
 * more than N bytes made by a thread other than the process's main thread
 * returns NULL with ENOMEM. In an nginx worker the other threads are the
 * thread pools', where the module renders and encodes.
 */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>


static void  *(*next_malloc)(size_t);
static void  *(*next_calloc)(size_t, size_t);
static void  *(*next_realloc)(void *, size_t);
static void   (*next_free)(void *);

/* dlsym() may calloc() before next_calloc is known: from here, zeroed */
static char    early[4096];
static size_t  early_used;
static int     finding;


static void
find_next(void)
{
    finding = 1;
    next_malloc = dlsym(RTLD_NEXT, "malloc");
    next_realloc = dlsym(RTLD_NEXT, "realloc");
    next_free = dlsym(RTLD_NEXT, "free");
    next_calloc = dlsym(RTLD_NEXT, "calloc");
    finding = 0;
}


/* 1 if an allocation of size bytes is to fail here and now. */
static int
must_fail(size_t size)
{
    char                *end;
    const char          *above;
    unsigned long long   limit;

    above = getenv("SMALLPT_FAIL_ALLOC_ABOVE");
    if (above == NULL || *above == '\0') {
        return 0;
    }

    limit = strtoull(above, &end, 10);

    return *end == '\0' && size > limit
           && syscall(SYS_gettid) != getpid();
}


void *
malloc(size_t size)
{
    if (next_malloc == NULL) {
        find_next();
    }

    if (must_fail(size)) {
        errno = ENOMEM;
        return NULL;
    }

    return next_malloc(size);
}


void *
calloc(size_t n, size_t size)
{
    void  *p;

    if (next_calloc == NULL && finding) {
        /* from dlsym() itself, before the real calloc is known */
        if (n * size > sizeof(early) - early_used) {
            return NULL;
        }

        p = early + early_used;
        early_used += (n * size + 15) & ~(size_t) 15;
        return p;
    }

    if (next_calloc == NULL) {
        find_next();
    }

    if (size != 0 && n > (size_t) -1 / size) {
        errno = ENOMEM;
        return NULL;
    }

    if (must_fail(n * size)) {
        errno = ENOMEM;
        return NULL;
    }

    return next_calloc(n, size);
}


void *
realloc(void *ptr, size_t size)
{
    if (next_realloc == NULL) {
        find_next();
    }

    if (must_fail(size)) {
        errno = ENOMEM;
        return NULL;
    }

    return next_realloc(ptr, size);
}


void
free(void *ptr)
{
    if ((char *) ptr >= early && (char *) ptr < early + sizeof(early)) {
        return;
    }

    if (next_free == NULL) {
        find_next();
    }

    next_free(ptr);
}
