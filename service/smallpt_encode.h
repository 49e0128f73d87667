/*
 * The images' encodings, into memory: PNG through libpng, the P3 PPM
 * exactly as smallpt.cpp writes image.ppm, and raw RGB, each at once or
 * fed rows in order as they render (service/encode.c). The module and the
 * smallpt program write their answers and files with these.
 */

#ifndef SMALLPT_ENCODE_H
#define SMALLPT_ENCODE_H

#include <stddef.h>

#include "smallpt.h"


/* Output formats. */
enum {
    SMALLPT_FORMAT_PNG = 0, /* 8-bit RGB PNG, lossless */
    SMALLPT_FORMAT_PPM,     /* P3, exactly as smallpt.cpp writes image.ppm */
    SMALLPT_FORMAT_RGB      /* raw 8-bit RGB, top row first, no header */
};

/* "png", "ppm" or "rgb"; and back, in any case (-1: unknown name). */
const char *smallpt_format_name(int format);
int smallpt_format_parse(const char *name, size_t len);

/*
 * The MIME type: image/png, image/x-portable-pixmap or
 * application/octet-stream.
 */
const char *smallpt_format_type(int format);

/* A growing memory buffer; `limit` (0: none) caps its length. */
typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
    size_t          limit;
} smallpt_buf;


/* Frees the buffer's memory and empties it; its limit stays. */
void smallpt_buf_free(smallpt_buf *buf);

/*
 * The most bytes the encoding of a width x height image takes in format
 * (a PNG of incompressible pixels); 0 if that does not fit in a size_t.
 */
size_t smallpt_max_size(int format, int width, int height);

/*
 * Appends the encoding of an 8-bit RGB image (width * height * 3 bytes, top
 * row first) to buf. The same bytes as the encoder below, fed any way.
 */
int smallpt_encode(int format, const unsigned char *rgb, int width,
    int height, smallpt_buf *buf);


/*
 * An encoder fed rows in order, for answers sent while they render. Its
 * output is a function of the pixels only: zlib is flushed after a fixed
 * number of rows (a function of the width), however the rows arrive.
 */
typedef struct smallpt_encoder_s  smallpt_encoder;

/*
 * Starts an encoding of a width x height image into buf and appends its
 * header; NULL with *rc set (SMALLPT_EINVAL, SMALLPT_ENOMEM) on failure.
 */
smallpt_encoder *smallpt_encoder_start(int format, int width, int height,
    smallpt_buf *buf, int *rc);

/* Appends the encoding of the next `rows` rows (rgb: rows * width * 3). */
int smallpt_encoder_rows(smallpt_encoder *enc, const unsigned char *rgb,
    int rows);

/* Appends the end of the image (every row given) and frees the encoder. */
int smallpt_encoder_finish(smallpt_encoder *enc);

/* Frees an encoder without finishing its image. */
void smallpt_encoder_free(smallpt_encoder *enc);

/*
 * Writes the versions of libpng and zlib the PNG encoder runs with, as
 * "libpng1.6.39-zlib1.2.13", into buf (size bytes, NUL-terminated).
 */
void smallpt_png_versions(char *buf, size_t size);

#endif /* SMALLPT_ENCODE_H */
