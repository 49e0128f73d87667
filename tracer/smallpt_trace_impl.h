/*
 * The path tracer, written once and compiled once per instruction set: the
 * including file defines TRACE_ROWS (the name of the renderer it makes)
 * and a vector of VW doubles, vd, with a comparison mask vm and these
 * operations, each the IEEE operation of every lane: vd_load, vd_store,
 * vd_set, vd_add, vd_sub, vd_mul, vd_div, vd_sqrt, vd_abs, vd_lt, vd_gt,
 * vd_ne, vm_and and vd_select(m, a, b) (a where m, else b).
 *
 * smallpt's radiance() is recursive, so one path is one long chain of
 * dependent operations and the CPU waits on each. Here each thread traces
 * LANES rows at once, one path per row, and takes them one bounce at a time:
 * the LANES rays are intersected together (in SIMD lanes where the CPU has
 * them) and the shading of one lane overlaps the others'. The recursion
 * becomes a stack of frames per lane: a bounce pushes how its radiance will
 * combine with its child's, and when the path ends the stack is folded back
 * from the innermost bounce out, with exactly the operations radiance()
 * does on return. Each row keeps its own random sequence, drawn in the
 * recursion's order (the refracted ray of a glass split first), so every
 * byte is smallpt.cpp's.
 */

#include <stdlib.h>

#include "smallpt.h"


/* How a bounce's radiance comes from its child's, L. */
enum {
    FOLD_PLAIN = 0,     /* e + f L: diffuse, mirror, total reflection */
    FOLD_SCALED,        /* e + f (L k): glass past depth 2 */
    FOLD_REFRACTED,     /* glass at depth 1, 2: keep L tr, trace refl */
    FOLD_REFLECTED      /* and then e + f (L re + kept) */
};


typedef struct {
    vec     e;          /* emission of the sphere hit */
    vec     f;          /* its colour, after Russian roulette */
    vec     kept;       /* FOLD_REFLECTED: the refracted radiance * tr */
    vec     x;          /* FOLD_REFRACTED: where the reflected ray starts */
    vec     refl;       /* FOLD_REFRACTED: its direction */
    double  k;          /* FOLD_SCALED: the factor; a glass split: re */
    double  tr;         /* a glass split: tr */
    int     depth;      /* FOLD_REFRACTED: the depth the split happened at */
    int     kind;       /* FOLD_* */
} frame;


/* A row being rendered, and where its current path stands. */
typedef struct {
    int             row;        /* image row, 0 at the top; -1: idle lane */
    unsigned        x;          /* the pixel */
    unsigned        y;          /* smallpt's row: 0 at the bottom */
    int             sx, sy, s;  /* subpixel and sample */
    uint64_t        xi;         /* the row's erand48 state */
    vec             r;          /* the subpixel's radiance so far */
    vec             acc;        /* the pixel's colour so far */
    int             depth;      /* the current ray's depth */
    unsigned char  *rgb;        /* the row's pixels */
    frame          *stack;
    int             top;
    int             cap;
} lane;


typedef struct {
    vec     o;
    vec     d;
    vec     cx;
    vec     cy;
    double  w;
    double  h;
} camera;


/*
 * Where the lanes' rays hit, as arrays across the lanes: the point, the
 * sphere's normal there and that normal facing the ray; for a diffuse
 * bounce, its random numbers and the new direction. The square roots and
 * divisions these take are done VW lanes at a time (hit_points(),
 * diffuse_dirs()); the rest of a bounce, one lane at a time (bounce()).
 */
typedef struct {
    double  x[LANES], y[LANES], z[LANES];
    double  nx[LANES], ny[LANES], nz[LANES];
    double  lx[LANES], ly[LANES], lz[LANES];
    double  cos_r1[LANES], sin_r1[LANES], r2[LANES];
    double  dx[LANES], dy[LANES], dz[LANES];
    int     diffuse[LANES];
} hits;


