
/*
 * ngx_http_smallpt_module: an image sent as it renders (smallpt_stream on).
 * The headers go at once, with the PNG's signature and header (or the
 * PPM's); the rendering threads hand their rows over top to bottom as soon
 * as every row above is done (smallpt_job_in_order()), and whichever
 * thread holds them encodes them into ctx->out, reserved at its largest
 * size beforehand so that it never moves, and publishes how much of it is
 * ready; the event loop sends that, a few times a second, flushed. The
 * encoder flushes zlib at fixed rows, so the bytes are those of the
 * buffered answer whenever they are sent: the ETag, 304s and caches hold.
 *
 * Once the first byte is sent the status cannot change: a render that
 * fails then ends with the connection closed before the last chunk, so
 * the client sees a cut answer, never a whole wrong image.
 */


#include "ngx_http_smallpt_module.h"


/* How often the event loop looks for rows to send, in milliseconds. */
#define NGX_HTTP_SMALLPT_STREAM_TICK  50


static void ngx_http_smallpt_stream_tick(ngx_event_t *ev);
static ngx_int_t ngx_http_smallpt_stream_send(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, ngx_uint_t last);
static ngx_uint_t ngx_http_smallpt_accepts_trailers(ngx_http_request_t *r);


/*
 * Before the tasks are posted: the encoder, with the image's header in
 * ctx->out already, and the job set to hand its rows over in order.
 */
ngx_int_t
ngx_http_smallpt_stream_prepare(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    int             rc, rows;
    smallpt_query  *q;

    q = &ctx->query;
    rows = smallpt_query_rows(q);

    /* all of it now, so that the threads never move what nginx sends */
    ctx->out.data = ngx_alloc(ctx->out.limit, r->connection->log);
    if (ctx->out.data == NULL) {
        return NGX_ERROR;
    }

    ctx->out.cap = ctx->out.limit;

    ctx->row_done = ngx_pcalloc(r->pool, rows);
    if (ctx->row_done == NULL) {
        return NGX_ERROR;
    }

    ctx->encoder = smallpt_encoder_start(q->format, q->width, rows,
                                         &ctx->out, &rc);
    if (ctx->encoder == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smallpt: cannot encode %dx%d: %s", q->width, rows,
                      smallpt_strerror(rc));
        return NGX_ERROR;
    }

    ctx->stream_len = ctx->out.len;

    smallpt_job_in_order(&ctx->job, ctx->row_done,
                         ngx_http_smallpt_stream_rows, ctx);

    return NGX_OK;
}


/*
 * In a pool thread, one at a time: the next rows, encoded (a render's, as
 * they are handed over; a fan-out's, as its bands come in order).
 */
void
ngx_http_smallpt_stream_rows(void *data, int first_row, int rows)
{
    int                      rc;
    size_t                   stride;
    ngx_http_smallpt_ctx_t  *ctx = data;

    if (ctx->stream_rc != SMALLPT_OK) {
        return;
    }

    stride = (size_t) ctx->query.width * 3;

    rc = smallpt_encoder_rows(ctx->encoder,
                              ctx->job.rgb + stride
                                  * (size_t) (first_row - ctx->job.first_row),
                              rows);

    if (rc == SMALLPT_OK && first_row + rows > ctx->job.last_row) {
        rc = smallpt_encoder_finish(ctx->encoder);
        ctx->encoder = NULL;

        if (rc == SMALLPT_OK) {
            clock_gettime(CLOCK_MONOTONIC, &ctx->finished_at);
            ngx_atomic_cmp_set(&ctx->stream_done, 0, 1);
        }
    }

    if (rc != SMALLPT_OK) {
        /* the rest of the render is for nothing */
        ctx->stream_rc = rc;
        (void) ngx_atomic_cmp_set(&ctx->error, 0, rc);
        smallpt_job_cancel(&ctx->job);
        return;
    }

    /* after the bytes: the event loop reads the length, then them */
    ngx_memory_barrier();
    ctx->stream_len = ctx->out.len;
}


