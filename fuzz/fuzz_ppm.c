/*
 * libFuzzer target: smallpt_encode_ppm. The output must parse back to the
 * same pixels, exactly in smallpt.cpp's format, after whatever the buffer
 * held; a buffer limit must make it fail cleanly with SMALLPT_ENOMEM.
 *
 * Input:
 *   [0] width - 1 (mod 64)   [1] height - 1 (mod 64)
 *   [2] bytes already in the buffer (mod 32)
 *   [3] [4] the buffer's limit, as an offset around the output's end
 *   the rest: pixels, repeated as needed (all 0 when there are none)
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smallpt.h"


#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz_ppm: property failed: %s (%s:%d)\n",       \
                    #cond, __FILE__, __LINE__);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define CONFIG_BYTES  5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* A buffer that already holds `pre` bytes of 'x', exactly allocated. */
static void
buf_prefill(smallpt_buf *buf, size_t pre, size_t limit)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->limit = limit;

    if (pre != 0) {
        buf->data = malloc(pre);
        REQUIRE(buf->data != NULL);
        memset(buf->data, 'x', pre);
        buf->len = pre;
        buf->cap = pre;
    }
}


static int
prefix_intact(const smallpt_buf *buf, size_t pre)
{
    size_t  i;

    for (i = 0; i < pre; i++) {
        if (buf->data[i] != 'x') {
            return 0;
        }
    }
    return 1;
}


/* Checks that [p, p + len) is the P3 PPM of rgb, as "%d " per byte. */
static void
check_ppm(const unsigned char *p, size_t len, const unsigned char *rgb,
    int width, int height)
{
    int     n, v, digits;
    char    header[64];
    size_t  i, count;

    n = snprintf(header, sizeof(header), "P3\n%d %d\n255\n", width, height);
    REQUIRE(n > 0 && (size_t) n <= len);
    REQUIRE(memcmp(p, header, (size_t) n) == 0);
    p += n;
    len -= (size_t) n;

    count = (size_t) width * (size_t) height * 3;

    for (i = 0; i < count; i++) {
        v = 0;
        digits = 0;

        while (len > 0 && *p >= '0' && *p <= '9') {
            REQUIRE(digits == 0 || v != 0);     /* no leading zeros */
            v = v * 10 + (*p - '0');
            digits++;
            REQUIRE(digits <= 3);
            p++;
            len--;
        }

        REQUIRE(digits > 0);
        REQUIRE(len > 0 && *p == ' ');
        p++;
        len--;

        REQUIRE(v == rgb[i]);
    }

    REQUIRE(len == 0);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc, width, height;
    size_t          i, count, npix, pre, out, limit, off;
    uint8_t         cfg[CONFIG_BYTES];
    smallpt_buf     buf, lbuf;
    unsigned char  *rgb, *copy;
    const uint8_t  *pix;

    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg, data, size < CONFIG_BYTES ? size : CONFIG_BYTES);

    width = 1 + cfg[0] % 64;
    height = 1 + cfg[1] % 64;
    pre = cfg[2] % 32;
    off = (size_t) cfg[3] << 8 | cfg[4];

    pix = data + CONFIG_BYTES;
    npix = size > CONFIG_BYTES ? size - CONFIG_BYTES : 0;

    count = (size_t) width * (size_t) height * 3;
    rgb = malloc(count);
    REQUIRE(rgb != NULL);
    for (i = 0; i < count; i++) {
        rgb[i] = npix != 0 ? pix[i % npix] : 0;
    }

    /* bad arguments change nothing */
    buf_prefill(&buf, pre, 0);
    REQUIRE(smallpt_encode_ppm(rgb, 0, height, &buf) == SMALLPT_EINVAL);
    REQUIRE(smallpt_encode_ppm(rgb, width, -height, &buf) == SMALLPT_EINVAL);
    REQUIRE(smallpt_encode_ppm(NULL, width, height, &buf) == SMALLPT_EINVAL);
    REQUIRE(buf.len == pre);

    /* no limit: appended after what the buffer held, and parses back */
    rc = smallpt_encode_ppm(rgb, width, height, &buf);
    REQUIRE(rc == SMALLPT_OK);
    REQUIRE(buf.len > pre && buf.len <= buf.cap);
    REQUIRE(prefix_intact(&buf, pre));
    out = buf.len - pre;
    REQUIRE(out <= smallpt_ppm_max_size(width, height));
    check_ppm(buf.data + pre, out, rgb, width, height);

    copy = malloc(buf.len);
    REQUIRE(copy != NULL);
    memcpy(copy, buf.data, buf.len);

    /*
     * A limit: below what the output needs it must fail, with the buffer's
     * length and contents unchanged; at or above the worst case
     * (smallpt_ppm_max_size) it must succeed. In between either is right:
     * the encoder reserves the worst case up front.
     */
    limit = pre + out + off % (smallpt_ppm_max_size(width, height) + 64);
    if (off & 0x8000) {
        limit = pre + (out > off - 0x8000 ? out - (off - 0x8000) : 0);
    }
    if (limit == 0) {
        limit = 1;              /* 0 means no limit */
    }

    buf_prefill(&lbuf, pre, limit);
    rc = smallpt_encode_ppm(rgb, width, height, &lbuf);

    if (limit < pre + out) {
        REQUIRE(rc == SMALLPT_ENOMEM);
    } else if (limit >= pre + smallpt_ppm_max_size(width, height)) {
        REQUIRE(rc == SMALLPT_OK);
    } else {
        REQUIRE(rc == SMALLPT_OK || rc == SMALLPT_ENOMEM);
    }

    if (rc == SMALLPT_OK) {
        REQUIRE(lbuf.len == buf.len && memcmp(lbuf.data, copy, buf.len) == 0);
    } else {
        REQUIRE(lbuf.len == pre && prefix_intact(&lbuf, pre));
    }
    REQUIRE(lbuf.cap <= (limit > pre ? limit : pre));
    REQUIRE(lbuf.limit == limit);

    smallpt_buf_free(&lbuf);
    REQUIRE(lbuf.data == NULL && lbuf.len == 0 && lbuf.limit == limit);

    free(copy);
    smallpt_buf_free(&buf);
    free(rgb);
    return 0;
}
