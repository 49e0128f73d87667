
/*
 * ngx_http_smallpt_module: what its files share. ngx_http_smallpt_module.c
 * holds the configuration, the content handler (parse, preconditions,
 * then a fan-out or a render) and the variables; the parts below it are
 * listed at the end of this file, in the order a request goes down them.
 */


#ifndef _NGX_HTTP_SMALLPT_MODULE_H_INCLUDED_
#define _NGX_HTTP_SMALLPT_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if !(NGX_THREADS)
#error ngx_http_smallpt_module needs nginx built --with-threads
#endif

#include <ngx_thread_pool.h>

#include "smallpt.h"
#include "smallpt_cpus.h"
#include "smallpt_encode.h"
#include "smallpt_request.h"
#include "ngx_http_smallpt_metrics.h"


/* smallpt_disposition */
#define NGX_HTTP_SMALLPT_INLINE      0
#define NGX_HTTP_SMALLPT_ATTACHMENT  1

/* the variables, by their data */
#define NGX_HTTP_SMALLPT_VAR_SPP           0
#define NGX_HTTP_SMALLPT_VAR_WIDTH         1
#define NGX_HTTP_SMALLPT_VAR_HEIGHT        2
#define NGX_HTTP_SMALLPT_VAR_FORMAT        3
#define NGX_HTTP_SMALLPT_VAR_BANDS         4
#define NGX_HTTP_SMALLPT_VAR_BAND_RETRIES  5
#define NGX_HTTP_SMALLPT_VAR_BAND_TIME     6


/*
 * A worker's view of a thread pool the module renders in: nginx does not
 * say how full a pool is, so the module counts its own tasks waiting there
 * and learns the queue's size, for a while, when nginx refuses one.
 */
typedef struct {
    ngx_thread_pool_t         *thread_pool;
    ngx_str_t                  name;
    ngx_atomic_t               waiting;     /* tasks posted, not begun */
    ngx_int_t                  capacity;    /* -1: not known now */
    ngx_msec_t                 learned;     /* when capacity was */
} ngx_http_smallpt_pool_t;


typedef struct {
    ngx_array_t                pools;       /* ngx_http_smallpt_pool_t * */
    ngx_int_t                  cpus;        /* smallpt_cpus(), read once */
    size_t                     max_unsent;  /* smallpt_max_unsent; 0: none */
    size_t                     unsent;      /* this worker's, held now */
} ngx_http_smallpt_main_conf_t;


typedef struct {
    ngx_thread_pool_t         *thread_pool;
    ngx_http_smallpt_pool_t   *pool;
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
    ngx_flag_t                 stream;
    ngx_str_t                  fanout_uri;  /* empty: render here */
    ngx_uint_t                 fanout_bands;
    ngx_uint_t                 fanout_retries;
} ngx_http_smallpt_loc_conf_t;


/* What a request's render is doing. */
typedef enum {
    NGX_HTTP_SMALLPT_PARSED = 0,    /* nothing started */
    NGX_HTTP_SMALLPT_FANNING,       /* its bands are being rendered */
    NGX_HTTP_SMALLPT_WAITING,       /* for other renders of its page */
    NGX_HTTP_SMALLPT_RENDERING,     /* tasks in the thread pool */
    NGX_HTTP_SMALLPT_DONE           /* every task is back */
} ngx_http_smallpt_state_e;


typedef struct ngx_http_smallpt_band_s    ngx_http_smallpt_band_t;
typedef struct ngx_http_smallpt_fanout_s  ngx_http_smallpt_fanout_t;


/* One page's renders: the main request and its subrequests (SSI). */
typedef struct {
    ngx_uint_t                 active;      /* in the thread pool */
    ngx_queue_t                waiting;     /* ngx_http_smallpt_ctx_t */
} ngx_http_smallpt_page_t;


