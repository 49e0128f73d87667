
/*
 * ngx_http_smallpt_module: renders Kevin Beason's smallpt scene in an nginx
 * thread pool and answers with the image (PNG, or the PPM smallpt.cpp
 * writes). The renderer, the encoders and the parsing of the query string
 * live in tracer/; this file is the glue: parse, schedule, respond.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if !(NGX_THREADS)
#error ngx_http_smallpt_module needs nginx built --with-threads
#endif

#include <ngx_thread_pool.h>

#include "smallpt.h"
#include "smallpt_request.h"
#include "ngx_http_smallpt_metrics.h"


#define NGX_HTTP_SMALLPT_INLINE      0
#define NGX_HTTP_SMALLPT_ATTACHMENT  1

#define NGX_HTTP_SMALLPT_VAR_SPP     0
#define NGX_HTTP_SMALLPT_VAR_WIDTH   1
#define NGX_HTTP_SMALLPT_VAR_HEIGHT  2
#define NGX_HTTP_SMALLPT_VAR_FORMAT  3


typedef struct {
    ngx_thread_pool_t         *thread_pool;
    ngx_str_t                  thread_pool_name;
    ngx_int_t                  max_spp;
    ngx_int_t                  max_width;
    ngx_int_t                  max_height;
    ngx_int_t                  render_threads;
    ngx_uint_t                 format;
    ngx_uint_t                 disposition;
    ngx_msec_t                 time_limit;
    time_t                     retry_after;
    ngx_http_complex_value_t  *filename;
    ngx_flag_t                 enable;
} ngx_http_smallpt_loc_conf_t;


typedef struct {
    smallpt_job                job;
    smallpt_query              query;
    smallpt_buf                out;
    ngx_http_request_t        *request;
    ngx_event_t                timer;
    ngx_uint_t                 pending;
    ngx_atomic_t               started;
    ngx_atomic_t               encoding;
    struct timespec            posted_at;
    struct timespec            started_at;
    struct timespec            finished_at;
    int                        encode_rc;
    char                       etag[SMALLPT_ETAG_SIZE];
    unsigned                   rendering:1;
    unsigned                   rendered:1;
    unsigned                   timed_out:1;
    unsigned                   terminated:1;
} ngx_http_smallpt_ctx_t;


static ngx_int_t ngx_http_smallpt_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_smallpt_start(ngx_http_request_t *r,
    ngx_http_smallpt_loc_conf_t *slcf, ngx_http_smallpt_ctx_t *ctx);
static void ngx_http_smallpt_thread(void *data, ngx_log_t *log);
static int ngx_http_smallpt_terminating(void *data);
static void ngx_http_smallpt_task_done(ngx_event_t *ev);
static void ngx_http_smallpt_timeout(ngx_event_t *ev);
static void ngx_http_smallpt_cleanup(void *data);
static void ngx_http_smallpt_respond(ngx_http_request_t *r);
static ngx_int_t ngx_http_smallpt_send_image(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static ngx_int_t ngx_http_smallpt_set_etag(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static ngx_int_t ngx_http_smallpt_set_headers(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static ngx_int_t ngx_http_smallpt_send_text(ngx_http_request_t *r,
    ngx_uint_t status, const char *text);
static ngx_table_elt_t *ngx_http_smallpt_add_header(ngx_http_request_t *r,
    const char *name, u_char *value, size_t len);
static void ngx_http_smallpt_free_output(void *data);
static double ngx_http_smallpt_ms(struct timespec *from, struct timespec *to);
static ngx_int_t ngx_http_smallpt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smallpt_render_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smallpt_add_variables(ngx_conf_t *cf);
static void *ngx_http_smallpt_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_smallpt_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_smallpt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smallpt_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smallpt_render_threads(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_num_bounds_t  ngx_http_smallpt_spp_bounds = {
    ngx_conf_check_num_bounds, SMALLPT_MIN_SPP, 1000000
};

static ngx_conf_num_bounds_t  ngx_http_smallpt_width_bounds = {
    ngx_conf_check_num_bounds, 1, SMALLPT_MAX_WIDTH
};

static ngx_conf_num_bounds_t  ngx_http_smallpt_height_bounds = {
    ngx_conf_check_num_bounds, 1, SMALLPT_MAX_HEIGHT
};


static ngx_conf_enum_t  ngx_http_smallpt_formats[] = {
    { ngx_string("png"), SMALLPT_FORMAT_PNG },
    { ngx_string("ppm"), SMALLPT_FORMAT_PPM },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_smallpt_dispositions[] = {
    { ngx_string("inline"), NGX_HTTP_SMALLPT_INLINE },
    { ngx_string("attachment"), NGX_HTTP_SMALLPT_ATTACHMENT },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_smallpt_commands[] = {

    { ngx_string("smallpt"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smallpt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smallpt_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smallpt_thread_pool,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smallpt_render_threads"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smallpt_render_threads,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smallpt_max_spp"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, max_spp),
      &ngx_http_smallpt_spp_bounds },

    { ngx_string("smallpt_max_width"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, max_width),
      &ngx_http_smallpt_width_bounds },

    { ngx_string("smallpt_max_height"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, max_height),
      &ngx_http_smallpt_height_bounds },

    { ngx_string("smallpt_time_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, time_limit),
      NULL },

    { ngx_string("smallpt_format"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, format),
      &ngx_http_smallpt_formats },

    { ngx_string("smallpt_disposition"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, disposition),
      &ngx_http_smallpt_dispositions },

    { ngx_string("smallpt_filename"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, filename),
      NULL },

    { ngx_string("smallpt_retry_after"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, retry_after),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_smallpt_module_ctx = {
    ngx_http_smallpt_add_variables,        /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_smallpt_create_loc_conf,      /* create location configuration */
    ngx_http_smallpt_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_smallpt_module = {
    NGX_MODULE_V1,
    &ngx_http_smallpt_module_ctx,          /* module context */
    ngx_http_smallpt_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_smallpt_vars[] = {

    { ngx_string("smallpt_spp"), NULL, ngx_http_smallpt_variable,
      NGX_HTTP_SMALLPT_VAR_SPP, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smallpt_width"), NULL, ngx_http_smallpt_variable,
      NGX_HTTP_SMALLPT_VAR_WIDTH, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smallpt_height"), NULL, ngx_http_smallpt_variable,
      NGX_HTTP_SMALLPT_VAR_HEIGHT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smallpt_format"), NULL, ngx_http_smallpt_variable,
      NGX_HTTP_SMALLPT_VAR_FORMAT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smallpt_render_time"), NULL,
      ngx_http_smallpt_render_time_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_smallpt_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    smallpt_limits                limits;
    ngx_http_smallpt_ctx_t       *ctx;
    ngx_http_smallpt_loc_conf_t  *slcf;
    char                          reason[SMALLPT_REASON_SIZE];

    if (ngx_http_smallpt_metrics_begin(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_BAD_REQUEST);

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_smallpt_add_header(r, "Allow", (u_char *) "GET, HEAD",
                                        sizeof("GET, HEAD") - 1)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_smallpt_send_text(r, NGX_HTTP_NOT_ALLOWED,
                                          "method not allowed; "
                                          "use GET or HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_smallpt_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->query.spp = 4;
    ctx->query.width = 1024;
    ctx->query.height = 768;
    ctx->query.format = (int) slcf->format;

    limits.max_spp = (int) slcf->max_spp;
    limits.max_width = (int) slcf->max_width;
    limits.max_height = (int) slcf->max_height;

    if (smallpt_query_parse(r->args.len ? (char *) r->args.data : "",
                            r->args.len, &limits, &ctx->query, reason)
        != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "smallpt: bad request: %s", reason);
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_BAD_REQUEST);
        return ngx_http_smallpt_send_text(r, NGX_HTTP_BAD_REQUEST, reason);
    }

    ngx_http_set_ctx(r, ctx, ngx_http_smallpt_module);

    smallpt_etag(&ctx->query, ctx->etag);

    /* subrequests share the main request's headers: not its If-None-Match */
    if (r == r->main
        && r->headers_in.if_none_match != NULL
        && smallpt_etag_match((char *) r->headers_in.if_none_match->value.data,
                              r->headers_in.if_none_match->value.len,
                              ctx->etag))
    {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_NOT_MODIFIED);

        r->headers_out.status = NGX_HTTP_NOT_MODIFIED;
        r->header_only = 1;

        rc = ngx_http_smallpt_set_etag(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_send_header(r);
    }

    /* HEAD, and subrequests that want headers only (auth_request) */
    if (r->method == NGX_HTTP_HEAD || r->header_only) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_HEAD);

        rc = ngx_http_smallpt_set_headers(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_send_header(r);
    }

    return ngx_http_smallpt_start(r, slcf, ctx);
}


/* Posts the render's tasks to the thread pool; the request waits for them. */
static ngx_int_t
ngx_http_smallpt_start(ngx_http_request_t *r,
    ngx_http_smallpt_loc_conf_t *slcf, ngx_http_smallpt_ctx_t *ctx)
{
    size_t                 size;
    u_char                *rgb, *value;
    ngx_int_t              i;
    smallpt_query         *q;
    ngx_thread_task_t     *task;
    ngx_http_cleanup_t    *cln;
    ngx_pool_cleanup_t    *pcln;

    q = &ctx->query;
    size = (size_t) q->width * q->height * 3;

    rgb = ngx_palloc(r->pool, size);
    if (rgb == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (smallpt_job_init(&ctx->job, q->width, q->height, q->spp, rgb)
        != SMALLPT_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "smallpt: cannot render %dx%d spp %d", q->width,
                      q->height, q->spp);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * on a fast shutdown the worker joins the pool's threads before it
     * exits: the render must stop for that, and does within a bounce
     */
    ctx->job.stop = ngx_http_smallpt_terminating;

    /* the encoders' output, malloc()ed in a pool thread, bounded */
    ctx->out.limit = q->format == SMALLPT_FORMAT_PPM
                     ? smallpt_ppm_max_size(q->width, q->height)
                     : smallpt_png_max_size(q->width, q->height);

    pcln = ngx_pool_cleanup_add(r->pool, 0);
    if (pcln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pcln->handler = ngx_http_smallpt_free_output;
    pcln->data = &ctx->out;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_smallpt_cleanup;
    cln->data = ctx;

    clock_gettime(CLOCK_MONOTONIC, &ctx->posted_at);

    for (i = 0; i < slcf->render_threads; i++) {
        task = ngx_thread_task_alloc(r->pool, 0);
        if (task == NULL) {
            if (ctx->pending == 0) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            break;
        }

        task->ctx = ctx;
        task->handler = ngx_http_smallpt_thread;
        task->event.data = ctx;
        task->event.handler = ngx_http_smallpt_task_done;

        /* counted first: a pool thread may take the task at once */
        ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_TASKS_QUEUED, 1);

        if (ngx_thread_task_post(slcf->thread_pool, task) != NGX_OK) {
            ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_TASKS_QUEUED,
                                           -1);
            break;
        }

        ctx->pending++;
    }

    if (ctx->pending == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smallpt: thread pool \"%V\" is full, render refused",
                      &slcf->thread_pool_name);

        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_REFUSED);

        if (slcf->retry_after > 0) {
            value = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
            if (value == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            size = ngx_sprintf(value, "%T", slcf->retry_after) - value;
            if (ngx_http_smallpt_add_header(r, "Retry-After", value, size)
                == NULL)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        return ngx_http_smallpt_send_text(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                          "render queue full; "
                                          "try again later");
    }

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "smallpt: rendering %dx%d spp %d %s in %ui tasks",
                   q->width, q->height, smallpt_effective_spp(q->spp),
                   smallpt_format_name(q->format), ctx->pending);

    ctx->rendering = 1;
    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS, 1);

    /* a non-cancelable timer: an exiting worker waits for the render */
    ctx->timer.handler = ngx_http_smallpt_timeout;
    ctx->timer.data = ctx;
    ctx->timer.log = r->connection->log;
    ngx_add_timer(&ctx->timer, slcf->time_limit);

    r->main->blocked++;
    r->main->count++;
    r->aio = 1;

    /* notice a client that goes away, and cancel the render then */
    if (!r->discard_body) {
        r->read_event_handler = ngx_http_test_reading;
    }

    r->write_event_handler = ngx_http_smallpt_respond;

    return NGX_DONE;
}