/* The tasks are posted: the headers and what is ready go now. */
ngx_int_t
ngx_http_smallpt_stream_start(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_smallpt_set_headers(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the trailer to come is announced (RFC 9110, 6.6.2) */
    if (ngx_http_smallpt_accepts_trailers(r)
        && ngx_http_smallpt_push_header(&r->headers_out.headers, "Trailer",
                                        (u_char *) "Server-Timing",
                                        sizeof("Server-Timing") - 1)
           == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* chunked: nginx's chunked filter, as the length is not known */
    r->headers_out.content_length_n = -1;
    ctx->streaming = 1;

    /*
     * this 200 is the final answer: a "100 Continue" nginx would write to
     * the socket when it discards the body at the end must not come
     * inside the chunks
     */
    r->expect_tested = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: streaming %dx%d %s: headers sent",
                   ctx->query.width, smallpt_query_rows(&ctx->query),
                   smallpt_format_name(ctx->query.format));

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    rc = ngx_http_smallpt_stream_send(r, ctx, 0);
    if (rc == NGX_ERROR) {
        return rc;
    }

    ctx->stream_timer.handler = ngx_http_smallpt_stream_tick;
    ctx->stream_timer.data = r;
    ctx->stream_timer.log = r->connection->log;
    ngx_add_timer(&ctx->stream_timer, NGX_HTTP_SMALLPT_STREAM_TICK);

    return NGX_OK;
}


static void
ngx_http_smallpt_stream_tick(ngx_event_t *ev)
{
    ngx_http_request_t      *r = ev->data;
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);

    ngx_http_set_log_request(r->connection->log, r);

    ngx_http_smallpt_stream_flush(r, ctx);

    if (ctx->state == NGX_HTTP_SMALLPT_RENDERING
        || ctx->state == NGX_HTTP_SMALLPT_FANNING)
    {
        ngx_add_timer(ev, NGX_HTTP_SMALLPT_STREAM_TICK);
    }
}


/* What is ready, sent; and what nginx still holds, pushed on. */
void
ngx_http_smallpt_stream_flush(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    if (ngx_http_smallpt_stream_send(r, ctx, 0) == NGX_ERROR) {
        /* the client is gone: the connection's error ends the render */
        r->connection->error = 1;
    }
}


/*
 * Every task is back: the last bytes and the end, with Server-Timing in a
 * trailer; or, after a failure, NGX_ERROR: the connection is closed
 * before the last chunk.
 */
ngx_int_t
ngx_http_smallpt_stream_end(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, const char *failure)
{
    u_char  *timing;
    size_t   len;

    ngx_http_smallpt_stream_stop(ctx);

    if (ctx->terminated) {
        return NGX_ERROR;
    }

    if (failure == NULL && ctx->error != 0) {
        failure = smallpt_strerror((int) ctx->error);
    }

    if (failure == NULL && !ctx->stream_done) {
        failure = ctx->timed_out ? "render time limit exceeded"
                                 : "the worker is stopping";
    }

    if (failure != NULL) {
        ngx_http_smallpt_metrics_outcome(r, ctx->timed_out
                                            ? SMALLPT_OUTCOME_TIMED_OUT
                                            : SMALLPT_OUTCOME_FAILED);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smallpt: streamed %dx%d spp %d cut after %uz bytes: "
                      "%s", ctx->query.width, smallpt_query_rows(&ctx->query),
                      smallpt_effective_spp(ctx->query.spp), ctx->sent,
                      failure);
        return NGX_ERROR;
    }

    if (ngx_http_smallpt_accepts_trailers(r)) {
        timing = ngx_http_smallpt_timing(r, ctx, &len);
        if (timing == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_smallpt_push_header(&r->headers_out.trailers,
                                         "Server-Timing", timing, len)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_OK);

    return ngx_http_smallpt_stream_send(r, ctx, 1);
}


/* No more ticks: the render is over, or the request. */
void
ngx_http_smallpt_stream_stop(ngx_http_smallpt_ctx_t *ctx)
{
    if (ctx->stream_timer.timer_set) {
        ngx_del_timer(&ctx->stream_timer);
    }
}


/* Sends the bytes made ready since the last call, flushed; last: the end. */
static ngx_int_t
ngx_http_smallpt_stream_send(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, ngx_uint_t last)
{
    size_t        ready;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    ready = ctx->stream_len;
    ngx_memory_barrier();

    if (ready == ctx->sent && !last) {
        /* nothing new; push on what nginx may still hold */
        return ngx_http_output_filter(r, NULL);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->out.data + ctx->sent;
    b->last = ctx->out.data + ready;
    b->memory = b->pos != b->last;
    b->flush = 1;
    b->last_buf = last;
    b->last_in_chain = 1;

    if (!b->memory && !last) {
        return NGX_OK;
    }

    ngx_http_smallpt_metrics_sent(r, ctx->query.format, ready - ctx->sent);

    ctx->sent = ready;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * 1 if the request's TE names "trailers" (RFC 9110, 10.1.4) and the answer
 * can carry them: chunked (HTTP/1.1, chunked_transfer_encoding on) or
 * HTTP/2 and later.
 */
static ngx_uint_t
ngx_http_smallpt_accepts_trailers(ngx_http_request_t *r)
{
    ngx_table_elt_t           *te;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (r->http_version < NGX_HTTP_VERSION_11
        || (r->http_version < NGX_HTTP_VERSION_20
            && !clcf->chunked_transfer_encoding))
    {
        return 0;
    }

    te = r->headers_in.te;

    return te != NULL
           && ngx_strlcasestrn(te->value.data, te->value.data + te->value.len,
                               (u_char *) "trailers", 8 - 1)
              != NULL;
}
