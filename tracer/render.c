/*
 * The renderer's public side: argument checks, the choice of a renderer for
 * the CPU (trace_scalar.c, trace_avx2.c, trace_avx512.c), jobs shared by
 * threads, and a thread runner.
 *
 * Shared job fields are touched only through GCC/clang __atomic builtins.
 */

#define _POSIX_C_SOURCE  200809L

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smallpt.h"
#include "smallpt_trace.h"


static const char  *isa_names[] = { "auto", "scalar", "avx2", "avx512" };


const char *
smallpt_strerror(int status)
{
    switch (status) {
    case SMALLPT_OK:
        return "success";
    case SMALLPT_EINVAL:
        return "invalid argument";
    case SMALLPT_ECANCELLED:
        return "render cancelled";
    case SMALLPT_ENOMEM:
        return "out of memory";
    case SMALLPT_EPNG:
        return "PNG encoder error";
    case SMALLPT_ETHREAD:
        return "cannot start a thread";
    default:
        return "unknown error";
    }
}


/* SMALLPT_OK if width, height and spp describe an image smallpt renders. */
static int
check_image(int width, int height, int spp)
{
    if (width < 1 || width > SMALLPT_MAX_WIDTH
        || height < 1 || height > SMALLPT_MAX_HEIGHT
        || spp < SMALLPT_MIN_SPP)
    {
        return SMALLPT_EINVAL;
    }

    return SMALLPT_OK;
}


int
smallpt_effective_spp(int spp)
{
    return spp / 4 * 4;
}


size_t
smallpt_rgb_size(int width, int rows)
{
    if (width < 1 || rows < 1 || (size_t) width > SIZE_MAX / 3
        || (size_t) rows > SIZE_MAX / 3 / (size_t) width)
    {
        return 0;
    }

    return (size_t) width * (size_t) rows * 3;
}


int
smallpt_isa_supported(int isa)
{
    switch (isa) {
    case SMALLPT_ISA_SCALAR:
        return 1;
#if (SMALLPT_X86_SIMD)
    case SMALLPT_ISA_AVX2:
        return __builtin_cpu_supports("avx2")
               && __builtin_cpu_supports("fma");
    case SMALLPT_ISA_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}


#if (SMALLPT_X86_SIMD)

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
isa_trial(int (*render)(const smallpt_trace_rows_args *a))
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
        || render(&args) != SMALLPT_OK
        || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1) != 0)
    {
        return -1;
    }

    return (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
}


static int  isa_measured;


/*
 * AVX-512 or AVX2, whichever rendered faster here: three trials each, in
 * turn, the fastest of each compared. Which one wins depends on the CPU, so
 * it is measured, not assumed: on AMD EPYC (Zen 4) AVX-512 takes 0.8 of
 * AVX2's time; on an Intel Xeon (issue 15, an earlier engine) AVX2 won.
 */
static void
isa_measure(void)
{
    int        i;
    long long  t, avx2, avx512;

    avx2 = -1;
    avx512 = -1;

    for (i = 0; i < 3; i++) {
        t = isa_trial(smallpt_trace_rows_avx2);
        avx2 = avx2 < 0 || (t >= 0 && t < avx2) ? t : avx2;

        t = isa_trial(smallpt_trace_rows_avx512);
        avx512 = avx512 < 0 || (t >= 0 && t < avx512) ? t : avx512;
    }

    isa_measured = avx512 >= 0 && (avx2 < 0 || avx512 < avx2)
                   ? SMALLPT_ISA_AVX512 : SMALLPT_ISA_AVX2;
}

#endif


/*
 * The fastest here. The vectors beat the portable C by far (it takes about
 * 3 times AVX2's time, measured), so where the CPU has AVX-512 and AVX2 both
 * are timed once, on the first call (about 5 ms of CPU), and the faster
 * one kept; else AVX2, else the portable C.
 */
int
smallpt_isa_best(void)
{
#if (SMALLPT_X86_SIMD)
    static pthread_once_t  once = PTHREAD_ONCE_INIT;
#endif

#if defined(SMALLPT_ISA_FORCE)
    /* a build for testing one path: make ISA=scalar|avx2|avx512 */
    return SMALLPT_ISA_FORCE;
#endif

#if (SMALLPT_X86_SIMD)
    if (smallpt_isa_supported(SMALLPT_ISA_AVX512)
        && smallpt_isa_supported(SMALLPT_ISA_AVX2))
    {
        pthread_once(&once, isa_measure);
        return isa_measured;
    }

    if (smallpt_isa_supported(SMALLPT_ISA_AVX2)) {
        return SMALLPT_ISA_AVX2;
    }
#endif

    return SMALLPT_ISA_SCALAR;
}


