
/*
 * ngx_http_smallpt_module: a request's tasks in nginx's thread pool. A
 * render's tasks take rows from one job until none is left (a fan-out
 * front posts one task, which encodes the pixels its bands brought); the
 * thread that finishes the last row encodes the image; the event loop
 * answers once every task is back. Meanwhile the request is "blocked" for
 * nginx, so that nothing frees its memory under the threads. This file
 * also keeps the module's count of each pool's queue, and of the
 * finished images that wait for their clients.
 *
 * nginx counts a main request's blocking operations in 8 bits
 * (r->main->blocked): a page whose subrequests start more renders than
 * that would wrap it, and a terminated page would then be freed under live
 * tasks. So each page keeps at most NGX_HTTP_SMALLPT_PAGE_RENDERS of its
 * renders in the pool; the others wait for their turn, in order.
 */


#include "ngx_http_smallpt_module.h"


#define NGX_HTTP_SMALLPT_PAGE_RENDERS  64

/* How long what a refusal taught of a pool's queue is kept, in ms. */
#define NGX_HTTP_SMALLPT_POOL_LEARNED  10000


static ngx_http_smallpt_page_t *ngx_http_smallpt_get_page(
    ngx_http_request_t *r);
static void ngx_http_smallpt_page_cleanup(void *data);
static ngx_int_t ngx_http_smallpt_post(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static void ngx_http_smallpt_next(ngx_http_smallpt_page_t *page);
static void ngx_http_smallpt_stream_or_cancel(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static void ngx_http_smallpt_thread(void *data, ngx_log_t *log);
static int ngx_http_smallpt_terminating(void *data);
static void ngx_http_smallpt_task_done(ngx_event_t *ev);
static void ngx_http_smallpt_timeout(ngx_event_t *ev);
static void ngx_http_smallpt_terminated(void *data);
static void ngx_http_smallpt_free_output(void *data);
static void ngx_http_smallpt_respond(ngx_http_request_t *r);
static ngx_int_t ngx_http_smallpt_outcome(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);


/*
 * Posts the render (or, with ctx->encode_only, the encoding of pixels
 * already in ctx->job.rgb) to the thread pool, or makes it wait its turn:
 * NGX_DONE, or the status to answer with now. The request is answered
 * when the tasks are back: the content handler that gets NGX_DONE counts
 * the request (r->main->count++) for that answer.
 */
ngx_int_t
ngx_http_smallpt_schedule(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_http_smallpt_page_t      *page;
    ngx_http_smallpt_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    page = ngx_http_smallpt_get_page(r);
    if (page == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_smallpt_add_cleanups(r, ctx, ngx_http_smallpt_terminated)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->page = page;
    ctx->pool = slcf->pool;

    if (page->active >= NGX_HTTP_SMALLPT_PAGE_RENDERS) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "smallpt: %ui renders of this page in the pool, "
                       "waiting", page->active);

        ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_WAITING);
        ngx_queue_insert_tail(&page->waiting, &ctx->queue);

    } else {
        rc = ngx_http_smallpt_post(r, ctx);
        if (rc != NGX_DONE) {
            return rc;
        }

        ngx_http_smallpt_stream_or_cancel(r, ctx);
    }

    r->write_event_handler = ngx_http_smallpt_respond;

    ngx_http_smallpt_watch_client(r);

    return NGX_DONE;
}


/* The render's state changes, as the debug log tells. */
void
ngx_http_smallpt_set_state(ngx_http_smallpt_ctx_t *ctx,
    ngx_http_smallpt_state_e state)
{
    static const char  *names[] = {
        "parsed", "fanning", "waiting", "rendering", "done"
    };

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "smallpt: %s -> %s", names[ctx->state], names[state]);

    ctx->state = state;
}


/*
 * While a render runs for r: a client that goes away is noticed, and its
 * render cancelled. It may have gone before this handler was set, its end
 * already reported to another (the kernel says it once): look at once.
 */
