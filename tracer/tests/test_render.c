/*
 * Renderer tests: exactness against smallpt.cpp's images at several thread
 * counts, bands of rows, argument errors, cancellation and progress.
 */

#define _POSIX_C_SOURCE  200809L

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "smallpt.h"
#include "smallpt_encode.h"
#include "check.h"


typedef struct {
    smallpt_job  *job;
    int           rc;
} runner;

typedef struct {
    int  calls;
    int  last;
    int  height;
} progress_log;


static void
sleep_ms(long ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}


/*
 * Renders w x h at spp on `threads` threads with instruction set isa and
 * compares with a P3 file.
 */
static void
check_exact_isa(const char *path, int w, int h, int spp, int threads,
    int isa)
{
    int             rc;
    size_t          len;
    smallpt_job     job;
    smallpt_buf     ppm = { NULL, 0, 0, 0 };
    unsigned char  *rgb, *want;

    want = check_read_file(path, &len);
    rgb = malloc((size_t) w * h * 3);

    CHECK(smallpt_job_init(&job, w, h, spp, 0, h - 1, rgb) == SMALLPT_OK);
    job.isa = isa;
    rc = smallpt_render(&job, threads, NULL, NULL);
    CHECK_MSG(rc == SMALLPT_OK, "%s", smallpt_strerror(rc));
    CHECK(smallpt_job_rows_done(&job) == h);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, rgb, w, h, &ppm) == SMALLPT_OK);
    CHECK_MSG(ppm.len == len && memcmp(ppm.data, want, len) == 0,
              "%s differs at %d threads with %s", path, threads,
              smallpt_isa_name(isa));

    smallpt_buf_free(&ppm);
    free(rgb);
    free(want);
}


static void
check_exact(const char *path, int w, int h, int spp, int threads)
{
    check_exact_isa(path, w, h, spp, threads, smallpt_isa_best());
}


static void
test_exactness(void)
{
    static const int  threads[] = { 1, 2, 7 };
    size_t            i;

    for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        check_exact("tracer/tests/data/64x48_spp4.ppm", 64, 48, 4,
                    threads[i]);
        check_exact("tracer/tests/data/160x120_spp8.ppm", 160, 120, 8,
                    threads[i]);
    }

    /* spp 5 to 7 render as 4, like smallpt.cpp */
    check_exact("tracer/tests/data/64x48_spp4.ppm", 64, 48, 7, 2);
}


/* Every instruction set this CPU runs gives the reference images. */
static void
test_isa_paths(void)
{
    int  isa, tested;

    tested = 0;

    for (isa = 1; isa <= smallpt_isa_count(); isa++) {
        if (!smallpt_isa_supported(isa)) {
            printf("test_render: %s not supported here, not tested\n",
                   smallpt_isa_name(isa));
            continue;
        }

        check_exact_isa("tracer/tests/data/64x48_spp4.ppm", 64, 48, 4, 2,
                        isa);
        check_exact_isa("tracer/tests/data/160x120_spp8.ppm", 160, 120, 8,
                        3, isa);
        tested++;
    }

    CHECK(tested >= 1);
    CHECK(smallpt_isa_parse("scalar") == 1);
    CHECK(smallpt_isa_supported(1));
    CHECK(smallpt_isa_supported(smallpt_isa_best()));
    CHECK(!smallpt_isa_supported(SMALLPT_ISA_AUTO));
    CHECK(!smallpt_isa_supported(smallpt_isa_count() + 1));
    CHECK(smallpt_isa_parse("auto") == SMALLPT_ISA_AUTO);
    CHECK(smallpt_isa_parse("avx2") >= 1);
    CHECK(smallpt_isa_parse("avx512") >= 1);
    CHECK(smallpt_isa_parse("sse") == -1);
    CHECK(strcmp(smallpt_isa_name(smallpt_isa_count() + 1), "unknown") == 0);

    /* each name names its instruction set, once */
    for (isa = SMALLPT_ISA_AUTO; isa <= smallpt_isa_count(); isa++) {
        CHECK_MSG(smallpt_isa_parse(smallpt_isa_name(isa)) == isa, "%s",
                  smallpt_isa_name(isa));
    }
}


