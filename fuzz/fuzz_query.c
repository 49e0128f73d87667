/*
 * libFuzzer target: smallpt_query_parse, smallpt_etag, smallpt_etag_match
 * and smallpt_disposition on arbitrary bytes, checking properties (abort()
 * on any violation), not only the absence of crashes.
 *
 * Input: 7 configuration bytes, then the bytes under test (the query
 * string, the If-None-Match value and the file name, all at once):
 *
 *   [0] max_spp   [1] max_width   [2] max_height     (see pick())
 *   [3] spp       [4] width       [5] height         defaults, as pick()
 *   [6] bit 0: default format PPM; bit 1: attachment; bit 2: disposition
 *       format PPM; bits 3-7: how many bytes short of the exact room the
 *       second disposition buffer is
 *
 * Inputs shorter than 7 bytes take 0 for the missing bytes. Printable
 * configuration bytes keep the seeds text: in "RTTFRP@spp=16" the first 7
 * are the module's limits and defaults (1024, 2048, 2048; 4, 1024, 768),
 * PNG, inline.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smallpt.h"
#include "smallpt_request.h"


#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_query: property failed: %s (%s:%d)\n",     \
                    #cond, __FILE__, __LINE__);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define CONFIG_BYTES  7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* Limits and defaults: the edges that matter, and the module's own. */
static const int  values[32] = {
    INT_MIN, -1, 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 64, 99, 100,
    768, 1023, 1024, 1536, 2048, 4096, 65535, 65536, 99999, 999999999,
    1000000000, INT_MAX - 1, INT_MAX, 10, 48, 17
};


static int
pick(uint8_t byte)
{
    return values[byte & 31];
}


static int
is_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}


