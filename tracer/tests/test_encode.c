/*
 * Encoder tests: PPM bytes, PNG round trips through libpng's decoder,
 * buffer limits and libpng's error path.
 */

#include <string.h>

#include <png.h>

#include "../smallpt.h"
#include "check.h"


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

    CHECK(smallpt_encode_ppm(px, 2, 1, &buf) == SMALLPT_OK);
    CHECK(buf.len == sizeof(want) - 1);
    CHECK(memcmp(buf.data, want, sizeof(want) - 1) == 0);
    CHECK(buf.len <= smallpt_ppm_max_size(2, 1));

    /* a second image is appended after the first */
    CHECK(smallpt_encode_ppm(px, 1, 2, &buf) == SMALLPT_OK);
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
    CHECK(smallpt_encode_ppm(rgb, w, h, &buf) == SMALLPT_OK);
    CHECK(buf.len == len && memcmp(buf.data, ref, len) == 0);
    CHECK(len <= smallpt_ppm_max_size(w, h));

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
    CHECK(smallpt_encode_png(rgb, w, h, &png) == SMALLPT_OK);
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

    CHECK(smallpt_encode_png(noise, 37, 11, &png) == SMALLPT_OK);
    decoded = decode_png(&png, &dw, &dh);
    CHECK(decoded != NULL && dw == 37 && dh == 11);
    CHECK(decoded != NULL && memcmp(decoded, noise, sizeof(noise)) == 0);

    free(decoded);
    smallpt_buf_free(&png);
    free(rgb);
    free(ref);
}


static void
test_errors(void)
{
    char           versions[64];
    smallpt_buf    buf = { NULL, 0, 0, 0 };
    unsigned char  px[64 * 48 * 3];

    memset(px, 7, sizeof(px));

    CHECK(smallpt_encode_ppm(NULL, 1, 1, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode_ppm(px, 0, 1, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode_ppm(px, 1, -1, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode_ppm(px, 1, 1, NULL) == SMALLPT_EINVAL);
    CHECK(smallpt_encode_ppm(px, SMALLPT_MAX_WIDTH + 1, 1, &buf)
          == SMALLPT_EINVAL);
    CHECK(smallpt_ppm_max_size(0, 5) == 0);
    CHECK(smallpt_ppm_max_size(2, 1) == 32 + 24);
    CHECK(smallpt_png_max_size(-1, 5) == 0);
    CHECK(smallpt_encode_png(NULL, 1, 1, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode_png(px, 1, 0, &buf) == SMALLPT_EINVAL);
    CHECK(smallpt_encode_png(px, SMALLPT_MAX_WIDTH + 1, 1, &buf)
          == SMALLPT_EINVAL);

    /* over the limit: the PPM is refused before anything is written */
    buf.limit = 100;
    CHECK(smallpt_encode_ppm(px, 64, 48, &buf) == SMALLPT_ENOMEM);
    CHECK(buf.len == 0);

    /* libpng's error path: the write callback fails, libpng longjmps */
    CHECK(smallpt_encode_png(px, 64, 48, &buf) == SMALLPT_ENOMEM);
    CHECK(buf.len == 0);

    /* the same buffer works again within a large enough limit */
    buf.limit = 1 << 20;
    CHECK(smallpt_encode_png(px, 64, 48, &buf) == SMALLPT_OK);
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
    test_errors();

    return check_done("test_encode");
}
