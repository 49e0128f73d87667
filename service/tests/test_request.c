/*
 * Request tests: query strings good and bad, bands of rows, ETags,
 * If-Match and If-None-Match, and Content-Disposition.
 */

#include <string.h>

#include "smallpt.h"
#include "smallpt_request.h"
#include "../../tracer/tests/check.h"


typedef struct {
    const char  *args;
    int          ok;
    int          spp, width, height, format;  /* when ok */
    const char  *reason;                      /* when not: the whole line */
} query_case;

typedef struct {
    const char  *args;
    int          first, last;                 /* -1: an error */
    const char  *reason;
} rows_case;


static const smallpt_limits  limits = { 1024, 2048, 1536 };

static const query_case  cases[] = {
    { "", 1, 4, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "spp=16", 1, 16, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "spp=16&w=64&h=48&format=ppm", 1, 16, 64, 48, SMALLPT_FORMAT_PPM, NULL },
    { "format=PPM&h=1&w=1", 1, 4, 1, 1, SMALLPT_FORMAT_PPM, NULL },
    { "format=png", 1, 4, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "spp=0004", 1, 4, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "spp=%31%36", 1, 16, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "%73pp=8", 1, 8, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "format=%70%6E%67", 1, 4, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "&&spp=8&&", 1, 8, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "x=1&spp=8&color=red&SPP=99&sp=3", 1, 8, 1024, 768,
      SMALLPT_FORMAT_PNG, NULL },
    { "spp=1024&w=2048&h=1536", 1, 1024, 2048, 1536, SMALLPT_FORMAT_PNG,
      NULL },
    { "spp=5", 1, 5, 1024, 768, SMALLPT_FORMAT_PNG, NULL },

    { "spp=3", 0, 0, 0, 0, 0,
      "spp: 3 is too small; expected an integer from 4 to 1024" },
    { "spp=0", 0, 0, 0, 0, 0,
      "spp: 0 is too small; expected an integer from 4 to 1024" },
    { "spp=1025", 0, 0, 0, 0, 0,
      "spp: 1025 is too large; expected an integer from 4 to 1024" },
    { "spp=99999999999999999999999", 0, 0, 0, 0, 0,
      "spp: too large; expected an integer from 4 to 1024" },
    { "spp=4294967300", 0, 0, 0, 0, 0,
      "spp: too large; expected an integer from 4 to 1024" },
    { "spp=", 0, 0, 0, 0, 0,
      "spp: empty; expected an integer from 4 to 1024" },
    { "spp", 0, 0, 0, 0, 0,
      "spp: empty; expected an integer from 4 to 1024" },
    { "spp=abc", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=-4", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=+4", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=%2B4", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=4.0", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=0x10", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=1e3", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=%20%34", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=4%00", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=%zz", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=4%", 0, 0, 0, 0, 0,
      "spp: not a decimal integer; expected an integer from 4 to 1024" },
    { "spp=4&spp=8", 0, 0, 0, 0, 0,
      "spp: given more than once; expected one integer from 4 to 1024" },
    { "spp=4&%73pp=4", 0, 0, 0, 0, 0,
      "spp: given more than once; expected one integer from 4 to 1024" },
    { "w=0", 0, 0, 0, 0, 0,
      "w: 0 is too small; expected an integer from 1 to 2048" },
    { "w=2049", 0, 0, 0, 0, 0,
      "w: 2049 is too large; expected an integer from 1 to 2048" },
    { "h=1537", 0, 0, 0, 0, 0,
      "h: 1537 is too large; expected an integer from 1 to 1536" },
    { "h=-1", 0, 0, 0, 0, 0,
      "h: not a decimal integer; expected an integer from 1 to 1536" },
    { "w=64&w=64", 0, 0, 0, 0, 0,
      "w: given more than once; expected one integer from 1 to 2048" },
    { "format=gif", 0, 0, 0, 0, 0,
      "format: unknown format; expected png, ppm or rgb" },
    { "format=pngx", 0, 0, 0, 0, 0,
      "format: unknown format; expected png, ppm or rgb" },
    { "format=pn", 0, 0, 0, 0, 0,
      "format: unknown format; expected png, ppm or rgb" },
    { "format=", 0, 0, 0, 0, 0,
      "format: empty; expected png, ppm or rgb" },
    { "format=png&format=ppm", 0, 0, 0, 0, 0,
      "format: given more than once; expected one of png, ppm or rgb" },
    { "spp=8&format=jpeg&w=0", 0, 0, 0, 0, 0,
      "format: unknown format; expected png, ppm or rgb" },
    { "format=RGB", 1, 4, 1024, 768, SMALLPT_FORMAT_RGB, NULL },
    { "spp=8&", 1, 8, 1024, 768, SMALLPT_FORMAT_PNG, NULL },
    { "&", 1, 4, 1024, 768, SMALLPT_FORMAT_PNG, NULL }
};