/* Three vectors of VW lanes each: the lanes' vec, side by side. */
typedef struct {
    vd  x, y, z;
} vvec;


static inline vvec
vv_load(const double *x, const double *y, const double *z, int k)
{
    vvec  v;

    v.x = vd_load(x + k);
    v.y = vd_load(y + k);
    v.z = vd_load(z + k);
    return v;
}


static inline void
vv_store(double *x, double *y, double *z, int k, vvec v)
{
    vd_store(x + k, v.x);
    vd_store(y + k, v.y);
    vd_store(z + k, v.z);
}


static inline vvec
vv_make(vd x, vd y, vd z)
{
    vvec  v;

    v.x = x;
    v.y = y;
    v.z = z;
    return v;
}


static inline vvec
vv_add(vvec a, vvec b)
{
    return vv_make(vd_add(a.x, b.x), vd_add(a.y, b.y), vd_add(a.z, b.z));
}


static inline vvec
vv_sub(vvec a, vvec b)
{
    return vv_make(vd_sub(a.x, b.x), vd_sub(a.y, b.y), vd_sub(a.z, b.z));
}


static inline vvec
vv_scale(vvec a, vd s)
{
    return vv_make(vd_mul(a.x, s), vd_mul(a.y, s), vd_mul(a.z, s));
}


static inline vd
vv_dot(vvec a, vvec b)
{
    return vd_add(vd_add(vd_mul(a.x, b.x), vd_mul(a.y, b.y)),
                  vd_mul(a.z, b.z));
}


static inline vvec
vv_cross(vvec a, vvec b)
{
    return vv_make(vd_sub(vd_mul(a.y, b.z), vd_mul(a.z, b.y)),
                   vd_sub(vd_mul(a.z, b.x), vd_mul(a.x, b.z)),
                   vd_sub(vd_mul(a.x, b.y), vd_mul(a.y, b.x)));
}


/* vec_norm: a * (1 / sqrt(a.a)) */
static inline vvec
vv_norm(vvec a)
{
    return vv_scale(a, vd_div(vd_set(1), vd_sqrt(vv_dot(a, a))));
}


/*
 * Each lane's ray against every sphere, as smallpt's intersect(): the
 * distance b -+ sqrt(det) to a sphere, the nearer one beyond EPS (0 if
 * none, or if det < 0: its root is NaN, and NaN is beyond nothing), and
 * the spheres scanned from the last, a hit (not 0) strictly nearer than
 * the best so far winning. id is -1 where nothing is hit.
 */
static inline void
intersect_lanes(const scene_lanes *s, const ray_lanes *rays, int *id,
    double *t)
{
    int     i, k, j;
    vd      b, det, root, t1, t2, eps, zero, best, best_id;
    vm      nearer;
    vvec    o, d, op;
    double  ids[VW];

    eps = vd_set(EPS);
    zero = vd_set(0);

    for (k = 0; k < LANES; k += VW) {
        o = vv_load(rays->ox, rays->oy, rays->oz, k);
        d = vv_load(rays->dx, rays->dy, rays->dz, k);
        best = vd_set(1e20);
        best_id = vd_set(-1);

        for (i = NSPHERES - 1; i >= 0; i--) {
            op = vv_sub(vv_make(vd_set(s->px[i]), vd_set(s->py[i]),
                                vd_set(s->pz[i])), o);
            b = vv_dot(op, d);
            det = vd_add(vd_sub(vd_mul(b, b), vv_dot(op, op)),
                         vd_set(s->rr[i]));

            root = vd_sqrt(det);
            t1 = vd_sub(b, root);
            t2 = vd_add(b, root);
            t2 = vd_select(vd_gt(t2, eps), t2, zero);
            t1 = vd_select(vd_gt(t1, eps), t1, t2);

            nearer = vm_and(vd_ne(t1, zero), vd_lt(t1, best));
            best = vd_select(nearer, t1, best);
            best_id = vd_select(nearer, vd_set(i), best_id);
        }

        vd_store(t + k, best);
        vd_store(ids, best_id);

        for (j = 0; j < VW; j++) {
            id[k + j] = (int) ids[j];
        }
    }
}


