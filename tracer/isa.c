/*
 * The instruction sets: the table of their entries (smallpt_isa.h), the one
 * list of them, and what reads it: their names and numbers, which this CPU
 * runs, which one "auto" takes, and whether each renders exactly.
 *
 * Adding one: a file trace_NAME.c that compiles smallpt_trace_impl.h for
 * it and defines its entry, smallpt_isa_NAME, named "NAME"; and a line in
 * the table below. The build finds the file by wildcard (mk/sources.mk,
 * config), `make ISA=NAME` forces it, the tests go through the table.
 */

#define _POSIX_C_SOURCE  200809L

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "smallpt.h"
#include "smallpt_isa.h"


extern const smallpt_isa_impl  smallpt_isa_scalar;
extern const smallpt_isa_impl  smallpt_isa_avx2;
extern const smallpt_isa_impl  smallpt_isa_avx512;

/*
 * Instruction set i + 1 is isas[i] (0 is SMALLPT_ISA_AUTO). The first is
 * the portable C, which every CPU runs: auto takes it only when no other
 * is there, since any vector path beats it by far (it takes about 3 times
 * AVX2's time, measured).
 */
static const smallpt_isa_impl *const  isas[] = {
    &smallpt_isa_scalar,
    &smallpt_isa_avx2,
    &smallpt_isa_avx512
};

#define NISAS     ((int) (sizeof(isas) / sizeof(isas[0])))
#define PORTABLE  1     /* isas[0]: the portable C */


#if defined(SMALLPT_ISA_FORCE)
/* -DSMALLPT_ISA_FORCE=avx2 (a name, unquoted: see the Makefile) as "avx2" */
#define FORCED_STRING(name)  #name
#define FORCED_NAME(name)    FORCED_STRING(name)
#endif


int
smallpt_isa_count(void)
{
    return NISAS;
}


const smallpt_isa_impl *
smallpt_isa_entry(int isa)
{
    return isa >= 1 && isa <= NISAS ? isas[isa - 1] : NULL;
}


int
smallpt_isa_supported(int isa)
{
    const smallpt_isa_impl  *e;

    e = smallpt_isa_entry(isa);

    return e != NULL && e->supported != NULL && e->supported();
}


/*
 * How fast an instruction set is here: the thread's CPU time of a small
 * render (64 rows of 8 pixels at spp 4, of an image 768 rows high: the
 * renderer then gives each row a lane of its 64) through its renderer, in
 * nanoseconds; -1 if it failed.
 */

static int
trial_claim(void *data)
{
    int  *next = data;

    return *next < 64 ? (*next)++ : -1;
}


static void
trial_done(void *data, int row)
{
    (void) data;
    (void) row;
}


static int
trial_stopped(void *data)
{
    (void) data;
    return 0;
}


static long long
isa_trial(const smallpt_isa_impl *e)
{
    int                      next;
    unsigned char            rgb[64 * 8 * 3];
    struct timespec          t0, t1;
    smallpt_trace_rows_args  args;

    next = 0;
    args.width = 8;
    args.height = 768;
    args.samps = 1;
    args.rgb = rgb;
    args.first_row = 0;
    args.lanes = 0;
    args.claim = trial_claim;
    args.done = trial_done;
    args.stopped = trial_stopped;
    args.data = &next;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0) != 0
        || e->trace_rows(&args) != SMALLPT_OK
        || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1) != 0)
    {
        return -1;
    }

    return (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
}


static int  isa_measured;


/*
 * Of the instruction sets this CPU runs but the portable C, the one that
 * rendered fastest here: three trials each, in turn, the fastest of each
 * compared; on a tie, or if every trial failed, the first in the table.
 * Which one wins depends on the CPU, so it is measured, not assumed: on AMD
 * EPYC (Zen 4) AVX-512 takes 0.8 of AVX2's time; on an Intel Xeon (issue
 * 15, an earlier engine) AVX2 won.
 */
static void
isa_measure(void)
{
    int        i, isa;
    long long  t, best[NISAS + 1];

    isa_measured = 0;

    for (isa = PORTABLE + 1; isa <= NISAS; isa++) {
        best[isa] = -1;
    }

    for (i = 0; i < 3; i++) {
        for (isa = PORTABLE + 1; isa <= NISAS; isa++) {
            if (smallpt_isa_supported(isa)) {
                t = isa_trial(isas[isa - 1]);
                best[isa] = best[isa] < 0 || (t >= 0 && t < best[isa])
                            ? t : best[isa];
            }
        }
    }

    for (isa = PORTABLE + 1; isa <= NISAS; isa++) {
        if (smallpt_isa_supported(isa)
            && (isa_measured == 0
                || (best[isa] >= 0
                    && (best[isa_measured] < 0
                        || best[isa] < best[isa_measured]))))
        {
            isa_measured = isa;
        }
    }
}


/*
 * The fastest here: the portable C where the CPU runs no other; the one
 * other it runs; of several, the fastest, timed once on the first call
 * (about 5 ms of CPU for two).
 */
int
smallpt_isa_best(void)
{
    static pthread_once_t  once = PTHREAD_ONCE_INIT;
    int                    isa, n, last;

#if defined(SMALLPT_ISA_FORCE)
    /* a build for testing one path: make ISA=NAME */
    return smallpt_isa_parse(FORCED_NAME(SMALLPT_ISA_FORCE));
#endif

    n = 0;
    last = PORTABLE;

    for (isa = PORTABLE + 1; isa <= NISAS; isa++) {
        if (smallpt_isa_supported(isa)) {
            n++;
            last = isa;
        }
    }

    if (n <= 1) {
        return last;
    }

    pthread_once(&once, isa_measure);

    return isa_measured;
}


const char *
smallpt_isa_name(int isa)
{
    if (isa == SMALLPT_ISA_AUTO) {
        return "auto";
    }

    return isa >= 1 && isa <= NISAS ? isas[isa - 1]->name : "unknown";
}


int
smallpt_isa_parse(const char *name)
{
    int  isa;

    for (isa = SMALLPT_ISA_AUTO; isa <= NISAS; isa++) {
        if (strcmp(name, smallpt_isa_name(isa)) == 0) {
            return isa;
        }
    }

    return -1;
}


/* each file is compiled for its instruction set: ask where the CPU runs it */
int
smallpt_exact(void)
{
    int  isa, exact;

    exact = 1;

    for (isa = 1; isa <= NISAS; isa++) {
        if (smallpt_isa_supported(isa)) {
            exact = exact && isas[isa - 1]->exact();
        }
    }

    return exact;
}
