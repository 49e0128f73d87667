
/*
 * ngx_http_smallpt_module: fan-out. A render becomes bands of rows, each a
 * background subrequest to an internal location that the operator points
 * at an upstream of band servers (proxy_pass): GET URI?spp=&w=&h=
 * &format=rgb&rows=FIRST-LAST. The header filter checks each band's answer
 * (200, its length, its ETag); the body filter copies its bytes straight
 * into the image, where they belong, and lets nothing through. A band that
 * fails is asked again, up to `retries` times; when every band is in, the
 * image is encoded in the thread pool (ngx_http_smallpt_task.c) and sent
 * like a local render's.
 *
 * Streamed (smallpt_stream on), the bands are encoded as they come, in
 * order, and the headers go with the first band's rows: until then a band
 * that fails still gets the client a 502 (or a 504), not a cut answer.
 *
 * The module is an "aux filter" for this, as modules that capture
 * subrequests are: its filters sit above nginx's postpone filter, so that a
 * band's bytes never reach the client.
 */


#include "ngx_http_smallpt_module.h"


/*
 * How long rows of a streamed fan-out that the pool had no room for wait
 * before they ask again, in milliseconds: a stream's tick.
 */
#define NGX_HTTP_SMALLPT_ENCODE_RETRY  50


struct ngx_http_smallpt_band_s {
    ngx_http_smallpt_ctx_t    *front;
    ngx_http_request_t        *sr;          /* this try's, or NULL */
    ngx_uint_t                 index;
    int                        first_row;
    int                        last_row;
    size_t                     size;        /* rows * width * 3 */
    size_t                     received;    /* bytes of this try */
    ngx_uint_t                 tries;
    ngx_uint_t                 status;      /* of this try's answer */
    ngx_msec_t                 started;
    char                      *problem;     /* why this try is no good */
    char                       etag[SMALLPT_ETAG_SIZE];
    unsigned                   done:1;      /* its rows are in the image */
};


struct ngx_http_smallpt_fanout_s {
    ngx_http_smallpt_band_t   *bands;
    ngx_uint_t                 nbands;
    ngx_uint_t                 pending;     /* subrequests in flight */
    ngx_uint_t                 ndone;
    ngx_uint_t                 retries;     /* asked again, in all */
    ngx_msec_t                 slowest;     /* the slowest band's time */
    ngx_event_t                timer;
    ngx_http_smallpt_band_t   *failed;      /* the band that gave up */
    ngx_event_t                retry;       /* the pool had no room */

    /* streamed: bands go to the encoder in order, one task at a time */
    ngx_thread_task_t          task;
    unsigned                   stream:1;    /* smallpt_stream on */
    unsigned                   unsent:1;    /* the headers could not go */
    ngx_uint_t                 next;        /* the first band not given */
    int                        encode_first;
    int                        encode_rows;

    unsigned                   encoding:1;  /* the task is in the pool */
    unsigned                   full:1;      /* no room for it: next tick */
    unsigned                   refused:1;   /* no room before a byte went */
    unsigned                   finished:1;  /* answered or answering */
    unsigned                   timed_out:1;
    unsigned                   terminated:1;
};


static ngx_int_t ngx_http_smallpt_band_ask(ngx_http_request_t *r,
    ngx_http_smallpt_band_t *band);
static ngx_int_t ngx_http_smallpt_band_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_http_smallpt_band_t *ngx_http_smallpt_band_of(
    ngx_http_request_t *r);
