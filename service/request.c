/*
 * Query strings, ETags and Content-Disposition for the HTTP module.
 */

#include <stdio.h>
#include <string.h>

#include "smallpt.h"
#include "smallpt_request.h"


/* Larger values are reported as "too large" without their digits. */
#define NUMBER_CAP  1000000000LL


typedef struct {
    const char  *p;
    const char  *end;
} cursor;

typedef struct {
    const char  *name;
    int          min;
    int          max;
    int         *value;
    int          seen;
} int_param;


static int next_byte(cursor *c, int *byte);
static int name_is(const char *p, const char *end, const char *name);
static int parse_int_value(cursor *c, int_param *param,
    char reason[SMALLPT_REASON_SIZE]);
static int parse_format_value(cursor *c, int *format,
    char reason[SMALLPT_REASON_SIZE]);
static int parse_rows_value(cursor *c, smallpt_query *q,
    char reason[SMALLPT_REASON_SIZE]);
static int check_range(int_param *param, char reason[SMALLPT_REASON_SIZE]);


/*
 * The next byte of a query component, with "+" as a space and %XX decoded:
 * 1, or 0 at the end, or -1 for a malformed escape.
 */
static int
next_byte(cursor *c, int *byte)
{
    int  i, v, d;

    if (c->p == c->end) {
        return 0;
    }

    if (*c->p == '+') {
        c->p++;
        *byte = ' ';
        return 1;
    }

    if (*c->p != '%') {
        *byte = (unsigned char) *c->p++;
        return 1;
    }

    if (c->end - c->p < 3) {
        c->p = c->end;
        return -1;
    }

    v = 0;
    for (i = 1; i <= 2; i++) {
        d = (unsigned char) c->p[i];

        if (d >= '0' && d <= '9') {
            d -= '0';

        } else if ((d | 0x20) >= 'a' && (d | 0x20) <= 'f') {
            d = (d | 0x20) - 'a' + 10;

        } else {
            c->p += 3;
            return -1;
        }

        v = v * 16 + d;
    }

    c->p += 3;
    *byte = v;
    return 1;
}


/* 1 if the encoded name [p, end) decodes to exactly `name`. */
static int
name_is(const char *p, const char *end, const char *name)
{
    int     rc, byte;
    cursor  c;

    c.p = p;
    c.end = end;

    while ((rc = next_byte(&c, &byte)) == 1) {
        if (*name == '\0' || byte != (unsigned char) *name++) {
            return 0;
        }
    }

    return rc == 0 && *name == '\0';
}


static int
check_range(int_param *param, char reason[SMALLPT_REASON_SIZE])
{
    int  v;

    v = *param->value;

    if (v >= param->min && v <= param->max) {
        return 0;
    }

    snprintf(reason, SMALLPT_REASON_SIZE,
             "%s: %d is too %s; expected an integer from %d to %d",
             param->name, v, v < param->min ? "small" : "large", param->min,
             param->max);
    return -1;
}


static int
parse_int_value(cursor *c, int_param *param, char reason[SMALLPT_REASON_SIZE])
{
    int          rc, byte, digits;
    long long    v;
    const char  *what;

    what = NULL;
    v = 0;

    for (digits = 0; (rc = next_byte(c, &byte)) != 0; digits++) {
        if (rc < 0 || byte < '0' || byte > '9') {
            what = "not a decimal integer";
            break;
        }

        if (v < NUMBER_CAP) {
            v = v * 10 + (byte - '0');
        }
    }

    if (what == NULL && digits == 0) {
        what = "empty";
    }

    if (what == NULL && v >= NUMBER_CAP) {
        what = "too large";
    }

    if (what != NULL) {
        snprintf(reason, SMALLPT_REASON_SIZE,
                 "%s: %s; expected an integer from %d to %d", param->name,
                 what, param->min, param->max);
        return -1;
    }

    *param->value = (int) v;
    return check_range(param, reason);
}