const char *
smallpt_isa_name(int isa)
{
    if (isa < 0 || isa > SMALLPT_ISA_AVX512) {
        return "unknown";
    }

    return isa_names[isa];
}


int
smallpt_isa_parse(const char *name)
{
    int  isa;

    for (isa = 0; isa <= SMALLPT_ISA_AVX512; isa++) {
        if (strcmp(name, isa_names[isa]) == 0) {
            return isa;
        }
    }

    return -1;
}


int
smallpt_exact(void)
{
    int  exact;

    exact = smallpt_trace_exact_scalar();

#if (SMALLPT_X86_SIMD)
    /* each is compiled for its instruction set: run where the CPU has it */
    if (smallpt_isa_supported(SMALLPT_ISA_AVX2)) {
        exact = exact && smallpt_trace_exact_avx2();
    }

    if (smallpt_isa_supported(SMALLPT_ISA_AVX512)) {
        exact = exact && smallpt_trace_exact_avx512();
    }
#endif

    return exact;
}


/* The renderer for an instruction set this CPU runs. */
static int
(*renderer(int isa))(const smallpt_trace_rows_args *a)
{
    switch (isa) {
#if (SMALLPT_X86_SIMD)
    case SMALLPT_ISA_AVX512:
        return smallpt_trace_rows_avx512;
    case SMALLPT_ISA_AVX2:
        return smallpt_trace_rows_avx2;
#endif
    default:
        return smallpt_trace_rows_scalar;
    }
}


/* A job is cancelled, or its stop callback says so now. */
static int
job_stopped(void *data)
{
    smallpt_job  *job = data;

    if (job->stop != NULL && job->stop(job->stop_data)) {
        smallpt_job_cancel(job);
    }

    return __atomic_load_n(&job->cancel, __ATOMIC_RELAXED);
}


/* A job's source of rows: the next unclaimed one, unless it is stopped. */
static int
claim_job_row(void *data)
{
    int           row;
    smallpt_job  *job = data;

    if (job_stopped(job)) {
        return -1;
    }

    row = __atomic_fetch_add(&job->next_row, 1, __ATOMIC_RELAXED);

    return row <= job->last_row ? row : -1;
}


/*
 * Gives ready() the rows done in order since the last call, from one
 * thread at a time. A thread that finds another one there leaves its row
 * to it; that one looks again after letting go, so no row is left behind
 * (sequentially consistent flags, lock and count make sure it sees them).
 */
static void
hand_rows(smallpt_job *job)
{
    int  first, n, rows;

    rows = job->last_row - job->first_row + 1;

    while (__atomic_exchange_n(&job->handing, 1, __ATOMIC_SEQ_CST) == 0) {

        first = __atomic_load_n(&job->handed, __ATOMIC_SEQ_CST);

        for (n = 0; first + n < rows; n++) {
            if (!__atomic_load_n(&job->row_done[first + n],
                                 __ATOMIC_SEQ_CST))
            {
                break;
            }
        }

        if (n > 0) {
            job->ready(job->ready_data, job->first_row + first, n);
            __atomic_store_n(&job->handed, first + n, __ATOMIC_SEQ_CST);
        }

        __atomic_store_n(&job->handing, 0, __ATOMIC_SEQ_CST);

        first = __atomic_load_n(&job->handed, __ATOMIC_SEQ_CST);

        if (first >= rows
            || !__atomic_load_n(&job->row_done[first], __ATOMIC_SEQ_CST))
        {
            return;
        }
    }
}


static void
job_row_done(void *data, int row)
{
    smallpt_job  *job = data;

    __atomic_fetch_add(&job->rows_done, 1, __ATOMIC_RELEASE);

    if (job->ready != NULL) {
        __atomic_store_n(&job->row_done[row - job->first_row], 1,
                         __ATOMIC_SEQ_CST);
        hand_rows(job);
    }
}