/* Runs in a pool thread: renders rows; whoever sees the last one encodes. */
static void
ngx_http_smallpt_thread(void *data, ngx_log_t *log)
{
    ngx_http_smallpt_ctx_t  *ctx = data;

    ngx_http_smallpt_metrics_gauge(ctx->request, NGX_HTTP_SMALLPT_TASKS_QUEUED,
                                   -1);

    if (ngx_atomic_cmp_set(&ctx->started, 0, 1)) {
        clock_gettime(CLOCK_MONOTONIC, &ctx->started_at);
    }

    if (smallpt_job_run(&ctx->job) != SMALLPT_OK
        || smallpt_job_rows_done(&ctx->job) != ctx->job.height
        || !ngx_atomic_cmp_set(&ctx->encoding, 0, 1))
    {
        return;
    }

    ctx->encode_rc = ctx->query.format == SMALLPT_FORMAT_PPM
                     ? smallpt_encode_ppm(ctx->job.rgb, ctx->job.width,
                                          ctx->job.height, &ctx->out)
                     : smallpt_encode_png(ctx->job.rgb, ctx->job.width,
                                          ctx->job.height, &ctx->out);

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

    ctx->rendering = 0;
    ctx->rendered = ctx->encoding != 0;

    ngx_http_smallpt_metrics_gauge(r, NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS,
                                   -1);
    ngx_http_smallpt_metrics_samples(r, smallpt_job_rows_done(&ctx->job),
                                     ctx->job.width,
                                     smallpt_effective_spp(ctx->job.spp));

    if (ctx->started) {
        ngx_http_smallpt_metrics_observe(r, NGX_HTTP_SMALLPT_QUEUE_SECONDS,
                                         &ctx->posted_at, &ctx->started_at);
    }

    if (ctx->rendered) {
        ngx_http_smallpt_metrics_observe(r, NGX_HTTP_SMALLPT_RENDER_SECONDS,
                                         &ctx->started_at, &ctx->finished_at);
    }

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    /* the pixels are encoded now, or not needed: free them early */
    ngx_pfree(r->pool, ctx->job.rgb);

    if (!ctx->rendered) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "smallpt: render cancelled after %d of %d rows",
                      smallpt_job_rows_done(&ctx->job), ctx->job.height);
    }

    r->main->blocked--;
    r->aio = 0;

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
ngx_http_smallpt_cleanup(void *data)
{
    ngx_http_smallpt_ctx_t  *ctx = data;

    if (!ctx->rendering) {
        return;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log, 0,
                  "smallpt: request terminated, cancelling the render");

    ctx->terminated = 1;
    smallpt_job_cancel(&ctx->job);

    ngx_http_smallpt_metrics_outcome(ctx->request, SMALLPT_OUTCOME_CANCELLED);
}


