/*
 * The renderer's public side: argument checks, jobs shared by threads, each
 * rendered by its instruction set's renderer (isa.c's table), and a thread
 * runner.
 *
 * Shared job fields are touched only through GCC/clang __atomic builtins.
 */

#define _POSIX_C_SOURCE  200809L

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "smallpt.h"
#include "smallpt_isa.h"


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

    rc = smallpt_isa_entry(job->isa)->trace_rows(&args);

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
