/*
 * Encoders into memory: the P3 PPM exactly as smallpt.cpp writes image.ppm,
 * PNG through libpng, and raw RGB. Each appends to a smallpt_buf, whose
 * limit bounds the memory an encoding may take, and takes rows in order,
 * as many at a time as the caller has: an answer can be sent while the
 * image renders, and its bytes are the same as when it is encoded at once.
 */

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "smallpt_encode.h"


/*
 * PNG settings, measured on smallpt's images (libpng 1.6.39, zlib 1.2.13):
 * for 1024x768 at spp 4 zlib level 1 takes 36 ms and 548 kB, level 3 47 ms
 * and 501 kB, level 6 95 ms and 459 kB; at spp 256 the adaptive filters
 * save 7% over none, and at spp 4 they choose none themselves.
 */
#define PNG_ZLIB_LEVEL  1
#define PNG_FILTERS     PNG_ALL_FILTERS

/*
 * zlib is flushed (Z_SYNC_FLUSH, a new IDAT chunk) after about this many
 * bytes of filtered rows, so that a browser can paint what it has. Where
 * the flushes fall is part of the bytes, so it depends on the width only.
 */
#define PNG_FLUSH_BYTES  16384

/* "65535 65535" and the rest of the header, with its NUL */
#define PPM_HEADER_MAX  32

/* "255 " is the longest a PPM sample takes */
#define PPM_SAMPLE_MAX  4


struct smallpt_encoder_s {
    int             format;
    int             width;
    int             height;
    int             rows;       /* rows encoded so far */
    smallpt_buf    *buf;
    int             rc;         /* PNG: set by the sink when it fails */
    png_structp     png;
    png_infop       info;
    unsigned char   digits[256][PPM_SAMPLE_MAX];
    unsigned char   ndigits[256];
};


static const char  *format_names[] = { "png", "ppm", "rgb" };

static const char  *format_types[] = {
    "image/png", "image/x-portable-pixmap", "application/octet-stream"
};


static int buf_reserve(smallpt_buf *buf, size_t more);
static int buf_append(smallpt_buf *buf, const void *data, size_t len);
static int ppm_start(smallpt_encoder *enc);
static int ppm_rows(smallpt_encoder *enc, const unsigned char *rgb,
    int rows);
static int png_start(smallpt_encoder *enc);
static int png_rows(smallpt_encoder *enc, const unsigned char *rgb,
    int rows);
static int png_finish(smallpt_encoder *enc);
static void png_sink_write(png_structp png, png_bytep data, png_size_t len);
static void png_sink_flush(png_structp png);
static void png_fail(png_structp png, png_const_charp msg);
static void png_warn(png_structp png, png_const_charp msg);


const char *
smallpt_format_name(int format)
{
    if (format < SMALLPT_FORMAT_PNG || format > SMALLPT_FORMAT_RGB) {
        return "unknown";
    }

    return format_names[format];
}


const char *
smallpt_format_type(int format)
{
    if (format < SMALLPT_FORMAT_PNG || format > SMALLPT_FORMAT_RGB) {
        return "application/octet-stream";
    }

    return format_types[format];
}


int
smallpt_format_parse(const char *name, size_t len)
{
    int     format;
    size_t  i;

    for (format = SMALLPT_FORMAT_PNG; format <= SMALLPT_FORMAT_RGB;
         format++)
    {
        if (len != strlen(format_names[format])) {
            continue;
        }

        for (i = 0; i < len; i++) {
            if (tolower((unsigned char) name[i]) != format_names[format][i]) {
                break;
            }
        }

        if (i == len) {
            return format;
        }
    }

    return -1;
}