typedef struct {
    smallpt_query              query;
    char                       etag[SMALLPT_ETAG_SIZE];
    ngx_http_request_t        *request;
    ngx_http_smallpt_state_e   state;

    /* fan-out: the front's bands (ngx_http_smallpt_fanout.c) */
    ngx_http_smallpt_fanout_t *fanout;

    /* the render in the pool: ngx_http_smallpt_task.c */
    smallpt_job                job;
    smallpt_buf                out;         /* the encoded image */
    ngx_http_smallpt_page_t   *page;
    ngx_http_smallpt_pool_t   *pool;
    ngx_queue_t                queue;       /* in page->waiting */
    ngx_thread_task_t          task;        /* the first of its tasks */
    ngx_event_t                timer;
    ngx_uint_t                 pending;     /* tasks not back yet */
    ngx_atomic_t               started;     /* a thread has begun */
    ngx_atomic_t               claimed;     /* a thread encodes: it only */
    ngx_atomic_t               error;       /* SMALLPT_* of a thread */
    struct timespec            posted_at;
    struct timespec            started_at;
    struct timespec            finished_at;

    /* the encoded image's memory, counted while it waits for the client */
    size_t                         held;
    ngx_http_smallpt_main_conf_t  *held_by;

    /* sent as it renders: ngx_http_smallpt_stream.c */
    smallpt_encoder           *encoder;
    unsigned char             *row_done;
    ngx_atomic_t               stream_len;  /* bytes of out ready to send */
    size_t                     sent;        /* bytes of out given to nginx */
    ngx_event_t                stream_timer;
    int                        stream_rc;   /* the encoder's, in a thread */
    ngx_atomic_t               stream_done; /* the last row is encoded */

    unsigned                   encode_only:1; /* the pixels are in */
    unsigned                   streaming:1; /* headers sent, rows follow */
    unsigned                   encoded:1;   /* out holds the image */
    unsigned                   timed_out:1;
    unsigned                   terminated:1;
} ngx_http_smallpt_ctx_t;


/*
 * The parts, each a file, the handler's first: a part calls only the parts
 * listed after it (and the metrics module), never one before it.
 */

/* ngx_http_smallpt_fanout.c: bands rendered by other servers */
char *ngx_http_smallpt_fanout_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_smallpt_fanout_init(ngx_conf_t *cf);
ngx_int_t ngx_http_smallpt_fanout(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
ngx_uint_t ngx_http_smallpt_in_band(ngx_http_request_t *r);
ngx_int_t ngx_http_smallpt_fanout_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* ngx_http_smallpt_task.c: tasks in the thread pool, and their memory */
ngx_int_t ngx_http_smallpt_schedule(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
ngx_int_t ngx_http_smallpt_prepare_job(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
ngx_int_t ngx_http_smallpt_add_cleanups(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, ngx_http_cleanup_pt terminated);
void ngx_http_smallpt_set_state(ngx_http_smallpt_ctx_t *ctx,
    ngx_http_smallpt_state_e state);
void ngx_http_smallpt_watch_client(ngx_http_request_t *r);
ngx_int_t ngx_http_smallpt_pool_room(ngx_http_smallpt_pool_t *pool,
    ngx_int_t tasks);
ngx_int_t ngx_http_smallpt_post_task(ngx_http_request_t *r,
    ngx_http_smallpt_pool_t *pool, ngx_thread_task_t *task);
void ngx_http_smallpt_task_begun(ngx_http_request_t *r,
    ngx_http_smallpt_pool_t *pool);
ngx_int_t ngx_http_smallpt_unsent_full(ngx_http_request_t *r);
void ngx_http_smallpt_hold_output(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
void ngx_http_smallpt_release_output(ngx_http_smallpt_ctx_t *ctx);

/* ngx_http_smallpt_stream.c: an image sent as it renders */
ngx_int_t ngx_http_smallpt_stream_prepare(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
void ngx_http_smallpt_stream_rows(void *data, int first_row, int rows);
ngx_int_t ngx_http_smallpt_stream_start(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
void ngx_http_smallpt_stream_flush(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
ngx_int_t ngx_http_smallpt_stream_end(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, const char *failure);
void ngx_http_smallpt_stream_stop(ngx_http_smallpt_ctx_t *ctx);

/* ngx_http_smallpt_response.c: headers, answers, variables' values */
ngx_int_t ngx_http_smallpt_set_headers(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
ngx_int_t ngx_http_smallpt_set_etag(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
ngx_table_elt_t *ngx_http_smallpt_push_header(ngx_list_t *list,
    const char *name, u_char *value, size_t len);
ngx_int_t ngx_http_smallpt_send_image(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
u_char *ngx_http_smallpt_timing(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx, size_t *len);
ngx_int_t ngx_http_smallpt_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *text);
ngx_int_t ngx_http_smallpt_refuse(ngx_http_request_t *r);
ngx_int_t ngx_http_smallpt_not_allowed(ngx_http_request_t *r);
ngx_int_t ngx_http_smallpt_render_time_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_smallpt_value(ngx_http_variable_value_t *v, u_char *p,
    size_t len);


extern ngx_module_t  ngx_http_smallpt_module;


#endif /* _NGX_HTTP_SMALLPT_MODULE_H_INCLUDED_ */