/* 1 if needle (n bytes, n > 0) occurs in hay (len bytes). */
static int
contains(const char *hay, size_t len, const char *needle, size_t n)
{
    size_t  i;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/* A heap copy of exactly len bytes, so ASan sees any read past its end. */
static char *
dup_exact(const void *p, size_t len)
{
    char  *copy;

    copy = malloc(len != 0 ? len : 1);
    REQUIRE(copy != NULL);
    if (len != 0) {
        memcpy(copy, p, len);
    }
    return copy;
}


static void
check_reason(const char reason[SMALLPT_REASON_SIZE])
{
    const char  *nul;

    nul = memchr(reason, '\0', SMALLPT_REASON_SIZE);
    REQUIRE(nul != NULL);                          /* NUL-terminated */
    REQUIRE(nul - reason > 0);                     /* not empty */
    REQUIRE(memchr(reason, '\n', (size_t) (nul - reason)) == NULL);
    REQUIRE(strncmp(reason, "spp: ", 5) == 0 || strncmp(reason, "w: ", 3) == 0
            || strncmp(reason, "h: ", 3) == 0
            || strncmp(reason, "format: ", 8) == 0
            || strncmp(reason, "rows: ", 6) == 0);
}


static void
check_query(const smallpt_query *q, const smallpt_limits *lim)
{
    REQUIRE(q->spp >= SMALLPT_MIN_SPP && q->spp <= lim->max_spp);
    REQUIRE(q->width >= 1 && q->width <= lim->max_width);
    REQUIRE(q->height >= 1 && q->height <= lim->max_height);
    REQUIRE(q->format == SMALLPT_FORMAT_PNG
            || q->format == SMALLPT_FORMAT_PPM
            || q->format == SMALLPT_FORMAT_RGB);
    REQUIRE(q->first_row >= 0 && q->first_row <= q->last_row
            && q->last_row < q->height);
    REQUIRE(q->band || (q->first_row == 0 && q->last_row == q->height - 1));
}


static void
fuzz_parse(const char *args, size_t len, const smallpt_limits *lim,
    const smallpt_query *defaults, smallpt_query *out)
{
    int            rc, n;
    char           reason[SMALLPT_REASON_SIZE], again[128];
    smallpt_query  q, q2;

    q = *defaults;
    memset(reason, 0xA5, sizeof(reason));

    rc = smallpt_query_parse(args, len, lim, &q, reason);
    REQUIRE(rc == 0 || rc == -1);

    if (rc != 0) {
        check_reason(reason);
        *out = *defaults;
        return;
    }

    check_query(&q, lim);
    *out = q;

    /*
     * What was accepted, written out plainly, parses to the same values.
     * Not for values of 10^9 and more: only defaults can be that large,
     * the parser reports such digits as "too large" whatever the limit.
     */
    if (q.spp >= 1000000000 || q.width >= 1000000000
        || q.height >= 1000000000)
    {
        return;
    }

    n = snprintf(again, sizeof(again), "spp=%d&w=%d&h=%d&format=%s", q.spp,
                 q.width, q.height, smallpt_format_name(q.format));
    REQUIRE(n > 0 && (size_t) n < sizeof(again));

    if (q.band) {
        n += snprintf(again + n, sizeof(again) - (size_t) n, "&rows=%d-%d",
                      q.first_row, q.last_row);
        REQUIRE((size_t) n < sizeof(again));
    }

    q2 = *defaults;
    REQUIRE(smallpt_query_parse(again, (size_t) n, lim, &q2, reason) == 0);
    REQUIRE(q2.spp == q.spp && q2.width == q.width && q2.height == q.height
            && q2.format == q.format && q2.band == q.band
            && q2.first_row == q.first_row && q2.last_row == q.last_row);
}


/*
 * smallpt_etag_match on a heap copy of exactly len bytes, so that ASan sees
 * any read past the end (there was one: a value ending in "W/", fc7f743).
 */
static int
match(const char *header, size_t len, const char *etag)
{
    int    m, strong;
    char  *copy;

    copy = dup_exact(header, len);
    m = smallpt_etag_match(copy, len, etag, 0);
    REQUIRE(m == 0 || m == 1);

    /* If-Match's strong comparison matches less, never more */
    strong = smallpt_etag_match(copy, len, etag, 1);
    REQUIRE(strong == 0 || (strong == 1 && m == 1));
    free(copy);

    return m;
}


static void
fuzz_etag(const char *header, size_t len, const smallpt_query *q)
{
    char    etag[SMALLPT_ETAG_SIZE], *h;
    size_t  taglen;

    memset(etag, 0xA5, sizeof(etag));
    smallpt_etag(q, etag);

    REQUIRE(memchr(etag, '\0', sizeof(etag)) != NULL);
    taglen = strlen(etag);
    REQUIRE(taglen >= 2 && etag[0] == '"' && etag[taglen - 1] == '"');
    REQUIRE(memchr(etag + 1, '"', taglen - 2) == NULL);

    /* arbitrary bytes: a match needs "*" or the tag itself in them */
    if (match(header, len, etag)) {
        REQUIRE(memchr(header, '*', len) != NULL
                || contains(header, len, etag, taglen));
    }

    /* the tag alone, weak or strong, and "*" match */
    REQUIRE(match(etag, taglen, etag) == 1);
    REQUIRE(match("*", 1, etag) == 1);

    h = malloc(taglen + 2);
    REQUIRE(h != NULL);
    h[0] = 'W';
    h[1] = '/';
    memcpy(h + 2, etag, taglen);
    REQUIRE(match(h, taglen + 2, etag) == 1);

    /* "W/" and the tag's first (len mod taglen) bytes: no match */
    REQUIRE(match(h, 2 + len % taglen, etag) == 0);

    /* the tag after the bytes, as a list element: a match */
    free(h);
    h = malloc(len + 2 + taglen);
    REQUIRE(h != NULL);
    memcpy(h, header, len);
    memcpy(h + len, ", ", 2);
    memcpy(h + len + 2, etag, taglen);
    if (memchr(header, '"', len) == NULL) {
        REQUIRE(match(h, len + 2 + taglen, etag) == 1);
    }
    free(h);
}


static void
check_disposition(const char *buf, size_t n, int attachment, const char *name,
    size_t name_len, int format)
{
    size_t       i, pre;
    const char  *prefix, *ext;

    prefix = attachment ? "attachment; filename=\"" : "inline; filename=\"";
    ext = format == SMALLPT_FORMAT_PPM ? ".ppm\"" : ".png\"";
    pre = strlen(prefix);

    if (name_len == 0) {
        name = "image";
        name_len = 5;
    }

    REQUIRE(n == pre + name_len + 5);
    REQUIRE(buf[n] == '\0' && strlen(buf) == n);
    REQUIRE(memcmp(buf, prefix, pre) == 0);
    REQUIRE(memcmp(buf + pre + name_len, ext, 5) == 0);

    for (i = 0; i < name_len; i++) {
        REQUIRE(is_safe((unsigned char) buf[pre + i]));
        REQUIRE(buf[pre + i] == (is_safe((unsigned char) name[i])
                                 ? name[i] : '_'));
    }
}


static void
fuzz_disposition(const char *name, size_t name_len, uint8_t flags)
{
    int     attachment, format;
    char   *buf;
    size_t  size, n, need, shortby;

    attachment = (flags & 2) != 0;
    format = (flags & 4) ? SMALLPT_FORMAT_PPM : SMALLPT_FORMAT_PNG;

    /* the room smallpt_disposition_size names is enough */
    size = smallpt_disposition_size(name_len);
    buf = malloc(size);
    REQUIRE(buf != NULL);
    n = smallpt_disposition(buf, size, attachment, name, name_len, format);
    REQUIRE(n != 0 && n < size);
    check_disposition(buf, n, attachment, name, name_len, format);
    free(buf);

    /* exactly the room it needs is enough; any less is refused */
    need = n + 1;
    shortby = (size_t) (flags >> 3);
    size = shortby <= need ? need - shortby : 0;

    buf = malloc(size != 0 ? size : 1);
    REQUIRE(buf != NULL);
    n = smallpt_disposition(buf, size, attachment, name, name_len, format);
    if (size == need) {
        REQUIRE(n == need - 1);
        check_disposition(buf, n, attachment, name, name_len, format);
    } else {
        REQUIRE(n == 0);
    }
    free(buf);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char            *rest;
    size_t           len;
    uint8_t          cfg[CONFIG_BYTES];
    smallpt_query    defaults, q;
    smallpt_limits   lim;

    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg, data, size < CONFIG_BYTES ? size : CONFIG_BYTES);

    lim.max_spp = pick(cfg[0]);
    lim.max_width = pick(cfg[1]);
    lim.max_height = pick(cfg[2]);

    smallpt_query_init(&defaults,
                       (cfg[6] & 1) ? SMALLPT_FORMAT_PPM : SMALLPT_FORMAT_PNG);
    defaults.spp = pick(cfg[3]);
    defaults.width = pick(cfg[4]);
    defaults.height = pick(cfg[5]);

    len = size > CONFIG_BYTES ? size - CONFIG_BYTES : 0;
    rest = dup_exact(data + (size - len), len);

    fuzz_parse(rest, len, &lim, &defaults, &q);
    fuzz_etag(rest, len, &q);
    fuzz_disposition(rest, len, cfg[6]);

    free(rest);
    return 0;
}