size_t
smallpt_max_size(int format, int width, int height)
{
    size_t  raw, pixels;

    if (width < 1 || height < 1 || width > SMALLPT_MAX_WIDTH
        || height > SMALLPT_MAX_HEIGHT)
    {
        return 0;
    }

    /* a width and height within the limits cannot overflow 64 bits */
    pixels = (size_t) width * (size_t) height;
    if (pixels > SIZE_MAX / 16) {
        return 0;
    }

    switch (format) {

    case SMALLPT_FORMAT_PPM:
        /* "255 255 255 " is the longest pixel */
        return PPM_HEADER_MAX + pixels * 3 * PPM_SAMPLE_MAX;

    case SMALLPT_FORMAT_RGB:
        return pixels * 3;

    case SMALLPT_FORMAT_PNG:
        /*
         * a filter byte and the pixels per row, and for incompressible
         * rows zlib's stored blocks (5 bytes in 16 K), then a chunk and a
         * sync flush every PNG_FLUSH_BYTES at the most, and the headers
         */
        raw = pixels * 3 + (size_t) height;
        return raw + raw / 64 + (raw / PNG_FLUSH_BYTES + (size_t) height)
                                * 32 + 4096;

    default:
        return 0;
    }
}


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


int
smallpt_encode(int format, const unsigned char *rgb, int width, int height,
    smallpt_buf *buf)
{
    int               rc;
    size_t            start;
    smallpt_encoder  *enc;

    if (rgb == NULL || buf == NULL) {
        return SMALLPT_EINVAL;
    }

    start = buf->len;

    enc = smallpt_encoder_start(format, width, height, buf, &rc);
    if (enc == NULL) {
        buf->len = start;
        return rc;
    }

    rc = smallpt_encoder_rows(enc, rgb, height);
    if (rc != SMALLPT_OK) {
        smallpt_encoder_free(enc);
        buf->len = start;
        return rc;
    }

    rc = smallpt_encoder_finish(enc);
    if (rc != SMALLPT_OK) {
        buf->len = start;
    }

    return rc;
}


smallpt_encoder *
smallpt_encoder_start(int format, int width, int height, smallpt_buf *buf,
    int *rc)
{
    smallpt_encoder  *enc;

    if (buf == NULL || smallpt_max_size(format, width, height) == 0) {
        *rc = SMALLPT_EINVAL;
        return NULL;
    }

    enc = calloc(1, sizeof(smallpt_encoder));
    if (enc == NULL) {
        *rc = SMALLPT_ENOMEM;
        return NULL;
    }

    enc->format = format;
    enc->width = width;
    enc->height = height;
    enc->buf = buf;

    switch (format) {
    case SMALLPT_FORMAT_PNG:
        *rc = png_start(enc);
        break;
    case SMALLPT_FORMAT_PPM:
        *rc = ppm_start(enc);
        break;
    default:
        *rc = SMALLPT_OK;
    }

    if (*rc != SMALLPT_OK) {
        smallpt_encoder_free(enc);
        return NULL;
    }

    return enc;
}


int
smallpt_encoder_rows(smallpt_encoder *enc, const unsigned char *rgb,
    int rows)
{
    int  rc;

    if (rgb == NULL || rows < 0 || rows > enc->height - enc->rows) {
        return SMALLPT_EINVAL;
    }

    switch (enc->format) {
    case SMALLPT_FORMAT_PNG:
        rc = png_rows(enc, rgb, rows);
        break;
    case SMALLPT_FORMAT_PPM:
        rc = ppm_rows(enc, rgb, rows);
        break;
    default:
        rc = buf_append(enc->buf, rgb, (size_t) enc->width * 3
                                       * (size_t) rows);
    }

    if (rc == SMALLPT_OK) {
        enc->rows += rows;
    }

    return rc;
}


int
smallpt_encoder_finish(smallpt_encoder *enc)
{
    int  rc;

    rc = enc->rows == enc->height ? SMALLPT_OK : SMALLPT_EINVAL;

    if (rc == SMALLPT_OK && enc->format == SMALLPT_FORMAT_PNG) {
        rc = png_finish(enc);
    }

    smallpt_encoder_free(enc);

    return rc;
}


void
smallpt_encoder_free(smallpt_encoder *enc)
{
    if (enc == NULL) {
        return;
    }

    if (enc->png != NULL) {
        png_destroy_write_struct(&enc->png, &enc->info);
    }

    free(enc);
}


