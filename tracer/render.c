/*
 * The renderer: smallpt.cpp's scene, camera, sampling and radiance(), in C.
 *
 * Every floating-point operation is the one smallpt.cpp performs, in the
 * same order and grouping, so the image is bit for bit the reference's
 * (see shared notes "smallpt-exactness"). Build with -ffp-contract=off and
 * without -ffast-math: a fused multiply-add changes the image.
 *
 * Shared job fields are touched only through GCC/clang __atomic builtins.
 */

#define _POSIX_C_SOURCE  200809L

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>

#include "smallpt.h"


#if defined(__FAST_MATH__)
#error "smallpt needs IEEE arithmetic: build without -ffast-math and -Ofast"
#endif


typedef struct {
    double  x, y, z;
} vec;

typedef enum {
    DIFF, SPEC, REFR
} material;

typedef struct {
    double    rad;
    vec       p;        /* position */
    vec       e;        /* emission */
    vec       c;        /* colour */
    material  refl;
} sphere;


#define NSPHERES  9

static const sphere spheres[NSPHERES] = {
    { 1e5,  {  1e5 + 1, 40.8, 81.6 },     { 0, 0, 0 },    { .75, .25, .25 },
      DIFF },                                                 /* left */
    { 1e5,  { -1e5 + 99, 40.8, 81.6 },    { 0, 0, 0 },    { .25, .25, .75 },
      DIFF },                                                 /* right */
    { 1e5,  { 50, 40.8, 1e5 },            { 0, 0, 0 },    { .75, .75, .75 },
      DIFF },                                                 /* back */
    { 1e5,  { 50, 40.8, -1e5 + 170 },     { 0, 0, 0 },    { 0, 0, 0 },
      DIFF },                                                 /* front */
    { 1e5,  { 50, 1e5, 81.6 },            { 0, 0, 0 },    { .75, .75, .75 },
      DIFF },                                                 /* bottom */
    { 1e5,  { 50, -1e5 + 81.6, 81.6 },    { 0, 0, 0 },    { .75, .75, .75 },
      DIFF },                                                 /* top */
    { 16.5, { 27, 16.5, 47 },             { 0, 0, 0 },    { .999, .999, .999 },
      SPEC },                                                 /* mirror */
    { 16.5, { 73, 16.5, 78 },             { 0, 0, 0 },    { .999, .999, .999 },
      REFR },                                                 /* glass */
    { 600,  { 50, 681.6 - .27, 81.6 },    { 12, 12, 12 }, { 0, 0, 0 },
      DIFF }                                                  /* light */
};

/* smallpt.cpp's M_PI; spelled out because C99 does not define it. */
#define PI  3.14159265358979323846


static inline vec
vec_make(double x, double y, double z)
{
    vec  v;

    v.x = x;
    v.y = y;
    v.z = z;
    return v;
}


static inline vec
vec_add(vec a, vec b)
{
    return vec_make(a.x + b.x, a.y + b.y, a.z + b.z);
}


static inline vec
vec_sub(vec a, vec b)
{
    return vec_make(a.x - b.x, a.y - b.y, a.z - b.z);
}


static inline vec
vec_scale(vec a, double s)
{
    return vec_make(a.x * s, a.y * s, a.z * s);
}


static inline vec
vec_mult(vec a, vec b)
{
    return vec_make(a.x * b.x, a.y * b.y, a.z * b.z);
}


static inline double
vec_dot(vec a, vec b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}


static inline vec
vec_cross(vec a, vec b)
{
    return vec_make(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z,
                    a.x * b.y - a.y * b.x);
}


static inline vec
vec_norm(vec a)
{
    return vec_scale(a, 1 / sqrt(a.x * a.x + a.y * a.y + a.z * a.z));
}


/*
 * erand48() with the state in one integer: X' = (a X + c) mod 2^48, and the
 * result X' / 2^48, which is exactly the double glibc builds.
 */
static inline double
rand48(uint64_t *state)
{
    *state = (*state * 0x5DEECE66DULL + 0xB) & 0xFFFFFFFFFFFFULL;
    return (double) *state * 0x1p-48;
}


