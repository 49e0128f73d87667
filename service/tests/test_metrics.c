/*
 * Metrics tests: outcomes, durations and buckets, label values, and the
 * exposition text (each line, escaping, families kept together, the size
 * bound, a buffer too small).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "smallpt_metrics.h"
#include "../../tracer/tests/check.h"


/* 1 if text has the whole line `line`. */
static int
has_line(const char *text, const char *line)
{
    size_t       len;
    const char  *p;

    len = strlen(line);

    for (p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[len] == '\n') {
            return 1;
        }
    }

    return 0;
}


/* How many lines of text start with prefix. */
static int
count_lines(const char *text, const char *prefix)
{
    int          n;
    const char  *p;

    n = 0;

    for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        p += (p != text);

        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            n++;
        }
    }

    return n;
}


/*
 * Every line is a comment or "name{labels} value", ends with \n, and the
 * lines of each family follow its HELP and TYPE without another family's
 * in between.
 */
static int
well_formed(const char *text, size_t len)
{
    char         family[128], name[128];
    const char  *p, *end, *brace;

    if (len == 0 || text[len - 1] != '\n' || strlen(text) != len) {
        return 0;
    }

    family[0] = '\0';

    for (p = text; p < text + len; p = end + 1) {
        end = strchr(p, '\n');

        if (strncmp(p, "# HELP ", 7) == 0) {
            if (sscanf(p + 7, "%127s", family) != 1) {
                return 0;
            }
            continue;
        }

        if (strncmp(p, "# TYPE ", 7) == 0) {
            if (sscanf(p + 7, "%127s", name) != 1
                || strcmp(name, family) != 0)
            {
                return 0;
            }
            continue;
        }

        brace = strchr(p, '{');
        if (brace == NULL || brace > end || end[-1] == ' '
            || (size_t) (brace - p) >= sizeof(name))
        {
            return 0;
        }

        memcpy(name, p, brace - p);
        name[brace - p] = '\0';

        /* a histogram's lines are FAMILY_bucket, _sum and _count */
        if (strcmp(name, family) != 0
            && !(strncmp(name, family, strlen(family)) == 0
                 && (strcmp(name + strlen(family), "_bucket") == 0
                     || strcmp(name + strlen(family), "_sum") == 0
                     || strcmp(name + strlen(family), "_count") == 0)))
        {
            return 0;
        }
    }

    return 1;
}


static void
test_outcomes(void)
{
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_OK), "ok") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_NOT_MODIFIED),
                 "not_modified") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_HEAD), "head") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_BAD_REQUEST),
                 "bad_request") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_REFUSED),
                 "refused") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_CANCELLED),
                 "cancelled") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_TIMED_OUT),
                 "timed_out") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOME_FAILED),
                 "failed") == 0);
    CHECK(strcmp(smallpt_outcome_name(SMALLPT_OUTCOMES), "unknown") == 0);
    CHECK(strcmp(smallpt_outcome_name(-1), "unknown") == 0);
}


static void
test_durations(void)
{
    CHECK(smallpt_metrics_us(0) == 0);
    CHECK(smallpt_metrics_us(-1.5) == 0);
    CHECK(smallpt_metrics_us(NAN) == 0);
    CHECK(smallpt_metrics_us(0.0000004) == 0);
    CHECK(smallpt_metrics_us(0.0000005) == 1);
    CHECK(smallpt_metrics_us(0.0015) == 1500);
    CHECK(smallpt_metrics_us(2.298044) == 2298044);
    CHECK(smallpt_metrics_us(3600) == 3600000000ULL);
    CHECK(smallpt_metrics_us(INFINITY) == 1000000000000000000ULL);

    /* a bound is in its own bucket, a microsecond more in the next */
    CHECK(smallpt_metrics_bucket(0) == 0);
    CHECK(smallpt_metrics_bucket(1000) == 0);
    CHECK(smallpt_metrics_bucket(1001) == 1);
    CHECK(smallpt_metrics_bucket(2500) == 1);
    CHECK(smallpt_metrics_bucket(999999) == 9);
    CHECK(smallpt_metrics_bucket(1000000) == 9);
    CHECK(smallpt_metrics_bucket(1000001) == 10);
    CHECK(smallpt_metrics_bucket(600000000) == 18);
    CHECK(smallpt_metrics_bucket(600000001) == 19);
    CHECK(smallpt_metrics_bucket(UINT64_MAX) == 19);

    CHECK(strcmp(smallpt_metrics_le(0), "0.001") == 0);
    CHECK(strcmp(smallpt_metrics_le(9), "1") == 0);
    CHECK(strcmp(smallpt_metrics_le(18), "600") == 0);
    CHECK(strcmp(smallpt_metrics_le(19), "+Inf") == 0);
    CHECK(smallpt_metrics_le(20) == NULL);
    CHECK(smallpt_metrics_le(-1) == NULL);
}


