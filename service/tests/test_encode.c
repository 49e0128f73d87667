/*
 * Encoder tests: PPM bytes, PNG round trips through libpng's decoder, raw
 * RGB, rows fed in pieces, buffer limits and libpng's error path.
 */

#include <string.h>

#include <png.h>

#include "smallpt_encode.h"
#include "../../tracer/tests/check.h"


/* Decodes a PNG with libpng into 8-bit RGB; NULL if it cannot. */
static unsigned char *
decode_png(const smallpt_buf *png, int *w, int *h)
{
    png_image       image;
    unsigned char  *rgb;

    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;

    if (!png_image_begin_read_from_memory(&image, png->data, png->len)) {
        return NULL;
    }

    image.format = PNG_FORMAT_RGB;
    rgb = malloc(PNG_IMAGE_SIZE(image));

    if (rgb == NULL
        || !png_image_finish_read(&image, NULL, rgb, 0, NULL))
    {
        free(rgb);
        png_image_free(&image);
        return NULL;
    }

    *w = (int) image.width;
    *h = (int) image.height;
    return rgb;
}


/* The pixels of a P3 file as smallpt writes it. */
static unsigned char *
parse_ppm(const unsigned char *ppm, size_t len, int *w, int *h)
{
    int             n, v, max;
    char           *text, *p;
    size_t          i, count;
    unsigned char  *rgb;

    text = malloc(len + 1);
    memcpy(text, ppm, len);
    text[len] = '\0';

    if (sscanf(text, "P3\n%d %d\n%d\n%n", w, h, &max, &n) != 3 || max != 255)
    {
        free(text);
        return NULL;
    }

    count = (size_t) *w * *h * 3;
    rgb = malloc(count);
    p = text + n;

    for (i = 0; i < count; i++) {
        v = (int) strtol(p, &p, 10);
        rgb[i] = (unsigned char) v;
    }

    free(text);
    return rgb;
}


static void
test_ppm_bytes(void)
{
    smallpt_buf                buf = { NULL, 0, 0, 0 };
    static const unsigned char  px[] = { 0, 10, 255, 100, 7, 200 };
    static const char           want[] =
        "P3\n2 1\n255\n0 10 255 100 7 200 ";

    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, 2, 1, &buf) == SMALLPT_OK);
    CHECK(buf.len == sizeof(want) - 1);
    CHECK(memcmp(buf.data, want, sizeof(want) - 1) == 0);
    CHECK(buf.len <= smallpt_max_size(SMALLPT_FORMAT_PPM, 2, 1));

    /* a second image is appended after the first */
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, 1, 2, &buf) == SMALLPT_OK);
    CHECK(buf.len == 2 * (sizeof(want) - 1));
    CHECK(memcmp(buf.data + sizeof(want) - 1, "P3\n1 2\n255\n0 10 255 ", 20)
          == 0);

    smallpt_buf_free(&buf);
    CHECK(buf.data == NULL && buf.len == 0);
}


static void
test_ppm_matches_reference(void)
{
    int             w, h;
    size_t          len;
    smallpt_buf     buf = { NULL, 0, 0, 0 };
    unsigned char  *ref, *rgb;

    /* reference pixels encoded again give the reference file */
    ref = check_read_file("tracer/tests/data/160x120_spp8.ppm", &len);
    rgb = parse_ppm(ref, len, &w, &h);
    CHECK(rgb != NULL && w == 160 && h == 120);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, rgb, w, h, &buf) == SMALLPT_OK);
    CHECK(buf.len == len && memcmp(buf.data, ref, len) == 0);
    CHECK(len <= smallpt_max_size(SMALLPT_FORMAT_PPM, w, h));

    smallpt_buf_free(&buf);
    free(rgb);
    free(ref);
}


static void
test_png_round_trip(void)
{
    int             w, h, dw, dh;
    size_t          len, i;
    smallpt_buf     png = { NULL, 0, 0, 0 };
    unsigned char  *ref, *rgb, *decoded, noise[37 * 11 * 3];
    unsigned        seed;

    /* the rendered image: the PNG holds exactly the PPM's pixels */
    ref = check_read_file("tracer/tests/data/64x48_spp4.ppm", &len);
    rgb = parse_ppm(ref, len, &w, &h);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, rgb, w, h, &png) == SMALLPT_OK);
    CHECK(png.len > 8 && memcmp(png.data, "\x89PNG\r\n\x1a\n", 8) == 0);

    decoded = decode_png(&png, &dw, &dh);
    CHECK(decoded != NULL && dw == 64 && dh == 48);
    CHECK(decoded != NULL && memcmp(decoded, rgb, 64 * 48 * 3) == 0);
    free(decoded);
    smallpt_buf_free(&png);

    /* an odd-sized noisy image, every byte value */
    seed = 12345;
    for (i = 0; i < sizeof(noise); i++) {
        seed = seed * 1103515245 + 12345;
        noise[i] = (unsigned char) (seed >> 16);
    }

    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, noise, 37, 11, &png)
          == SMALLPT_OK);
    decoded = decode_png(&png, &dw, &dh);
    CHECK(decoded != NULL && dw == 37 && dh == 11);
    CHECK(decoded != NULL && memcmp(decoded, noise, sizeof(noise)) == 0);

    free(decoded);
    smallpt_buf_free(&png);
    free(rgb);
    free(ref);
}


