
/*
 * ngx_http_smallpt_module: what the module says to the client, under
 * every other part of it: the image's headers (ETag, Content-Disposition,
 * Server-Timing), the image itself once encoded, and its own one-line
 * error answers (or the location's error_page), each of which throws the
 * request's body away first; and the values of the variables it measures.
 */


#include "ngx_http_smallpt_module.h"


static ngx_int_t ngx_http_smallpt_send_text(ngx_http_request_t *r,
    ngx_uint_t status, const char *text);
static ngx_table_elt_t *ngx_http_smallpt_add_header(ngx_http_request_t *r,
    const char *name, u_char *value, size_t len);
static double ngx_http_smallpt_ms(struct timespec *from, struct timespec *to);


/* 200, Content-Type, ETag and Content-Disposition of the image. */
ngx_int_t
ngx_http_smallpt_set_headers(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    u_char                       *p;
    size_t                        len;
    ngx_str_t                     name;
    const char                   *type;
    ngx_http_smallpt_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    ngx_str_set(&name, "image");

    if (slcf->filename != NULL
        && ngx_http_complex_value(r, slcf->filename, &name) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = smallpt_disposition_size(name.len);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = smallpt_disposition((char *) p, len,
                              slcf->disposition == NGX_HTTP_SMALLPT_ATTACHMENT,
                              (char *) name.data, name.len,
                              ctx->query.format);
    if (len == 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "smallpt: Content-Disposition does not fit");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_smallpt_add_header(r, "Content-Disposition", p, len)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_smallpt_set_etag(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;

    type = smallpt_format_type(ctx->query.format);
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    return NGX_OK;
}


ngx_int_t
ngx_http_smallpt_set_etag(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    r->headers_out.etag = ngx_http_smallpt_add_header(r, "ETag",
                                                      (u_char *) ctx->etag,
                                                      ngx_strlen(ctx->etag));
    if (r->headers_out.etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_smallpt_send_image(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    u_char       *timing;
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    /* everything that can fail first: an error page gets no image headers */

    timing = ngx_http_smallpt_timing(r, ctx, &len);
    if (timing == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = ctx->out.data;
    b->last = ctx->out.data + ctx->out.len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_smallpt_set_headers(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_smallpt_add_header(r, "Server-Timing", timing, len) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_length_n = ctx->out.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_OK);
    ngx_http_smallpt_metrics_sent(r, ctx->query.format, ctx->out.len);

    return ngx_http_output_filter(r, &out);
}


/* Server-Timing: the wait for the pool, and the render with the encoding. */
u_char *
ngx_http_smallpt_timing(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx,
    size_t *len)
{
    u_char  *timing;

    timing = ngx_pnalloc(r->pool, sizeof("queue;dur=, render;dur=")
                                  + 2 * (NGX_INT64_LEN + 4));
    if (timing == NULL) {
        return NULL;
    }

    *len = ngx_sprintf(timing, "queue;dur=%.3f, render;dur=%.3f",
                       ngx_http_smallpt_ms(&ctx->posted_at, &ctx->started_at),
                       ngx_http_smallpt_ms(&ctx->started_at,
                                           &ctx->finished_at))
           - timing;

    return timing;
}


/*
 * The module's own error answers: through error_page when the location
 * has one for the status (nginx's own test, as in
 * ngx_http_special_response_handler()), else one line of text/plain.
 * Either way the request's body, if any, is read and thrown away first
 * (or the connection is closed after the answer): on a keep-alive
 * connection it would otherwise be parsed as the client's next request.
 */
ngx_int_t
ngx_http_smallpt_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *text)
{
    ngx_uint_t                 i;
    ngx_http_err_page_t       *err_page;
    ngx_http_core_loc_conf_t  *clcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!r->error_page && clcf->error_pages && r->uri_changes != 0) {
        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == (ngx_int_t) status) {
                return status;
            }
        }
    }

    return ngx_http_smallpt_send_text(r, status, text);
}


/* 503 with Retry-After: the thread pool's queue is full. */
ngx_int_t
ngx_http_smallpt_refuse(ngx_http_request_t *r)
{
    u_char                       *value;
    size_t                        len;
    ngx_http_smallpt_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_REFUSED);

    if (slcf->retry_after > 0) {
        value = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (value == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ngx_sprintf(value, "%T", slcf->retry_after) - value;

        if (ngx_http_smallpt_add_header(r, "Retry-After", value, len)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_smallpt_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       "render queue full; try again later");
}


/* 405 with Allow: the module answers GET and HEAD. */
ngx_int_t
ngx_http_smallpt_not_allowed(ngx_http_request_t *r)
{
    if (ngx_http_smallpt_add_header(r, "Allow", (u_char *) "GET, HEAD",
                                    sizeof("GET, HEAD") - 1)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_smallpt_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                       "method not allowed; use GET or HEAD");
}


/* A plain-text answer of one line, for refusals. */
static ngx_int_t
ngx_http_smallpt_send_text(ngx_http_request_t *r, ngx_uint_t status,
    const char *text)
{
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    len = ngx_strlen(text);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, text, len);
    *b->last++ = LF;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len + 1;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


/* A header of the answer. */
static ngx_table_elt_t *
ngx_http_smallpt_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len)
{
    return ngx_http_smallpt_push_header(&r->headers_out.headers, name, value,
                                        len);
}


/* A header (or a trailer) in list. */
ngx_table_elt_t *
ngx_http_smallpt_push_header(ngx_list_t *list, const char *name,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(list);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = value;
    h->value.len = len;

    return h;
}


/* Milliseconds from one CLOCK_MONOTONIC time to another. */
static double
ngx_http_smallpt_ms(struct timespec *from, struct timespec *to)
{
    return (to->tv_sec - from->tv_sec) * 1000.0
           + (to->tv_nsec - from->tv_nsec) / 1000000.0;
}


/* Seconds from the first row begun to the image encoded, as "1.234". */
ngx_int_t
ngx_http_smallpt_render_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    if (ctx == NULL || !ctx->encoded) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_smallpt_value(v, p,
               ngx_sprintf(p, "%.3f",
                           ngx_http_smallpt_ms(&ctx->started_at,
                                               &ctx->finished_at) / 1000)
               - p);
}


/* A variable's value: len bytes at p. */
ngx_int_t
ngx_http_smallpt_value(ngx_http_variable_value_t *v, u_char *p, size_t len)
{
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}