static void ngx_http_smallpt_band_cancel(ngx_http_smallpt_band_t *band);
static void ngx_http_smallpt_fanout_finish(ngx_http_request_t *r);
static void ngx_http_smallpt_fanout_respond(ngx_http_request_t *r);
static void ngx_http_smallpt_fanout_timeout(ngx_event_t *ev);
static void ngx_http_smallpt_fanout_terminated(void *data);
static void ngx_http_smallpt_fanout_encode(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static void ngx_http_smallpt_fanout_encode_thread(void *data,
    ngx_log_t *log);
static void ngx_http_smallpt_fanout_encoded(ngx_event_t *ev);
static void ngx_http_smallpt_fanout_full(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static void ngx_http_smallpt_fanout_retry(ngx_event_t *ev);
static ngx_int_t ngx_http_smallpt_band_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_smallpt_band_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;

static ngx_str_t  ngx_http_smallpt_no_peer = ngx_string("no server");


/* The fan-out of ctx's render: NGX_DONE while the bands come, or a status. */
ngx_int_t
ngx_http_smallpt_fanout(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    int                          *first;
    ngx_int_t                     rc;
    ngx_uint_t                    i, n;
    smallpt_query                *q, band;
    ngx_http_smallpt_band_t      *b;
    ngx_http_smallpt_fanout_t    *fo;
    ngx_http_smallpt_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);
    q = &ctx->query;

    if (ngx_http_smallpt_unsent_full(r)) {
        return ngx_http_smallpt_refuse(r);
    }

    fo = ngx_pcalloc(r->pool, sizeof(ngx_http_smallpt_fanout_t));
    if (fo == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = ngx_min(slcf->fanout_bands, (ngx_uint_t) q->height);

    first = ngx_palloc(r->pool, (n + 1) * sizeof(int));
    fo->bands = ngx_pcalloc(r->pool, n * sizeof(ngx_http_smallpt_band_t));

    if (first == NULL || fo->bands == NULL
        || ngx_http_smallpt_prepare_job(r, ctx) != NGX_OK
        || ngx_http_smallpt_add_cleanups(r, ctx,
                                         ngx_http_smallpt_fanout_terminated)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* bands of about the same render time: the glass costs more */
    fo->nbands = (ngx_uint_t) smallpt_bands(q->height, (int) n, first);

    if (slcf->stream && r == r->main) {
        if (ngx_http_smallpt_stream_prepare(r, ctx) != NGX_OK) {
            ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        fo->stream = 1;
    }

    /* the encoder's tasks go to the location's pool */
    ctx->pool = slcf->pool;

    /* from here on, the cleanup cancels what is asked */
    ctx->fanout = fo;

    for (i = 0; i < fo->nbands; i++) {
        b = &fo->bands[i];
        b->front = ctx;
        b->index = i;
        b->first_row = first[i];
        b->last_row = first[i + 1] - 1;
        b->size = smallpt_rgb_size(q->width, b->last_row - b->first_row + 1);

        band = *q;
        band.format = SMALLPT_FORMAT_RGB;
        band.band = 1;
        band.first_row = b->first_row;
        band.last_row = b->last_row;
        smallpt_etag(&band, b->etag);
    }

    clock_gettime(CLOCK_MONOTONIC, &ctx->posted_at);
    ctx->started_at = ctx->posted_at;
    ctx->started = 1;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: %dx%d spp %d in %ui bands", q->width, q->height,
                   smallpt_effective_spp(q->spp), fo->nbands);

    for (i = 0; i < fo->nbands; i++) {
        rc = ngx_http_smallpt_band_ask(r, &fo->bands[i]);

        if (rc != NGX_OK) {
            /* the bands asked so far run on, for nobody */
            fo->finished = 1;

            for (n = 0; n < i; n++) {
                ngx_http_smallpt_band_cancel(&fo->bands[n]);
            }

            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* a non-cancelable timer: an exiting worker waits for the bands */
    fo->timer.handler = ngx_http_smallpt_fanout_timeout;
    fo->timer.data = r;
    fo->timer.log = r->connection->log;
    ngx_add_timer(&fo->timer, slcf->time_limit);

    ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_FANNING);
    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS, 1);

    r->main->count++;
    r->write_event_handler = ngx_http_request_empty_handler;

    /*
     * a client that goes away ends the subrequests, and the band servers
     * see their connections close
     */
    ngx_http_smallpt_watch_client(r);

    return NGX_DONE;
}


/* One try of a band: a background subrequest, answered into the image. */
static ngx_int_t
ngx_http_smallpt_band_ask(ngx_http_request_t *r, ngx_http_smallpt_band_t *band)
{
    ngx_str_t                     args;
    smallpt_query                *q;
    ngx_http_request_t           *sr;
    ngx_http_smallpt_ctx_t       *ctx;
    ngx_http_post_subrequest_t   *ps;
    ngx_http_smallpt_loc_conf_t  *slcf;

    ctx = band->front;
    q = &ctx->query;
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    args.data = ngx_pnalloc(r->pool, sizeof("spp=&w=&h=&format=rgb&rows=-")
                                     + 5 * NGX_INT_T_LEN);
    if (args.data == NULL) {
        return NGX_ERROR;
    }

    args.len = ngx_sprintf(args.data, "spp=%d&w=%d&h=%d&format=rgb&rows=%d-%d",
                           q->spp, q->width, q->height, band->first_row,
                           band->last_row)
               - args.data;

    /*
     * the post-subrequest handler marks the subrequest as this band's for
     * the filters: unlike a module context, internal redirects keep it
     */
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_smallpt_band_done;
    ps->data = band;

    if (ngx_http_subrequest(r, &slcf->fanout_uri, &args, &sr, ps,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * a band is asked with none of the client's headers: its If-Match,
     * Range or Accept-Encoding are about the image, not about the band
     */
    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));
    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_smallpt_metrics_band(r, SMALLPT_BAND_SENT);

    band->sr = sr;
    band->received = 0;
    band->status = 0;
    band->problem = NULL;
    band->tries++;
    band->started = ngx_current_msec;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: band %ui (rows %d-%d) asked, try %ui",
                   band->index, band->first_row, band->last_row, band->tries);

    ctx->fanout->pending++;

    return NGX_OK;
}


/*
 * A band's subrequest is finished (this may be called again for it: only
 * the first call counts). Returns NGX_OK: the module decides what a failed
 * band means, not nginx's error page for the subrequest.
 */
static ngx_int_t
ngx_http_smallpt_band_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_str_t                    *peer;
    ngx_msec_t                    time;
    ngx_http_request_t           *r;
    ngx_http_smallpt_ctx_t       *ctx;
    ngx_http_smallpt_band_t      *band = data;
    ngx_http_smallpt_fanout_t    *fo;
    ngx_http_upstream_state_t    *state;
    ngx_http_smallpt_loc_conf_t  *slcf;

    if (band->sr != sr) {
        return NGX_OK;
    }

    band->sr = NULL;
    ctx = band->front;
    fo = ctx->fanout;
    r = ctx->request;
    fo->pending--;

    if (fo->finished) {
        return NGX_OK;
    }

    if (band->status == 0 && rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        /* an error nginx itself gave (the upstream's 502, 504...) */
        band->status = rc;
    }

    if (band->problem == NULL) {
        if (band->status == 0) {
            band->problem = "no answer";

        } else if (band->status != NGX_HTTP_OK) {
            band->problem = "not 200";

        } else if (band->received != band->size) {
            band->problem = band->received < band->size ? "too short"
                                                        : "too long";
        }
    }

    time = ngx_current_msec - band->started;

    if (band->problem == NULL) {
        band->done = 1;
        fo->ndone++;

        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "smallpt: band %ui in after %M ms, %ui of %ui",
                       band->index, time, fo->ndone, fo->nbands);

        if (time > fo->slowest) {
            fo->slowest = time;
        }

        if (fo->ndone == fo->nbands) {
            ngx_http_smallpt_fanout_finish(r);

        } else {
            ngx_http_smallpt_fanout_encode(r, ctx);
        }

        return NGX_OK;
    }

    /* where it failed: the last server nginx asked for it */
    peer = NULL;

    if (sr->upstream_states != NULL && sr->upstream_states->nelts > 0) {
        state = sr->upstream_states->elts;
        peer = state[sr->upstream_states->nelts - 1].peer;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "smallpt: band %ui (rows %d-%d) failed on %V: %s "
                  "(status %ui, %uz of %uz bytes), try %ui of %ui",
                  band->index, band->first_row, band->last_row,
                  peer != NULL ? peer : &ngx_http_smallpt_no_peer,
                  band->problem, band->status, band->received, band->size,
                  band->tries, slcf->fanout_retries + 1);

    if (band->tries <= slcf->fanout_retries && !fo->timed_out) {
        fo->retries++;
        ngx_http_smallpt_metrics_band(r, SMALLPT_BAND_RETRIED);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "smallpt: band %ui asked again", band->index);

        if (ngx_http_smallpt_band_ask(r, band) == NGX_OK) {
            return NGX_OK;
        }
    }

    ngx_http_smallpt_metrics_band(r, SMALLPT_BAND_FAILED);

    fo->failed = band;
    ngx_http_smallpt_fanout_finish(r);

    return NGX_OK;
}