static const rows_case  rows_cases[] = {
    { "h=48", 0, 47, NULL },
    { "rows=0-47&h=48", 0, 47, NULL },
    { "h=48&rows=5-5", 5, 5, NULL },
    { "rows=%31%30-12", 10, 12, NULL },
    { "rows=0-0&h=1", 0, 0, NULL },
    { "rows=0-48&h=48", -1, -1,
      "rows: 0-48 is not within the image; expected FIRST-LAST with "
      "0 <= FIRST <= LAST <= 47" },
    { "rows=9-8", -1, -1,
      "rows: 9-8 is not within the image; expected FIRST-LAST with "
      "0 <= FIRST <= LAST <= 767" },
    { "rows=5", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=-5", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=1-", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=1-2-3", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=1+2", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=0-99999999999", -1, -1,
      "rows: too large; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" },
    { "rows=1-2&rows=1-2", -1, -1,
      "rows: given more than once; expected one range FIRST-LAST" },
    { "rows=x&spp=1", -1, -1,
      "rows: not a range; expected FIRST-LAST, two integers from 0 to the "
      "height - 1" }
};


static void
test_query(void)
{
    int             rc;
    char            reason[SMALLPT_REASON_SIZE];
    size_t          i;
    smallpt_query   q;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        smallpt_query_init(&q, SMALLPT_FORMAT_PNG);
        reason[0] = '\0';

        rc = smallpt_query_parse(cases[i].args, strlen(cases[i].args),
                                 &limits, &q, reason);

        if (cases[i].ok) {
            CHECK_MSG(rc == 0, "\"%s\": %s", cases[i].args, reason);
            CHECK_MSG(q.spp == cases[i].spp && q.width == cases[i].width
                      && q.height == cases[i].height
                      && q.format == cases[i].format,
                      "\"%s\": got spp %d %dx%d format %d", cases[i].args,
                      q.spp, q.width, q.height, q.format);

        } else {
            CHECK_MSG(rc == -1 && strcmp(reason, cases[i].reason) == 0,
                      "\"%s\": got %d \"%s\"", cases[i].args, rc, reason);
        }
    }
}


static void
test_rows(void)
{
    int             rc;
    char            reason[SMALLPT_REASON_SIZE];
    size_t          i;
    smallpt_query   q;

    for (i = 0; i < sizeof(rows_cases) / sizeof(rows_cases[0]); i++) {
        smallpt_query_init(&q, SMALLPT_FORMAT_RGB);
        reason[0] = '\0';

        rc = smallpt_query_parse(rows_cases[i].args,
                                 strlen(rows_cases[i].args), &limits, &q,
                                 reason);

        if (rows_cases[i].first >= 0) {
            CHECK_MSG(rc == 0 && q.first_row == rows_cases[i].first
                      && q.last_row == rows_cases[i].last,
                      "\"%s\": %d %d-%d %s", rows_cases[i].args, rc,
                      q.first_row, q.last_row, reason);
            CHECK(q.band == (strstr(rows_cases[i].args, "rows") != NULL));
            CHECK(smallpt_query_rows(&q)
                  == rows_cases[i].last - rows_cases[i].first + 1);

        } else {
            CHECK_MSG(rc == -1 && strcmp(reason, rows_cases[i].reason) == 0,
                      "\"%s\": got %d \"%s\"", rows_cases[i].args, rc,
                      reason);
        }
    }
}


