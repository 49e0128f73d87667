/*
 * libFuzzer target: smallpt_encode (ppm). The output must parse back to the
 * same pixels, exactly in smallpt.cpp's format, after whatever the buffer
 * held; a buffer limit must make it fail cleanly with SMALLPT_ENOMEM.
 * The input's layout: fuzz_image.h.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME  "fuzz_ppm"

#include "fuzz_image.h"


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
    size_t          pre, out, limit, off, max;
    smallpt_buf     buf, lbuf;
    image_input     in;
    unsigned char  *rgb, *copy;

    image_input_read(data, size, &in);
    width = in.width;
    height = in.height;
    pre = in.pre;
    off = in.off;
    rgb = in.rgb;

    /* no limit: appended after what the buffer held, and parses back */
    out = encode_unlimited(SMALLPT_FORMAT_PPM, check_ppm, &in, &buf);

    copy = malloc(buf.len);
    REQUIRE(copy != NULL);
    memcpy(copy, buf.data, buf.len);

    /*
     * A limit: below what the output needs it must fail, with the buffer's
     * length and contents unchanged; at or above the worst case
     * (smallpt_max_size) it must succeed. In between either is right:
     * the encoder reserves the worst case of the rows it is given.
     */
    max = smallpt_max_size(SMALLPT_FORMAT_PPM, width, height);
    limit = pre + out + off % (max + 64);
    if (off & 0x8000) {
        limit = pre + (out > off - 0x8000 ? out - (off - 0x8000) : 0);
    }
    if (limit == 0) {
        limit = 1;              /* 0 means no limit */
    }

    buf_prefill(&lbuf, pre, limit);
    rc = smallpt_encode(SMALLPT_FORMAT_PPM, rgb, width, height, &lbuf);

    if (limit < pre + out) {
        REQUIRE(rc == SMALLPT_ENOMEM);
    } else if (limit >= pre + max) {
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