/*
 * Streamed: the bands done in order since the last, to the encoder, in a
 * pool thread; one task at a time, so the rows go in order.
 */
static void
ngx_http_smallpt_fanout_encode(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    ngx_uint_t                  k;
    ngx_thread_task_t          *task;
    ngx_http_smallpt_fanout_t  *fo;

    fo = ctx->fanout;

    if (!fo->stream || fo->encoding || fo->refused
        || ctx->stream_rc != SMALLPT_OK)
    {
        return;
    }

    for (k = fo->next; k < fo->nbands && fo->bands[k].done; k++) {
        /* void */
    }

    if (k == fo->next) {
        return;
    }

    task = &fo->task;
    task->ctx = ctx;
    task->handler = ngx_http_smallpt_fanout_encode_thread;
    task->event.data = r;
    task->event.handler = ngx_http_smallpt_fanout_encoded;

    /* the thread reads which rows from fo: set before the task is posted */
    fo->encode_first = fo->bands[fo->next].first_row;
    fo->encode_rows = fo->bands[k - 1].last_row - fo->encode_first + 1;

    if (ngx_http_smallpt_pool_room(ctx->pool, 1) == 0
        || ngx_http_smallpt_post_task(r, ctx->pool, task) != NGX_OK)
    {
        ngx_http_smallpt_fanout_full(r, ctx);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: encoding rows %d-%d", fo->encode_first,
                   fo->encode_first + fo->encode_rows - 1);

    fo->next = k;
    fo->full = 0;
    fo->encoding = 1;
    r->main->blocked++;
}


