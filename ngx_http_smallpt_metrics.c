
/*
 * ngx_http_smallpt_metrics_module: the renderer's counters, histograms and
 * gauges in a shared memory zone, served in the Prometheus text format by
 * `smallpt_metrics;`. Updates are atomic additions, from any worker and any
 * pool thread, and nothing takes a lock: the endpoint never waits for a
 * render. The text itself is written by service/metrics.c.
 *
 * The zone has one size whatever the configuration, so that a reload finds
 * it again (nginx reuses a zone of the same name, size and tag, and hands
 * init the previous cycle's data): counts go on across reloads, and a new
 * location's series is added to it.
 *
 * Gauges are kept per worker process: a worker that dies (a crash, the
 * OOM killer) cannot leave a render "in progress" forever; its share is
 * left out once its process is gone, and the process that takes its place
 * reuses the slot.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <nginx.h>

#include "smallpt.h"
#include "smallpt_metrics.h"
#include "ngx_http_smallpt_metrics.h"


/* label values (series) one zone holds, over all reloads since start */
#define NGX_HTTP_SMALLPT_METRICS_SERIES    64

/* worker processes alive at once with slots of their own (others share) */
#define NGX_HTTP_SMALLPT_METRICS_PROCS     64

#define NGX_HTTP_SMALLPT_METRICS_GAUGES    2

/* a slot's pid while a process claims it */
#define NGX_HTTP_SMALLPT_METRICS_CLAIMING  ((ngx_atomic_uint_t) -1)


/* One series's counters, in shared memory. */
typedef struct {
    ngx_atomic_t                      outcomes[SMALLPT_OUTCOMES];
    ngx_atomic_t                      samples;
    ngx_atomic_t                      bytes[3];
    ngx_atomic_t                      render[SMALLPT_METRICS_BUCKETS];
    ngx_atomic_t                      render_us;
    ngx_atomic_t                      queue[SMALLPT_METRICS_BUCKETS];
    ngx_atomic_t                      queue_us;
    ngx_atomic_t                      bands[SMALLPT_BANDS];
    size_t                            name_len;
    u_char                            name[SMALLPT_METRICS_LABEL_MAX];
} ngx_http_smallpt_metrics_counters_t;


/* One worker's gauges, per series; only its own process changes them. */
typedef struct {
    ngx_atomic_t                      pid;
    ngx_atomic_t                      gauges[NGX_HTTP_SMALLPT_METRICS_SERIES]
                                            [NGX_HTTP_SMALLPT_METRICS_GAUGES];
} ngx_http_smallpt_metrics_proc_t;


typedef struct {
    ngx_uint_t                        nseries;
    ngx_http_smallpt_metrics_counters_t
                                      series[NGX_HTTP_SMALLPT_METRICS_SERIES];
    ngx_http_smallpt_metrics_proc_t   procs[NGX_HTTP_SMALLPT_METRICS_PROCS];
    ngx_http_smallpt_metrics_proc_t   shared;   /* when all slots are taken */
} ngx_http_smallpt_metrics_sh_t;


/* A label value of this configuration and its series in the zone. */
typedef struct {
    ngx_str_t                         name;
    ngx_uint_t                        index;
} ngx_http_smallpt_metrics_entry_t;


typedef struct {
    ngx_array_t                       entries;
    ngx_uint_t                        exporters;
    ngx_shm_zone_t                   *zone;
    ngx_http_smallpt_metrics_sh_t    *sh;
} ngx_http_smallpt_metrics_main_conf_t;


typedef struct {
    ngx_str_t                         name;
    ngx_str_t                         location;
    ngx_uint_t                        entry;
    ngx_flag_t                        renders;
    ngx_flag_t                        exporter;
} ngx_http_smallpt_metrics_loc_conf_t;


/* One request to a rendering location, until it is freed. */
typedef struct {
    ngx_http_request_t               *request;
    ngx_http_smallpt_metrics_counters_t
                                     *counters;
    ngx_http_smallpt_metrics_proc_t  *proc;
    ngx_uint_t                        index;
    ngx_uint_t                        outcome;
    ngx_atomic_t                      held[NGX_HTTP_SMALLPT_METRICS_GAUGES];
} ngx_http_smallpt_metrics_req_t;


static void ngx_http_smallpt_metrics_count(void *data);
static ngx_http_smallpt_metrics_proc_t *ngx_http_smallpt_metrics_proc(
    ngx_http_smallpt_metrics_sh_t *sh, ngx_log_t *log);