/* Renders rows first..last of w x h at spp on 2 threads with isa. */
static unsigned char *
render_band(int w, int h, int spp, int first, int last, int isa)
{
    smallpt_job     job;
    unsigned char  *rgb;

    rgb = malloc(smallpt_rgb_size(w, last - first + 1));
    CHECK(smallpt_job_init(&job, w, h, spp, first, last, rgb) == SMALLPT_OK);
    job.isa = isa;
    CHECK(smallpt_render(&job, 2, NULL, NULL) == SMALLPT_OK);
    CHECK(smallpt_job_rows_done(&job) == last - first + 1);

    return rgb;
}


/*
 * Any band of rows, alone, is the same rows of the whole image, on every
 * instruction set: what fan-out stitches together is the image.
 */
static void
test_bands(void)
{
    int               isa, i;
    size_t            stride;
    unsigned char    *whole, *band;
    static const int  bands[][2] = {
        { 0, 0 }, { 47, 47 }, { 0, 47 }, { 5, 21 }, { 17, 18 }, { 30, 47 },
        { 46, 47 }
    };

    whole = render_band(64, 48, 4, 0, 47, smallpt_isa_parse("scalar"));
    stride = 64 * 3;

    for (isa = 1; isa <= smallpt_isa_count(); isa++) {
        if (!smallpt_isa_supported(isa)) {
            continue;
        }

        for (i = 0; i < (int) (sizeof(bands) / sizeof(bands[0])); i++) {
            band = render_band(64, 48, 4, bands[i][0], bands[i][1], isa);
            CHECK_MSG(memcmp(band, whole + bands[i][0] * stride,
                             (size_t) (bands[i][1] - bands[i][0] + 1)
                             * stride)
                      == 0,
                      "rows %d-%d with %s", bands[i][0], bands[i][1],
                      smallpt_isa_name(isa));
            free(band);
        }
    }

    free(whole);

    /* a band of an image taller than it: rows 100 to 102 of 1x300 */
    whole = render_band(1, 300, 8, 0, 299, smallpt_isa_best());
    band = render_band(1, 300, 8, 100, 102, smallpt_isa_best());
    CHECK(memcmp(band, whole + 100 * 3, 9) == 0);
    free(band);
    free(whole);
}


/* What the in-order callback saw. */
typedef struct {
    smallpt_job      *job;
    smallpt_encoder  *enc;
    unsigned char    *copy;     /* each row as it was when handed over */
    int               next;     /* the row expected next */
    int               calls;
    int               inside;   /* calls in progress: never more than 1 */
    int               bad;
} in_order_log;


static void
rows_ready(void *data, int first, int rows)
{
    size_t         stride, at;
    in_order_log  *log = data;

    if (__atomic_add_fetch(&log->inside, 1, __ATOMIC_SEQ_CST) != 1) {
        log->bad = 1;
    }

    if (first != log->next || rows < 1) {
        log->bad = 1;
    }

    stride = smallpt_rgb_size(log->job->width, 1);
    at = stride * (size_t) (first - log->job->first_row);

    memcpy(log->copy + at, log->job->rgb + at, stride * (size_t) rows);

    if (smallpt_encoder_rows(log->enc, log->job->rgb + at, rows)
        != SMALLPT_OK)
    {
        log->bad = 1;
    }

    log->next = first + rows;
    log->calls++;

    __atomic_sub_fetch(&log->inside, 1, __ATOMIC_SEQ_CST);
}


/*
 * Rows handed over in order while the job renders on many threads: each
 * once, top to bottom, one call at a time, already final; fed to an
 * encoder as they come, the bytes are those of the image encoded at once.
 */
static void
test_in_order(void)
{
    int               rc, format, first, last;
    size_t            size;
    smallpt_buf       streamed = { NULL, 0, 0, 0 }, whole = { NULL, 0, 0, 0 };
    smallpt_job       job;
    in_order_log      log;
    unsigned char    *rgb, *flags;

    for (format = SMALLPT_FORMAT_PNG; format <= SMALLPT_FORMAT_PPM;
         format++)
    {
        /* the whole image, then a band of it */
        for (first = 0; first <= 40; first += 40) {
            last = first == 0 ? 299 : 250;
            size = smallpt_rgb_size(37, last - first + 1);

            rgb = malloc(size);
            flags = calloc(1, (size_t) (last - first + 1));

            memset(&log, 0, sizeof(log));
            log.job = &job;
            log.copy = malloc(size);
            log.next = first;
            log.enc = smallpt_encoder_start(format, 37, last - first + 1,
                                            &streamed, &rc);
            CHECK(log.enc != NULL);

            CHECK(smallpt_job_init(&job, 37, 300, 4, first, last, rgb)
                  == SMALLPT_OK);
            smallpt_job_in_order(&job, flags, rows_ready, &log);
            CHECK(smallpt_render(&job, 7, NULL, NULL) == SMALLPT_OK);

            CHECK_MSG(!log.bad, "rows %d-%d out of order or at once", first,
                      last);
            CHECK(log.next == last + 1);
            CHECK(log.calls >= 1);
            CHECK(memcmp(log.copy, rgb, size) == 0);
            CHECK(smallpt_encoder_finish(log.enc) == SMALLPT_OK);

            CHECK(smallpt_encode(format, rgb, 37, last - first + 1, &whole)
                  == SMALLPT_OK);
            CHECK_MSG(streamed.len == whole.len
                      && memcmp(streamed.data, whole.data, whole.len) == 0,
                      "%s rows %d-%d streamed differ",
                      smallpt_format_name(format), first, last);

            smallpt_buf_free(&streamed);
            smallpt_buf_free(&whole);
            free(log.copy);
            free(flags);
            free(rgb);
        }
    }
}