/*
 * The pool has no room for the encoder's task. Before the first byte went
 * the answer is a 503 with Retry-After, as for a render the pool refuses;
 * after it, the rows wait for the next tick of the stream to ask again.
 */
static void
ngx_http_smallpt_fanout_full(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    ngx_http_smallpt_fanout_t  *fo;

    fo = ctx->fanout;

    if (ctx->streaming) {
        if (!fo->full) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "smallpt: thread pool \"%V\" is full, rows "
                          "%d-%d wait to be encoded", &ctx->pool->name,
                          fo->encode_first,
                          fo->encode_first + fo->encode_rows - 1);
        }

        /* non-cancelable: an exiting worker finishes the answer */
        fo->full = 1;
        fo->retry.handler = ngx_http_smallpt_fanout_retry;
        fo->retry.data = r;
        fo->retry.log = r->connection->log;
        ngx_add_timer(&fo->retry, NGX_HTTP_SMALLPT_ENCODE_RETRY);
        return;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "smallpt: thread pool \"%V\" is full, render refused",
                  &ctx->pool->name);

    fo->refused = 1;

    if (!fo->finished) {
        ngx_http_smallpt_fanout_finish(r);
    }
}


/* The rows the pool had no room for: asked again. */
static void
ngx_http_smallpt_fanout_retry(ngx_event_t *ev)
{
    ngx_http_request_t      *r = ev->data;
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);

    ngx_http_set_log_request(r->connection->log, r);

    ngx_http_smallpt_fanout_encode(r, ctx);
    ngx_http_run_posted_requests(r->connection);
}


static void
ngx_http_smallpt_fanout_encode_thread(void *data, ngx_log_t *log)
{
    ngx_http_smallpt_ctx_t  *ctx = data;

    ngx_http_smallpt_task_begun(ctx->request, ctx->pool);

    ngx_http_smallpt_stream_rows(ctx, ctx->fanout->encode_first,
                                 ctx->fanout->encode_rows);
}


