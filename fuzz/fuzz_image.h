/*
 * What the encoder targets (fuzz_ppm.c, fuzz_png.c) share: the property
 * check, the input's layout, and buffers that already hold bytes.
 *
 * Input:
 *   [0] width - 1 (mod 64)   [1] height - 1 (mod 64)
 *   [2] bytes already in the buffer (mod 32)
 *   [3] [4] the buffer's limit, as an offset around the output's end
 *   the rest: pixels, repeated as needed (all 0 when there are none)
 */

#ifndef FUZZ_IMAGE_H
#define FUZZ_IMAGE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smallpt_encode.h"


#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s: property failed: %s (%s:%d)\n",             \
                    FUZZ_NAME, #cond, __FILE__, __LINE__);                   \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define CONFIG_BYTES  5


typedef struct {
    int             width;
    int             height;
    size_t          pre;        /* bytes already in the buffer */
    size_t          off;        /* the limit's offset */
    unsigned char  *rgb;        /* width * height * 3 bytes, malloc()ed */
} image_input;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* The image and settings an input describes. */
static inline void
image_input_read(const uint8_t *data, size_t size, image_input *in)
{
    size_t          i, count, npix;
    uint8_t         cfg[CONFIG_BYTES];
    const uint8_t  *pix;

    memset(cfg, 0, sizeof(cfg));
    memcpy(cfg, data, size < CONFIG_BYTES ? size : CONFIG_BYTES);

    in->width = 1 + cfg[0] % 64;
    in->height = 1 + cfg[1] % 64;
    in->pre = cfg[2] % 32;
    in->off = (size_t) cfg[3] << 8 | cfg[4];

    pix = data + CONFIG_BYTES;
    npix = size > CONFIG_BYTES ? size - CONFIG_BYTES : 0;

    count = (size_t) in->width * (size_t) in->height * 3;
    in->rgb = malloc(count);
    REQUIRE(in->rgb != NULL);

    for (i = 0; i < count; i++) {
        in->rgb[i] = npix != 0 ? pix[i % npix] : 0;
    }
}


/* A buffer that already holds `pre` bytes of 'x', exactly allocated. */
static inline void
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


/* 1 if the buffer still starts with the `pre` bytes buf_prefill wrote. */
static inline int
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

typedef void (*image_check_fn)(const unsigned char *p, size_t len,
    const unsigned char *rgb, int width, int height);


/*
 * What every encoder must do without a limit: fail bad arguments with
 * SMALLPT_EINVAL, changing nothing; then append the image after the
 * buffer's in->pre bytes, in at most smallpt_max_size(), and check() must
 * read it back; fed in pieces of rows (the row count is in->pre + 1), the
 * encoder appends the same bytes. buf ends up holding the prefix and the
 * image; returns the image's length.
 */
static inline size_t
encode_unlimited(int format, image_check_fn check, const image_input *in,
    smallpt_buf *buf)
{
    int               w, h, y, n, rc;
    size_t            pre, out;
    smallpt_buf       pieces = { NULL, 0, 0, 0 };
    unsigned char    *rgb;
    smallpt_encoder  *enc;

    w = in->width;
    h = in->height;
    pre = in->pre;
    rgb = in->rgb;

    buf_prefill(buf, pre, 0);
    REQUIRE(smallpt_encode(format, rgb, 0, h, buf) == SMALLPT_EINVAL);
    REQUIRE(smallpt_encode(format, rgb, w, -h, buf) == SMALLPT_EINVAL);
    REQUIRE(smallpt_encode(format, rgb, SMALLPT_MAX_WIDTH + 1, h, buf)
            == SMALLPT_EINVAL);
    REQUIRE(smallpt_encode(format, NULL, w, h, buf) == SMALLPT_EINVAL);
    REQUIRE(buf->len == pre);

    REQUIRE(smallpt_encode(format, rgb, w, h, buf) == SMALLPT_OK);
    REQUIRE(buf->len > pre && buf->len <= buf->cap);
    REQUIRE(prefix_intact(buf, pre));
    out = buf->len - pre;
    REQUIRE(out <= smallpt_max_size(format, w, h));
    check(buf->data + pre, out, rgb, w, h);

    enc = smallpt_encoder_start(format, w, h, &pieces, &rc);
    REQUIRE(enc != NULL);

    for (y = 0; y < h; y += n) {
        n = (int) pre + 1 < h - y ? (int) pre + 1 : h - y;
        REQUIRE(smallpt_encoder_rows(enc, rgb + (size_t) y * w * 3, n)
                == SMALLPT_OK);
    }

    REQUIRE(smallpt_encoder_finish(enc) == SMALLPT_OK);
    REQUIRE(pieces.len == out && memcmp(pieces.data, buf->data + pre, out)
                                 == 0);
    smallpt_buf_free(&pieces);

    return out;
}

#endif /* FUZZ_IMAGE_H */