/*
 * The same image fed to an encoder a few rows at a time, in uneven pieces,
 * gives the bytes of the encoding at once: a streamed answer is the
 * buffered one.
 */
static void
test_rows_in_pieces(void)
{
    int               rc, format, w, h, y, n, k, sizes;
    size_t            i;
    smallpt_buf       whole = { NULL, 0, 0, 0 }, pieces = { NULL, 0, 0, 0 };
    unsigned char    *rgb;
    smallpt_encoder  *enc;
    static const int  dims[][2] = { { 1, 1 }, { 64, 48 }, { 333, 17 },
                                    { 5, 700 } };
    unsigned          seed;

    seed = 7;

    for (sizes = 0; sizes < 4; sizes++) {
        w = dims[sizes][0];
        h = dims[sizes][1];
        rgb = malloc(smallpt_rgb_size(w, h));

        /* smooth where it can be, noisy elsewhere: both paths of zlib */
        for (i = 0; i < smallpt_rgb_size(w, h); i++) {
            seed = seed * 1103515245 + 12345;
            rgb[i] = (unsigned char) (i % 7 < 4 ? i / 97 : seed >> 16);
        }

        for (format = SMALLPT_FORMAT_PNG; format <= SMALLPT_FORMAT_RGB;
             format++)
        {
            CHECK(smallpt_encode(format, rgb, w, h, &whole) == SMALLPT_OK);
            CHECK(whole.len <= smallpt_max_size(format, w, h));

            enc = smallpt_encoder_start(format, w, h, &pieces, &rc);
            CHECK(enc != NULL);

            for (y = 0, k = 0; enc != NULL && y < h; y += n, k++) {
                n = 1 + (k * 5 + 3) % 11;
                if (n > h - y) {
                    n = h - y;
                }
                CHECK(smallpt_encoder_rows(enc, rgb + smallpt_rgb_size(w, 1)
                                                      * (size_t) y, n)
                      == SMALLPT_OK);
            }

            if (enc != NULL) {
                CHECK(smallpt_encoder_rows(enc, rgb, 1) == SMALLPT_EINVAL);
                CHECK(smallpt_encoder_finish(enc) == SMALLPT_OK);
            }

            CHECK_MSG(pieces.len == whole.len
                      && memcmp(pieces.data, whole.data, whole.len) == 0,
                      "%s %dx%d in pieces differs", smallpt_format_name(format),
                      w, h);

            if (format == SMALLPT_FORMAT_RGB) {
                CHECK(whole.len == smallpt_rgb_size(w, h)
                      && memcmp(whole.data, rgb, whole.len) == 0);
            }

            smallpt_buf_free(&whole);
            smallpt_buf_free(&pieces);
        }

        free(rgb);
    }

    /* an encoder not given every row does not finish an image */
    rgb = calloc(1, 12);
    enc = smallpt_encoder_start(SMALLPT_FORMAT_PNG, 2, 2, &pieces, &rc);
    CHECK(enc != NULL && smallpt_encoder_rows(enc, rgb, 1) == SMALLPT_OK);
    CHECK(enc != NULL && smallpt_encoder_finish(enc) == SMALLPT_EINVAL);
    smallpt_buf_free(&pieces);

    enc = smallpt_encoder_start(SMALLPT_FORMAT_PPM, 0, 2, &pieces, &rc);
    CHECK(enc == NULL && rc == SMALLPT_EINVAL);
    smallpt_encoder_free(NULL);
    free(rgb);
}