static inline double
clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}


static inline unsigned char
to_byte(double x)
{
    return (unsigned char) (int) (pow(clamp01(x), 1 / 2.2) * 255 + .5);
}


/* Distance along the ray to the sphere, 0 if it misses. */
static inline double
sphere_intersect(const sphere *s, vec o, vec d)
{
    double  t, b, det;
    vec     op;

    op = vec_sub(s->p, o);
    b = vec_dot(op, d);
    det = b * b - vec_dot(op, op) + s->rad * s->rad;

    if (det < 0) {
        return 0;
    }

    det = sqrt(det);

    t = b - det;
    if (t > 1e-4) {
        return t;
    }

    t = b + det;
    return t > 1e-4 ? t : 0;
}


/* The nearest sphere the ray hits, scanned from the last, or -1. */
static inline int
scene_intersect(vec o, vec d, double *t)
{
    int     i, id;
    double  dist;

    *t = 1e20;
    id = -1;

    for (i = NSPHERES - 1; i >= 0; i--) {
        dist = sphere_intersect(&spheres[i], o, d);
        if (dist != 0 && dist < *t) {
            *t = dist;
            id = i;
        }
    }

    return id;
}


static vec
radiance(vec o, vec d, int depth, uint64_t *xi)
{
    int            id, into;
    vec            x, n, nl, f, w, u, v, dir, tdir, refl, a, b;
    double         t, p, r1, r2, r2s, nnt, ddn, cos2t, r0, c, re, tr, pr;
    const sphere  *obj;

    id = scene_intersect(o, d, &t);
    if (id < 0) {
        return vec_make(0, 0, 0);
    }

    obj = &spheres[id];
    x = vec_add(o, vec_scale(d, t));
    n = vec_norm(vec_sub(x, obj->p));
    nl = vec_dot(n, d) < 0 ? n : vec_scale(n, -1);
    f = obj->c;
    p = f.x > f.y && f.x > f.z ? f.x : f.y > f.z ? f.y : f.z;

    if (++depth > 5) {
        if (rand48(xi) < p) {
            f = vec_scale(f, 1 / p);

        } else {
            return obj->e;
        }
    }

    if (obj->refl == DIFF) {
        r1 = 2 * PI * rand48(xi);
        r2 = rand48(xi);
        r2s = sqrt(r2);
        w = nl;
        u = vec_norm(vec_cross(fabs(w.x) > .1 ? vec_make(0, 1, 0)
                                              : vec_make(1, 0, 0), w));
        v = vec_cross(w, u);
        dir = vec_norm(vec_add(vec_add(vec_scale(vec_scale(u, cos(r1)), r2s),
                                       vec_scale(vec_scale(v, sin(r1)), r2s)),
                               vec_scale(w, sqrt(1 - r2))));
        return vec_add(obj->e, vec_mult(f, radiance(x, dir, depth, xi)));
    }

    refl = vec_sub(d, vec_scale(vec_scale(n, 2), vec_dot(n, d)));

    if (obj->refl == SPEC) {
        return vec_add(obj->e, vec_mult(f, radiance(x, refl, depth, xi)));
    }

    into = vec_dot(n, nl) > 0;
    nnt = into ? 1 / 1.5 : 1.5 / 1;
    ddn = vec_dot(d, nl);
    cos2t = 1 - nnt * nnt * (1 - ddn * ddn);

    if (cos2t < 0) {
        return vec_add(obj->e, vec_mult(f, radiance(x, refl, depth, xi)));
    }

    tdir = vec_norm(vec_sub(vec_scale(d, nnt),
                            vec_scale(n, (into ? 1 : -1)
                                         * (ddn * nnt + sqrt(cos2t)))));
    r0 = (.5 * .5) / (2.5 * 2.5);
    c = 1 - (into ? -ddn : vec_dot(tdir, n));
    re = r0 + (1 - r0) * c * c * c * c * c;
    tr = 1 - re;
    pr = .25 + .5 * re;

    if (depth > 2) {
        if (rand48(xi) < pr) {
            a = vec_scale(radiance(x, refl, depth, xi), re / pr);

        } else {
            a = vec_scale(radiance(x, tdir, depth, xi), tr / (1 - pr));
        }

        return vec_add(obj->e, vec_mult(f, a));
    }

    /* g++ evaluates the refracted ray first: it draws its numbers first */
    b = vec_scale(radiance(x, tdir, depth, xi), tr);
    a = vec_scale(radiance(x, refl, depth, xi), re);

    return vec_add(obj->e, vec_mult(f, vec_add(a, b)));
}