static void
ngx_http_smallpt_respond(ngx_http_request_t *r)
{
    ngx_http_smallpt_ctx_t  *ctx;

    if (r->aio) {
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);

    r->write_event_handler = ngx_http_request_empty_handler;

    if (ctx->terminated) {
        /*
         * terminated meanwhile (client gone, shutdown), and nginx put its
         * finalizer on another request than this one (a subrequest)
         */
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_smallpt_send_image(r, ctx));
}


static ngx_int_t
ngx_http_smallpt_send_image(ngx_http_request_t *r, ngx_http_smallpt_ctx_t *ctx)
{
    u_char       *timing;
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (!ctx->rendered) {
        if (ctx->timed_out) {
            ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_TIMED_OUT);
            return ngx_http_smallpt_send_text(r,
                                              NGX_HTTP_SERVICE_UNAVAILABLE,
                                              "render time limit exceeded");
        }

        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "smallpt: render stopped without a cause");
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->encode_rc != SMALLPT_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "smallpt: %s encoding failed: %s",
                      smallpt_format_name(ctx->query.format),
                      smallpt_strerror(ctx->encode_rc));
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* everything that can fail first: an error page gets no image headers */

    timing = ngx_pnalloc(r->pool, sizeof("queue;dur=, render;dur=")
                                  + 2 * (NGX_INT64_LEN + 4));
    if (timing == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_sprintf(timing, "queue;dur=%.3f, render;dur=%.3f",
                      ngx_http_smallpt_ms(&ctx->posted_at, &ctx->started_at),
                      ngx_http_smallpt_ms(&ctx->started_at,
                                          &ctx->finished_at))
          - timing;

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


static ngx_int_t
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


/* 200, Content-Type, ETag and Content-Disposition of the image. */
static ngx_int_t
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


static ngx_table_elt_t *
ngx_http_smallpt_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
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


static void
ngx_http_smallpt_free_output(void *data)
{
    smallpt_buf_free(data);
}


static double
ngx_http_smallpt_ms(struct timespec *from, struct timespec *to)
{
    return (to->tv_sec - from->tv_sec) * 1000.0
           + (to->tv_nsec - from->tv_nsec) / 1000000.0;
}


static ngx_int_t
ngx_http_smallpt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    ngx_int_t                n;
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == NGX_HTTP_SMALLPT_VAR_FORMAT) {
        p = (u_char *) smallpt_format_name(ctx->query.format);
        v->len = ngx_strlen(p);

    } else {
        switch (data) {

        case NGX_HTTP_SMALLPT_VAR_SPP:
            n = smallpt_effective_spp(ctx->query.spp);
            break;

        case NGX_HTTP_SMALLPT_VAR_WIDTH:
            n = ctx->query.width;
            break;

        default: /* NGX_HTTP_SMALLPT_VAR_HEIGHT */
            n = ctx->query.height;
        }

        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(p, "%i", n) - p;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


/* Seconds from the first row begun to the image encoded, as "1.234". */
static ngx_int_t
ngx_http_smallpt_render_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                  *p;
    ngx_http_smallpt_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_smallpt_module);
    if (ctx == NULL || !ctx->rendered) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%.3f",
                         ngx_http_smallpt_ms(&ctx->started_at,
                                             &ctx->finished_at) / 1000)
             - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_smallpt_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_smallpt_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_smallpt_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_smallpt_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smallpt_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->thread_pool_name = { 0, NULL };
     */

    conf->thread_pool = NGX_CONF_UNSET_PTR;
    conf->max_spp = NGX_CONF_UNSET;
    conf->max_width = NGX_CONF_UNSET;
    conf->max_height = NGX_CONF_UNSET;
    conf->render_threads = NGX_CONF_UNSET;
    conf->format = NGX_CONF_UNSET_UINT;
    conf->disposition = NGX_CONF_UNSET_UINT;
    conf->time_limit = NGX_CONF_UNSET_MSEC;
    conf->retry_after = NGX_CONF_UNSET;
    conf->filename = NGX_CONF_UNSET_PTR;
    conf->enable = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_smallpt_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_smallpt_loc_conf_t *prev = parent;
    ngx_http_smallpt_loc_conf_t *conf = child;

    ngx_conf_merge_ptr_value(conf->thread_pool, prev->thread_pool, NULL);
    ngx_conf_merge_str_value(conf->thread_pool_name, prev->thread_pool_name,
                             "default");
    ngx_conf_merge_value(conf->max_spp, prev->max_spp, 1024);
    ngx_conf_merge_value(conf->max_width, prev->max_width, 2048);
    ngx_conf_merge_value(conf->max_height, prev->max_height, 2048);
    ngx_conf_merge_value(conf->render_threads, prev->render_threads,
                         smallpt_cpus());
    ngx_conf_merge_uint_value(conf->format, prev->format,
                              SMALLPT_FORMAT_PNG);
    ngx_conf_merge_uint_value(conf->disposition, prev->disposition,
                              NGX_HTTP_SMALLPT_INLINE);
    ngx_conf_merge_msec_value(conf->time_limit, prev->time_limit, 60000);
    ngx_conf_merge_sec_value(conf->retry_after, prev->retry_after, 1);
    ngx_conf_merge_ptr_value(conf->filename, prev->filename, NULL);
    ngx_conf_merge_value(conf->enable, prev->enable, 0);

    if (conf->time_limit == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: \"smallpt_time_limit\" must be more "
                           "than 0");
        return NGX_CONF_ERROR;
    }

    /* only a location that renders needs a pool (and creates "default") */
    if (conf->enable && conf->thread_pool == NULL) {
        conf->thread_pool = ngx_thread_pool_add(cf, NULL);
        if (conf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_smallpt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smallpt_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    slcf->enable = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_smallpt_handler;

    return ngx_http_smallpt_metrics_add_location(cf);
}


static char *
ngx_http_smallpt_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smallpt_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->thread_pool != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: empty thread pool name");
        return NGX_CONF_ERROR;
    }

    /* an unknown name fails at the end of the configuration */
    slcf->thread_pool = ngx_thread_pool_add(cf, &value[1]);
    if (slcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    slcf->thread_pool_name = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_smallpt_render_threads(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_smallpt_loc_conf_t *slcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (slcf->render_threads != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "auto") == 0) {
        slcf->render_threads = smallpt_cpus();
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n < 1 || n > 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: invalid smallpt_render_threads \"%V\", "
                           "expected \"auto\" or 1 to 1024", &value[1]);
        return NGX_CONF_ERROR;
    }

    slcf->render_threads = n;

    return NGX_CONF_OK;
}