typedef struct {
    const smallpt_trace_rows_args  *args;
    const camera           *cam;
    ray_lanes              *rays;
    size_t                  stride;
} engine;


static inline void
set_ray(ray_lanes *rays, int k, vec o, vec d)
{
    rays->ox[k] = o.x;
    rays->oy[k] = o.y;
    rays->oz[k] = o.z;
    rays->dx[k] = d.x;
    rays->dy[k] = d.y;
    rays->dz[k] = d.z;
}


/* The lane's next camera ray: smallpt's tent filter and camera. */
static inline void
camera_ray(const engine *en, lane *l, int k)
{
    vec           d;
    double        r1, r2, dx, dy;
    const camera  *cam = en->cam;

    r1 = 2 * rand48(&l->xi);
    dx = r1 < 1 ? root(r1) - 1 : 1 - root(2 - r1);
    r2 = 2 * rand48(&l->xi);
    dy = r2 < 1 ? root(r2) - 1 : 1 - root(2 - r2);

    d = vec_add(vec_add(vec_scale(cam->cx, ((l->sx + .5 + dx) / 2 + l->x)
                                           / cam->w - .5),
                        vec_scale(cam->cy, ((l->sy + .5 + dy) / 2 + l->y)
                                           / cam->h - .5)),
                cam->d);

    /* g++ normalizes d before it computes the origin */
    d = vec_norm(d);

    set_ray(en->rays, k, vec_add(cam->o, vec_scale(d, 140)), d);
    l->depth = 0;
}


/* Gives the lane its next row and its first ray, or makes it idle. */
static void
start_row(const engine *en, lane *l, int k)
{
    const smallpt_trace_rows_args  *a = en->args;

    l->row = a->claim(a->data);
    if (l->row < 0) {
        return;
    }

    l->x = 0;
    l->y = (unsigned) (a->height - 1 - l->row);
    l->sx = 0;
    l->sy = 0;
    l->s = 0;
    l->r = vec_make(0, 0, 0);
    l->acc = vec_make(0, 0, 0);
    l->rgb = a->rgb + en->stride * (size_t) (l->row - a->first_row);

    /* Xi = {0, 0, y*y*y}: only y^3 mod 2^16 is kept, in the high word */
    l->xi = (uint64_t) ((l->y * l->y * l->y) & 0xFFFF) << 32;

    camera_ray(en, l, k);
}


/* A sample's radiance is known: add it, move on to the next sample. */
static inline void
sample_done(const engine *en, lane *l, int k, vec radiance)
{
    const smallpt_trace_rows_args  *a = en->args;

    l->r = vec_add(l->r, vec_scale(radiance, 1. / a->samps));

    if (++l->s < a->samps) {
        camera_ray(en, l, k);
        return;
    }

    l->s = 0;
    l->acc = vec_add(l->acc, vec_scale(vec_make(clamp01(l->r.x),
                                                clamp01(l->r.y),
                                                clamp01(l->r.z)),
                                       .25));
    l->r = vec_make(0, 0, 0);

    if (++l->sx == 2) {
        l->sx = 0;
        l->sy++;
    }

    if (l->sy < 2) {
        camera_ray(en, l, k);
        return;
    }

    l->sy = 0;
    l->rgb[3 * l->x] = to_byte(l->acc.x);
    l->rgb[3 * l->x + 1] = to_byte(l->acc.y);
    l->rgb[3 * l->x + 2] = to_byte(l->acc.z);
    l->acc = vec_make(0, 0, 0);

    if (++l->x < (unsigned) a->width) {
        camera_ray(en, l, k);
        return;
    }

    a->done(a->data, l->row);
    start_row(en, l, k);
}