const char *
smallpt_strerror(int status)
{
    switch (status) {
    case SMALLPT_OK:
        return "success";
    case SMALLPT_EINVAL:
        return "invalid argument";
    case SMALLPT_ECANCELLED:
        return "render cancelled";
    case SMALLPT_ENOMEM:
        return "out of memory";
    case SMALLPT_EPNG:
        return "PNG encoder error";
    case SMALLPT_ETHREAD:
        return "cannot start a thread";
    default:
        return "unknown error";
    }
}


int
smallpt_check(int width, int height, int spp)
{
    if (width < 1 || width > SMALLPT_MAX_WIDTH
        || height < 1 || height > SMALLPT_MAX_HEIGHT
        || spp < SMALLPT_MIN_SPP)
    {
        return SMALLPT_EINVAL;
    }

    return SMALLPT_OK;
}


int
smallpt_effective_spp(int spp)
{
    return spp / 4 * 4;
}


int
smallpt_render_row(int width, int height, int spp, int row,
    unsigned char *rgb, const int *cancel)
{
    int             sx, sy, s, samps;
    vec             cam_o, cam_d, cx, cy, d, r, acc;
    double          r1, r2, dx, dy;
    uint64_t        xi;
    unsigned        x, y;

    if (smallpt_check(width, height, spp) != SMALLPT_OK
        || row < 0 || row >= height || rgb == NULL)
    {
        return SMALLPT_EINVAL;
    }

    samps = spp / 4;
    y = (unsigned) (height - 1 - row);

    cam_o = vec_make(50, 52, 295.6);
    cam_d = vec_norm(vec_make(0, -0.042612, -1));
    cx = vec_make(width * .5135 / height, 0, 0);
    cy = vec_scale(vec_norm(vec_cross(cx, cam_d)), .5135);

    /* Xi = {0, 0, y*y*y}: only y^3 mod 2^16 is kept, in the high word */
    xi = (uint64_t) ((y * y * y) & 0xFFFF) << 32;

    for (x = 0; x < (unsigned) width; x++) {

        if (cancel != NULL && __atomic_load_n(cancel, __ATOMIC_RELAXED)) {
            return SMALLPT_ECANCELLED;
        }

        acc = vec_make(0, 0, 0);

        for (sy = 0; sy < 2; sy++) {
            for (sx = 0; sx < 2; sx++) {
                r = vec_make(0, 0, 0);

                for (s = 0; s < samps; s++) {
                    r1 = 2 * rand48(&xi);
                    dx = r1 < 1 ? sqrt(r1) - 1 : 1 - sqrt(2 - r1);
                    r2 = 2 * rand48(&xi);
                    dy = r2 < 1 ? sqrt(r2) - 1 : 1 - sqrt(2 - r2);

                    d = vec_add(vec_add(
                            vec_scale(cx, ((sx + .5 + dx) / 2 + x) / width
                                          - .5),
                            vec_scale(cy, ((sy + .5 + dy) / 2 + y) / height
                                          - .5)),
                        cam_d);

                    /* g++ normalizes d before it computes the origin */
                    d = vec_norm(d);

                    r = vec_add(r, vec_scale(radiance(vec_add(cam_o,
                                                          vec_scale(d, 140)),
                                                      d, 0, &xi),
                                             1. / samps));
                }

                acc = vec_add(acc, vec_scale(vec_make(clamp01(r.x),
                                                      clamp01(r.y),
                                                      clamp01(r.z)),
                                             .25));
            }
        }

        rgb[3 * x] = to_byte(acc.x);
        rgb[3 * x + 1] = to_byte(acc.y);
        rgb[3 * x + 2] = to_byte(acc.z);
    }

    return SMALLPT_OK;
}


