
/*
 * ngx_http_smallpt_module: renders Kevin Beason's smallpt scene in an nginx
 * thread pool and answers with the image (PNG, the PPM smallpt.cpp writes,
 * or raw RGB). The renderer lives in tracer/, the encoders and the parsing
 * of the query string in service/; these files are the glue. This one
 * holds the directives, the configuration and the content handler: it
 * parses the query, answers the preconditions, and hands the render to
 * ngx_http_smallpt_task.c (or the bands to ngx_http_smallpt_fanout.c).
 */


#include "ngx_http_smallpt_module.h"


static ngx_int_t ngx_http_smallpt_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_smallpt_preconditions(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx);
static ngx_int_t ngx_http_smallpt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_smallpt_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_smallpt_init(ngx_conf_t *cf);
static void *ngx_http_smallpt_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_smallpt_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_smallpt_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_smallpt_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_http_smallpt_pool_t *ngx_http_smallpt_add_pool(ngx_conf_t *cf,
    ngx_thread_pool_t *tp, ngx_str_t *name);
static char *ngx_http_smallpt(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smallpt_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_smallpt_render_threads(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_smallpt_check_time_limit(ngx_conf_t *cf, void *post,
    void *data);


static ngx_conf_num_bounds_t  ngx_http_smallpt_spp_bounds = {
    ngx_conf_check_num_bounds, SMALLPT_MIN_SPP, 1000000
};

static ngx_conf_post_t  ngx_http_smallpt_time_limit_post = {
    ngx_http_smallpt_check_time_limit
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
      &ngx_http_smallpt_time_limit_post },

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

    { ngx_string("smallpt_fanout"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_smallpt_fanout_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("smallpt_stream"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_smallpt_loc_conf_t, stream),
      NULL },

    { ngx_string("smallpt_max_unsent"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_smallpt_main_conf_t, max_unsent),
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
    ngx_http_smallpt_init,                 /* postconfiguration */

    ngx_http_smallpt_create_main_conf,     /* create main configuration */
    ngx_http_smallpt_init_main_conf,       /* init main configuration */

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

    { ngx_string("smallpt_bands"), NULL, ngx_http_smallpt_fanout_variable,
      NGX_HTTP_SMALLPT_VAR_BANDS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smallpt_band_retries"), NULL,
      ngx_http_smallpt_fanout_variable, NGX_HTTP_SMALLPT_VAR_BAND_RETRIES,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("smallpt_band_time"), NULL,
      ngx_http_smallpt_fanout_variable, NGX_HTTP_SMALLPT_VAR_BAND_TIME,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_smallpt_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc, status;
    smallpt_limits                limits;
    ngx_http_smallpt_ctx_t       *ctx;
    ngx_http_smallpt_loc_conf_t  *slcf;
    char                          reason[SMALLPT_REASON_SIZE];

    if (ngx_http_smallpt_metrics_begin(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_BAD_REQUEST);
        return ngx_http_smallpt_not_allowed(r);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_smallpt_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_smallpt_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    smallpt_query_init(&ctx->query, (int) slcf->format);

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
        return ngx_http_smallpt_send_error(r, NGX_HTTP_BAD_REQUEST, reason);
    }

    ngx_http_set_ctx(r, ctx, ngx_http_smallpt_module);

    smallpt_etag(&ctx->query, ctx->etag);

    /* the module answers If-* itself, before rendering, not nginx after */
    r->disable_not_modified = 1;

    status = ngx_http_smallpt_preconditions(r, ctx);

    if (status == NGX_DECLINED && r->method == NGX_HTTP_GET
        && !r->header_only)
    {
        /*
         * a request body, if any, is discarded once the image is sent:
         * while nginx discards it, a client that leaves goes unnoticed
         */

        /* a band is always rendered here: a front never asks itself */
        if (slcf->fanout_uri.len && !ctx->query.band) {

            if (ngx_http_smallpt_in_band(r)) {
                /* a band location's answer led here: no storm of bands */
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "smallpt: a band request came to a location "
                              "that fans out, refused: fan-out does not "
                              "nest (does the band location follow the "
                              "band server's X-Accel-Redirect?)");
                ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_FAILED);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_smallpt_fanout(r, ctx);
        }

        rc = ngx_http_smallpt_schedule(r, ctx);

        if (rc == NGX_DONE) {
            /* the request waits for its tasks: finalized when they end */
            r->main->count++;
        }

        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (status == NGX_HTTP_PRECONDITION_FAILED) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_BAD_REQUEST);
        return status;
    }

    if (status == NGX_HTTP_NOT_MODIFIED) {
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_NOT_MODIFIED);

        r->headers_out.status = NGX_HTTP_NOT_MODIFIED;
        r->header_only = 1;

        rc = ngx_http_smallpt_set_etag(r, ctx);

    } else {
        /* HEAD, and subrequests that want headers only (auth_request) */
        ngx_http_smallpt_metrics_outcome(r, SMALLPT_OUTCOME_HEAD);

        rc = ngx_http_smallpt_set_headers(r, ctx);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_send_header(r);
}


/*
 * RFC 9110, 13.2.2, for an image that has an ETag and no modification
 * date: If-Match (412 unless it names the image), then If-None-Match (304
 * if it does); If-Unmodified-Since and If-Modified-Since are ignored, as a
 * resource without a date must. NGX_DECLINED: none applies. Subrequests
 * share the main request's headers, which are not about them.
 */
static ngx_int_t
ngx_http_smallpt_preconditions(ngx_http_request_t *r,
    ngx_http_smallpt_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    h = r->headers_in.if_match;

    if (h != NULL
        && !smallpt_etag_match((char *) h->value.data, h->value.len,
                               ctx->etag, 1))
    {
        return NGX_HTTP_PRECONDITION_FAILED;
    }

    h = r->headers_in.if_none_match;

    if (h != NULL
        && smallpt_etag_match((char *) h->value.data, h->value.len,
                              ctx->etag, 0))
    {
        return NGX_HTTP_NOT_MODIFIED;
    }

    return NGX_DECLINED;
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

    return ngx_http_smallpt_value(v, p, v->len);
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


static ngx_int_t
ngx_http_smallpt_init(ngx_conf_t *cf)
{
    return ngx_http_smallpt_fanout_init(cf);
}


static void *
ngx_http_smallpt_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_smallpt_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_smallpt_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&smcf->pools, cf->pool, 4,
                       sizeof(ngx_http_smallpt_pool_t *))
        != NGX_OK)
    {
        return NULL;
    }

    /* what "auto" means, read once for the whole configuration */
    smcf->cpus = smallpt_cpus();

    smcf->max_unsent = NGX_CONF_UNSET_SIZE;

    return smcf;
}