/* In the event loop: the rows are encoded; send them, encode the next. */
static void
ngx_http_smallpt_fanout_encoded(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r = ev->data;
    ngx_http_smallpt_ctx_t     *ctx;
    ngx_http_smallpt_fanout_t  *fo;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    fo = ctx->fanout;

    ngx_http_set_log_request(c->log, r);

    fo->encoding = 0;
    r->main->blocked--;

    if (fo->terminated) {
        /* nginx waited for this task to free the request */
        ngx_http_finalize_request(r, NGX_ERROR);
        ngx_http_run_posted_requests(c);
        return;
    }

    if (fo->finished) {
        /* the answer, whole or cut, or an error status */
        ngx_http_smallpt_fanout_respond(r);

    } else if (ctx->stream_rc != SMALLPT_OK) {
        /* the encoder failed: the bands still out are for nothing */
        ngx_http_smallpt_fanout_finish(r);

    } else if (ctx->streaming) {
        ngx_http_smallpt_stream_flush(r, ctx);
        ngx_http_smallpt_fanout_encode(r, ctx);

    } else {
        /* the first band's rows: the headers go with them */
        if (ngx_http_smallpt_stream_start(r, ctx) != NGX_OK) {
            /* the bands are for nobody now */
            fo->unsent = 1;
            ngx_http_smallpt_fanout_finish(r);

        } else {
            ngx_http_smallpt_fanout_encode(r, ctx);
        }
    }

    ngx_http_run_posted_requests(c);
}


/* Stops a band's try in flight: its upstream ends, the server sees it. */
static void
ngx_http_smallpt_band_cancel(ngx_http_smallpt_band_t *band)
{
    ngx_http_request_t   *sr;
    ngx_http_upstream_t  *u;

    sr = band->sr;
    if (sr == NULL) {
        return;
    }

    band->sr = NULL;
    band->front->fanout->pending--;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "smallpt: band %ui cancelled", band->index);

    u = sr->upstream;

    if (u != NULL && u->cleanup != NULL) {
        /* as nginx does when a request is terminated */
        (*u->cleanup)(sr);
    }
}


/*
 * Every band is in, or one gave up, or time is up: stop the others and
 * answer. Runs in a subrequest's finalization or a timer, so the answer
 * is posted to run after it.
 */
