/*
 * The Prometheus text exposition format (0.0.4) of the renderer's metrics.
 */

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smallpt_metrics.h"


/*
 * Upper bounds of the buckets in microseconds, and as "le" labels: 1 ms to
 * 10 minutes, 1-2.5-5 a decade, then the minutes a slow render takes.
 * Integers, so that a duration on a bound is counted in it exactly.
 */
static const uint64_t  bounds_us[SMALLPT_METRICS_BUCKETS - 1] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 20000000, 30000000, 60000000,
    120000000, 300000000, 600000000
};

static const char  *bounds_le[SMALLPT_METRICS_BUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5", "10", "20", "30", "60", "120", "300", "600",
    "+Inf"
};

static const char  *outcome_names[SMALLPT_OUTCOMES] = {
    "ok", "not_modified", "head", "bad_request", "refused", "cancelled",
    "timed_out", "failed"
};

static const char  *format_names[3] = { "png", "ppm", "rgb" };


/* The longest line but its location label: name, labels, a 20-digit value. */
#define LINE_MAX_FIXED  160

/* Lines of one series: outcomes, samples, formats, 2 histograms, gauges,
 * bands. */
#define SERIES_LINES    (SMALLPT_OUTCOMES + 1 + 2                            \
                         + 2 * (SMALLPT_METRICS_BUCKETS + 2) + 2             \
                         + SMALLPT_BANDS)

/* The HELP and TYPE lines and smallpt_build_info, with room to spare. */
#define HEADER_MAX      4096


typedef struct {
    char    *p;
    char    *end;
    int      overflow;
} out_buf;


static void put(out_buf *o, const char *fmt, ...);
static void put_label(out_buf *o, const char *value, size_t len);
static void put_family(out_buf *o, const char *name, const char *type,
    const char *help);
static void put_series(out_buf *o, const char *name, const char *suffix,
    const smallpt_metrics_series *s);
static void put_values(out_buf *o, const char *name, const char *type,
    const char *help, const smallpt_metrics_series *series, size_t n,
    size_t offset, int is_signed);
static void put_histogram(out_buf *o, const char *name,
    const smallpt_metrics_series *s, const uint64_t *buckets, uint64_t us);


const char *
smallpt_outcome_name(int outcome)
{
    if (outcome < 0 || outcome >= SMALLPT_OUTCOMES) {
        return "unknown";
    }

    return outcome_names[outcome];
}


uint64_t
smallpt_metrics_us(double seconds)
{
    /* NaN fails both comparisons; an absurd duration is capped */
    if (!(seconds > 0)) {
        return 0;
    }

    if (seconds > 1e12) {
        return (uint64_t) 1e18;
    }

    return (uint64_t) llround(seconds * 1e6);
}


int
smallpt_metrics_bucket(uint64_t us)
{
    int  i;

    for (i = 0; i < SMALLPT_METRICS_BUCKETS - 1; i++) {
        if (us <= bounds_us[i]) {
            return i;
        }
    }

    return SMALLPT_METRICS_BUCKETS - 1;
}


const char *
smallpt_metrics_le(int bucket)
{
    if (bucket < 0 || bucket >= SMALLPT_METRICS_BUCKETS) {
        return NULL;
    }

    return bounds_le[bucket];
}


int
smallpt_metrics_label_ok(const char *label, size_t len)
{
    size_t         i, n, k;
    uint32_t       cp;
    unsigned char  c;

    if (len == 0 || len > SMALLPT_METRICS_LABEL_MAX) {
        return 0;
    }

    for (i = 0; i < len; i += n) {
        c = (unsigned char) label[i];

        if (c == 0) {
            return 0;
        }

        if (c < 0x80) {
            n = 1;
            continue;
        }

        /* the lead byte: its length, and the smallest code point it may
         * start (no overlong forms) */
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;

        } else {
            return 0;
        }

        if (len - i < n) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            c = (unsigned char) label[i + k];
            if ((c & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (c & 0x3f);
        }

        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        {
            return 0;
        }
    }

    return 1;
}


size_t
smallpt_metrics_size(const smallpt_metrics_series *series, size_t n)
{
    size_t  i, size;

    size = HEADER_MAX;

    for (i = 0; i < n; i++) {
        /* each byte of the label at most two when escaped */
        size += SERIES_LINES * (LINE_MAX_FIXED + 2 * series[i].name_len);
    }

    return size;
}