static int
ppm_start(smallpt_encoder *enc)
{
    int   n, v;
    char  header[PPM_HEADER_MAX];

    n = snprintf(header, sizeof(header), "P3\n%d %d\n%d\n", enc->width,
                 enc->height, 255);
    if (n < 0 || (size_t) n >= sizeof(header)) {
        return SMALLPT_EINVAL;
    }

    /* "%d " for every byte value, as smallpt.cpp's fprintf writes it */
    for (v = 0; v < 256; v++) {
        n = snprintf((char *) enc->digits[v], PPM_SAMPLE_MAX, "%d", v);
        enc->digits[v][n] = ' ';
        enc->ndigits[v] = (unsigned char) (n + 1);
    }

    return buf_append(enc->buf, header, strlen(header));
}


static int
ppm_rows(smallpt_encoder *enc, const unsigned char *rgb, int rows)
{
    size_t          i, count;
    unsigned char  *p;

    count = (size_t) enc->width * 3 * (size_t) rows;

    if (buf_reserve(enc->buf, count * PPM_SAMPLE_MAX) != SMALLPT_OK) {
        return SMALLPT_ENOMEM;
    }

    p = enc->buf->data + enc->buf->len;

    for (i = 0; i < count; i++) {
        memcpy(p, enc->digits[rgb[i]], PPM_SAMPLE_MAX);
        p += enc->ndigits[rgb[i]];
    }

    enc->buf->len = (size_t) (p - enc->buf->data);

    return SMALLPT_OK;
}


/*
 * libpng reports errors by longjmp() to the png_jmpbuf set by the function
 * that called it; each function below that calls libpng sets its own.
 * A failure leaves the encoder unusable: only smallpt_encoder_free().
 */

static int
png_start(smallpt_encoder *enc)
{
    int  flush_rows;

    enc->rc = SMALLPT_EPNG;

    enc->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail,
                                       png_warn);
    if (enc->png == NULL) {
        return SMALLPT_ENOMEM;
    }

    enc->info = png_create_info_struct(enc->png);
    if (enc->info == NULL) {
        return SMALLPT_ENOMEM;
    }

    if (setjmp(png_jmpbuf(enc->png))) {
        return enc->rc;
    }

    flush_rows = PNG_FLUSH_BYTES / (enc->width * 3 + 1);

    png_set_write_fn(enc->png, enc, png_sink_write, png_sink_flush);
    png_set_IHDR(enc->png, enc->info, (png_uint_32) enc->width,
                 (png_uint_32) enc->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(enc->png, PNG_ZLIB_LEVEL);
    png_set_filter(enc->png, PNG_FILTER_TYPE_BASE, PNG_FILTERS);
    png_set_flush(enc->png, flush_rows > 1 ? flush_rows : 1);
    png_write_info(enc->png, enc->info);

    return SMALLPT_OK;
}


static int
png_rows(smallpt_encoder *enc, const unsigned char *rgb, int rows)
{
    int     y;
    size_t  stride;

    if (setjmp(png_jmpbuf(enc->png))) {
        return enc->rc;
    }

    stride = (size_t) enc->width * 3;

    for (y = 0; y < rows; y++) {
        png_write_row(enc->png, rgb + stride * (size_t) y);
    }

    return SMALLPT_OK;
}


static int
png_finish(smallpt_encoder *enc)
{
    if (setjmp(png_jmpbuf(enc->png))) {
        return enc->rc;
    }

    png_write_end(enc->png, NULL);

    return SMALLPT_OK;
}


static void
png_sink_write(png_structp png, png_bytep data, png_size_t len)
{
    smallpt_encoder  *enc = png_get_io_ptr(png);

    if (buf_append(enc->buf, data, len) != SMALLPT_OK) {
        enc->rc = SMALLPT_ENOMEM;
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


void
smallpt_png_versions(char *buf, size_t size)
{
    snprintf(buf, size, "libpng%s-zlib%s", png_get_libpng_ver(NULL),
             zlibVersion());
}