static ngx_uint_t ngx_http_smallpt_metrics_alive(ngx_atomic_uint_t pid);
static ngx_int_t ngx_http_smallpt_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_smallpt_metrics_snapshot(ngx_http_request_t *r,
    ngx_http_smallpt_metrics_main_conf_t *mcf,
    smallpt_metrics_series *series);
static ngx_int_t ngx_http_smallpt_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_smallpt_metrics_init(ngx_conf_t *cf);
static void *ngx_http_smallpt_metrics_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_smallpt_metrics_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_smallpt_metrics_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_smallpt_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smallpt_metrics_name(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_http_smallpt_metrics_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_smallpt_metrics_commands[] = {

    { ngx_string("smallpt_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_smallpt_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smallpt_metrics_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_smallpt_metrics_name,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_smallpt_metrics_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_smallpt_metrics_init,         /* postconfiguration */

    ngx_http_smallpt_metrics_create_main_conf,
                                           /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_smallpt_metrics_create_loc_conf,
                                           /* create location configuration */
    ngx_http_smallpt_metrics_merge_loc_conf
                                           /* merge location configuration */
};


ngx_module_t  ngx_http_smallpt_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_smallpt_metrics_module_ctx,  /* module context */
    ngx_http_smallpt_metrics_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_smallpt_metrics_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_smallpt_metrics_zone_name =
    ngx_string("smallpt_metrics");

/* this process's gauge slot, and the zone it is in */
static ngx_http_smallpt_metrics_sh_t    *ngx_http_smallpt_metrics_proc_sh;
static ngx_http_smallpt_metrics_proc_t  *ngx_http_smallpt_metrics_proc_slot;


char *
ngx_http_smallpt_metrics_add_location(ngx_conf_t *cf)
{
    ngx_http_core_loc_conf_t             *clcf;
    ngx_http_smallpt_metrics_loc_conf_t  *mlcf;

    mlcf = ngx_http_conf_get_module_loc_conf(cf,
                                             ngx_http_smallpt_metrics_module);
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    mlcf->renders = 1;
    mlcf->location = clcf->name;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_smallpt_metrics_begin(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t                    *cln;
    ngx_http_smallpt_metrics_req_t        *mr;
    ngx_http_smallpt_metrics_entry_t      *entry;
    ngx_http_smallpt_metrics_loc_conf_t   *mlcf;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_smallpt_metrics_module);
    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_metrics_module);

    if (mcf->sh == NULL || mlcf->entry == NGX_CONF_UNSET_UINT) {
        return NGX_OK;
    }

    /* counted when the request's pool goes: once, whatever the path */
    cln = ngx_pool_cleanup_add(r->pool,
                               sizeof(ngx_http_smallpt_metrics_req_t));
    if (cln == NULL) {
        return NGX_ERROR;
    }

    entry = mcf->entries.elts;

    mr = cln->data;
    ngx_memzero(mr, sizeof(ngx_http_smallpt_metrics_req_t));

    mr->request = r;
    mr->index = entry[mlcf->entry].index;
    mr->counters = &mcf->sh->series[mr->index];
    mr->proc = ngx_http_smallpt_metrics_proc(mcf->sh, r->connection->log);
    mr->outcome = SMALLPT_OUTCOMES;

    cln->handler = ngx_http_smallpt_metrics_count;

    ngx_http_set_ctx(r, mr, ngx_http_smallpt_metrics_module);

    return NGX_OK;
}


void
ngx_http_smallpt_metrics_outcome(ngx_http_request_t *r, ngx_uint_t outcome)
{
    ngx_http_smallpt_metrics_req_t  *mr;

    mr = ngx_http_get_module_ctx(r, ngx_http_smallpt_metrics_module);

    if (mr != NULL && outcome < SMALLPT_OUTCOMES) {
        mr->outcome = outcome;
    }
}


void
ngx_http_smallpt_metrics_gauge(ngx_http_request_t *r, ngx_uint_t gauge,
    ngx_int_t delta)
{
    ngx_http_smallpt_metrics_req_t  *mr;

    mr = ngx_http_get_module_ctx(r, ngx_http_smallpt_metrics_module);

    if (mr == NULL || gauge >= NGX_HTTP_SMALLPT_METRICS_GAUGES) {
        return;
    }

    (void) ngx_atomic_fetch_add(&mr->held[gauge], delta);
    (void) ngx_atomic_fetch_add(&mr->proc->gauges[mr->index][gauge], delta);
}


void
ngx_http_smallpt_metrics_observe(ngx_http_request_t *r, ngx_uint_t histogram,
    struct timespec *from, struct timespec *to)
{
    uint64_t                         us;
    ngx_atomic_t                    *buckets, *sum;
    ngx_http_smallpt_metrics_req_t  *mr;

    mr = ngx_http_get_module_ctx(r, ngx_http_smallpt_metrics_module);

    if (mr == NULL) {
        return;
    }

    if (histogram == NGX_HTTP_SMALLPT_RENDER_SECONDS) {
        buckets = mr->counters->render;
        sum = &mr->counters->render_us;

    } else {
        buckets = mr->counters->queue;
        sum = &mr->counters->queue_us;
    }

    us = smallpt_metrics_us((to->tv_sec - from->tv_sec)
                            + (to->tv_nsec - from->tv_nsec) / 1e9);

    (void) ngx_atomic_fetch_add(&buckets[smallpt_metrics_bucket(us)], 1);
    (void) ngx_atomic_fetch_add(sum, (ngx_atomic_int_t) us);
}


void
ngx_http_smallpt_metrics_samples(ngx_http_request_t *r, ngx_uint_t rows,
    ngx_uint_t width, ngx_uint_t spp)
{
    ngx_http_smallpt_metrics_req_t  *mr;

    mr = ngx_http_get_module_ctx(r, ngx_http_smallpt_metrics_module);

    if (mr != NULL) {
        (void) ngx_atomic_fetch_add(&mr->counters->samples,
                                    (ngx_atomic_int_t) (rows * width * spp));
    }
}


void
ngx_http_smallpt_metrics_sent(ngx_http_request_t *r, ngx_uint_t format,
    off_t len)
{
    ngx_http_smallpt_metrics_req_t  *mr;

    mr = ngx_http_get_module_ctx(r, ngx_http_smallpt_metrics_module);

    if (mr != NULL && format < 3 && len > 0) {
        (void) ngx_atomic_fetch_add(&mr->counters->bytes[format],
                                    (ngx_atomic_int_t) len);
    }
}


void
ngx_http_smallpt_metrics_band(ngx_http_request_t *r, ngx_uint_t what)
{
    ngx_http_smallpt_metrics_req_t  *mr;

    mr = ngx_http_get_module_ctx(r, ngx_http_smallpt_metrics_module);

    if (mr != NULL && what < SMALLPT_BANDS) {
        (void) ngx_atomic_fetch_add(&mr->counters->bands[what], 1);
    }
}


/* The request's pool is going: count its outcome, give its gauges back. */
static void
ngx_http_smallpt_metrics_count(void *data)
{
    ngx_http_smallpt_metrics_req_t *mr = data;

    ngx_uint_t           i, status, outcome;
    ngx_atomic_int_t     held;
    ngx_http_request_t  *r;

    r = mr->request;
    outcome = mr->outcome;

    if (outcome == SMALLPT_OUTCOMES) {
        status = r->headers_out.status;

        if (status == NGX_HTTP_NOT_MODIFIED) {
            outcome = SMALLPT_OUTCOME_NOT_MODIFIED;

        } else if (status == NGX_HTTP_CLIENT_CLOSED_REQUEST
                   || r->connection->error)
        {
            outcome = SMALLPT_OUTCOME_CANCELLED;

        } else if (status >= NGX_HTTP_BAD_REQUEST
                   && status < NGX_HTTP_INTERNAL_SERVER_ERROR)
        {
            outcome = SMALLPT_OUTCOME_BAD_REQUEST;

        } else {
            outcome = SMALLPT_OUTCOME_FAILED;
        }
    }

    (void) ngx_atomic_fetch_add(&mr->counters->outcomes[outcome], 1);

    for (i = 0; i < NGX_HTTP_SMALLPT_METRICS_GAUGES; i++) {
        held = (ngx_atomic_int_t) mr->held[i];

        if (held != 0) {
            (void) ngx_atomic_fetch_add(&mr->proc->gauges[mr->index][i],
                                        -held);
        }
    }
}


/*
 * This process's gauge slot in the zone: the first free one, or one whose
 * process is gone; taken once per zone.
 */
static ngx_http_smallpt_metrics_proc_t *
ngx_http_smallpt_metrics_proc(ngx_http_smallpt_metrics_sh_t *sh,
    ngx_log_t *log)
{
    ngx_uint_t                        i;
    ngx_atomic_uint_t                 pid;
    ngx_http_smallpt_metrics_proc_t  *proc;

    proc = ngx_http_smallpt_metrics_proc_slot;

    if (ngx_http_smallpt_metrics_proc_sh == sh
        && (proc == &sh->shared || proc->pid == (ngx_atomic_uint_t) ngx_pid))
    {
        return proc;
    }

    proc = &sh->shared;

    for (i = 0; i < NGX_HTTP_SMALLPT_METRICS_PROCS; i++) {
        pid = sh->procs[i].pid;

        if (pid != 0
            && pid != (ngx_atomic_uint_t) ngx_pid
            && ngx_http_smallpt_metrics_alive(pid))
        {
            continue;
        }

        if (!ngx_atomic_cmp_set(&sh->procs[i].pid, pid,
                                NGX_HTTP_SMALLPT_METRICS_CLAIMING))
        {
            continue;
        }

        /* a dead process's gauges go with it */
        ngx_memzero((void *) sh->procs[i].gauges,
                    sizeof(sh->procs[i].gauges));
        ngx_memory_barrier();
        sh->procs[i].pid = (ngx_atomic_uint_t) ngx_pid;

        proc = &sh->procs[i];
        break;
    }

    if (proc == &sh->shared) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "smallpt: more than %d worker processes alive, this "
                      "one's gauges are shared",
                      NGX_HTTP_SMALLPT_METRICS_PROCS);
    }

    ngx_http_smallpt_metrics_proc_sh = sh;
    ngx_http_smallpt_metrics_proc_slot = proc;

    return proc;
}


