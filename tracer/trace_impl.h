/*
 * The path tracer, written once and compiled once per instruction set: the
 * including file defines TRACE_ROWS (the name of the renderer it makes) and
 *
 *     static inline void intersect_lanes(const scene_lanes *s,
 *         const ray_lanes *rays, int *id, double *t);
 *
 * which finds, for each of the LANES rays, the nearest sphere it hits as
 * smallpt does (id -1 for none) and the distance t.
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


typedef struct {
    const trace_rows_args  *args;
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
    const trace_rows_args  *a = en->args;

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
    const trace_rows_args  *a = en->args;

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
 * One bounce of radiance(): the ray of lane k hit sphere id at distance t
 * (id -1: nothing). Sets the lane's next ray, or ends its path.
 * Returns SMALLPT_OK or SMALLPT_ENOMEM.
 */
static inline int
bounce(const engine *en, lane *l, int k, int id, double t)
{
    int            into;
    vec            o, d, x, n, nl, f, w, u, v, dir, tdir, refl;
    double         p, r1, r2, r2s, nnt, ddn, cos2t, r0, c, re, tr, pr;
    frame         *fr;
    ray_lanes     *rays = en->rays;
    const sphere  *obj;

    if (id < 0) {
        path_done(en, l, k, vec_make(0, 0, 0));
        return SMALLPT_OK;
    }

    o = vec_make(rays->ox[k], rays->oy[k], rays->oz[k]);
    d = vec_make(rays->dx[k], rays->dy[k], rays->dz[k]);

    obj = &spheres[id];
    x = vec_add(o, vec_scale(d, t));
    n = vec_norm(vec_sub(x, obj->p));
    nl = vec_dot(n, d) < 0 ? n : vec_scale(n, -1);
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
        r2 = rand48(&l->xi);
        r2s = root(r2);
        w = nl;
        u = vec_norm(vec_cross(fabs(w.x) > .1 ? vec_make(0, 1, 0)
                                              : vec_make(1, 0, 0), w));
        v = vec_cross(w, u);
        dir = vec_norm(vec_add(vec_add(vec_scale(vec_scale(u, cos(r1)), r2s),
                                       vec_scale(vec_scale(v, sin(r1)), r2s)),
                               vec_scale(w, root(1 - r2))));

        if (push(l, FOLD_PLAIN, obj, f) == NULL) {
            return SMALLPT_ENOMEM;
        }

        set_ray(rays, k, x, dir);
        return SMALLPT_OK;
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
TRACE_ROWS(const trace_rows_args *a)
{
    int          k, rc, active, id[LANES];
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

        active = 0;

        for (k = 0; k < LANES; k++) {
            if (lanes[k].row < 0) {
                continue;
            }

            rc = bounce(&en, &lanes[k], k, id[k], t[k]);
            if (rc != SMALLPT_OK) {
                break;
            }

            active += lanes[k].row >= 0;
        }

        if (rc != SMALLPT_OK) {
            break;
        }
    }

    for (k = 0; k < LANES; k++) {
        free(lanes[k].stack);
    }

    return rc;
}