/* The renderers of this build round as smallpt.cpp (no FMA contraction). */
static void
test_exact_build(void)
{
    CHECK_MSG(smallpt_exact(), "this build contracts a * b + c into FMA");
}


static void
test_arguments(void)
{
    smallpt_job     job;
    unsigned char   rgb[3 * 4];

    CHECK(smallpt_effective_spp(4) == 4);
    CHECK(smallpt_effective_spp(7) == 4);
    CHECK(smallpt_effective_spp(16) == 16);

    CHECK(smallpt_job_init(&job, 1, 1, 4, 0, 0, rgb) == SMALLPT_OK);
    CHECK(smallpt_job_init(&job, SMALLPT_MAX_WIDTH, 1, 4, 0, 0, rgb)
          == SMALLPT_OK);
    CHECK(smallpt_job_init(NULL, 4, 1, 4, 0, 0, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 1, 4, 0, 0, NULL) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 0, 1, 4, 0, 0, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, -5, 1, 4, 0, 0, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, SMALLPT_MAX_WIDTH + 1, 1, 4, 0, 0, rgb)
          == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 0, 4, 0, 0, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 1, SMALLPT_MAX_HEIGHT + 1, 4, 0, 0, rgb)
          == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 1, 3, 0, 0, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 1, 0, 0, 0, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 1, -4, 0, 0, rgb) == SMALLPT_EINVAL);

    /* bands: within the image, first <= last */
    CHECK(smallpt_job_init(&job, 4, 3, 4, 0, 2, rgb) == SMALLPT_OK);
    CHECK(smallpt_job_init(&job, 4, 3, 4, 2, 2, rgb) == SMALLPT_OK);
    CHECK(smallpt_job_init(&job, 4, 3, 4, -1, 2, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 3, 4, 0, 3, rgb) == SMALLPT_EINVAL);
    CHECK(smallpt_job_init(&job, 4, 3, 4, 2, 1, rgb) == SMALLPT_EINVAL);

    CHECK(smallpt_job_init(&job, 4, 1, 4, 0, 0, rgb) == SMALLPT_OK);
    job.isa = 99;
    CHECK(smallpt_job_run(&job) == SMALLPT_EINVAL);
    CHECK(smallpt_render(&job, 0, NULL, NULL) == SMALLPT_EINVAL);
    CHECK(smallpt_render(NULL, 1, NULL, NULL) == SMALLPT_EINVAL);

    CHECK(smallpt_rgb_size(4, 3) == 36);
    CHECK(smallpt_rgb_size(0, 3) == 0);
    CHECK(smallpt_rgb_size(4, -1) == 0);

    CHECK(strcmp(smallpt_strerror(SMALLPT_ECANCELLED), "render cancelled")
          == 0);
    CHECK(strcmp(smallpt_strerror(12345), "unknown error") == 0);
}


static void *
run_job(void *arg)
{
    runner  *r = arg;

    r->rc = smallpt_job_run(r->job);
    return NULL;
}


static void *
cancel_later(void *arg)
{
    sleep_ms(50);
    __atomic_store_n((int *) arg, 1, __ATOMIC_RELAXED);
    return NULL;
}