static void
test_query_limits(void)
{
    char            reason[SMALLPT_REASON_SIZE];
    smallpt_query   q;
    smallpt_limits  small = { 64, 512, 512 };

    smallpt_query_init(&q, SMALLPT_FORMAT_PNG);
    CHECK(q.spp == SMALLPT_DEFAULT_SPP && q.width == SMALLPT_DEFAULT_WIDTH
          && q.height == SMALLPT_DEFAULT_HEIGHT && !q.band);

    /* a default over the limits is refused like a given value */
    CHECK(smallpt_query_parse("", 0, &small, &q, reason) == -1);
    CHECK(strcmp(reason,
                 "w: 1024 is too large; expected an integer from 1 to 512")
          == 0);
    CHECK(smallpt_query_parse("w=512&h=384", 11, &small, &q, reason) == 0);

    /* len, not a NUL, ends the query */
    q.spp = 4;
    CHECK(smallpt_query_parse("spp=16&junk", 6, &limits, &q, reason) == 0);
    CHECK(q.spp == 16);

    /* a query ending in "&" stops at its end (nothing past it is formed) */
    {
        char  *heap = malloc(7);

        memcpy(heap, "spp=12&", 7);
        smallpt_query_init(&q, SMALLPT_FORMAT_PNG);
        CHECK(smallpt_query_parse(heap, 7, &limits, &q, reason) == 0);
        CHECK(q.spp == 12);
        free(heap);
    }
}


static void
test_etag(void)
{
    char           a[SMALLPT_ETAG_SIZE], b[SMALLPT_ETAG_SIZE];
    smallpt_query  q;

    smallpt_query_init(&q, SMALLPT_FORMAT_PNG);
    q.width = 64;
    q.height = 48;

    smallpt_etag(&q, a);
    CHECK(strncmp(a, "\"smallpt" SMALLPT_VERSION "-64x48-4spp-png-libpng",
                  strlen("\"smallpt" SMALLPT_VERSION "-64x48-4spp-png-libpng"))
          == 0);
    CHECK(strstr(a, "-zlib") != NULL && a[strlen(a) - 1] == '"');

    /* spp 4 to 7 are the same image */
    q.spp = 7;
    smallpt_etag(&q, b);
    CHECK(strcmp(a, b) == 0);

    q.spp = 8;
    smallpt_etag(&q, b);
    CHECK(strcmp(a, b) != 0);

    q.spp = 4;
    q.format = SMALLPT_FORMAT_PPM;
    smallpt_etag(&q, b);
    CHECK(strcmp(b, "\"smallpt" SMALLPT_VERSION "-64x48-4spp-ppm\"") == 0);

    q.format = SMALLPT_FORMAT_PNG;
    q.width = 48;
    q.height = 64;
    smallpt_etag(&q, b);
    CHECK(strcmp(a, b) != 0);

    /* a band's ETag names its rows: another band is other bytes */
    q.width = 64;
    q.height = 48;
    q.format = SMALLPT_FORMAT_RGB;
    q.band = 1;
    q.first_row = 0;
    q.last_row = 9;
    smallpt_etag(&q, a);
    CHECK(strcmp(a, "\"smallpt" SMALLPT_VERSION "-64x48-4spp-rows0-9-rgb\"")
          == 0);
    q.first_row = 1;
    smallpt_etag(&q, b);
    CHECK(strcmp(a, b) != 0);
}


#define MATCH(header, etag)                                                  \
    smallpt_etag_match(header, sizeof(header) - 1, etag, 0)