static void
ngx_http_smallpt_fanout_finish(ngx_http_request_t *r)
{
    ngx_uint_t                  i;
    ngx_http_smallpt_ctx_t     *ctx;
    ngx_http_smallpt_fanout_t  *fo;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    fo = ctx->fanout;

    fo->finished = 1;
    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS,
                                   -1);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: fan-out over, %ui of %ui bands in%s%s",
                   fo->ndone, fo->nbands,
                   fo->failed != NULL ? ", one failed" : "",
                   fo->timed_out ? ", time is up" : "");

    /* fo->timer goes on: the answer may yet wait for the pool's room */

    for (i = 0; i < fo->nbands; i++) {
        ngx_http_smallpt_band_cancel(&fo->bands[i]);
    }

    r->write_event_handler = ngx_http_smallpt_fanout_respond;

    if (ngx_http_post_request(r, NULL) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


static void
ngx_http_smallpt_fanout_respond(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_smallpt_ctx_t     *ctx;
    ngx_http_smallpt_fanout_t  *fo;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    fo = ctx->fanout;

    r->write_event_handler = ngx_http_request_empty_handler;

    if (fo->terminated) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (fo->stream && !fo->unsent) {
        if (fo->failed == NULL && !fo->timed_out) {
            ngx_http_smallpt_fanout_encode(r, ctx);
        }

        if (fo->encoding || (fo->full && fo->failed == NULL
                             && !fo->timed_out))
        {
            /* its end calls this again, after the retry if need be */
            return;
        }

        if (fo->retry.timer_set) {
            ngx_del_timer(&fo->retry);
        }

        if (!ctx->streaming && fo->failed == NULL && !fo->timed_out
            && !fo->refused && ctx->stream_rc == SMALLPT_OK
            && ngx_http_smallpt_stream_start(r, ctx) != NGX_OK)
        {
            /* every band came before any was sent: the headers failed */
            fo->unsent = 1;
        }
    }

    /* the answer is made now: the fan-out's time limit is over */
    if (fo->timer.timer_set) {
        ngx_del_timer(&fo->timer);
    }

    if (fo->unsent) {
        /*
         * sending failed (the client is gone), or the headers could not
         * be made: nothing more can go
         */
        ngx_http_smallpt_stream_stop(ctx);
        ngx_http_smallpt_metrics_outcome(r, ctx->streaming
                                            ? SMALLPT_OUTCOME_CANCELLED
                                            : SMALLPT_OUTCOME_FAILED);
        ngx_http_finalize_request(r, ctx->streaming
                                     ? NGX_ERROR
                                     : NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ctx->streaming) {
        ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_DONE);

        if (fo->failed == NULL && !fo->timed_out && ctx->stream_done
            && ctx->error == 0)
        {
            /* from the bands asked to the last one encoded */
            ctx->encoded = 1;
            ngx_http_smallpt_metrics_observe(r,
                                             NGX_HTTP_SMALLPT_RENDER_SECONDS,
                                             &ctx->started_at,
                                             &ctx->finished_at);
            ngx_http_smallpt_hold_output(r, ctx);
        }

        /* every row is encoded, or none will be: the pixels go now */
        ngx_pfree(r->pool, ctx->job.rgb);

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            r->keepalive = 0;
        }

        ngx_http_finalize_request(r,
            ngx_http_smallpt_stream_end(r, ctx,
                fo->timed_out ? "render time limit exceeded waiting for bands"
                : fo->failed != NULL ? "a band of the image could not be "
                                       "rendered"
                : NULL));
        return;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (fo->refused) {
        ngx_http_finalize_request(r, ngx_http_smallpt_refuse(r));
        return;
    }

    if (fo->timed_out) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_TIMED_OUT);
        ngx_http_finalize_request(r,
            ngx_http_smallpt_send_error(r, NGX_HTTP_GATEWAY_TIME_OUT,
                                        "render time limit exceeded "
                                        "waiting for bands"));
        return;
    }

    if (fo->failed != NULL) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
        ngx_http_finalize_request(r,
            ngx_http_smallpt_send_error(r, NGX_HTTP_BAD_GATEWAY,
                                        "a band of the image could not "
                                        "be rendered"));
        return;
    }

    if (fo->stream) {
        /* the encoder failed before a byte was sent */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smallpt: cannot encode %dx%d spp %d: %s",
                      ctx->query.width, ctx->query.height,
                      smallpt_effective_spp(ctx->query.spp),
                      smallpt_strerror(ctx->stream_rc));
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* every row is in the image: encode it in the thread pool */
    ctx->encode_only = 1;

    rc = ngx_http_smallpt_schedule(r, ctx);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static void
ngx_http_smallpt_fanout_timeout(ngx_event_t *ev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r = ev->data;
    ngx_http_smallpt_ctx_t     *ctx;
    ngx_http_smallpt_fanout_t  *fo;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    fo = ctx->fanout;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    fo->timed_out = 1;
    ctx->timed_out = 1;

    if (fo->finished) {
        /* the bands are in; their rows wait for the pool's room */
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "smallpt: render time limit exceeded waiting for "
                      "the thread pool, %dx%d spp %d", ctx->query.width,
                      ctx->query.height,
                      smallpt_effective_spp(ctx->query.spp));

        if (fo->retry.timer_set) {
            ngx_del_timer(&fo->retry);
        }

        if (!fo->encoding) {
            ngx_http_smallpt_fanout_respond(r);
        }

        ngx_http_run_posted_requests(c);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, c->log, 0,
                  "smallpt: render time limit exceeded with %ui of %ui "
                  "bands in, cancelling %dx%d spp %d", fo->ndone,
                  fo->nbands, ctx->query.width, ctx->query.height,
                  smallpt_effective_spp(ctx->query.spp));

    ngx_http_smallpt_fanout_finish(r);
    ngx_http_run_posted_requests(c);
}


