/*
 * Encoders into memory: the P3 PPM exactly as smallpt.cpp writes image.ppm,
 * and PNG through libpng. Both append to a smallpt_buf, whose limit bounds
 * the memory an encoding may take.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "smallpt.h"


/*
 * PNG settings, measured on smallpt's images (libpng 1.6.39, zlib 1.2.13):
 * for 1024x768 at spp 4 zlib level 1 takes 36 ms and 548 kB, level 3 47 ms
 * and 501 kB, level 6 95 ms and 459 kB; at spp 256 the adaptive filters
 * save 7% over none, and at spp 4 they choose none themselves.
 */
#define PNG_ZLIB_LEVEL  1
#define PNG_FILTERS     PNG_ALL_FILTERS

/* "65535 65535" and the rest of the header, with its NUL */
#define PPM_HEADER_MAX  32


typedef struct {
    smallpt_buf  *buf;
    int           rc;
} png_sink;


static int buf_reserve(smallpt_buf *buf, size_t more);
static int buf_append(smallpt_buf *buf, const void *data, size_t len);
static void png_sink_write(png_structp png, png_bytep data, png_size_t len);
static void png_sink_flush(png_structp png);
static void png_fail(png_structp png, png_const_charp msg);
static void png_warn(png_structp png, png_const_charp msg);


void
smallpt_buf_free(smallpt_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}


/* Makes room for `more` bytes after buf->len, within buf->limit. */
static int
buf_reserve(smallpt_buf *buf, size_t more)
{
    size_t          need, cap;
    unsigned char  *data;

    if (more > SIZE_MAX - buf->len) {
        return SMALLPT_ENOMEM;
    }

    need = buf->len + more;

    if (buf->limit != 0 && need > buf->limit) {
        return SMALLPT_ENOMEM;
    }

    if (need <= buf->cap) {
        return SMALLPT_OK;
    }

    cap = buf->cap != 0 ? buf->cap : 4096;
    while (cap < need) {
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
    }

    if (buf->limit != 0 && cap > buf->limit) {
        cap = buf->limit;
    }

    data = realloc(buf->data, cap);
    if (data == NULL) {
        return SMALLPT_ENOMEM;
    }

    buf->data = data;
    buf->cap = cap;

    return SMALLPT_OK;
}


static int
buf_append(smallpt_buf *buf, const void *data, size_t len)
{
    if (buf_reserve(buf, len) != SMALLPT_OK) {
        return SMALLPT_ENOMEM;
    }

    memcpy(buf->data + buf->len, data, len);
    buf->len += len;

    return SMALLPT_OK;
}


size_t
smallpt_ppm_max_size(int width, int height)
{
    size_t  pixels;

    if (width < 1 || height < 1) {
        return 0;
    }

    pixels = (size_t) width * (size_t) height;

    /* "255 255 255 " is the longest pixel; SIZE_MAX if it cannot be */
    if (pixels > (SIZE_MAX - PPM_HEADER_MAX) / 12) {
        return SIZE_MAX;
    }

    return PPM_HEADER_MAX + pixels * 12;
}


int
smallpt_encode_ppm(const unsigned char *rgb, int width, int height,
    smallpt_buf *buf)
{
    int             n, v;
    char            header[PPM_HEADER_MAX];
    size_t          i, count;
    unsigned char  *p, digits[256][4], ndigits[256];

    if (rgb == NULL || buf == NULL || width < 1 || height < 1
        || width > SMALLPT_MAX_WIDTH || height > SMALLPT_MAX_HEIGHT)
    {
        return SMALLPT_EINVAL;
    }

    n = snprintf(header, sizeof(header), "P3\n%d %d\n%d\n", width, height,
                 255);
    if (n < 0 || (size_t) n >= sizeof(header)) {
        return SMALLPT_EINVAL;
    }

    if (buf_reserve(buf, smallpt_ppm_max_size(width, height)) != SMALLPT_OK)
    {
        return SMALLPT_ENOMEM;
    }

    /* "%d " for every byte value, as smallpt.cpp's fprintf writes it */
    for (v = 0; v < 256; v++) {
        ndigits[v] = (unsigned char) snprintf((char *) digits[v], 4, "%d",
                                              v);
    }

    p = buf->data + buf->len;
    memcpy(p, header, (size_t) n);
    p += n;

    count = (size_t) width * (size_t) height * 3;

    for (i = 0; i < count; i++) {
        v = rgb[i];
        memcpy(p, digits[v], 3);
        p += ndigits[v];
        *p++ = ' ';
    }

    buf->len = (size_t) (p - buf->data);

    return SMALLPT_OK;
}


size_t
smallpt_png_max_size(int width, int height)
{
    size_t  raw;

    if (width < 1 || height < 1) {
        return 0;
    }

    /* filter byte and pixels per row; zlib's stored blocks, chunk headers */
    if ((size_t) width > (SIZE_MAX / 2 - 1) / 3
        || (size_t) height > SIZE_MAX / 2 / ((size_t) width * 3 + 1))
    {
        return SIZE_MAX;
    }

    raw = (size_t) height * ((size_t) width * 3 + 1);

    return raw + raw / 64 + 4096;
}


static void
png_sink_write(png_structp png, png_bytep data, png_size_t len)
{
    volatile png_sink  *sink = png_get_io_ptr(png);

    if (buf_append(sink->buf, data, len) != SMALLPT_OK) {
        sink->rc = SMALLPT_ENOMEM;
        png_error(png, "output buffer full");
    }
}


static void
png_sink_flush(png_structp png)
{
    (void) png;
}


/* libpng's default handlers print to stderr; ours only report back. */
static void
png_fail(png_structp png, png_const_charp msg)
{
    (void) msg;
    png_longjmp(png, 1);
}


static void
png_warn(png_structp png, png_const_charp msg)
{
    (void) png;
    (void) msg;
}


int
smallpt_encode_png(const unsigned char *rgb, int width, int height,
    smallpt_buf *buf)
{
    int                y;
    size_t             start, stride;
    png_infop          info;
    png_structp        png;
    volatile png_sink  sink;    /* changed between setjmp() and longjmp() */

    if (rgb == NULL || buf == NULL || width < 1 || height < 1
        || width > SMALLPT_MAX_WIDTH || height > SMALLPT_MAX_HEIGHT)
    {
        return SMALLPT_EINVAL;
    }

    sink.buf = buf;
    sink.rc = SMALLPT_EPNG;
    start = buf->len;
    stride = (size_t) width * 3;

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail,
                                  png_warn);
    if (png == NULL) {
        return SMALLPT_ENOMEM;
    }

    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return SMALLPT_ENOMEM;
    }

    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        buf->len = start;
        return sink.rc;
    }

    png_set_write_fn(png, (png_voidp) &sink, png_sink_write, png_sink_flush);
    png_set_IHDR(png, info, (png_uint_32) width, (png_uint_32) height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, PNG_ZLIB_LEVEL);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTERS);
    png_write_info(png, info);

    for (y = 0; y < height; y++) {
        png_write_row(png, rgb + stride * (size_t) y);
    }

    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    return SMALLPT_OK;
}


void
smallpt_png_versions(char *buf, size_t size)
{
    snprintf(buf, size, "libpng%s-zlib%s", png_get_libpng_ver(NULL),
             zlibVersion());
}