void
ngx_http_smallpt_watch_client(ngx_http_request_t *r)
{
    ngx_event_t  *rev;

    r->read_event_handler = ngx_http_test_reading;

    rev = r->connection->read;

    if ((rev->pending_eof || rev->ready) && !rev->posted) {
        ngx_post_event(rev, &ngx_posted_events);
    }
}


/*
 * The pixels of the image or band ctx->query describes, from the request's
 * pool, and the job that renders them; the encoded image's size limit.
 */
ngx_int_t
ngx_http_smallpt_prepare_job(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    int             rows;
    size_t          size;
    u_char         *rgb;
    smallpt_query  *q;

    q = &ctx->query;

    /* the limits were checked against these sizes at configuration */
    rows = smallpt_query_rows(q);
    size = smallpt_rgb_size(q->width, rows);
    ctx->out.limit = smallpt_max_size(q->format, q->width, rows);

    if (size == 0 || ctx->out.limit == 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "smallpt: %dx%d is too large to render", q->width,
                      rows);
        return NGX_ERROR;
    }

    rgb = ngx_palloc(r->pool, size);
    if (rgb == NULL) {
        return NGX_ERROR;
    }

    if (smallpt_job_init(&ctx->job, q->width, q->height, q->spp,
                         q->first_row, q->last_row, rgb)
        != SMALLPT_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "smallpt: cannot render %dx%d spp %d", q->width,
                      q->height, q->spp);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A finished image is kept until its client has read it, however slowly;
 * its pool thread is free for the next render by then. So the images that
 * wait for their clients are counted, per worker, and while they hold
 * smallpt_max_unsent bytes no render starts (503 with Retry-After, and one
 * line): their memory is bounded by the configuration, not by how many
 * clients read slowly. 1 if refused so (the answer is under way).
 */
ngx_int_t
ngx_http_smallpt_unsent_full(ngx_http_request_t *r)
{
    ngx_http_smallpt_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_smallpt_module);

    if (smcf->max_unsent == 0 || smcf->unsent < smcf->max_unsent) {
        return 0;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "smallpt: %uz bytes of images wait for their clients "
                  "(smallpt_max_unsent %uz), render refused", smcf->unsent,
                  smcf->max_unsent);

    return 1;
}


/*
 * The image is encoded: its memory now waits for the client, counted
 * until the request frees it (ngx_http_smallpt_free_output()). A streamed
 * image counts the bytes it filled of what it reserved.
 */
void
ngx_http_smallpt_hold_output(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    ngx_http_smallpt_main_conf_t  *smcf;

    if (ctx->held != 0 || ctx->out.data == NULL) {
        return;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_smallpt_module);

    ctx->held = ctx->streaming ? ctx->out.len : ctx->out.cap;
    ctx->held_by = smcf;
    smcf->unsent += ctx->held;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: %uz bytes of the image wait for the client, "
                   "%uz in all", ctx->held, smcf->unsent);
}


/*
 * What a render leaves to clean: the encoder and its output, malloc()ed,
 * with the request's pool; and `terminated`, run if the request ends
 * early (client gone, shutdown).
 */
ngx_int_t
ngx_http_smallpt_add_cleanups(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, ngx_http_cleanup_pt terminated)
{
    ngx_http_cleanup_t  *cln;
    ngx_pool_cleanup_t  *pcln;

    pcln = ngx_pool_cleanup_add(r->pool, 0);
    if (pcln == NULL) {
        return NGX_ERROR;
    }

    pcln->handler = ngx_http_smallpt_free_output;
    pcln->data = ctx;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = terminated;
    cln->data = ctx;

    return NGX_OK;
}


/* The renders of r's page, kept with the page's (main request's) pool. */
static ngx_http_smallpt_page_t *
ngx_http_smallpt_get_page(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_smallpt_page_t  *page;

    for (cln = r->main->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == ngx_http_smallpt_page_cleanup) {
            return cln->data;
        }
    }

    cln = ngx_pool_cleanup_add(r->main->pool,
                               sizeof(ngx_http_smallpt_page_t));
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_smallpt_page_cleanup;

    page = cln->data;
    page->active = 0;
    ngx_queue_init(&page->waiting);

    return page;
}