static int
parse_format_value(cursor *c, int *format, char reason[SMALLPT_REASON_SIZE])
{
    int     rc, byte;
    char    word[4];
    size_t  n;

    n = 0;

    while ((rc = next_byte(c, &byte)) == 1 && n < sizeof(word)) {
        word[n++] = (char) byte;
    }

    if (rc == 0 && n > 0 && smallpt_format_parse(word, n) >= 0) {
        *format = smallpt_format_parse(word, n);
        return 0;
    }

    snprintf(reason, SMALLPT_REASON_SIZE,
             "format: %s; expected png, ppm or rgb",
             n == 0 && rc == 0 ? "empty" : "unknown format");
    return -1;
}


/*
 * rows=FIRST-LAST: two decimal integers and a hyphen. Whether they lie
 * within the image is checked once its height is known.
 */
static int
parse_rows_value(cursor *c, smallpt_query *q, char reason[SMALLPT_REASON_SIZE])
{
    int        rc, byte, digits, part;
    long long  v[2];

    part = 0;
    digits = 0;
    v[0] = 0;
    v[1] = 0;

    while ((rc = next_byte(c, &byte)) == 1) {
        if (byte == '-' && part == 0 && digits > 0) {
            part = 1;
            digits = 0;
            continue;
        }

        if (byte < '0' || byte > '9') {
            break;
        }

        if (v[part] < NUMBER_CAP) {
            v[part] = v[part] * 10 + (byte - '0');
        }

        digits++;
    }

    if (rc != 0 || part != 1 || digits == 0) {
        snprintf(reason, SMALLPT_REASON_SIZE,
                 "rows: not a range; expected FIRST-LAST, two integers "
                 "from 0 to the height - 1");
        return -1;
    }

    if (v[0] >= NUMBER_CAP || v[1] >= NUMBER_CAP) {
        snprintf(reason, SMALLPT_REASON_SIZE,
                 "rows: too large; expected FIRST-LAST, two integers "
                 "from 0 to the height - 1");
        return -1;
    }

    q->first_row = (int) v[0];
    q->last_row = (int) v[1];
    q->band = 1;

    return 0;
}


void
smallpt_query_init(smallpt_query *q, int format)
{
    q->spp = SMALLPT_DEFAULT_SPP;
    q->width = SMALLPT_DEFAULT_WIDTH;
    q->height = SMALLPT_DEFAULT_HEIGHT;
    q->format = format;
    q->band = 0;
    q->first_row = 0;
    q->last_row = 0;
}


int
smallpt_query_rows(const smallpt_query *q)
{
    return q->band ? q->last_row - q->first_row + 1 : q->height;
}


int
smallpt_query_parse(const char *args, size_t len, const smallpt_limits *lim,
    smallpt_query *q, char reason[SMALLPT_REASON_SIZE])
{
    int          i, format_seen, rows_seen;
    cursor       value;
    int_param    params[3], *param;
    const char  *p, *end, *amp, *eq;

    params[0].name = "spp";
    params[0].min = SMALLPT_MIN_SPP;
    params[0].max = lim->max_spp;
    params[0].value = &q->spp;

    params[1].name = "w";
    params[1].min = 1;
    params[1].max = lim->max_width;
    params[1].value = &q->width;

    params[2].name = "h";
    params[2].min = 1;
    params[2].max = lim->max_height;
    params[2].value = &q->height;

    for (i = 0; i < 3; i++) {
        params[i].seen = 0;
    }

    format_seen = 0;
    rows_seen = 0;
    p = args;
    end = args + len;

    while (p < end) {
        amp = memchr(p, '&', (size_t) (end - p));
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', (size_t) (amp - p));
        value.p = eq != NULL ? eq + 1 : amp;
        value.end = amp;
        if (eq == NULL) {
            eq = amp;
        }

        param = NULL;
        for (i = 0; i < 3; i++) {
            if (name_is(p, eq, params[i].name)) {
                param = &params[i];
            }
        }

        if (param != NULL) {
            if (param->seen++) {
                snprintf(reason, SMALLPT_REASON_SIZE,
                         "%s: given more than once; expected one integer "
                         "from %d to %d", param->name, param->min,
                         param->max);
                return -1;
            }

            if (parse_int_value(&value, param, reason) != 0) {
                return -1;
            }

        } else if (name_is(p, eq, "format")) {
            if (format_seen++) {
                snprintf(reason, SMALLPT_REASON_SIZE,
                         "format: given more than once; expected one of "
                         "png, ppm or rgb");
                return -1;
            }

            if (parse_format_value(&value, &q->format, reason) != 0) {
                return -1;
            }

        } else if (name_is(p, eq, "rows")) {
            if (rows_seen++) {
                snprintf(reason, SMALLPT_REASON_SIZE,
                         "rows: given more than once; expected one range "
                         "FIRST-LAST");
                return -1;
            }

            if (parse_rows_value(&value, q, reason) != 0) {
                return -1;
            }
        }

        if (amp == end) {
            break;
        }

        p = amp + 1;
    }

    /* the defaults must be within the limits too */
    for (i = 0; i < 3; i++) {
        if (check_range(&params[i], reason) != 0) {
            return -1;
        }
    }

    if (!q->band) {
        q->first_row = 0;
        q->last_row = q->height - 1;

    } else if (q->first_row > q->last_row || q->last_row >= q->height) {
        snprintf(reason, SMALLPT_REASON_SIZE,
                 "rows: %d-%d is not within the image; expected FIRST-LAST "
                 "with 0 <= FIRST <= LAST <= %d", q->first_row, q->last_row,
                 q->height - 1);
        return -1;
    }

    return 0;
}