static void
test_cancel(void)
{
    int             i, done_at_cancel, untouched;
    runner          r;
    pthread_t       tid;
    smallpt_job     job;
    unsigned char  *rgb;

    rgb = malloc(1024 * 768 * 3);

    /* cancelled before it runs: nothing is rendered, nothing written */
    memset(rgb, 0xA5, 1024 * 3);
    CHECK(smallpt_job_init(&job, 1024, 768, 4, 0, 0, rgb) == SMALLPT_OK);
    smallpt_job_cancel(&job);
    CHECK(smallpt_job_run(&job) == SMALLPT_ECANCELLED);
    for (untouched = 1, i = 0; i < 1024 * 3; i++) {
        untouched &= rgb[i] == 0xA5;
    }
    CHECK(untouched);
    CHECK(smallpt_job_rows_done(&job) == 0);

    /* cancelled in the middle of one long row (seconds of work) */
    CHECK(smallpt_job_init(&job, 1024, 768, 4096, 0, 0, rgb) == SMALLPT_OK);
    pthread_create(&tid, NULL, cancel_later, &job.cancel);
    CHECK(smallpt_job_run(&job) == SMALLPT_ECANCELLED);
    pthread_join(tid, NULL);
    CHECK(smallpt_job_rows_done(&job) == 0);

    /* a whole job: once cancelled, no further row is finished or started */
    CHECK(smallpt_job_init(&job, 1024, 768, 64, 0, 767, rgb) == SMALLPT_OK);
    r.job = &job;
    pthread_create(&tid, NULL, run_job, &r);

    while (smallpt_job_rows_done(&job) < 1) {
        sleep_ms(1);
    }

    smallpt_job_cancel(&job);
    done_at_cancel = smallpt_job_rows_done(&job);
    pthread_join(tid, NULL);

    /* at most the rows in flight (64 here) finish in the bounce it stops */
    CHECK(r.rc == SMALLPT_ECANCELLED);
    CHECK(smallpt_job_rows_done(&job) <= done_at_cancel + 64);
    CHECK(smallpt_job_rows_done(&job) < 768);
    CHECK(smallpt_job_run(&job) == SMALLPT_ECANCELLED);

    /* several threads stop together */
    CHECK(smallpt_job_init(&job, 1024, 768, 64, 0, 767, rgb) == SMALLPT_OK);
    pthread_create(&tid, NULL, cancel_later, &job.cancel);
    CHECK(smallpt_render(&job, 3, NULL, NULL) == SMALLPT_ECANCELLED);
    pthread_join(tid, NULL);
    CHECK(smallpt_job_rows_done(&job) < 768);

    free(rgb);
}


static int
stop_after_rows(void *data)
{
    smallpt_job  *job = data;

    return smallpt_job_rows_done(job) >= 3;
}


static void
test_stop_callback(void)
{
    smallpt_job     job;
    unsigned char  *rgb;

    rgb = malloc(64 * 48 * 3);
    CHECK(smallpt_job_init(&job, 64, 48, 4, 0, 47, rgb) == SMALLPT_OK);
    CHECK(job.stop == NULL);

    /*
     * asked at every bounce: the job stops once three rows are done (other
     * lanes, 16 rows in flight for an image this short, finishing theirs in
     * the same bounce may add a few)
     */
    job.stop = stop_after_rows;
    job.stop_data = &job;
    CHECK(smallpt_job_run(&job) == SMALLPT_ECANCELLED);
    CHECK(smallpt_job_rows_done(&job) >= 3);
    CHECK(smallpt_job_rows_done(&job) < 3 + 16);
    CHECK(job.cancel == 1);

    free(rgb);
}


static void
log_progress(void *data, int rows_done, int height)
{
    progress_log  *log = data;

    log->calls++;
    CHECK(rows_done >= log->last && rows_done <= height);
    log->last = rows_done;
    log->height = height;
}


static void
test_progress(void)
{
    smallpt_job     job;
    progress_log    log = { 0, 0, 0 };
    unsigned char  *rgb;

    rgb = malloc(160 * 120 * 3);
    CHECK(smallpt_job_init(&job, 160, 120, 8, 0, 119, rgb) == SMALLPT_OK);
    CHECK(smallpt_render(&job, 2, log_progress, &log) == SMALLPT_OK);
    CHECK(log.calls >= 1);
    CHECK(log.last == 120);
    CHECK(log.height == 120);
    free(rgb);
}


int
main(void)
{
    test_arguments();
    test_exactness();
    test_isa_paths();
    test_bands();
    test_in_order();
    test_exact_build();
    test_cancel();
    test_stop_callback();
    test_progress();

    return check_done("test_render");
}