static ngx_uint_t
ngx_http_smallpt_metrics_alive(ngx_atomic_uint_t pid)
{
    if (pid == 0) {
        return 0;
    }

    if (pid == NGX_HTTP_SMALLPT_METRICS_CLAIMING) {
        return 1;
    }

    /* EPERM: alive, as another user */
    return kill((ngx_pid_t) pid, 0) == 0 || ngx_errno != NGX_ESRCH;
}


static ngx_int_t
ngx_http_smallpt_metrics_handler(ngx_http_request_t *r)
{
    size_t                                 size;
    ngx_int_t                              rc;
    ngx_buf_t                             *b;
    ngx_chain_t                            out;
    smallpt_metrics_build                  build;
    smallpt_metrics_series                *series;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_smallpt_metrics_module);

    series = ngx_pcalloc(r->pool, (mcf->entries.nelts + 1)
                                  * sizeof(smallpt_metrics_series));
    if (series == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_smallpt_metrics_snapshot(r, mcf, series) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    build.version = SMALLPT_VERSION;
    build.isa = smallpt_isa_name(smallpt_isa_best());
    build.nginx = NGINX_VERSION;

    size = smallpt_metrics_size(series, mcf->entries.nelts);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    size = smallpt_metrics_write((char *) b->pos, size, &build, series,
                                 mcf->entries.nelts);
    if (size == 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "smallpt: the metrics do not fit their buffer");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = b->pos + size;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = size;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* Reads this configuration's series from the zone, without a lock. */
static ngx_int_t
ngx_http_smallpt_metrics_snapshot(ngx_http_request_t *r,
    ngx_http_smallpt_metrics_main_conf_t *mcf, smallpt_metrics_series *series)
{
    ngx_uint_t                            i, k, g;
    ngx_atomic_uint_t                     pid;
    smallpt_metrics_series               *s;
    ngx_http_smallpt_metrics_sh_t        *sh;
    ngx_http_smallpt_metrics_entry_t     *entry;
    ngx_http_smallpt_metrics_counters_t  *c;
    int64_t                               sum[NGX_HTTP_SMALLPT_METRICS_GAUGES];
    u_char                                alive[NGX_HTTP_SMALLPT_METRICS_PROCS];

    sh = mcf->sh;
    entry = mcf->entries.elts;

    if (sh == NULL) {
        return mcf->entries.nelts == 0 ? NGX_OK : NGX_ERROR;
    }

    /* the gauges of the processes alive count, a claimed slot's not yet */
    for (k = 0; k < NGX_HTTP_SMALLPT_METRICS_PROCS; k++) {
        pid = sh->procs[k].pid;
        alive[k] = pid != NGX_HTTP_SMALLPT_METRICS_CLAIMING
                   && ngx_http_smallpt_metrics_alive(pid);
    }

    for (i = 0; i < mcf->entries.nelts; i++) {
        s = &series[i];
        c = &sh->series[entry[i].index];

        s->name = (const char *) entry[i].name.data;
        s->name_len = entry[i].name.len;

        for (k = 0; k < SMALLPT_OUTCOMES; k++) {
            s->outcomes[k] = c->outcomes[k];
        }

        s->samples = c->samples;
        s->bytes[0] = c->bytes[0];
        s->bytes[1] = c->bytes[1];
        s->bytes[2] = c->bytes[2];

        for (k = 0; k < SMALLPT_METRICS_BUCKETS; k++) {
            s->render[k] = c->render[k];
            s->queue[k] = c->queue[k];
        }

        s->render_us = c->render_us;
        s->queue_us = c->queue_us;

        for (k = 0; k < SMALLPT_BANDS; k++) {
            s->bands[k] = c->bands[k];
        }

        for (g = 0; g < NGX_HTTP_SMALLPT_METRICS_GAUGES; g++) {
            sum[g] = (ngx_atomic_int_t) sh->shared.gauges[entry[i].index][g];

            for (k = 0; k < NGX_HTTP_SMALLPT_METRICS_PROCS; k++) {
                if (alive[k]) {
                    sum[g] += (ngx_atomic_int_t)
                              sh->procs[k].gauges[entry[i].index][g];
                }
            }
        }

        s->in_progress = sum[NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS];
        s->queued = sum[NGX_HTTP_SMALLPT_TASKS_QUEUED];
    }

    return NGX_OK;
}


/*
 * In the master, at start and at each reload: the zone's counters, new or
 * the previous cycle's, and a series for each label value not in it yet.
 */
static ngx_int_t
ngx_http_smallpt_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_smallpt_metrics_main_conf_t *omcf = data;

    ngx_uint_t                             i, k;
    ngx_slab_pool_t                       *shpool;
    ngx_http_smallpt_metrics_sh_t         *sh;
    ngx_http_smallpt_metrics_entry_t      *entry;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    mcf = shm_zone->data;

    if (omcf != NULL) {
        sh = omcf->sh;

    } else {
        shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

        if (shm_zone->shm.exists) {
            sh = shpool->data;

        } else {
            sh = ngx_slab_calloc(shpool,
                                 sizeof(ngx_http_smallpt_metrics_sh_t));
            if (sh == NULL) {
                return NGX_ERROR;
            }

            shpool->data = sh;
        }
    }

    mcf->sh = sh;

    entry = mcf->entries.elts;

    for (i = 0; i < mcf->entries.nelts; i++) {

        for (k = 0; k < sh->nseries; k++) {
            if (sh->series[k].name_len == entry[i].name.len
                && ngx_memcmp(sh->series[k].name, entry[i].name.data,
                              entry[i].name.len)
                   == 0)
            {
                break;
            }
        }

        if (k == sh->nseries) {
            if (k == NGX_HTTP_SMALLPT_METRICS_SERIES) {
                ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                              "smallpt: the metrics zone holds %d location "
                              "names and has none left for \"%V\"; restart "
                              "nginx to forget the names no longer used",
                              NGX_HTTP_SMALLPT_METRICS_SERIES,
                              &entry[i].name);
                return NGX_ERROR;
            }

            ngx_memcpy(sh->series[k].name, entry[i].name.data,
                       entry[i].name.len);
            sh->series[k].name_len = entry[i].name.len;
            sh->nseries++;
        }

        entry[i].index = k;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_smallpt_metrics_init(ngx_conf_t *cf)
{
    size_t                                 size;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_smallpt_metrics_module);

    if (mcf->entries.nelts == 0 && mcf->exporters == 0) {
        return NGX_OK;
    }

    /* the same size whatever the configuration: a reload reuses the zone */
    size = ngx_align(sizeof(ngx_http_smallpt_metrics_sh_t), ngx_pagesize)
           + 8 * ngx_pagesize;

    mcf->zone = ngx_shared_memory_add(cf, &ngx_http_smallpt_metrics_zone_name,
                                      size, &ngx_http_smallpt_metrics_module);
    if (mcf->zone == NULL) {
        return NGX_ERROR;
    }

    if (mcf->zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: shared memory zone \"%V\" is already "
                           "used", &ngx_http_smallpt_metrics_zone_name);
        return NGX_ERROR;
    }

    mcf->zone->init = ngx_http_smallpt_metrics_init_zone;
    mcf->zone->data = mcf;

    return NGX_OK;
}


