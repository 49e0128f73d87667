/*
 * The renderer's metrics in the Prometheus text exposition format (version
 * 0.0.4), with no web server: outcomes, histogram buckets, label checks and
 * the text itself. ngx_http_smallpt_metrics.c keeps the counters in nginx's
 * shared memory and hands a snapshot of them to smallpt_metrics_write().
 */

#ifndef SMALLPT_METRICS_H
#define SMALLPT_METRICS_H

#include <stddef.h>
#include <stdint.h>


/* How a request to a rendering location ended; one count each. */
enum {
    SMALLPT_OUTCOME_OK = 0,         /* the image was sent */
    SMALLPT_OUTCOME_NOT_MODIFIED,   /* 304: If-None-Match named it */
    SMALLPT_OUTCOME_HEAD,           /* HEAD: headers only, no render */
    SMALLPT_OUTCOME_BAD_REQUEST,    /* 400 (bad query), 405 (method)... */
    SMALLPT_OUTCOME_REFUSED,        /* 503: the pool's queue was full */
    SMALLPT_OUTCOME_CANCELLED,      /* the client went away, or shutdown */
    SMALLPT_OUTCOME_TIMED_OUT,      /* 503: the render time limit */
    SMALLPT_OUTCOME_FAILED,         /* 500: anything else */
    SMALLPT_OUTCOMES
};

/* Band requests of a fanned-out render, as the fan-out reports them. */
enum {
    SMALLPT_BAND_SENT = 0,          /* a band request sent (retries too) */
    SMALLPT_BAND_RETRIED,           /* a band request sent again */
    SMALLPT_BAND_FAILED,            /* a band given up on */
    SMALLPT_BANDS
};

/*
 * Histogram buckets, the same for render and queue-wait seconds: from 1 ms
 * to 10 minutes, about three a decade; the last one is +Inf.
 */
#define SMALLPT_METRICS_BUCKETS     20

/* Longest label value (a location's name) smallpt_metrics_label_ok allows. */
#define SMALLPT_METRICS_LABEL_MAX   255


/* A snapshot of one rendering location's counters. */
typedef struct {
    const char  *name;              /* the "location" label, UTF-8 */
    size_t       name_len;
    uint64_t     outcomes[SMALLPT_OUTCOMES];
    uint64_t     samples;
    uint64_t     bytes[3];          /* by SMALLPT_FORMAT_*: png, ppm, rgb */
    uint64_t     render[SMALLPT_METRICS_BUCKETS];  /* per bucket, not */
    uint64_t     queue[SMALLPT_METRICS_BUCKETS];   /* cumulative */
    uint64_t     render_us;         /* sums, in microseconds */
    uint64_t     queue_us;
    int64_t      in_progress;
    int64_t      queued;
    uint64_t     bands[SMALLPT_BANDS];
} smallpt_metrics_series;

/* The labels of smallpt_build_info. */
typedef struct {
    const char  *version;
    const char  *isa;
    const char  *nginx;             /* its version */
} smallpt_metrics_build;


/* "ok", "not_modified", ..., "failed": the outcome label's values. */
const char *smallpt_outcome_name(int outcome);

/* Seconds as whole microseconds, rounded; negative and NaN give 0. */
uint64_t smallpt_metrics_us(double seconds);

/* The bucket a duration of us microseconds falls in: the first whose upper
 * bound it does not exceed (SMALLPT_METRICS_BUCKETS - 1 is +Inf). */
int smallpt_metrics_bucket(uint64_t us);

/* A bucket's upper bound as its "le" label: "0.001", ..., "600", "+Inf". */
const char *smallpt_metrics_le(int bucket);

/*
 * 1 if len bytes at label can be a label value: valid UTF-8, no NUL, 1 to
 * SMALLPT_METRICS_LABEL_MAX bytes; else 0.
 */
int smallpt_metrics_label_ok(const char *label, size_t len);

/* The buffer size smallpt_metrics_write needs for these n series, at most. */
size_t smallpt_metrics_size(const smallpt_metrics_series *series, size_t n);

/*
 * Writes the exposition: smallpt_build_info, then each metric family with a
 * line per series (HELP and TYPE once a family). Returns its length, or 0
 * if it does not fit in size bytes.
 */
size_t smallpt_metrics_write(char *buf, size_t size,
    const smallpt_metrics_build *build, const smallpt_metrics_series *series,
    size_t n);

#endif /* SMALLPT_METRICS_H */
