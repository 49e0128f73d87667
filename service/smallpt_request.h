/*
 * The HTTP side of a render that needs no web server: parsing a request's
 * query string against limits, the ETag of an image, matching If-None-Match,
 * and the Content-Disposition header. ngx_http_smallpt_module is glue
 * around these.
 */

#ifndef SMALLPT_REQUEST_H
#define SMALLPT_REQUEST_H

#include <stddef.h>

#include "smallpt.h"
#include "smallpt_encode.h"


/* Room for any message of smallpt_query_parse, with its NUL. */
#define SMALLPT_REASON_SIZE       128

/* Room for any ETag smallpt_etag writes, with its NUL. */
#define SMALLPT_ETAG_SIZE         128


typedef struct {
    int  max_spp;
    int  max_width;
    int  max_height;
} smallpt_limits;


typedef struct {
    int  spp;           /* as asked; smallpt renders 4 * (spp / 4) */
    int  width;
    int  height;
    int  format;        /* SMALLPT_FORMAT_* */
    int  band;          /* 1 if rows= was given */
    int  first_row;     /* the rows asked for, both inclusive; without */
    int  last_row;      /* rows=, the whole image: 0 and height - 1 */
} smallpt_query;


/*
 * Sets q to what a request without parameters asks for: smallpt.cpp's
 * defaults (SMALLPT_DEFAULT_*) in `format`.
 */
void smallpt_query_init(smallpt_query *q, int format);

/*
 * Parses a raw query string (args, len bytes; %XX and + are decoded) into
 * q, which holds the defaults on entry: spp, w, h, format (png, ppm or rgb,
 * any case) and rows (FIRST-LAST) are known, other names are ignored, each
 * may appear once. All values, given or default, are checked against lim.
 * Returns 0, or -1 with a one-line reason naming the parameter and its
 * range in reason.
 */
int smallpt_query_parse(const char *args, size_t len,
    const smallpt_limits *lim, smallpt_query *q,
    char reason[SMALLPT_REASON_SIZE]);

/* The number of rows q asks for: the whole height, or its band's. */
int smallpt_query_rows(const smallpt_query *q);

/*
 * Writes the strong ETag of the image q describes, quoted, into etag. It
 * names everything that determines the image's bytes: the renderer's
 * version, the size, the effective spp, the band's rows, the format, and
 * for PNG the libpng and zlib versions: "smallpt1.2.0-64x48-4spp-ppm",
 * "smallpt1.2.0-64x48-4spp-rows0-9-rgb",
 * "smallpt1.2.0-64x48-4spp-png-libpng1.6.39-zlib1.2.13".
 */
void smallpt_etag(const smallpt_query *q, char etag[SMALLPT_ETAG_SIZE]);

/*
 * 1 if an If-Match or If-None-Match value (len bytes) names etag, else 0.
 * "*" names any. If-None-Match compares weakly (a W/ tag matches), If-Match
 * strongly (a W/ tag never matches), as RFC 9110 prescribes: strong is 1
 * for If-Match.
 */
int smallpt_etag_match(const char *header, size_t len, const char *etag,
    int strong);

/*
 * Writes a Content-Disposition value, `inline; filename="NAME.EXT"` or
 * `attachment; ...`, into buf (size bytes). Bytes of name outside
 * [A-Za-z0-9._-] become '_', an empty name becomes "image". Returns the
 * length written, or 0 if it does not fit.
 */
size_t smallpt_disposition(char *buf, size_t size, int attachment,
    const char *name, size_t name_len, int format);

/* The buffer size smallpt_disposition needs for a name of name_len bytes. */
size_t smallpt_disposition_size(size_t name_len);

#endif /* SMALLPT_REQUEST_H */