int
smallpt_job_init(smallpt_job *job, int width, int height, int spp,
    unsigned char *rgb)
{
    if (job == NULL || rgb == NULL
        || smallpt_check(width, height, spp) != SMALLPT_OK)
    {
        return SMALLPT_EINVAL;
    }

    job->width = width;
    job->height = height;
    job->spp = spp;
    job->rgb = rgb;
    job->next_row = 0;
    job->rows_done = 0;
    job->cancel = 0;
    job->stop = NULL;
    job->stop_data = NULL;

    return SMALLPT_OK;
}


int
smallpt_job_run(smallpt_job *job)
{
    int     row, rc;
    size_t  stride;

    stride = (size_t) job->width * 3;

    for ( ;; ) {
        if (job->stop != NULL && job->stop(job->stop_data)) {
            smallpt_job_cancel(job);
        }

        if (__atomic_load_n(&job->cancel, __ATOMIC_RELAXED)) {
            return SMALLPT_ECANCELLED;
        }

        row = __atomic_fetch_add(&job->next_row, 1, __ATOMIC_RELAXED);
        if (row >= job->height) {
            return SMALLPT_OK;
        }

        rc = smallpt_render_row(job->width, job->height, job->spp, row,
                                job->rgb + stride * (size_t) row,
                                &job->cancel);
        if (rc != SMALLPT_OK) {
            return rc;
        }

        __atomic_fetch_add(&job->rows_done, 1, __ATOMIC_RELEASE);
    }
}


void
smallpt_job_cancel(smallpt_job *job)
{
    __atomic_store_n(&job->cancel, 1, __ATOMIC_RELAXED);
}


int
smallpt_job_rows_done(smallpt_job *job)
{
    return __atomic_load_n(&job->rows_done, __ATOMIC_ACQUIRE);
}


typedef struct {
    pthread_t     tid;
    smallpt_job  *job;
    int           rc;
    int           done;
} render_thread;


static void *
render_thread_main(void *arg)
{
    render_thread  *t = arg;

    t->rc = smallpt_job_run(t->job);
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    return NULL;
}


int
smallpt_render(smallpt_job *job, int threads,
    void (*progress)(void *data, int rows_done, int height), void *data)
{
    int              i, n, started, rc, running;
    render_thread   *t;
    struct timespec  tick;

    if (job == NULL || threads < 1) {
        return SMALLPT_EINVAL;
    }

    /* with a progress callback the calling thread only watches */
    n = progress != NULL ? threads : threads - 1;

    t = calloc((size_t) n + 1, sizeof(render_thread));
    if (t == NULL) {
        return SMALLPT_ENOMEM;
    }

    rc = SMALLPT_OK;

    for (started = 0; started < n; started++) {
        t[started].job = job;
        if (pthread_create(&t[started].tid, NULL, render_thread_main,
                           &t[started])
            != 0)
        {
            rc = SMALLPT_ETHREAD;
            smallpt_job_cancel(job);
            break;
        }
    }

    if (progress == NULL) {
        if (rc == SMALLPT_OK) {
            rc = smallpt_job_run(job);
        }

    } else {
        tick.tv_sec = 0;
        tick.tv_nsec = 100 * 1000 * 1000;

        do {
            progress(data, smallpt_job_rows_done(job), job->height);

            running = 0;
            for (i = 0; i < started; i++) {
                running += !__atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE);
            }

            if (running) {
                nanosleep(&tick, NULL);
            }

        } while (running);
    }

    for (i = 0; i < started; i++) {
        pthread_join(t[i].tid, NULL);
        if (rc == SMALLPT_OK) {
            rc = t[i].rc;
        }
    }

    free(t);

    return rc;
}