static inline frame *
push(lane *l, int kind, const sphere *obj, vec f)
{
    int     cap;
    frame  *stack, *fr;

    if (l->top == l->cap) {
        cap = l->cap != 0 ? 2 * l->cap : 64;
        stack = realloc(l->stack, (size_t) cap * sizeof(frame));
        if (stack == NULL) {
            return NULL;
        }

        l->stack = stack;
        l->cap = cap;
    }

    fr = &l->stack[l->top++];
    fr->kind = kind;
    fr->e = obj->e;
    fr->f = f;

    return fr;
}


/*
 * The lane's path ended with radiance L: fold the frames back, as the
 * recursion returns, until the sample is done or a glass split's reflected
 * ray is still to trace.
 */
static inline void
path_done(const engine *en, lane *l, int k, vec L)
{
    frame  *fr;

    while (l->top > 0) {
        fr = &l->stack[l->top - 1];

        switch (fr->kind) {

        case FOLD_PLAIN:
            L = vec_add(fr->e, vec_mult(fr->f, L));
            break;

        case FOLD_SCALED:
            L = vec_add(fr->e, vec_mult(fr->f, vec_scale(L, fr->k)));
            break;

        case FOLD_REFRACTED:
            fr->kept = vec_scale(L, fr->tr);
            fr->kind = FOLD_REFLECTED;
            set_ray(en->rays, k, fr->x, fr->refl);
            l->depth = fr->depth;
            return;

        default: /* FOLD_REFLECTED */
            L = vec_add(fr->e, vec_mult(fr->f, vec_add(vec_scale(L, fr->k),
                                                       fr->kept)));
            break;
        }

        l->top--;
    }

    sample_done(en, l, k, L);
}


/*
 * Where each lane's ray hit and the normals there: x = o + d t,
 * n = norm(x - p), nl = n.d < 0 ? n : n * -1. Lanes that hit nothing (or
 * are idle) compute something harmless that is not used.
 */
static inline void
hit_points(const ray_lanes *rays, const int *id, const double *t, hits *h)
{
    int     k;
    vm      facing;
    vvec    o, d, x, n, p;
    double  px[LANES], py[LANES], pz[LANES], dist[LANES];

    for (k = 0; k < LANES; k++) {
        px[k] = id[k] >= 0 ? spheres[id[k]].p.x : 0;
        py[k] = id[k] >= 0 ? spheres[id[k]].p.y : 0;
        pz[k] = id[k] >= 0 ? spheres[id[k]].p.z : 0;
        dist[k] = id[k] >= 0 ? t[k] : 1;
    }

    for (k = 0; k < LANES; k += VW) {
        o = vv_load(rays->ox, rays->oy, rays->oz, k);
        d = vv_load(rays->dx, rays->dy, rays->dz, k);
        p = vv_load(px, py, pz, k);

        x = vv_add(o, vv_scale(d, vd_load(dist + k)));
        n = vv_norm(vv_sub(x, p));
        facing = vd_lt(vv_dot(n, d), vd_set(0));

        vv_store(h->x, h->y, h->z, k, x);
        vv_store(h->nx, h->ny, h->nz, k, n);
        vv_store(h->lx, h->ly, h->lz, k, vv_make(
                     vd_select(facing, n.x, vd_mul(n.x, vd_set(-1))),
                     vd_select(facing, n.y, vd_mul(n.y, vd_set(-1))),
                     vd_select(facing, n.z, vd_mul(n.z, vd_set(-1)))));
    }
}


/*
 * The new directions of the diffuse bounces, from w = nl and the random
 * angle and radius: u = norm((|w.x| > .1 ? (0, 1, 0) : (1, 0, 0)) x w),
 * v = w x u, d = norm(u cos(r1) sqrt(r2) + v sin(r1) sqrt(r2)
 * + w sqrt(1 - r2)). Lanes that are not diffuse compute something harmless.
 */
