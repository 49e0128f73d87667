/*
 * libFuzzer target: smallpt_encode (png). The output, after whatever the
 * buffer held, must decode (libpng's simplified API) to the same pixels; a
 * buffer limit below the output's size must make it fail with
 * SMALLPT_ENOMEM (libpng's error path, through longjmp) and leave the
 * buffer's length and contents as they were, leaking nothing.
 *
 * Input:
 *   [0] width - 1 (mod 64)   [1] height - 1 (mod 64)
 *   [2] bytes already in the buffer (mod 32)
 *   [3] [4] the buffer's limit: bit 15 set, that many bytes short of the
 *       output's end; clear, that many bytes past it
 *   the rest: pixels, repeated as needed (all 0 when there are none)
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#define FUZZ_NAME  "fuzz_png"

#include "fuzz_image.h"


/* Decodes the PNG at [p, p + len) and checks it is rgb, width x height. */
static void
check_png(const unsigned char *p, size_t len, const unsigned char *rgb,
    int width, int height)
{
    size_t          n;
    png_image       image;
    unsigned char  *pixels;

    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;

    REQUIRE(png_image_begin_read_from_memory(&image, p, len) != 0);
    REQUIRE(image.width == (png_uint_32) width);
    REQUIRE(image.height == (png_uint_32) height);
    /* 8-bit RGB, no alpha, no palette, stored as such */
    REQUIRE(image.format == PNG_FORMAT_RGB);

    image.format = PNG_FORMAT_RGB;
    n = PNG_IMAGE_SIZE(image);
    REQUIRE(n == (size_t) width * (size_t) height * 3);

    pixels = malloc(n);
    REQUIRE(pixels != NULL);
    REQUIRE(png_image_finish_read(&image, NULL, pixels, 0, NULL) != 0);
    REQUIRE((image.warning_or_error & PNG_IMAGE_ERROR) == 0);
    REQUIRE(memcmp(pixels, rgb, n) == 0);

    free(pixels);
    png_image_free(&image);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc, width, height;
    size_t          pre, out, limit, off;
    smallpt_buf     buf, lbuf;
    image_input     in;
    unsigned char  *rgb, *copy;

    image_input_read(data, size, &in);
    width = in.width;
    height = in.height;
    pre = in.pre;
    off = in.off;
    rgb = in.rgb;

    /* no limit: appended after what the buffer held, and decodes back */
    out = encode_unlimited(SMALLPT_FORMAT_PNG, check_png, &in, &buf);

    copy = malloc(buf.len);
    REQUIRE(copy != NULL);
    memcpy(copy, buf.data, buf.len);

    /*
     * A limit: the PNG is appended as libpng writes it, so exactly the
     * output's end is enough and a byte less is not.
     */
    if (off & 0x8000) {
        off &= 0x7fff;
        limit = pre + (out > off ? out - off : 0);
    } else {
        limit = pre + out + off;
    }
    if (limit == 0) {
        limit = 1;              /* 0 means no limit */
    }

    buf_prefill(&lbuf, pre, limit);
    rc = smallpt_encode(SMALLPT_FORMAT_PNG, rgb, width, height, &lbuf);

    if (limit < pre + out) {
        REQUIRE(rc == SMALLPT_ENOMEM);
        REQUIRE(lbuf.len == pre && prefix_intact(&lbuf, pre));
    } else {
        REQUIRE(rc == SMALLPT_OK);
        REQUIRE(lbuf.len == buf.len && memcmp(lbuf.data, copy, buf.len) == 0);
    }
    REQUIRE(lbuf.cap <= (limit > pre ? limit : pre));

    /* the same buffer, after a failure, still takes a PNG within its limit */
    if (rc != SMALLPT_OK) {
        lbuf.limit = 0;
        REQUIRE(smallpt_encode(SMALLPT_FORMAT_PNG, rgb, width, height, &lbuf)
                == SMALLPT_OK);
        REQUIRE(lbuf.len == buf.len && memcmp(lbuf.data, copy, buf.len) == 0);
    }

    smallpt_buf_free(&lbuf);
    free(copy);
    smallpt_buf_free(&buf);
    free(rgb);
    return 0;
}