/* Marks a page's state among its pool's cleanups; nothing to free. */
static void
ngx_http_smallpt_page_cleanup(void *data)
{
}


/*
 * Posts the render's tasks: NGX_DONE, or what answering took (a refusal
 * is sent at once) or the status to answer with. A refusal the module
 * makes takes no memory: it knows the pool is full before allocating;
 * one nginx makes frees the pixels at once.
 */
static ngx_int_t
ngx_http_smallpt_post(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    ngx_int_t                     i, room, tasks;
    smallpt_query                *q;
    ngx_thread_task_t            *task;
    ngx_http_smallpt_pool_t      *pool;
    ngx_http_smallpt_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    q = &ctx->query;
    pool = ctx->pool;
    tasks = ctx->encode_only ? 1 : slcf->render_threads;

    room = ngx_http_smallpt_pool_room(pool, tasks);

    if (room == 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "smallpt: thread pool \"%V\" is full, render refused",
                      &pool->name);
        return ngx_http_smallpt_refuse(r);
    }

    if (tasks > room) {
        tasks = room;
    }

    if (ctx->encode_only) {
        goto post;
    }

    if (ngx_http_smallpt_unsent_full(r)) {
        return ngx_http_smallpt_refuse(r);
    }

    if (ngx_http_smallpt_prepare_job(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * on a fast shutdown the worker joins the pool's threads before it
     * exits: the render must stop for that, and does within a bounce
     */
    ctx->job.stop = ngx_http_smallpt_terminating;

    /* sent as it renders: a main request's (a subrequest's waits its turn) */
    if (slcf->stream && r == r->main
        && ngx_http_smallpt_stream_prepare(r, ctx) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* each task takes its share of a small band's rows, no more */
    ctx->job.threads = (int) tasks;

    clock_gettime(CLOCK_MONOTONIC, &ctx->posted_at);

post:

    /* the first task is the context's own: only a render takes more */
    task = &ctx->task;

    for (i = 0; i < tasks; i++) {
        if (i > 0) {
            task = ngx_thread_task_alloc(r->pool, 0);
            if (task == NULL) {
                break;
            }
        }

        task->ctx = ctx;
        task->handler = ngx_http_smallpt_thread;
        task->event.data = ctx;
        task->event.handler = ngx_http_smallpt_task_done;

        if (ngx_http_smallpt_post_task(r, pool, task) != NGX_OK) {
            break;
        }

        ctx->pending++;
    }

    if (ctx->pending == 0) {
        if (!ctx->encode_only) {
            ngx_pfree(r->pool, ctx->job.rgb);
        }

        /* nginx's line is this refusal's one line in the error log */
        return ngx_http_smallpt_refuse(r);
    }

    ngx_log_debug6(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: %s %dx%d spp %d %s in %ui tasks",
                   ctx->encode_only ? "encoding" : "rendering", q->width,
                   smallpt_query_rows(q), smallpt_effective_spp(q->spp),
                   smallpt_format_name(q->format), ctx->pending);

    ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_RENDERING);
    ctx->page->active++;

    if (!ctx->encode_only) {
        ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS,
                                       1);
    }

    /* a non-cancelable timer: an exiting worker waits for the render */
    ctx->timer.handler = ngx_http_smallpt_timeout;
    ctx->timer.data = ctx;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer, slcf->time_limit);

    r->main->blocked++;

    /* a streamed answer is written while the tasks run */
    r->aio = ctx->job.ready == NULL;

    return NGX_DONE;
}


/*
 * How many of `tasks` the module may post to pool now, 0 if none: it
 * refuses on its own (the caller says so in the error log) where its own
 * tasks waiting there fill the queue nginx last refused a task of, so
 * that an overload is one line of nginx's, not one a refusal. What it
 * learned is kept NGX_HTTP_SMALLPT_POOL_LEARNED ms at most: other users
 * of the pool (aio threads) may have filled the queue then, and made it
 * look smaller than it is.
 */