void
smallpt_etag(const smallpt_query *q, char etag[SMALLPT_ETAG_SIZE])
{
    char  libs[64], rows[32];

    libs[0] = '\0';
    if (q->format == SMALLPT_FORMAT_PNG) {
        libs[0] = '-';
        smallpt_png_versions(libs + 1, sizeof(libs) - 1);
    }

    rows[0] = '\0';
    if (q->band) {
        snprintf(rows, sizeof(rows), "-rows%d-%d", q->first_row,
                 q->last_row);
    }

    snprintf(etag, SMALLPT_ETAG_SIZE, "\"smallpt%s-%dx%d-%dspp%s-%s%s\"",
             SMALLPT_VERSION, q->width, q->height,
             smallpt_effective_spp(q->spp), rows,
             smallpt_format_name(q->format), libs);
}


int
smallpt_etag_match(const char *header, size_t len, const char *etag,
    int strong)
{
    int          weak;
    size_t       taglen;
    const char  *p, *end, *close;

    p = header;
    end = header + len;
    taglen = strlen(etag);

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (p == end) {
            break;
        }

        if (*p == '*') {
            return 1;
        }

        weak = 0;

        if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
            weak = 1;
            p += 2;
        }

        if (p == end) {
            break;
        }

        if (*p != '"') {
            /* not an entity tag: skip to the next list element */
            while (p < end && *p != ',') {
                p++;
            }
            continue;
        }

        close = memchr(p + 1, '"', (size_t) (end - p - 1));
        if (close == NULL) {
            return 0;
        }

        if ((size_t) (close + 1 - p) == taglen
            && memcmp(p, etag, taglen) == 0
            && !(strong && weak))
        {
            return 1;
        }

        p = close + 1;
    }

    return 0;
}


size_t
smallpt_disposition_size(size_t name_len)
{
    return sizeof("attachment; filename=\".png\"")
           + (name_len != 0 ? name_len : sizeof("image") - 1);
}


size_t
smallpt_disposition(char *buf, size_t size, int attachment, const char *name,
    size_t name_len, int format)
{
    int          n;
    char        *p;
    size_t       i;
    const char  *ext;

    if (name_len == 0) {
        name = "image";
        name_len = 5;
    }

    n = snprintf(buf, size, "%s; filename=\"",
                 attachment ? "attachment" : "inline");
    ext = smallpt_format_name(format);

    /* the name, ".", the extension, the closing quote and the NUL */
    if (n < 0 || (size_t) n + name_len + 1 + strlen(ext) + 2 > size) {
        return 0;
    }

    p = buf + n;

    for (i = 0; i < name_len; i++) {
        *p++ = ((name[i] >= 'a' && name[i] <= 'z')
                || (name[i] >= 'A' && name[i] <= 'Z')
                || (name[i] >= '0' && name[i] <= '9')
                || name[i] == '.' || name[i] == '_' || name[i] == '-')
               ? name[i] : '_';
    }

    p += sprintf(p, ".%s\"", ext);

    return (size_t) (p - buf);
}