static char *
ngx_http_smallpt_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_smallpt_main_conf_t *smcf = conf;

    ngx_conf_init_size_value(smcf->max_unsent, 32 * 1024 * 1024);

    return NGX_CONF_OK;
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
     *     conf->pool = NULL;
     *     conf->fanout_uri = { 0, NULL };
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
    conf->stream = NGX_CONF_UNSET;
    conf->fanout_bands = NGX_CONF_UNSET_UINT;
    conf->fanout_retries = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_smallpt_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_smallpt_loc_conf_t *prev = parent;
    ngx_http_smallpt_loc_conf_t *conf = child;

    ngx_str_t                      name;
    ngx_http_smallpt_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_smallpt_module);

    ngx_conf_merge_ptr_value(conf->thread_pool, prev->thread_pool, NULL);
    ngx_conf_merge_value(conf->max_spp, prev->max_spp, 1024);
    ngx_conf_merge_value(conf->max_width, prev->max_width, 2048);
    ngx_conf_merge_value(conf->max_height, prev->max_height, 2048);
    ngx_conf_merge_value(conf->render_threads, prev->render_threads,
                         smcf->cpus);
    ngx_conf_merge_uint_value(conf->format, prev->format,
                              SMALLPT_FORMAT_PNG);
    ngx_conf_merge_uint_value(conf->disposition, prev->disposition,
                              NGX_HTTP_SMALLPT_INLINE);
    ngx_conf_merge_msec_value(conf->time_limit, prev->time_limit, 60000);
    ngx_conf_merge_sec_value(conf->retry_after, prev->retry_after, 1);
    ngx_conf_merge_ptr_value(conf->filename, prev->filename, NULL);
    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->stream, prev->stream, 0);

    /* smallpt_fanout is a location's own: not inherited */
    if (conf->fanout_bands == NGX_CONF_UNSET_UINT) {
        conf->fanout_bands = 16;
    }

    if (conf->fanout_retries == NGX_CONF_UNSET_UINT) {
        conf->fanout_retries = 2;
    }

    if (conf->fanout_uri.len && !conf->enable) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: \"smallpt_fanout\" needs \"smallpt\" "
                           "in the same location");
        return NGX_CONF_ERROR;
    }

    /*
     * the largest image the limits allow must be countable in this build
     * (a 32-bit one with large limits): refused here, not overflowed later
     */
    if (smallpt_max_size(SMALLPT_FORMAT_PPM, (int) conf->max_width,
                         (int) conf->max_height)
        == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: images of %i x %i pixels are too large "
                           "for this build; lower \"smallpt_max_width\" or "
                           "\"smallpt_max_height\"",
                           conf->max_width, conf->max_height);
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    /* only a location that renders needs a pool (and creates "default") */
    if (conf->thread_pool == NULL) {
        conf->thread_pool = ngx_thread_pool_add(cf, NULL);
        if (conf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    ngx_str_set(&name, "default");

    conf->pool = ngx_http_smallpt_add_pool(cf, conf->thread_pool, &name);
    if (conf->pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The module's count of a thread pool, one per pool: the locations that
 * render in a pool share it. The name is the one smallpt_thread_pool gave
 * (the first), else "default".
 */
static ngx_http_smallpt_pool_t *
ngx_http_smallpt_add_pool(ngx_conf_t *cf, ngx_thread_pool_t *tp,
    ngx_str_t *name)
{
    ngx_uint_t                      i;
    ngx_http_smallpt_pool_t        *pool, **pools;
    ngx_http_smallpt_main_conf_t   *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_smallpt_module);

    pools = smcf->pools.elts;

    for (i = 0; i < smcf->pools.nelts; i++) {
        if (pools[i]->thread_pool == tp) {
            if (name != NULL && pools[i]->name.len == 0) {
                pools[i]->name = *name;
            }

            return pools[i];
        }
    }

    pool = ngx_pcalloc(cf->pool, sizeof(ngx_http_smallpt_pool_t));
    if (pool == NULL) {
        return NULL;
    }

    pool->thread_pool = tp;
    pool->capacity = -1;

    if (name != NULL) {
        pool->name = *name;
    }

    pools = ngx_array_push(&smcf->pools);
    if (pools == NULL) {
        return NULL;
    }

    *pools = pool;

    return pool;
}


static char *
ngx_http_smallpt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_smallpt_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (!smallpt_exact()) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: this build fuses multiplies and adds "
                           "(FMA contraction) and would not render "
                           "smallpt's image; rebuild the module without "
                           "-ffp-contract=fast");
        return NGX_CONF_ERROR;
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

    if (ngx_http_smallpt_add_pool(cf, slcf->thread_pool, &value[1]) == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_smallpt_render_threads(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_smallpt_loc_conf_t *slcf = conf;

    ngx_int_t                      n;
    ngx_str_t                     *value;
    ngx_http_smallpt_main_conf_t  *smcf;

    if (slcf->render_threads != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "auto") == 0) {
        smcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_smallpt_module);
        slcf->render_threads = smcf->cpus;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n < 1 || n > SMALLPT_MAX_THREADS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "smallpt: invalid smallpt_render_threads \"%V\", "
                           "expected \"auto\" or 1 to %d", &value[1],
                           SMALLPT_MAX_THREADS);
        return NGX_CONF_ERROR;
    }

    slcf->render_threads = n;

    return NGX_CONF_OK;
}


/* Reported at the directive's own line, as every bad value is. */
static char *
ngx_http_smallpt_check_time_limit(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *limit = data;

    if (*limit == 0) {
        return "must be more than 0";
    }

    return NGX_CONF_OK;
}