#define STRONG(header, etag)                                                 \
    smallpt_etag_match(header, sizeof(header) - 1, etag, 1)

static void
test_etag_match(void)
{
    const char  *tag = "\"0123456789abcdef\"";

    CHECK(MATCH("\"0123456789abcdef\"", tag) == 1);
    CHECK(MATCH("W/\"0123456789abcdef\"", tag) == 1);
    CHECK(MATCH("*", tag) == 1);
    CHECK(MATCH("\"x\", \"0123456789abcdef\"", tag) == 1);
    CHECK(MATCH("\"x\",W/\"0123456789abcdef\" ,\"y\"", tag) == 1);
    CHECK(MATCH("junk, \"0123456789abcdef\"", tag) == 1);
    CHECK(MATCH("\"0123456789abcdeF\"", tag) == 0);
    CHECK(MATCH("\"0123456789abcde\"", tag) == 0);
    CHECK(MATCH("0123456789abcdef", tag) == 0);
    CHECK(MATCH("\"0123456789abcdef", tag) == 0);
    CHECK(MATCH("", tag) == 0);
    CHECK(MATCH(" , ,", tag) == 0);
    CHECK(MATCH("W/", tag) == 0);

    /* a value ending in "W/" is not read past (found by fuzz_query) */
    {
        char  *heap = malloc(9);

        memcpy(heap, "@@@@@@@W/", 9);
        CHECK(smallpt_etag_match(heap, 9, tag, 0) == 0);
        free(heap);
    }

    /* If-Match: strong comparison, a weak tag never matches */
    CHECK(STRONG("\"0123456789abcdef\"", tag) == 1);
    CHECK(STRONG("W/\"0123456789abcdef\"", tag) == 0);
    CHECK(STRONG("*", tag) == 1);
    CHECK(STRONG("W/\"0123456789abcdef\", \"0123456789abcdef\"", tag) == 1);
    CHECK(STRONG("\"x\"", tag) == 0);
}


static void
test_disposition(void)
{
    char    buf[64];
    size_t  n;

    n = smallpt_disposition(buf, sizeof(buf), 0, "image", 5,
                            SMALLPT_FORMAT_PNG);
    CHECK(n == strlen("inline; filename=\"image.png\"")
          && strcmp(buf, "inline; filename=\"image.png\"") == 0);

    n = smallpt_disposition(buf, sizeof(buf), 1, "render-16", 9,
                            SMALLPT_FORMAT_PPM);
    CHECK(strcmp(buf, "attachment; filename=\"render-16.ppm\"") == 0);

    n = smallpt_disposition(buf, sizeof(buf), 0, "a\"b/c d\r\n", 9,
                            SMALLPT_FORMAT_PNG);
    CHECK(strcmp(buf, "inline; filename=\"a_b_c_d__.png\"") == 0);

    n = smallpt_disposition(buf, sizeof(buf), 0, "", 0, SMALLPT_FORMAT_PPM);
    CHECK(strcmp(buf, "inline; filename=\"image.ppm\"") == 0);

    CHECK(smallpt_disposition_size(0) == 33);
    CHECK(smallpt_disposition(buf, smallpt_disposition_size(0), 1, "", 0,
                              SMALLPT_FORMAT_PNG) == 32);
    CHECK(smallpt_disposition(buf, smallpt_disposition_size(9), 1,
                              "render-16", 9, SMALLPT_FORMAT_PNG) == 36);

    /* too long for the buffer: nothing */
    n = smallpt_disposition(buf, 30, 1, "image", 5, SMALLPT_FORMAT_PNG);
    CHECK(n == 0);
    n = smallpt_disposition(buf, 29, 0, "image", 5, SMALLPT_FORMAT_PNG);
    CHECK(n == 28);
}


int
main(void)
{
    test_query();
    test_rows();
    test_query_limits();
    test_etag();
    test_etag_match();
    test_disposition();

    return check_done("test_request");
}