static void
test_labels(void)
{
    char  long_label[SMALLPT_METRICS_LABEL_MAX + 1];

    CHECK(smallpt_metrics_label_ok("/", 1));
    CHECK(smallpt_metrics_label_ok("/render", 7));
    CHECK(smallpt_metrics_label_ok("~ ^/r\\.png$ \"q\"", 15));
    CHECK(smallpt_metrics_label_ok("caf\xc3\xa9", 5));
    CHECK(smallpt_metrics_label_ok("\xe2\x82\xac", 3));
    CHECK(smallpt_metrics_label_ok("\xf0\x9f\x8e\xa8", 4));
    CHECK(smallpt_metrics_label_ok("\xf4\x8f\xbf\xbf", 4));

    CHECK(!smallpt_metrics_label_ok("", 0));
    CHECK(!smallpt_metrics_label_ok("a\0b", 3));
    CHECK(!smallpt_metrics_label_ok("caf\xc3", 4));          /* cut */
    CHECK(!smallpt_metrics_label_ok("\xc3(", 2));            /* no tail */
    CHECK(!smallpt_metrics_label_ok("\xa9", 1));             /* lone tail */
    CHECK(!smallpt_metrics_label_ok("\xc0\xaf", 2));         /* overlong */
    CHECK(!smallpt_metrics_label_ok("\xe0\x80\xaf", 3));     /* overlong */
    CHECK(!smallpt_metrics_label_ok("\xf0\x80\x80\xaf", 4)); /* overlong */
    CHECK(!smallpt_metrics_label_ok("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!smallpt_metrics_label_ok("\xf4\x90\x80\x80", 4)); /* > 10FFFF */
    CHECK(!smallpt_metrics_label_ok("\xff", 1));
    CHECK(!smallpt_metrics_label_ok("\xf8\x88\x80\x80\x80", 5));

    memset(long_label, 'a', sizeof(long_label));
    CHECK(smallpt_metrics_label_ok(long_label, SMALLPT_METRICS_LABEL_MAX));
    CHECK(!smallpt_metrics_label_ok(long_label,
                                    SMALLPT_METRICS_LABEL_MAX + 1));
}


static void
test_write(void)
{
    int                     i;
    char                   *buf;
    size_t                  size, len, n;
    smallpt_metrics_build   build = { "1.0.0", "avx2", "1.22.1" };
    smallpt_metrics_series  s[2];

    memset(s, 0, sizeof(s));

    s[0].name = "/render";
    s[0].name_len = 7;
    s[0].outcomes[SMALLPT_OUTCOME_OK] = 3;
    s[0].outcomes[SMALLPT_OUTCOME_TIMED_OUT] = 1;
    s[0].samples = 64 * 48 * 4 * 3;
    s[0].bytes[0] = 12345;
    s[0].bytes[1] = 22851;
    s[0].bytes[2] = 9216;
    s[0].render[smallpt_metrics_bucket(2000)] = 2;     /* 2 ms */
    s[0].render[smallpt_metrics_bucket(90000000)] = 1; /* 90 s */
    s[0].render_us = 2000 + 2000 + 90000000;
    s[0].queue[0] = 4;
    s[0].queue_us = 71;
    s[0].in_progress = 2;
    s[0].queued = 5;
    s[0].bands[SMALLPT_BAND_SENT] = 7;
    s[0].bands[SMALLPT_BAND_RETRIED] = 2;
    s[0].bands[SMALLPT_BAND_FAILED] = 1;

    s[1].name = "^/a\\.png \"x\"\n";
    s[1].name_len = strlen(s[1].name);

    size = smallpt_metrics_size(s, 2);
    buf = malloc(size);
    CHECK(buf != NULL);
    if (buf == NULL) {
        return;
    }

    len = smallpt_metrics_write(buf, size, &build, s, 2);
    CHECK(len > 0 && len < size);
    CHECK(well_formed(buf, len));

    CHECK(strncmp(buf, "# HELP smallpt_build_info ", 25) == 0);
    CHECK(has_line(buf, "# TYPE smallpt_build_info gauge"));
    CHECK(has_line(buf, "smallpt_build_info{version=\"1.0.0\",isa=\"avx2\","
                        "nginx_version=\"1.22.1\"} 1"));

    CHECK(has_line(buf, "# TYPE smallpt_requests_total counter"));
    CHECK(has_line(buf, "smallpt_requests_total{location=\"/render\","
                        "outcome=\"ok\"} 3"));
    CHECK(has_line(buf, "smallpt_requests_total{location=\"/render\","
                        "outcome=\"timed_out\"} 1"));
    CHECK(has_line(buf, "smallpt_requests_total{location=\"/render\","
                        "outcome=\"failed\"} 0"));
    CHECK(count_lines(buf, "smallpt_requests_total{") == 2 * SMALLPT_OUTCOMES);

    CHECK(has_line(buf, "smallpt_samples_total{location=\"/render\"} 36864"));
    CHECK(has_line(buf, "smallpt_sent_bytes_total{location=\"/render\","
                        "format=\"png\"} 12345"));
    CHECK(has_line(buf, "smallpt_sent_bytes_total{location=\"/render\","
                        "format=\"ppm\"} 22851"));
    CHECK(has_line(buf, "smallpt_sent_bytes_total{location=\"/render\","
                        "format=\"rgb\"} 9216"));

    /* cumulative buckets; _count is the +Inf bucket */
    CHECK(has_line(buf, "# TYPE smallpt_render_seconds histogram"));
    CHECK(has_line(buf, "smallpt_render_seconds_bucket{location=\"/render\","
                        "le=\"0.001\"} 0"));
    CHECK(has_line(buf, "smallpt_render_seconds_bucket{location=\"/render\","
                        "le=\"0.0025\"} 2"));
    CHECK(has_line(buf, "smallpt_render_seconds_bucket{location=\"/render\","
                        "le=\"60\"} 2"));
    CHECK(has_line(buf, "smallpt_render_seconds_bucket{location=\"/render\","
                        "le=\"120\"} 3"));
    CHECK(has_line(buf, "smallpt_render_seconds_bucket{location=\"/render\","
                        "le=\"+Inf\"} 3"));
    CHECK(has_line(buf, "smallpt_render_seconds_sum{location=\"/render\"} "
                        "90.004000"));
    CHECK(has_line(buf, "smallpt_render_seconds_count{location=\"/render\"} "
                        "3"));
    CHECK(count_lines(buf, "smallpt_render_seconds_bucket{")
          == 2 * SMALLPT_METRICS_BUCKETS);
    CHECK(has_line(buf, "smallpt_queue_wait_seconds_bucket{"
                        "location=\"/render\",le=\"0.001\"} 4"));
    CHECK(has_line(buf, "smallpt_queue_wait_seconds_sum{location=\"/render\"}"
                        " 0.000071"));
    CHECK(has_line(buf, "smallpt_queue_wait_seconds_count{"
                        "location=\"/render\"} 4"));

    CHECK(has_line(buf, "# TYPE smallpt_renders_in_progress gauge"));
    CHECK(has_line(buf, "smallpt_renders_in_progress{location=\"/render\"} "
                        "2"));
    CHECK(has_line(buf, "smallpt_tasks_queued{location=\"/render\"} 5"));
    CHECK(has_line(buf, "smallpt_band_requests_total{location=\"/render\"} "
                        "7"));
    CHECK(has_line(buf, "smallpt_band_retries_total{location=\"/render\"} "
                        "2"));
    CHECK(has_line(buf, "smallpt_band_failures_total{location=\"/render\"} "
                        "1"));

    /* \, " and a newline escaped; an empty series is all zeros */
    CHECK(has_line(buf, "smallpt_samples_total{"
                        "location=\"^/a\\\\.png \\\"x\\\"\\n\"} 0"));
    CHECK(has_line(buf, "smallpt_render_seconds_sum{"
                        "location=\"^/a\\\\.png \\\"x\\\"\\n\"} 0.000000"));

    /* every family once, in this order */
    CHECK(count_lines(buf, "# TYPE ") == 11);
    CHECK(count_lines(buf, "# HELP ") == 11);

    /* too small a buffer, by any amount: 0, never a cut text */
    n = 0;
    for (i = 0; i <= (int) len; i++) {
        if (smallpt_metrics_write(buf, (size_t) i, &build, s, 2) != 0) {
            n++;
        }
    }
    CHECK(n == 0);
    CHECK(smallpt_metrics_write(buf, len + 1, &build, s, 2) == len);

    free(buf);
}


/* The bound holds for the longest label, all of it escaped. */
static void
test_size(void)
{
    char                    *buf;
    char                     label[SMALLPT_METRICS_LABEL_MAX];
    size_t                   size, len;
    smallpt_metrics_build    build = { "1.0.0", "scalar", "1.31.4" };
    smallpt_metrics_series   s[3];
    int                      i;

    memset(label, '"', sizeof(label));
    memset(s, 0, sizeof(s));

    for (i = 0; i < 3; i++) {
        s[i].name = label;
        s[i].name_len = sizeof(label);
        memset(s[i].outcomes, 0xff, sizeof(s[i].outcomes));
        memset(s[i].render, 0x11, sizeof(s[i].render));
        s[i].render_us = UINT64_MAX;
        s[i].in_progress = INT64_MIN;
        s[i].queued = INT64_MIN;
    }

    size = smallpt_metrics_size(s, 3);
    buf = malloc(size);
    CHECK(buf != NULL);
    if (buf == NULL) {
        return;
    }

    len = smallpt_metrics_write(buf, size, &build, s, 3);
    CHECK(len > 0 && len < size);
    CHECK(well_formed(buf, len));

    free(buf);
}


int
main(void)
{
    test_outcomes();
    test_durations();
    test_labels();
    test_write();
    test_size();

    return check_done("test_metrics");
}