static inline void
diffuse_dirs(hits *h)
{
    int   k;
    vd    r2, r2s, zero, one;
    vm    steep;
    vvec  w, u, v, a, dir;

    zero = vd_set(0);
    one = vd_set(1);

    for (k = 0; k < LANES; k += VW) {
        w = vv_load(h->lx, h->ly, h->lz, k);
        r2 = vd_load(h->r2 + k);
        r2s = vd_sqrt(r2);

        steep = vd_gt(vd_abs(w.x), vd_set(.1));
        a = vv_make(vd_select(steep, zero, one), vd_select(steep, one, zero),
                    zero);
        u = vv_norm(vv_cross(a, w));
        v = vv_cross(w, u);

        dir = vv_norm(vv_add(vv_add(vv_scale(vv_scale(u,
                                                      vd_load(h->cos_r1 + k)),
                                             r2s),
                                    vv_scale(vv_scale(v,
                                                      vd_load(h->sin_r1 + k)),
                                             r2s)),
                             vv_scale(w, vd_sqrt(vd_sub(one, r2)))));

        vv_store(h->dx, h->dy, h->dz, k, dir);
    }
}


/*
 * One bounce of radiance(): the ray of lane k hit sphere id (id -1:
 * nothing) where h says. Sets the lane's next ray, or ends its path, or,
 * for a diffuse surface, draws its random numbers and leaves the new ray to
 * diffuse_dirs() (h->diffuse[k]). Returns SMALLPT_OK or SMALLPT_ENOMEM.
 */
static inline int
bounce(const engine *en, lane *l, int k, int id, hits *h)
{
    int            into;
    vec            d, x, n, nl, f, tdir, refl;
    double         p, r1, nnt, ddn, cos2t, r0, c, re, tr, pr;
    frame         *fr;
    ray_lanes     *rays = en->rays;
    const sphere  *obj;

    if (id < 0) {
        path_done(en, l, k, vec_make(0, 0, 0));
        return SMALLPT_OK;
    }

    d = vec_make(rays->dx[k], rays->dy[k], rays->dz[k]);
    x = vec_make(h->x[k], h->y[k], h->z[k]);
    n = vec_make(h->nx[k], h->ny[k], h->nz[k]);
    nl = vec_make(h->lx[k], h->ly[k], h->lz[k]);

    obj = &spheres[id];
    f = obj->c;
    p = f.x > f.y && f.x > f.z ? f.x : f.y > f.z ? f.y : f.z;

    if (++l->depth > 5) {
        if (rand48(&l->xi) < p) {
            f = vec_scale(f, 1 / p);

        } else {
            path_done(en, l, k, obj->e);
            return SMALLPT_OK;
        }
    }

    if (obj->refl == DIFF) {
        r1 = 2 * PI * rand48(&l->xi);
        h->r2[k] = rand48(&l->xi);
        h->cos_r1[k] = cos(r1);
        h->sin_r1[k] = sin(r1);
        h->diffuse[k] = 1;

        return push(l, FOLD_PLAIN, obj, f) != NULL ? SMALLPT_OK
                                                   : SMALLPT_ENOMEM;
    }

    refl = vec_sub(d, vec_scale(vec_scale(n, 2), vec_dot(n, d)));

    if (obj->refl == SPEC) {
        if (push(l, FOLD_PLAIN, obj, f) == NULL) {
            return SMALLPT_ENOMEM;
        }

        set_ray(rays, k, x, refl);
        return SMALLPT_OK;
    }

    into = vec_dot(n, nl) > 0;
    nnt = into ? 1 / 1.5 : 1.5 / 1;
    ddn = vec_dot(d, nl);
    cos2t = 1 - nnt * nnt * (1 - ddn * ddn);

    if (cos2t < 0) {
        if (push(l, FOLD_PLAIN, obj, f) == NULL) {
            return SMALLPT_ENOMEM;
        }

        set_ray(rays, k, x, refl);
        return SMALLPT_OK;
    }

    tdir = vec_norm(vec_sub(vec_scale(d, nnt),
                            vec_scale(n, (into ? 1 : -1)
                                         * (ddn * nnt + root(cos2t)))));
    r0 = (.5 * .5) / (2.5 * 2.5);
    c = 1 - (into ? -ddn : vec_dot(tdir, n));
    re = r0 + (1 - r0) * c * c * c * c * c;
    tr = 1 - re;
    pr = .25 + .5 * re;

    if (l->depth > 2) {
        fr = push(l, FOLD_SCALED, obj, f);
        if (fr == NULL) {
            return SMALLPT_ENOMEM;
        }

        if (rand48(&l->xi) < pr) {
            fr->k = re / pr;
            set_ray(rays, k, x, refl);

        } else {
            fr->k = tr / (1 - pr);
            set_ray(rays, k, x, tdir);
        }

        return SMALLPT_OK;
    }

    /* g++ evaluates the refracted ray first: it draws its numbers first */
    fr = push(l, FOLD_REFRACTED, obj, f);
    if (fr == NULL) {
        return SMALLPT_ENOMEM;
    }

    fr->k = re;
    fr->tr = tr;
    fr->x = x;
    fr->refl = refl;
    fr->depth = l->depth;

    set_ray(rays, k, x, tdir);
    return SMALLPT_OK;
}