int
smallpt_job_init(smallpt_job *job, int width, int height, int spp,
    int first_row, int last_row, unsigned char *rgb)
{
    if (job == NULL || rgb == NULL
        || check_image(width, height, spp) != SMALLPT_OK
        || first_row < 0 || first_row > last_row || last_row >= height)
    {
        return SMALLPT_EINVAL;
    }

    job->width = width;
    job->height = height;
    job->spp = spp;
    job->first_row = first_row;
    job->last_row = last_row;
    job->rgb = rgb;
    job->next_row = first_row;
    job->rows_done = 0;
    job->cancel = 0;
    job->isa = smallpt_isa_best();
    job->threads = 1;
    job->stop = NULL;
    job->stop_data = NULL;
    job->ready = NULL;
    job->ready_data = NULL;
    job->row_done = NULL;
    job->handed = 0;
    job->handing = 0;

    return SMALLPT_OK;
}


void
smallpt_job_in_order(smallpt_job *job, unsigned char *row_done,
    void (*ready)(void *data, int first_row, int rows), void *data)
{
    job->row_done = row_done;
    job->ready = ready;
    job->ready_data = data;
}


int
smallpt_job_run(smallpt_job *job)
{
    int                      rc, rows;
    smallpt_trace_rows_args  args;

    if (!smallpt_isa_supported(job->isa)) {
        return SMALLPT_EINVAL;
    }

    args.width = job->width;
    args.height = job->height;
    args.samps = job->spp / 4;
    args.rgb = job->rgb;
    args.first_row = job->first_row;

    /* each thread a fair share of the rows at once: see lanes */
    rows = job->last_row - job->first_row + 1;
    args.lanes = job->threads > 1 ? (rows + job->threads - 1) / job->threads
                                  : 0;
    args.claim = claim_job_row;
    args.done = job_row_done;
    args.stopped = job_stopped;
    args.data = job;

    rc = renderer(job->isa)(&args);

    /* the other threads stop too: what they render is not wanted now */
    if (rc != SMALLPT_OK && rc != SMALLPT_ECANCELLED) {
        smallpt_job_cancel(job);
    }

    if (rc == SMALLPT_OK && __atomic_load_n(&job->cancel, __ATOMIC_RELAXED)) {
        rc = SMALLPT_ECANCELLED;
    }

    return rc;
}


void
smallpt_job_cancel(smallpt_job *job)
{
    __atomic_store_n(&job->cancel, 1, __ATOMIC_RELAXED);
}


int
smallpt_job_rows_done(smallpt_job *job)
{
    return __atomic_load_n(&job->rows_done, __ATOMIC_ACQUIRE);
}


typedef struct {
    pthread_t     tid;
    smallpt_job  *job;
    int           rc;
    int           done;
} render_thread;


static void *
render_thread_main(void *arg)
{
    render_thread  *t = arg;

    t->rc = smallpt_job_run(t->job);
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    return NULL;
}


int
smallpt_render(smallpt_job *job, int threads,
    void (*progress)(void *data, int rows_done, int rows), void *data)
{
    int              i, n, started, rc, running;
    render_thread   *t;
    struct timespec  tick;

    if (job == NULL || threads < 1) {
        return SMALLPT_EINVAL;
    }

    /* with a progress callback the calling thread only watches */
    n = progress != NULL ? threads : threads - 1;
    job->threads = threads;

    t = calloc((size_t) n + 1, sizeof(render_thread));
    if (t == NULL) {
        return SMALLPT_ENOMEM;
    }

    rc = SMALLPT_OK;

    for (started = 0; started < n; started++) {
        t[started].job = job;
        if (pthread_create(&t[started].tid, NULL, render_thread_main,
                           &t[started])
            != 0)
        {
            rc = SMALLPT_ETHREAD;
            smallpt_job_cancel(job);
            break;
        }
    }

    if (progress == NULL) {
        if (rc == SMALLPT_OK) {
            rc = smallpt_job_run(job);
        }

    } else {
        tick.tv_sec = 0;
        tick.tv_nsec = 100 * 1000 * 1000;

        do {
            progress(data, smallpt_job_rows_done(job),
                     job->last_row - job->first_row + 1);

            running = 0;
            for (i = 0; i < started; i++) {
                running += !__atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE);
            }

            if (running) {
                nanosleep(&tick, NULL);
            }

        } while (running);
    }

    /* a thread's failure, rather than the cancellation it caused */
    for (i = 0; i < started; i++) {
        pthread_join(t[i].tid, NULL);
        if (rc == SMALLPT_OK
            || (rc == SMALLPT_ECANCELLED && t[i].rc != SMALLPT_OK))
        {
            rc = t[i].rc;
        }
    }

    free(t);

    return rc;
}