/* The client went away, or the worker stops: nothing may be left behind. */
static void
ngx_http_smallpt_fanout_terminated(void *data)
{
    ngx_http_smallpt_ctx_t  *ctx = data;

    ngx_uint_t                  i;
    ngx_http_smallpt_fanout_t  *fo;

    fo = ctx->fanout;

    if (fo == NULL || fo->terminated) {
        return;
    }

    if (fo->finished) {
        /*
         * every band is in, or one gave up; the request is freed, or
         * terminated while its rows wait for the pool's room (nothing
         * holds it then: nginx frees it now) or are in the pool (the
         * task's end finalizes it): no timer may fire on it any more
         */
        if (!fo->full && !fo->encoding) {
            return;
        }

        ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log, 0,
                      "smallpt: request terminated, its last rows not "
                      "encoded yet");

        fo->terminated = 1;

        if (fo->retry.timer_set) {
            ngx_del_timer(&fo->retry);
        }

        if (fo->timer.timer_set) {
            ngx_del_timer(&fo->timer);
        }

        ngx_http_smallpt_stream_stop(ctx);
        ngx_http_smallpt_metrics_outcome(ctx->request,
                                         SMALLPT_OUTCOME_CANCELLED);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log, 0,
                  "smallpt: request terminated, cancelling %ui bands",
                  fo->pending);

    ngx_http_smallpt_metrics_outcome(ctx->request, SMALLPT_OUTCOME_CANCELLED);

    fo->finished = 1;
    fo->terminated = 1;

    if (fo->timer.timer_set) {
        ngx_del_timer(&fo->timer);
    }

    if (fo->retry.timer_set) {
        ngx_del_timer(&fo->retry);
    }

    ngx_http_smallpt_stream_stop(ctx);

    /* the upstreams' own cleanups (run too) close the band connections */
    for (i = 0; i < fo->nbands; i++) {
        fo->bands[i].sr = NULL;
    }

    fo->pending = 0;
}


/*
 * The band r is a try of, if r is a band's subrequest: its post-subrequest
 * handler says so, whatever location the band location's answer took it to
 * (X-Accel-Redirect, error_page) or whatever module rendered it there.
 */
static ngx_http_smallpt_band_t *
ngx_http_smallpt_band_of(ngx_http_request_t *r)
{
    if (r->post_subrequest != NULL
        && r->post_subrequest->handler == ngx_http_smallpt_band_done)
    {
        return r->post_subrequest->data;
    }

    return NULL;
}


/* 1 if r is a band's subrequest or a subrequest of one: it fans out not. */
ngx_uint_t
ngx_http_smallpt_in_band(ngx_http_request_t *r)
{
    for ( /* void */ ; r != NULL; r = r->parent) {
        if (ngx_http_smallpt_band_of(r) != NULL) {
            return 1;
        }
    }

    return 0;
}


/* A band's answer, before its bytes: is it the band asked for? */
static ngx_int_t
ngx_http_smallpt_band_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t          *etag;
    ngx_http_smallpt_band_t  *band;

    band = ngx_http_smallpt_band_of(r);

    if (band == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (band->sr != r) {
        /* a try given up on: its answer goes nowhere */
        r->filter_need_in_memory = 1;
        return NGX_OK;
    }

    band->status = r->headers_out.status;
    etag = r->headers_out.etag;

    if (band->status != NGX_HTTP_OK) {
        band->problem = "not 200";

    } else if (etag == NULL
               || etag->value.len != ngx_strlen(band->etag)
               || ngx_strncmp(etag->value.data, band->etag, etag->value.len)
                  != 0)
    {
        /* another version, size or spp: not these rows of this image */
        band->problem = "another ETag";

    } else if (r->headers_out.content_length_n != -1
               && (size_t) r->headers_out.content_length_n != band->size)
    {
        band->problem = "another length";
    }

    /* the copy filter above turns file buffers into memory for this one */
    r->filter_need_in_memory = 1;

    return NGX_OK;
}


