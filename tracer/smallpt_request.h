/*
 * The HTTP side of a render that needs no web server: parsing a request's
 * query string against limits, the ETag of an image, matching If-None-Match,
 * and the Content-Disposition header. ngx_http_smallpt_module is glue
 * around these.
 */

#ifndef SMALLPT_REQUEST_H
#define SMALLPT_REQUEST_H

#include <stddef.h>


enum {
    SMALLPT_FORMAT_PNG = 0,
    SMALLPT_FORMAT_PPM
};

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
} smallpt_query;


/*
 * Parses a raw query string (args, len bytes; %XX and + are decoded) into
 * q, which holds the defaults on entry: spp, w, h and format (png or ppm,
 * any case) are known, other names are ignored, each may appear once. All
 * values, given or default, are checked against lim. Returns 0, or -1 with
 * a one-line reason naming the parameter and its range in reason.
 */
int smallpt_query_parse(const char *args, size_t len,
    const smallpt_limits *lim, smallpt_query *q,
    char reason[SMALLPT_REASON_SIZE]);

/* "png" or "ppm". */
const char *smallpt_format_name(int format);

/* The MIME type of a format: image/png or image/x-portable-pixmap. */
const char *smallpt_format_type(int format);

/*
 * Writes the strong ETag of the image q describes, quoted, into etag. It
 * names everything that determines the image's bytes: the renderer's
 * version, the size, the effective spp, the format, and for PNG the libpng
 * and zlib versions: "smallpt1.0.0-64x48-4spp-ppm",
 * "smallpt1.0.0-64x48-4spp-png-libpng1.6.39-zlib1.2.13".
 */
void smallpt_etag(const smallpt_query *q, char etag[SMALLPT_ETAG_SIZE]);

/*
 * 1 if an If-None-Match value (len bytes) names etag, with the weak
 * comparison RFC 9110 prescribes for it ("*" names any), else 0.
 */
int smallpt_etag_match(const char *header, size_t len, const char *etag);

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