size_t
smallpt_metrics_write(char *buf, size_t size,
    const smallpt_metrics_build *build, const smallpt_metrics_series *series,
    size_t n)
{
    int                            k;
    size_t                         i;
    out_buf                        o;
    const smallpt_metrics_series  *s;

    o.p = buf;
    o.end = buf + size;
    o.overflow = 0;

    put_family(&o, "smallpt_build_info", "gauge",
               "The smallpt module's version, the instruction set its "
               "renders use and the nginx it was built for.");
    put(&o, "smallpt_build_info{version=\"");
    put_label(&o, build->version, strlen(build->version));
    put(&o, "\",isa=\"");
    put_label(&o, build->isa, strlen(build->isa));
    put(&o, "\",nginx_version=\"");
    put_label(&o, build->nginx, strlen(build->nginx));
    put(&o, "\"} 1\n");

    put_family(&o, "smallpt_requests_total", "counter",
               "Requests to a rendering location that finished, by "
               "outcome.");
    for (i = 0; i < n; i++) {
        for (k = 0; k < SMALLPT_OUTCOMES; k++) {
            put_series(&o, "smallpt_requests_total", "", &series[i]);
            put(&o, ",outcome=\"%s\"} %" PRIu64 "\n", outcome_names[k],
                series[i].outcomes[k]);
        }
    }

    put_values(&o, "smallpt_samples_total", "counter",
               "Camera samples rendered: width * spp of every row "
               "finished.", series, n,
               offsetof(smallpt_metrics_series, samples), 0);

    put_family(&o, "smallpt_sent_bytes_total", "counter",
               "Bytes of the images sent (their bodies), by format "
               "(rgb: bands).");
    for (i = 0; i < n; i++) {
        for (k = 0; k < 3; k++) {
            put_series(&o, "smallpt_sent_bytes_total", "", &series[i]);
            put(&o, ",format=\"%s\"} %" PRIu64 "\n", format_names[k],
                series[i].bytes[k]);
        }
    }

    put_family(&o, "smallpt_render_seconds", "histogram",
               "Seconds from a render's first row begun to its image "
               "encoded, of the images rendered.");
    for (i = 0; i < n; i++) {
        s = &series[i];
        put_histogram(&o, "smallpt_render_seconds", s, s->render,
                      s->render_us);
    }

    put_family(&o, "smallpt_queue_wait_seconds", "histogram",
               "Seconds a render waited in the thread pool's queue before "
               "its first row began.");
    for (i = 0; i < n; i++) {
        s = &series[i];
        put_histogram(&o, "smallpt_queue_wait_seconds", s, s->queue,
                      s->queue_us);
    }

    put_values(&o, "smallpt_renders_in_progress", "gauge",
               "Renders accepted and not finished yet, queued or running.",
               series, n, offsetof(smallpt_metrics_series, in_progress), 1);

    put_values(&o, "smallpt_tasks_queued", "gauge",
               "Render tasks waiting in the thread pool's queue.",
               series, n, offsetof(smallpt_metrics_series, queued), 1);

    put_values(&o, "smallpt_band_requests_total", "counter",
               "Band requests a fanned-out render sent, retries included.",
               series, n,
               offsetof(smallpt_metrics_series, bands[SMALLPT_BAND_SENT]), 0);

    put_values(&o, "smallpt_band_retries_total", "counter",
               "Band requests sent again after a failure.", series, n,
               offsetof(smallpt_metrics_series, bands[SMALLPT_BAND_RETRIED]),
               0);

    put_values(&o, "smallpt_band_failures_total", "counter",
               "Bands given up on: no retry left.", series, n,
               offsetof(smallpt_metrics_series, bands[SMALLPT_BAND_FAILED]),
               0);

    if (o.overflow) {
        return 0;
    }

    return (size_t) (o.p - buf);
}


static void
put(out_buf *o, const char *fmt, ...)
{
    int      len;
    va_list  args;

    if (o->overflow) {
        return;
    }

    va_start(args, fmt);
    len = vsnprintf(o->p, (size_t) (o->end - o->p), fmt, args);
    va_end(args);

    if (len < 0 || len >= o->end - o->p) {
        o->overflow = 1;
        return;
    }

    o->p += len;
}


/* A label value, escaped as the format says: \\, \" and \n. */
static void
put_label(out_buf *o, const char *value, size_t len)
{
    char    c;
    size_t  i;

    for (i = 0; i < len; i++) {
        c = value[i];

        if (o->overflow || o->end - o->p < 3) {
            o->overflow = 1;
            return;
        }

        if (c == '\\' || c == '"' || c == '\n') {
            *o->p++ = '\\';
            c = (c == '\n') ? 'n' : c;
        }

        *o->p++ = c;
    }
}


static void
put_family(out_buf *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}


/* A line's name and its location label, the braces left open. */
static void
put_series(out_buf *o, const char *name, const char *suffix,
    const smallpt_metrics_series *s)
{
    put(o, "%s%s{location=\"", name, suffix);
    put_label(o, s->name, s->name_len);
    put(o, "\"");
}


/*
 * A family of one value a series: the uint64_t (or int64_t, is_signed) at
 * offset in each.
 */
static void
put_values(out_buf *o, const char *name, const char *type, const char *help,
    const smallpt_metrics_series *series, size_t n, size_t offset,
    int is_signed)
{
    size_t    i;
    int64_t   sv;
    uint64_t  uv;

    put_family(o, name, type, help);

    for (i = 0; i < n; i++) {
        put_series(o, name, "", &series[i]);

        if (is_signed) {
            memcpy(&sv, (const char *) &series[i] + offset, sizeof(sv));
            put(o, "} %" PRId64 "\n", sv);

        } else {
            memcpy(&uv, (const char *) &series[i] + offset, sizeof(uv));
            put(o, "} %" PRIu64 "\n", uv);
        }
    }
}


/* The _bucket lines (cumulative), _sum and _count of one series. */
static void
put_histogram(out_buf *o, const char *name, const smallpt_metrics_series *s,
    const uint64_t *buckets, uint64_t us)
{
    int       i;
    uint64_t  count;

    /* the count is the buckets' sum, so that +Inf and _count agree */
    count = 0;

    for (i = 0; i < SMALLPT_METRICS_BUCKETS; i++) {
        count += buckets[i];
        put_series(o, name, "_bucket", s);
        put(o, ",le=\"%s\"} %" PRIu64 "\n", bounds_le[i], count);
    }

    put_series(o, name, "_sum", s);
    put(o, "} %" PRIu64 ".%06" PRIu64 "\n", us / 1000000, us % 1000000);

    put_series(o, name, "_count", s);
    put(o, "} %" PRIu64 "\n", count);
}