/* A band's bytes go to their place in the image, and no further. */
static ngx_int_t
ngx_http_smallpt_band_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                    len, room;
    u_char                   *to;
    ngx_uint_t                last;
    ngx_chain_t              *cl;
    ngx_http_smallpt_ctx_t   *ctx;
    ngx_http_smallpt_band_t  *band;

    band = ngx_http_smallpt_band_of(r);

    if (band == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    last = 0;

    for (cl = in; cl != NULL; cl = cl->next) {

        last |= cl->buf->last_in_chain;

        if (band->sr == r && band->problem == NULL) {

            if (cl->buf->in_file && !ngx_buf_in_memory(cl->buf)) {
                band->problem = "answer in a file";

            } else {
                len = cl->buf->last - cl->buf->pos;
                room = band->size - ngx_min(band->received, band->size);

                if (len > room) {
                    band->problem = "too long";
                    len = room;
                }

                to = band->front->job.rgb
                     + (size_t) band->front->query.width * 3
                       * (size_t) (band->first_row
                                   - band->front->query.first_row)
                     + band->received;

                ngx_memcpy(to, cl->buf->pos, len);
                band->received += len;
            }
        }

        /* consumed: whoever wrote it may reuse the buffer */
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    /*
     * a band the band location rendered here (`smallpt;`): its image is
     * copied, and its memory goes now, not with the front's request,
     * whose pool the subrequest shares
     */
    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);

    if (last && ctx != NULL && ctx->encoded) {
        ngx_http_smallpt_release_output(ctx);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_smallpt_fanout_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_smallpt_band_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_smallpt_band_body_filter;

    return NGX_OK;
}


/* smallpt_fanout URI [bands=N] [retries=N]; */
char *
ngx_http_smallpt_fanout_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smallpt_loc_conf_t *slcf = conf;

    ngx_int_t                  n;
    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->fanout_uri.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: invalid URI \"%V\" in "
                           "\"smallpt_fanout\": it must start with \"/\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->exact_match && clcf->name.len == value[1].len
        && ngx_strncmp(clcf->name.data, value[1].data, value[1].len) == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: \"smallpt_fanout %V\" names its own "
                           "location: its bands would fan out again",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    slcf->fanout_uri = value[1];

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "bands=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (n < 1 || n > SMALLPT_MAX_BANDS) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "smallpt: invalid \"%V\": bands must "
                                   "be 1 to %d", &value[i],
                                   SMALLPT_MAX_BANDS);
                return NGX_CONF_ERROR;
            }

            slcf->fanout_bands = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "retries=", 8) == 0) {
            n = ngx_atoi(value[i].data + 8, value[i].len - 8);

            if (n == NGX_ERROR || n > 100) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "smallpt: invalid \"%V\": retries must "
                                   "be 0 to 100", &value[i]);
                return NGX_CONF_ERROR;
            }

            slcf->fanout_retries = (ngx_uint_t) n;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* The fan-out's bands, retries, and its slowest band's seconds. */
ngx_int_t
ngx_http_smallpt_fanout_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                     *p;
    ngx_msec_t                  ms;
    ngx_http_smallpt_ctx_t     *ctx;
    ngx_http_smallpt_fanout_t  *fo;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);

    if (ctx == NULL || ctx->fanout == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    fo = ctx->fanout;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    switch (data) {

    case NGX_HTTP_SMALLPT_VAR_BANDS:
        v->len = ngx_sprintf(p, "%ui", fo->nbands)
                 - p;
        break;

    case NGX_HTTP_SMALLPT_VAR_BAND_RETRIES:
        v->len = ngx_sprintf(p, "%ui", fo->retries)
                 - p;
        break;

    default: /* NGX_HTTP_SMALLPT_VAR_BAND_TIME */
        ms = fo->slowest;
        v->len = ngx_sprintf(p, "%M.%03M", ms / 1000, ms % 1000) - p;
    }

    return ngx_http_smallpt_value(v, p, v->len);
}