ngx_int_t
ngx_http_smallpt_pool_room(ngx_http_smallpt_pool_t *pool, ngx_int_t tasks)
{
    ngx_int_t  room;

    if (pool->capacity >= 0
        && (ngx_msec_int_t) (ngx_current_msec - pool->learned)
           >= NGX_HTTP_SMALLPT_POOL_LEARNED)
    {
        pool->capacity = -1;
    }

    room = pool->capacity < 0 ? tasks
                              : pool->capacity - (ngx_int_t) pool->waiting;

    return room < 1 ? 0 : ngx_min(room, tasks);
}


/*
 * Posts a task to pool, counted among the module's tasks waiting there
 * until a pool thread takes it (ngx_http_smallpt_task_begun()): NGX_OK,
 * or NGX_DECLINED if nginx refused it (its queue is full; nginx has
 * logged "queue overflow"). Every task the module posts goes through
 * here, or its count of the queue would be wrong.
 */
ngx_int_t
ngx_http_smallpt_post_task(ngx_http_request_t *r,
    ngx_http_smallpt_pool_t *pool, ngx_thread_task_t *task)
{
    /* counted first: a pool thread may take the task at once */
    (void) ngx_atomic_fetch_add(&pool->waiting, 1);
    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_TASKS_QUEUED, 1);

    if (ngx_thread_task_post(pool->thread_pool, task) == NGX_OK) {
        return NGX_OK;
    }

    (void) ngx_atomic_fetch_add(&pool->waiting, -1);
    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_TASKS_QUEUED, -1);

    /*
     * the queue holds at least what the module has waiting there: while
     * that much waits, refusals need no post (and no line of nginx's).
     * With none of the module's own waiting, the queue was full of other
     * tasks: that says nothing of its size, and nothing is learned.
     */
    if (pool->waiting > 0) {
        pool->capacity = (ngx_int_t) pool->waiting;
        pool->learned = ngx_current_msec;
    }

    return NGX_DECLINED;
}


/* In a pool thread, first thing: a task of r has left pool's queue. */
void
ngx_http_smallpt_task_begun(ngx_http_request_t *r,
    ngx_http_smallpt_pool_t *pool)
{
    (void) ngx_atomic_fetch_add(&pool->waiting, -1);
    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_TASKS_QUEUED, -1);
}


/* A render of the page is done: the next ones waiting take its place. */
static void
ngx_http_smallpt_next(ngx_http_smallpt_page_t *page)
{
    ngx_int_t                rc;
    ngx_queue_t             *q;
    ngx_http_request_t      *r;
    ngx_http_smallpt_ctx_t  *ctx;

    while (page->active < NGX_HTTP_SMALLPT_PAGE_RENDERS
           && !ngx_queue_empty(&page->waiting))
    {
        q = ngx_queue_head(&page->waiting);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_smallpt_ctx_t, queue);
        r = ctx->request;

        ngx_http_set_log_request(r->connection->log, r);

        rc = ngx_http_smallpt_post(r, ctx);

        if (rc != NGX_DONE) {
            ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_DONE);
            r->write_event_handler = ngx_http_request_empty_handler;
            ngx_http_finalize_request(r, rc);
            continue;
        }

        ngx_http_smallpt_stream_or_cancel(r, ctx);
    }
}


/*
 * A streamed render's tasks are posted: its headers go now. If they
 * cannot, the render is for nobody and is cancelled; and if they could
 * not even be made (out of memory), the answer is a 500 that says so.
 */
static void
ngx_http_smallpt_stream_or_cancel(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    if (ctx->job.ready == NULL
        || ngx_http_smallpt_stream_start(r, ctx) == NGX_OK)
    {
        return;
    }

    if (!ctx->streaming) {
        (void) ngx_atomic_cmp_set(&ctx->error, 0, SMALLPT_ENOMEM);
    }

    smallpt_job_cancel(&ctx->job);
}