static void
test_formats(void)
{
    CHECK(smallpt_format_parse("png", 3) == SMALLPT_FORMAT_PNG);
    CHECK(smallpt_format_parse("PpM", 3) == SMALLPT_FORMAT_PPM);
    CHECK(smallpt_format_parse("rgb", 3) == SMALLPT_FORMAT_RGB);
    CHECK(smallpt_format_parse("pn", 2) == -1);
    CHECK(smallpt_format_parse("pngx", 4) == -1);
    CHECK(smallpt_format_parse("", 0) == -1);
    CHECK(strcmp(smallpt_format_name(SMALLPT_FORMAT_RGB), "rgb") == 0);
    CHECK(strcmp(smallpt_format_name(7), "unknown") == 0);
    CHECK(strcmp(smallpt_format_type(SMALLPT_FORMAT_PPM),
                 "image/x-portable-pixmap") == 0);
    CHECK(strcmp(smallpt_format_type(SMALLPT_FORMAT_PNG), "image/png") == 0);
    CHECK(strcmp(smallpt_format_type(SMALLPT_FORMAT_RGB),
                 "application/octet-stream") == 0);
}


static void
test_errors(void)
{
    char           versions[64];
    smallpt_buf    buf = { NULL, 0, 0, 0 };
    unsigned char  px[64 * 48 * 3];

    memset(px, 7, sizeof(px));

    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, NULL, 1, 1, &buf)
          == SMALLPT_EINVAL);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, 0, 1, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, 1, -1, &buf)
          == SMALLPT_EINVAL);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, 1, 1, NULL) == SMALLPT_EINVAL);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, SMALLPT_MAX_WIDTH + 1, 1, &buf)
          == SMALLPT_EINVAL);
    CHECK(smallpt_encode(99, px, 1, 1, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_max_size(SMALLPT_FORMAT_PPM, 0, 5) == 0);
    CHECK(smallpt_max_size(SMALLPT_FORMAT_PPM, 2, 1) == 32 + 24);
    CHECK(smallpt_max_size(SMALLPT_FORMAT_PNG, -1, 5) == 0);
    CHECK(smallpt_max_size(SMALLPT_FORMAT_RGB, 2, 3) == 18);
    CHECK(smallpt_max_size(99, 2, 3) == 0);
    CHECK(smallpt_max_size(SMALLPT_FORMAT_PNG, SMALLPT_MAX_WIDTH + 1, 1)
          == 0);

    /* the largest image: sizes that fit, computed without overflow */
    CHECK(smallpt_max_size(SMALLPT_FORMAT_PPM, SMALLPT_MAX_WIDTH,
                           SMALLPT_MAX_HEIGHT)
          > (size_t) SMALLPT_MAX_WIDTH * SMALLPT_MAX_HEIGHT * 3
          || sizeof(size_t) < 8);
    CHECK(smallpt_rgb_size(SMALLPT_MAX_WIDTH, SMALLPT_MAX_HEIGHT) != 0
          || sizeof(size_t) < 8);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, NULL, 1, 1, &buf)
          == SMALLPT_EINVAL);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, px, 1, 0, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, px, SMALLPT_MAX_WIDTH + 1, 1, &buf)
          == SMALLPT_EINVAL);

    /* over the limit: nothing is left in the buffer */
    buf.limit = 100;
    CHECK(smallpt_encode(SMALLPT_FORMAT_PPM, px, 64, 48, &buf)
          == SMALLPT_ENOMEM);
    CHECK(buf.len == 0);
    CHECK(smallpt_encode(SMALLPT_FORMAT_RGB, px, 64, 48, &buf)
          == SMALLPT_ENOMEM);
    CHECK(buf.len == 0);

    /* no room even for the header: nothing is left in the buffer */
    buf.limit = 20;
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, px, 64, 48, &buf)
          == SMALLPT_ENOMEM);
    CHECK(buf.len == 0);
    buf.limit = 100;

    /* libpng's error path: the write callback fails, libpng longjmps */
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, px, 64, 48, &buf)
          == SMALLPT_ENOMEM);
    CHECK(buf.len == 0);

    /* the same buffer works again within a large enough limit */
    buf.limit = 1 << 20;
    CHECK(smallpt_encode(SMALLPT_FORMAT_PNG, px, 64, 48, &buf)
          == SMALLPT_OK);
    CHECK(buf.len > 0 && buf.len <= buf.limit);
    smallpt_buf_free(&buf);

    smallpt_png_versions(versions, sizeof(versions));
    CHECK(strncmp(versions, "libpng1.", 8) == 0);
    CHECK(strstr(versions, "-zlib1.") != NULL);
}


int
main(void)
{
    test_ppm_bytes();
    test_ppm_matches_reference();
    test_png_round_trip();
    test_rows_in_pieces();
    test_formats();
    test_errors();

    return check_done("test_encode");
}
