
/*
 * ngx_http_smallpt_metrics_module: what the renderer does, for Prometheus.
 * Counters live in a shared memory zone, for all workers together and
 * across reloads; `smallpt_metrics;` serves them. ngx_http_smallpt_module
 * reports to it through the functions below: a request is counted once,
 * when it is freed, with the outcome last set (or one its status implies).
 */


#ifndef _NGX_HTTP_SMALLPT_METRICS_H_INCLUDED_
#define _NGX_HTTP_SMALLPT_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "smallpt_metrics.h"


/* gauges */
#define NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS  0
#define NGX_HTTP_SMALLPT_TASKS_QUEUED         1

/* histograms */
#define NGX_HTTP_SMALLPT_RENDER_SECONDS       0
#define NGX_HTTP_SMALLPT_QUEUE_SECONDS        1


extern ngx_module_t  ngx_http_smallpt_metrics_module;


/*
 * Configuration: the location being parsed renders (the `smallpt`
 * directive calls this); its requests get a series of their own, labelled
 * by smallpt_metrics_name or the location's name.
 */
char *ngx_http_smallpt_metrics_add_location(ngx_conf_t *cf);

/*
 * First thing in the content handler: the request will be counted once,
 * when it is freed. NGX_ERROR only if memory ran out.
 */
ngx_int_t ngx_http_smallpt_metrics_begin(ngx_http_request_t *r);

/*
 * The request's outcome, SMALLPT_OUTCOME_*; a later call replaces it.
 * Without one, the end decides: 304 not_modified, 499 or the connection
 * lost cancelled, another 4xx (412 of If-Match) bad_request, else failed.
 */
void ngx_http_smallpt_metrics_outcome(ngx_http_request_t *r,
    ngx_uint_t outcome);

/*
 * Adds delta to a gauge (NGX_HTTP_SMALLPT_RENDERS_IN_PROGRESS or
 * NGX_HTTP_SMALLPT_TASKS_QUEUED); what is left when the request is freed is
 * taken back then. Safe in pool threads while the request waits for them.
 */
void ngx_http_smallpt_metrics_gauge(ngx_http_request_t *r, ngx_uint_t gauge,
    ngx_int_t delta);

/*
 * The time from `from` to `to` (CLOCK_MONOTONIC) into a histogram:
 * NGX_HTTP_SMALLPT_RENDER_SECONDS or NGX_HTTP_SMALLPT_QUEUE_SECONDS.
 */
void ngx_http_smallpt_metrics_observe(ngx_http_request_t *r,
    ngx_uint_t histogram, struct timespec *from, struct timespec *to);

/* Camera samples rendered: rows finished, of width pixels at spp each. */
void ngx_http_smallpt_metrics_samples(ngx_http_request_t *r, ngx_uint_t rows,
    ngx_uint_t width, ngx_uint_t spp);

/* An image of SMALLPT_FORMAT_* format and len bytes is being sent. */
void ngx_http_smallpt_metrics_sent(ngx_http_request_t *r, ngx_uint_t format,
    off_t len);

/* A band request of a fanned-out render: SMALLPT_BAND_*. */
void ngx_http_smallpt_metrics_band(ngx_http_request_t *r, ngx_uint_t what);


#endif /* _NGX_HTTP_SMALLPT_METRICS_H_INCLUDED_ */