int
TRACE_ROWS(const smallpt_trace_rows_args *a)
{
    int          k, rc, active, id[LANES];
    hits         h;
    lane         lanes[LANES];
    double       t[LANES];
    camera       cam;
    engine       en;
    ray_lanes    rays;
    scene_lanes  scene;

    scene_lanes_init(&scene);

    cam.o = vec_make(50, 52, 295.6);
    cam.d = vec_norm(vec_make(0, -0.042612, -1));
    cam.cx = vec_make(a->width * .5135 / a->height, 0, 0);
    cam.cy = vec_scale(vec_norm(vec_cross(cam.cx, cam.d)), .5135);
    cam.w = a->width;
    cam.h = a->height;

    en.args = a;
    en.cam = &cam;
    en.rays = &rays;
    en.stride = (size_t) a->width * 3;

    /* idle lanes trace a harmless copy of a real ray */
    for (k = 0; k < LANES; k++) {
        set_ray(&rays, k, cam.o, cam.d);
        lanes[k].stack = NULL;
        lanes[k].top = 0;
        lanes[k].cap = 0;
    }

    active = 0;
    for (k = 0; k < LANES; k++) {
        start_row(&en, &lanes[k], k);
        active += lanes[k].row >= 0;
    }

    rc = SMALLPT_OK;

    while (active > 0) {
        if (a->stopped(a->data)) {
            rc = SMALLPT_ECANCELLED;
            break;
        }

        intersect_lanes(&scene, &rays, id, t);

        hit_points(&rays, id, t, &h);

        active = 0;

        for (k = 0; k < LANES; k++) {
            h.diffuse[k] = 0;
            h.r2[k] = 0;
            h.cos_r1[k] = 1;
            h.sin_r1[k] = 0;

            if (lanes[k].row < 0) {
                continue;
            }

            rc = bounce(&en, &lanes[k], k, id[k], &h);
            if (rc != SMALLPT_OK) {
                break;
            }

            active += lanes[k].row >= 0;
        }

        if (rc != SMALLPT_OK) {
            break;
        }

        diffuse_dirs(&h);

        for (k = 0; k < LANES; k++) {
            if (h.diffuse[k]) {
                set_ray(&rays, k, vec_make(h.x[k], h.y[k], h.z[k]),
                        vec_make(h.dx[k], h.dy[k], h.dz[k]));
            }
        }
    }

    for (k = 0; k < LANES; k++) {
        free(lanes[k].stack);
    }

    return rc;
}