/* Runs in a pool thread: renders rows; whoever sees the last one encodes. */
static void
ngx_http_smallpt_thread(void *data, ngx_log_t *log)
{
    int                      rc;
    ngx_http_smallpt_ctx_t  *ctx = data;

    ngx_http_smallpt_task_begun(ctx->request, ctx->pool);

    if (ngx_atomic_cmp_set(&ctx->started, 0, 1)) {
        clock_gettime(CLOCK_MONOTONIC, &ctx->started_at);
    }

    if (ctx->encode_only) {
        ctx->claimed = 1;

    } else {
        rc = smallpt_job_run(&ctx->job);

        if (rc != SMALLPT_OK) {
            /* the first failure; smallpt_job_run() stopped the others */
            if (rc != SMALLPT_ECANCELLED) {
                (void) ngx_atomic_cmp_set(&ctx->error, 0, rc);
            }

            return;
        }

        /* streamed: the rows were encoded as they were handed over */
        if (ctx->job.ready != NULL
            || smallpt_job_rows_done(&ctx->job)
               != smallpt_query_rows(&ctx->query)
            || !ngx_atomic_cmp_set(&ctx->claimed, 0, 1))
        {
            return;
        }
    }

    rc = smallpt_encode(ctx->query.format, ctx->job.rgb, ctx->query.width,
                        smallpt_query_rows(&ctx->query), &ctx->out);

    if (rc != SMALLPT_OK) {
        smallpt_buf_free(&ctx->out);
        (void) ngx_atomic_cmp_set(&ctx->error, 0, rc);
        return;
    }

    clock_gettime(CLOCK_MONOTONIC, &ctx->finished_at);
}


/* Polled in pool threads: the worker was told to stop now (TERM, INT). */
static int
ngx_http_smallpt_terminating(void *data)
{
    return ngx_terminate != 0;
}


/* In the event loop, once per task: the last one wakes the request. */
static void
ngx_http_smallpt_task_done(ngx_event_t *ev)
{
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (--ctx->pending > 0) {
        return;
    }

    ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_DONE);
    ctx->encoded = (ctx->job.ready != NULL ? ctx->stream_done != 0
                                           : ctx->claimed != 0)
                   && ctx->error == 0;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "smallpt: tasks back, %d of %d rows, encoded %d, "
                   "error %d", smallpt_job_rows_done(&ctx->job),
                   smallpt_query_rows(&ctx->query), ctx->encoded,
                   (int) ctx->error);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (!ctx->encode_only) {
        ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS,
                                       -1);
        ngx_http_smallpt_metrics_samples(r, smallpt_job_rows_done(&ctx->job),
                                         ctx->query.width,
                                         smallpt_effective_spp(ctx->query.spp));
    }

    if (ctx->started && !ctx->encode_only) {
        ngx_http_smallpt_metrics_observe(r, NGX_HTTP_SMALLPT_QUEUE_SECONDS,
                                         &ctx->posted_at, &ctx->started_at);
    }

    if (ctx->encoded) {
        ngx_http_smallpt_metrics_observe(r, NGX_HTTP_SMALLPT_RENDER_SECONDS,
                                         &ctx->started_at, &ctx->finished_at);
        ngx_http_smallpt_hold_output(r, ctx);
    }

    /* the pixels are encoded now, or not needed: free them early */
    ngx_pfree(r->pool, ctx->job.rgb);

    if (!ctx->encoded && ctx->error == 0) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "smallpt: render cancelled after %d of %d rows",
                      smallpt_job_rows_done(&ctx->job),
                      smallpt_query_rows(&ctx->query));
    }

    ctx->page->active--;
    r->main->blocked--;
    r->aio = 0;

    /* before this answer, which may free the page with the last request */
    ngx_http_smallpt_next(ctx->page);

    /* ours, or nginx's finalizer if the request was terminated meanwhile */
    r->write_event_handler(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_smallpt_timeout(ngx_event_t *ev)
{
    ngx_http_smallpt_ctx_t  *ctx = ev->data;

    if (!ctx->timed_out) {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "smallpt: render time limit exceeded, cancelling "
                      "%dx%d spp %d", ctx->query.width, ctx->query.height,
                      smallpt_effective_spp(ctx->query.spp));

        ctx->timed_out = 1;
        smallpt_job_cancel(&ctx->job);
    }

    /* still a timer until the tasks are back: an exiting worker waits */
    ngx_add_timer(ev, 1000);
}