static void *
ngx_http_smallpt_metrics_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smallpt_metrics_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mcf->exporters = 0;
     *     mcf->zone = NULL;
     *     mcf->sh = NULL;
     */

    if (ngx_array_init(&mcf->entries, cf->pool, 4,
                       sizeof(ngx_http_smallpt_metrics_entry_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static void *
ngx_http_smallpt_metrics_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_smallpt_metrics_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smallpt_metrics_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->name = { 0, NULL };
     *     conf->location = { 0, NULL };
     *     conf->renders = 0;
     *     conf->exporter = 0;
     */

    conf->entry = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_smallpt_metrics_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_smallpt_metrics_loc_conf_t *prev = parent;
    ngx_http_smallpt_metrics_loc_conf_t *conf = child;

    ngx_str_t                             *name;
    ngx_uint_t                             i;
    ngx_http_smallpt_metrics_entry_t      *entry;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    ngx_conf_merge_str_value(conf->name, prev->name, "");

    /* "renders" and "location" are the location's own: not inherited */
    if (!conf->renders) {
        return NGX_CONF_OK;
    }

    if (conf->exporter) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: \"smallpt\" and \"smallpt_metrics\" in "
                           "the same location \"%V\"", &conf->location);
        return NGX_CONF_ERROR;
    }

    name = conf->name.len ? &conf->name : &conf->location;

    if (!smallpt_metrics_label_ok((char *) name->data, name->len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: the location name \"%V\" cannot be a "
                           "metrics label (1 to %d bytes of UTF-8); name "
                           "it with \"smallpt_metrics_name\"", name,
                           SMALLPT_METRICS_LABEL_MAX);
        return NGX_CONF_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_smallpt_metrics_module);

    /* locations with the same name share their series */
    entry = mcf->entries.elts;

    for (i = 0; i < mcf->entries.nelts; i++) {
        if (entry[i].name.len == name->len
            && ngx_memcmp(entry[i].name.data, name->data, name->len) == 0)
        {
            conf->entry = i;
            return NGX_CONF_OK;
        }
    }

    entry = ngx_array_push(&mcf->entries);
    if (entry == NULL) {
        return NGX_CONF_ERROR;
    }

    entry->name = *name;
    entry->index = 0;

    conf->entry = mcf->entries.nelts - 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_smallpt_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smallpt_metrics_loc_conf_t *mlcf = conf;

    ngx_http_core_loc_conf_t              *clcf;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    if (mlcf->exporter) {
        return "is duplicate";
    }

    mlcf->exporter = 1;

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_smallpt_metrics_module);
    mcf->exporters++;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_smallpt_metrics_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_smallpt_metrics_name(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smallpt_metrics_loc_conf_t *mlcf = conf;

    ngx_str_t  *value;

    if (mlcf->name.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!smallpt_metrics_label_ok((char *) value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: invalid smallpt_metrics_name \"%V\", "
                           "expected 1 to %d bytes of UTF-8", &value[1],
                           SMALLPT_METRICS_LABEL_MAX);
        return NGX_CONF_ERROR;
    }

    mlcf->name = value[1];

    return NGX_CONF_OK;
}


/* A worker exits: its gauges go, its slot is free for another. */
static void
ngx_http_smallpt_metrics_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_smallpt_metrics_sh_t         *sh;
    ngx_http_smallpt_metrics_proc_t       *proc;
    ngx_http_smallpt_metrics_main_conf_t  *mcf;

    sh = ngx_http_smallpt_metrics_proc_sh;
    proc = ngx_http_smallpt_metrics_proc_slot;

    mcf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_http_smallpt_metrics_module);

    /* without a master a reload may have unmapped an older zone */
    if (proc == NULL || mcf == NULL || mcf->sh != sh || proc == &sh->shared
        || proc->pid != (ngx_atomic_uint_t) ngx_pid)
    {
        return;
    }

    ngx_memzero((void *) proc->gauges, sizeof(proc->gauges));
    ngx_memory_barrier();
    proc->pid = 0;
}