/* The request is terminated (client gone, shutdown): stop rendering. */
static void
ngx_http_smallpt_terminated(void *data)
{
    ngx_http_smallpt_ctx_t  *ctx = data;

    switch (ctx->state) {

    case NGX_HTTP_SMALLPT_WAITING:
        ngx_queue_remove(&ctx->queue);
        ngx_http_smallpt_set_state(ctx, NGX_HTTP_SMALLPT_DONE);
        ctx->terminated = 1;
        ngx_http_smallpt_metrics_outcome(ctx->request,
                                         SMALLPT_OUTCOME_CANCELLED);
        break;

    case NGX_HTTP_SMALLPT_RENDERING:
        ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log, 0,
                      "smallpt: request terminated, cancelling the render");

        ctx->terminated = 1;
        smallpt_job_cancel(&ctx->job);
        ngx_http_smallpt_stream_stop(ctx);
        ngx_http_smallpt_metrics_outcome(ctx->request,
                                         SMALLPT_OUTCOME_CANCELLED);
        break;

    default:
        break;
    }
}


/*
 * The encoded image is no longer needed (a band rendered here, copied by
 * the fan-out's filter as it was sent): its memory goes now, not with the
 * front's request, whose pool a subrequest shares.
 */
void
ngx_http_smallpt_release_output(ngx_http_smallpt_ctx_t *ctx)
{
    ngx_http_smallpt_free_output(ctx);
}


/* The encoder's output and state, malloc()ed: freed with the request. */
static void
ngx_http_smallpt_free_output(void *data)
{
    ngx_http_smallpt_ctx_t  *ctx = data;

    if (ctx->held != 0) {
        ctx->held_by->unsent -= ctx->held;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                       "smallpt: %uz bytes of an image freed, %uz in all",
                       ctx->held, ctx->held_by->unsent);

        ctx->held = 0;
    }

    smallpt_buf_free(&ctx->out);

    if (ctx->encoder != NULL) {
        smallpt_encoder_free(ctx->encoder);
        ctx->encoder = NULL;
    }
}


static void
ngx_http_smallpt_respond(ngx_http_request_t *r)
{
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);

    if (ctx->streaming && ctx->state == NGX_HTTP_SMALLPT_RENDERING) {
        /* the client can take more: what nginx holds goes on */
        ngx_http_smallpt_stream_flush(r, ctx);
        return;
    }

    if (r->aio || ctx->state != NGX_HTTP_SMALLPT_DONE) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    /* what the client sent after its headers, left unread while rendering */
    if (!ctx->terminated && ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ngx_http_finalize_request(r, ngx_http_smallpt_outcome(r, ctx));
}


/* The answer to a render whose tasks are all back. */
static ngx_int_t
ngx_http_smallpt_outcome(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    if (ctx->streaming) {
        /* the status is sent: the end, or a cut */
        return ngx_http_smallpt_stream_end(r, ctx, NULL);
    }

    if (ctx->terminated) {
        /*
         * terminated meanwhile (client gone, shutdown), and nginx put its
         * finalizer on another request than this one (a subrequest)
         */
        return NGX_ERROR;
    }

    if (ctx->error != 0) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smallpt: %s of %dx%d spp %d failed: %s",
                      ctx->claimed ? "encoding" : "render",
                      ctx->query.width, smallpt_query_rows(&ctx->query),
                      smallpt_effective_spp(ctx->query.spp),
                      smallpt_strerror((int) ctx->error));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->encoded) {
        return ngx_http_smallpt_send_image(r, ctx);
    }

    if (ctx->timed_out) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_TIMED_OUT);
        return ngx_http_smallpt_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "render time limit exceeded");
    }

    if (ngx_terminate) {
        /* a fast shutdown stopped the render: nobody will read this */
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_CANCELLED);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "smallpt: render stopped without a cause");
    ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}
