/*
 * The path tracer, written once and compiled once per instruction set,
 * into the static functions its file's entry points to (smallpt_isa.h):
 * trace_rows(), the renderer, trace_exact() and, with VD_FMA, trace_trig().
 * The including file defines VW (the lanes of a vector) and these types and
 * operations, each the IEEE or integer operation of every lane:
 *
 *   vd, vectors of doubles: vd_load, vd_store, vd_set, vd_add, vd_sub,
 *       vd_mul, vd_div, vd_sqrt, vd_abs, vd_lt, vd_gt,
 *       vd_select(m, a, b) (a where m, else b) and vd_store_int (each
 *       lane truncated to an int32_t);
 *   vm, their comparison masks: vm_and, vm_or, vm_andnot(a, b) (a and not
 *       b), vm_bits (a bit per lane, lane 0 lowest) and vm_from_bits;
 *   vi, vectors of 64-bit integers: vi_load, vi_store, vi_set, vi_select,
 *       vi_eq, vd_lookup(table, i) (table[i], i from 0 to 15), vi_add,
 *       vi_and, vi_or, vi_shl32 and vi_shr32 (each lane shifted by 32
 *       bits), vi_mul32 (the product of each lane's low 32 bits, 64 bits
 *       wide) and vd_from_vi (each lane's bits as a double): what
 *       vi_rand48() here needs for erand48() on each lane's state.
 *
 * A file whose target has FMA defines VD_FMA, vd_fma(a, b, c) (a * b + c
 * rounded once) and vi_from_vd (the bits of each lane): the sines and
 * cosines are then computed in vectors, see trig().
 *
 * smallpt's radiance() is recursive, so one path is one long chain of
 * dependent operations and the CPU waits on each. Here each thread traces
 * LANES rows at once, one path per row, and takes them one bounce at a
 * time, VW lanes per vector: all of a bounce is done in vectors, the
 * intersections, the normals, Russian roulette and the random numbers (each
 * lane draws from its own row's erand48 state, in smallpt's order, only
 * where smallpt draws), the diffuse, mirror and glass rays and the camera
 * rays. What stays one lane at a time is what cannot be vectorized exactly
 * or is rare: the end of a path, a pixel's bookkeeping, and glibc's cos()
 * and sin() (their last bits are smallpt's image) for the angles whose
 * last bits trig() cannot vouch for, a quarter of them.
 *
 * A lane whose path ends gets its next camera ray (the next sample, pixel,
 * or a new row) in the same bounce, so every lane works at every bounce
 * until the rows run out.
 *
 * The recursion becomes a stack of frames per lane, one per bounce: a
 * bounce pushes how its radiance will combine with its child's, and when
 * the path ends the stack is folded back from the innermost bounce out,
 * with exactly the operations radiance() does on return. The glass splits
 * of depth 1 and 2 trace the refracted ray first (g++ evaluates it first,
 * so it draws its numbers first), then the reflected one.
 */

#include <stdlib.h>

#include "smallpt.h"


#define VMASK   ((lanes_set) (1u << VW) - 1)

/* frames a lane's stack keeps between paths (see push_frame()) */
#define FRAMES_KEPT  64

/* sphere ids in vectors; NONE: nothing hit */
#define MIRROR  6
#define GLASS   7
#define NONE    NSPHERES


/* How a bounce's radiance comes from its child's, L. */
enum {
    FOLD_PLAIN = 0,     /* e + f L: diffuse, mirror, total reflection */
    FOLD_SCALED,        /* e + f (L k): glass past depth 2 */
    FOLD_REFRACTED,     /* glass at depth 1, 2: keep L tr, trace refl */
    FOLD_REFLECTED      /* and then e + f (L re + kept) */
};


/*
 * A frame: the bounce at depth i + 1 is frame i of its lane's stack. The
 * frames that can turn a radiance of 0 into another, those of an emitting
 * sphere and glass splits, are linked, the last in lane.lit.
 */
typedef struct {
    double         k;       /* FOLD_SCALED: the factor */
    int            prev;    /* the link, -1: none */
    unsigned char  id;      /* the sphere hit */
    unsigned char  kind;    /* FOLD_* */
} frame;


/* A glass split of depth 1 or 2: the reflected ray, traced second. */
typedef struct {
    vec     x;          /* where it starts */
    vec     refl;       /* its direction */
    vec     kept;       /* the refracted radiance * tr, once known */
    double  re;
    double  tr;
} split;


/* A row being rendered, and where its current path stands. */
typedef struct {
    int             row;        /* image row, 0 at the top; -1: idle lane */
    unsigned        x;          /* the pixel */
    unsigned        y;          /* smallpt's row: 0 at the bottom */
    int             sx, sy, s;  /* subpixel and sample */
    vec             r;          /* the subpixel's radiance so far */
    vec             acc;        /* the pixel's colour so far */
    unsigned char  *rgb;        /* the row's pixels */
    frame          *stack;
    int             cap;
    int             lit;        /* the last linked frame, -1: none */
    split           splits[3];  /* [depth]: 1 and 2 */
} lane;


/* A set of lanes: lane k at bit k. */
typedef uint64_t  lanes_set;

#define LANE(k)  ((lanes_set) 1 << (k))


/*
 * The lanes as arrays, for the vectors: their rays and paths, and what one
 * bounce found out.
 */
typedef struct {
    double    ox[LANES], oy[LANES], oz[LANES];  /* the rays */
    double    dx[LANES], dy[LANES], dz[LANES];
    double    depth[LANES];                     /* the ray's depth */
    int32_t   level[LANES];                     /* depth - 1, as int */
    uint64_t  xi[LANES];                        /* the row's erand48 state */

    double    t[LANES];                         /* the nearest hit so far */
    uint64_t  id[LANES];                        /* and its sphere */
    double    hx[LANES], hy[LANES], hz[LANES];  /* the hit point */
    double    nx[LANES], ny[LANES], nz[LANES];  /* the normal there */
    double    wx[LANES], wy[LANES], wz[LANES];  /* and facing the ray */
    double    r1[LANES], r2[LANES];             /* diffuse: angle, radius */
    double    cos_r1[LANES], sin_r1[LANES];

    lanes_set  active;      /* lanes with a row */
    lanes_set  alive;       /* paths going on after this bounce */
    lanes_set  diffuse;     /* of those, diffuse bounces */
    lanes_set  glass;       /* and glass ones */
    lanes_set  trig;        /* diffuse ones that call cos() and sin() */
    lanes_set  ended;       /* paths ended at this bounce */
} lanes_state;


/*
 * The spheres as tables for vd_lookup (16 entries, NONE and beyond
 * harmless), and their colours for the fold.
 */
typedef struct {
    double       px[16], py[16], pz[16];    /* centres */
    double       p[16];                     /* largest colour component */
    vec          f[2][NSPHERES];            /* colour, and after roulette */
    int          emits[NSPHERES];           /* emission not 0 */
} scene_tables;


typedef struct {
    vec     o;
    vec     d;
    vec     cx;
    vec     cy;
    double  w;
    double  h;
} camera;


typedef struct {
    const smallpt_trace_rows_args  *args;
    camera                          cam;
    double                          inv_samps;  /* 1. / samps */
    size_t                          stride;
    scene_tables                    tab;
    lanes_state                     st;
    lane                            lanes[LANES];
} engine;


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
vv_select(vm m, vvec a, vvec b)
{
    return vv_make(vd_select(m, a.x, b.x), vd_select(m, a.y, b.y),
                   vd_select(m, a.z, b.z));
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
 * erand48() on each lane's state: x' = (0x5DEECE66D x + 0xB) mod 2^48, from
 * 32 x 32-bit products (the low 64 bits of the product suffice), and its
 * value x' / 2^48: x' in the mantissa of 2^52, 2^52 taken off, times 2^-48,
 * all exact, so the double glibc builds.
 */
static inline vi
vi_rand48_next(vi x)
{
    vi  al;

    al = vi_set(0xDEECE66D);
    x = vi_add(vi_mul32(x, al),
               vi_shl32(vi_add(vi_mul32(vi_shr32(x), al),
                               vi_mul32(x, vi_set(0x5)))));
    return vi_and(vi_add(x, vi_set(0xB)), vi_set(0xFFFFFFFFFFFF));
}


static inline vd
vi_rand48_value(vi x)
{
    return vd_mul(vd_sub(vd_from_vi(vi_or(x, vi_set(0x4330000000000000))),
                         vd_set(0x1p52)),
                  vd_set(0x1p-48));
}


/* The lanes' erand48() where m is set; the others keep their state. */
static inline vd
vi_rand48(vi *xi, vm m)
{
    *xi = vi_select(m, vi_rand48_next(*xi), *xi);
    return vi_rand48_value(*xi);
}


static void
scene_tables_init(scene_tables *t)
{
    int  i;
    vec  f;

    for (i = 0; i < 16; i++) {
        t->px[i] = i < NSPHERES ? spheres[i].p.x : 0;
        t->py[i] = i < NSPHERES ? spheres[i].p.y : 0;
        t->pz[i] = i < NSPHERES ? spheres[i].p.z : 0;
        t->p[i] = 0;
    }

    for (i = 0; i < NSPHERES; i++) {
        f = spheres[i].c;

        /* the light (p = 0) never goes on after a roulette */
        t->p[i] = f.x > f.y && f.x > f.z ? f.x : f.y > f.z ? f.y : f.z;
        t->f[0][i] = f;
        t->f[1][i] = t->p[i] > 0 ? vec_scale(f, 1 / t->p[i]) : f;
        t->emits[i] = spheres[i].e.x != 0 || spheres[i].e.y != 0
                      || spheres[i].e.z != 0;
    }
}


/*
 * The rays of lanes k to k + VW - 1 against every sphere, as smallpt's
 * intersect():
 * the distance b -+ sqrt(det) to a sphere, the nearer one beyond EPS (0 if
 * none, or if det < 0: its root is NaN, and NaN is beyond nothing), and the
 * spheres scanned from the last, a hit (not 0) strictly nearer than the
 * best so far winning. id is NONE where nothing is hit.
 */
static inline void
intersect(engine *en, int k)
{
    int                 i;
    vd                  b, det, root, t1, t2, eps, best;
    vi                  best_id;
    vm                  near1, nearer;
    vvec                o, d, op;
    lanes_state        *st = &en->st;

    eps = vd_set(EPS);
    o = vv_load(st->ox, st->oy, st->oz, k);
    d = vv_load(st->dx, st->dy, st->dz, k);

    best = vd_set(1e20);
    best_id = vi_set(NONE);

    /*
     * unrolled, with the centres as constants: the compiler then computes
     * what spheres share (p.x - o.x for the five with x = 50, and its
     * products) once
     */
#if defined(__clang__)
#pragma clang loop unroll(full)
#elif defined(__GNUC__)
#pragma GCC unroll 9
#endif
    for (i = NSPHERES - 1; i >= 0; i--) {
        op = vv_sub(vv_make(vd_set(spheres[i].p.x), vd_set(spheres[i].p.y),
                            vd_set(spheres[i].p.z)), o);
        b = vv_dot(op, d);
        det = vd_add(vd_sub(vd_mul(b, b), vv_dot(op, op)),
                     vd_set(spheres[i].rad * spheres[i].rad));

        /*
         * (t = b - root) > eps ? t : (t = b + root) > eps ? t : 0, and
         * that "not 0" and nearer: t1 where it is beyond eps, else t2, is
         * a hit where one of them is
         */
        root = vd_sqrt(det);
        t1 = vd_sub(b, root);
        t2 = vd_add(b, root);
        near1 = vd_gt(t1, eps);
        t1 = vd_select(near1, t1, t2);

        nearer = vm_and(vm_or(near1, vd_gt(t2, eps)), vd_lt(t1, best));
        best = vd_select(nearer, t1, best);
        best_id = vi_select(nearer, vi_set(i), best_id);
    }

    vd_store(st->t + k, best);
    vi_store(st->id + k, best_id);
}


/*
 * glibc's error bound is what makes trig()'s bits glibc's: with another C
 * library, the library's sin and cos do all
 */
#if defined(VD_FMA) && defined(__GLIBC__)
#define TRIG_VECTORS  1
#endif


#if (TRIG_VECTORS)

/*
 * cos() and sin() of angles 0 <= x < 2 pi, each lane's as glibc's: a
 * diffuse bounce's sincos() call was a third of the render, and it waits
 * for every operation before it (glibc reads the rounding mode first).
 *
 * Why the bits are glibc's: glibc's sin and cos are off by at most 0.548
 * of a unit in the last place (ulp), the largest of the bounds its source
 * states for its ranges (in comments, from its authors' analysis and
 * tests, not a proof; `make test-trig` saw at most 0.5155 ulp in 10^8
 * random angles). One case is worse: between 0.855 and 2.426 glibc takes
 * pi/2 off x in two doubles only, which costs up to 2^-109, so where x is
 * within about 2^-50 of pi/2 its cos is off by up to 0.56 ulp; trig()
 * leaves every x within 2^-20 of a multiple of pi/2 to glibc.
 *
 * Where the exact value y lies within 0.45 ulp of a double d,
 * every other double is at least 0.55 ulp from y, so glibc returns d.
 * trig() computes y as a sum h + l of two doubles to about 2^-60 of y
 * (`make test-trig` measures it against libquadmath: within 2^-13 ulp),
 * rounds it to h, and vouches for h only where |l| is at most 0.45 ulp
 * less a margin of 1/64 ulp, far above that error, and h is not a power
 * of two (where the ulp below is half the one above). The other lanes, a
 * quarter of them, call glibc; tracer/tests/test_trig.c checks the bits
 * against glibc's, and trig()'s accuracy against long double's.
 *
 * How: r = x - k pi/2, k the nearest integer to x 2/pi, as a sum of two
 * doubles with pi/2 in three parts; then sin r and cos r by their Taylor
 * series to r^19 and r^20 (|r| <= pi/4 + a little: the terms left out are
 * below 2^-64), the leading terms with the rounding error of each product
 * and sum carried along (fma gives a product's), the small tail rounded;
 * then the quadrant, k mod 4, picks and signs them.
 */

/* pi/2 = TRIG_PIO2_1 + TRIG_PIO2_2 + TRIG_PIO2_3 to 2^-160 */
#define TRIG_PIO2_1   0x1.921fb54442d18p+0
#define TRIG_PIO2_2   0x1.1a62633145c07p-54
#define TRIG_PIO2_3  -0x1.f1976b7ed8fbcp-110
#define TRIG_2_PI     0x1.45f306dc9c883p-1      /* 2 / pi */
#define TRIG_ROUND    0x1.8p52                  /* x + this - this: rint */

/* the two leading coefficients of each series as two doubles */
#define TRIG_S3_HI   -0x1.5555555555555p-3      /* -1/3! */
#define TRIG_S3_LO   -0x1.5555555555555p-57
#define TRIG_S5_HI    0x1.1111111111111p-7      /* 1/5! */
#define TRIG_S5_LO    0x1.1111111111111p-63
#define TRIG_C4_HI    0x1.5555555555555p-5      /* 1/4! */
#define TRIG_C4_LO    0x1.5555555555555p-59
#define TRIG_C6_HI   -0x1.6c16c16c16c17p-10     /* -1/6! */
#define TRIG_C6_LO    0x1.f49f49f49f49fp-65

/* r nearer 0 than this: x is too near a multiple of pi/2 (see above) */
#define TRIG_NEAR_PIO2  0x1p-20

/* how far from h the sum h + l may be, in units of 2^exponent(h) */
#define TRIG_ACCEPT  ((0.45 - 1. / 64) * 0x1p-52)


static inline vd
vd_neg(vd a)
{
    return vd_mul(a, vd_set(-1));
}


/* the lanes where h + l rounds to h for glibc too (see above) */
static inline vm
trig_sure(vd h, vd l)
{
    vi  bits;
    vd  scale;

    bits = vi_from_vd(h);
    scale = vd_from_vi(vi_and(bits, vi_set(0x7FF0000000000000)));

    return vm_andnot(vd_lt(vd_abs(l), vd_mul(scale, vd_set(TRIG_ACCEPT))),
                     vi_eq(vi_and(bits, vi_set(0x000FFFFFFFFFFFFF)),
                           vi_set(0)));
}


/* *h + *l = a + b exactly, *h rounded, for |a| >= |b| */
static inline void
fast_two_sum(vd a, vd b, vd *h, vd *l)
{
    *h = vd_add(a, b);
    *l = vd_sub(b, vd_sub(*h, a));
}


/*
 * *h + *l = (ah + al) (bh + bl) to about 2^-104 of it: ah bh exactly by
 * fma, the cross terms rounded, al bl left out
 */
static inline void
mul_two(vd ah, vd al, vd bh, vd bl, vd *h, vd *l)
{
    *h = vd_mul(ah, bh);
    *l = vd_add(vd_fma(ah, bh, vd_neg(*h)), vd_fma(ah, bl, vd_mul(al, bh)));
}


/*
 * *h + *l = c1 + z (c2 + tail), a series' two leading coefficients, each
 * given as two doubles, and the rest of it, small enough to be rounded
 */
static inline void
series_head(vd zh, vd zl, vd tail, double c1_hi, double c1_lo, double c2_hi,
    double c2_lo, vd *h, vd *l)
{
    vd  ch, cl, th, tl;

    fast_two_sum(vd_set(c2_hi), tail, &ch, &cl);
    cl = vd_add(cl, vd_set(c2_lo));
    mul_two(zh, zl, ch, cl, &th, &tl);
    fast_two_sum(vd_set(c1_hi), th, h, l);
    *l = vd_add(*l, vd_add(tl, vd_set(c1_lo)));
}


/*
 * sin x and cos x from s = sin r and c = cos r, r = x - q pi/2: for q mod 4
 * = 0, 1, 2, 3, sin x = s, c, -s, -c and cos x = c, -s, -c, s
 */
static inline void
trig_quadrant(vi q, vd s, vd c, vd *sin_x, vd *cos_x)
{
    vd  h;
    vm  odd;

    odd = vi_eq(vi_and(q, vi_set(1)), vi_set(1));

    h = vd_select(odd, c, s);
    *sin_x = vd_select(vi_eq(vi_and(q, vi_set(2)), vi_set(2)), vd_neg(h), h);

    h = vd_select(odd, s, c);
    *cos_x = vd_select(vi_eq(vi_and(vi_add(q, vi_set(1)), vi_set(2)),
                             vi_set(2)),
                       vd_neg(h), h);
}


/*
 * sin x and cos x rounded, where the bits are sure to be glibc's; returns
 * those lanes as bits. sin_lo and cos_lo get what the rounding left out
 * (for the tests' measure of the error).
 */
static inline unsigned
trig(vd x, vd *sin_x, vd *cos_x, vd *sin_lo, vd *cos_lo)
{
    vd  m, k, t, p, pe, b, e, rh, rl, zh, zl, wh, wl, h, ph, pl, qh, ql,
        sh, sl, ch, cl, ah, ae, bh, be, half;
    vi  q;
    vm  sure;

    half = vd_set(.5);

    /* k = rint(x 2/pi) and q = k mod 4 from the bits of m */
    m = vd_add(vd_mul(x, vd_set(TRIG_2_PI)), vd_set(TRIG_ROUND));
    k = vd_sub(m, vd_set(TRIG_ROUND));
    q = vi_from_vd(m);

    /*
     * r = rh + rl = x - k pi/2: t = x - k PIO2_1 is exact (for k = 0 it
     * is x; for k >= 1, x >= 0.5 and k PIO2_1 are multiples of 2^-53, and
     * |t| < 1); k PIO2_2 = p + pe exactly; t - p = rh + e exactly
     * (two-sum); k PIO2_3 is far below what matters
     */
    t = vd_fma(vd_neg(k), vd_set(TRIG_PIO2_1), x);
    p = vd_mul(k, vd_set(TRIG_PIO2_2));
    pe = vd_fma(k, vd_set(TRIG_PIO2_2), vd_neg(p));
    rh = vd_sub(t, p);
    b = vd_sub(rh, t);
    e = vd_add(vd_sub(t, vd_sub(rh, b)), vd_sub(vd_neg(p), b));
    rl = vd_sub(vd_sub(e, pe), vd_mul(k, vd_set(TRIG_PIO2_3)));

    /* z = r^2 */
    mul_two(rh, rl, rh, rl, &zh, &zl);

    /* sin r = r + r^3 (-1/3! + z (1/5! + z tail)), the tail in doubles */
    h = vd_set(-1. / 121645100408832000.);          /* -1/19! */
    h = vd_fma(h, zh, vd_set(1. / 355687428096000.));
    h = vd_fma(h, zh, vd_set(-1. / 1307674368000.));
    h = vd_fma(h, zh, vd_set(1. / 6227020800.));
    h = vd_fma(h, zh, vd_set(-1. / 39916800.));
    h = vd_fma(h, zh, vd_set(1. / 362880.));
    h = vd_fma(h, zh, vd_set(-1. / 5040.));         /* -1/7! */
    series_head(zh, zl, vd_mul(h, zh), TRIG_S3_HI, TRIG_S3_LO, TRIG_S5_HI,
                TRIG_S5_LO, &ph, &pl);
    mul_two(rh, rl, zh, zl, &wh, &wl);
    mul_two(wh, wl, ph, pl, &qh, &ql);

    fast_two_sum(rh, qh, &sh, &sl);
    sl = vd_add(sl, vd_add(rl, ql));
    fast_two_sum(sh, sl, &sh, &sl);

    /* cos r = 1 - z/2 + z^2 (1/4! + z (-1/6! + z tail)) */
    h = vd_set(1. / 2432902008176640000.);          /* 1/20! */
    h = vd_fma(h, zh, vd_set(-1. / 6402373705728000.));
    h = vd_fma(h, zh, vd_set(1. / 20922789888000.));
    h = vd_fma(h, zh, vd_set(-1. / 87178291200.));
    h = vd_fma(h, zh, vd_set(1. / 479001600.));
    h = vd_fma(h, zh, vd_set(-1. / 3628800.));
    h = vd_fma(h, zh, vd_set(1. / 40320.));         /* 1/8! */
    series_head(zh, zl, vd_mul(h, zh), TRIG_C4_HI, TRIG_C4_LO, TRIG_C6_HI,
                TRIG_C6_LO, &ph, &pl);
    mul_two(zh, zl, zh, zl, &wh, &wl);
    mul_two(wh, wl, ph, pl, &qh, &ql);

    /* 1 - zh/2 is exact in two; then + qh, + the small parts */
    fast_two_sum(vd_set(1), vd_neg(vd_mul(zh, half)), &ah, &ae);
    fast_two_sum(ah, qh, &bh, &be);
    cl = vd_sub(vd_add(vd_add(ae, be), ql), vd_mul(zl, half));
    fast_two_sum(bh, cl, &ch, &cl);

    sure = vm_and(vm_and(trig_sure(sh, sl), trig_sure(ch, cl)),
                  vd_gt(vd_abs(rh), vd_set(TRIG_NEAR_PIO2)));

    trig_quadrant(q, sh, ch, sin_x, cos_x);
    trig_quadrant(q, sl, cl, sin_lo, cos_lo);

    return vm_bits(sure);
}


#endif


#if defined(VD_FMA)

/*
 * For the tests: n angles 0 <= x < 2 pi, their sin and cos as the
 * renderer gets them, trig()'s or the C library's; returns how many were
 * the C library's.
 */
static size_t
trace_trig(const double *x, smallpt_trig_result *out, size_t n)
{
    size_t    i, j, called;
    double    a[VW], s[VW], c[VW], sl[VW], cl[VW];
    unsigned  sure;
#if (TRIG_VECTORS)
    vd        vs, vc, vsl, vcl;
#endif

    called = 0;

    for (i = 0; i < n; i += VW) {
        for (j = 0; j < VW; j++) {
            a[j] = x[i + j < n ? i + j : i];
            s[j] = 0;
            c[j] = 0;
            sl[j] = 0;
            cl[j] = 0;
        }

#if (TRIG_VECTORS)
        sure = trig(vd_load(a), &vs, &vc, &vsl, &vcl);
        vd_store(s, vs);
        vd_store(c, vc);
        vd_store(sl, vsl);
        vd_store(cl, vcl);
#else
        sure = 0;
#endif

        for (j = 0; j < VW && i + j < n; j++) {
            out[i + j].sin_hi = s[j];
            out[i + j].sin_lo = sl[j];
            out[i + j].cos_hi = c[j];
            out[i + j].cos_lo = cl[j];
            out[i + j].glibc = !(sure & (1u << j));

            if (sure & (1u << j)) {
                out[i + j].sin_x = s[j];
                out[i + j].cos_x = c[j];

            } else {
                out[i + j].sin_x = sin(a[j]);
                out[i + j].cos_x = cos(a[j]);
                called++;
            }
        }
    }

    return called;
}

#endif


/*
 * The part of radiance() before its recursive call, for the lanes k to
 * k + VW - 1, once intersect() found where each ray hits: the normal there,
 * Russian roulette,
 * and the next ray of a mirror bounce; for a diffuse bounce, its random
 * numbers and cos and sin of its angle where trig() can (the direction:
 * diffuse_dirs()). Glass, a lane
 * or two a bounce, is left to bounce_glass(). What the lanes do next is
 * left in the lane sets.
 */
static inline void
shade(engine *en, int k)
{
    vd                   t, depth, zero, one, r1;
    vi                   id, xi;
    unsigned             sure;
    vm                   active, hit, rr, alive, mirror, glass, diff, facing;
    vvec                 o, d, x, n, nl, refl;
#if (TRIG_VECTORS)
    vd                   sin_r1, cos_r1, sin_lo, cos_lo;
#endif
    lanes_state         *st = &en->st;
    const scene_tables  *tab = &en->tab;

    zero = vd_set(0);
    one = vd_set(1);

    active = vm_from_bits(st->active >> k);
    o = vv_load(st->ox, st->oy, st->oz, k);
    d = vv_load(st->dx, st->dy, st->dz, k);
    t = vd_load(st->t + k);
    id = vi_load(st->id + k);

    hit = vm_andnot(active, vi_eq(id, vi_set(NONE)));

    /* x = o + d t, n = norm(x - p), nl = n.d < 0 ? n : n * -1 */
    x = vv_add(o, vv_scale(d, t));
    n = vv_norm(vv_sub(x, vv_make(vd_lookup(tab->px, id),
                                  vd_lookup(tab->py, id),
                                  vd_lookup(tab->pz, id))));
    facing = vd_lt(vv_dot(n, d), zero);
    nl = vv_select(facing, n, vv_scale(n, vd_set(-1)));

    /* ++depth > 5: go on with probability p, else return the emission */
    depth = vd_add(vd_load(st->depth + k), one);
    vd_store(st->depth + k, depth);
    vd_store_int(st->level + k, vd_sub(depth, one));

    xi = vi_load(st->xi + k);
    rr = vm_and(hit, vd_gt(depth, vd_set(5)));
    alive = vm_andnot(hit, vm_andnot(rr, vd_lt(vi_rand48(&xi, rr),
                                               vd_lookup(tab->p, id))));

    mirror = vm_and(alive, vi_eq(id, vi_set(MIRROR)));
    glass = vm_and(alive, vi_eq(id, vi_set(GLASS)));
    diff = vm_andnot(vm_andnot(alive, mirror), glass);

    /* diffuse: r1 = 2 pi erand48(), r2 = erand48(), cos r1 and sin r1 */
    r1 = vd_mul(vd_set(2 * PI), vi_rand48(&xi, diff));
    vd_store(st->r1 + k, r1);
    vd_store(st->r2 + k, vi_rand48(&xi, diff));

#if (TRIG_VECTORS)
    sure = trig(r1, &sin_r1, &cos_r1, &sin_lo, &cos_lo);
    vd_store(st->cos_r1 + k, cos_r1);
    vd_store(st->sin_r1 + k, sin_r1);
#else
    sure = 0;
#endif

    st->trig |= (lanes_set) (vm_bits(diff) & ~sure) << k;

    vv_store(st->hx, st->hy, st->hz, k, x);
    vv_store(st->wx, st->wy, st->wz, k, nl);

    /* a mirror's ray: refl = d - n 2 (n.d) */
    refl = vv_sub(d, vv_scale(vv_scale(n, vd_set(2)), vv_dot(n, d)));
    vv_store(st->nx, st->ny, st->nz, k, n);

    vi_store(st->xi + k, xi);

    /*
     * the next ray of the paths going on: diffuse ones get their direction
     * from diffuse_dirs(), glass ones theirs from bounce_glass()
     */
    vv_store(st->ox, st->oy, st->oz, k, vv_select(alive, x, o));
    vv_store(st->dx, st->dy, st->dz, k, vv_select(mirror, refl, d));

    st->alive |= (lanes_set) vm_bits(alive) << k;
    st->diffuse |= (lanes_set) vm_bits(diff) << k;
    st->glass |= (lanes_set) vm_bits(glass) << k;
    st->ended |= (lanes_set) vm_bits(vm_andnot(active, alive)) << k;
}


/*
 * The new directions of the diffuse bounces, from w = nl and the random
 * angle and radius: u = norm((|w.x| > .1 ? (0, 1, 0) : (1, 0, 0)) x w),
 * v = w x u, d = norm(u cos(r1) sqrt(r2) + v sin(r1) sqrt(r2)
 * + w sqrt(1 - r2)).
 */
static inline void
diffuse_dirs(lanes_state *st, int k)
{
    vd    r2, r2s, zero, one;
    vm    steep, diff;
    vvec  w, u, v, a, dir;

    zero = vd_set(0);
    one = vd_set(1);
    diff = vm_from_bits(st->diffuse >> k);

    w = vv_load(st->wx, st->wy, st->wz, k);
    r2 = vd_load(st->r2 + k);
    r2s = vd_sqrt(r2);

    steep = vd_gt(vd_abs(w.x), vd_set(.1));
    a = vv_make(vd_select(steep, zero, one), vd_select(steep, one, zero),
                zero);
    u = vv_norm(vv_cross(a, w));
    v = vv_cross(w, u);

    dir = vv_norm(vv_add(vv_add(vv_scale(vv_scale(u, vd_load(st->cos_r1 + k)),
                                         r2s),
                                vv_scale(vv_scale(v, vd_load(st->sin_r1 + k)),
                                         r2s)),
                         vv_scale(w, vd_sqrt(vd_sub(one, r2)))));

    vv_store(st->dx, st->dy, st->dz, k,
             vv_select(diff, dir, vv_load(st->dx, st->dy, st->dz, k)));
}


static inline void
set_ray(lanes_state *st, int k, vec o, vec d)
{
    st->ox[k] = o.x;
    st->oy[k] = o.y;
    st->oz[k] = o.z;
    st->dx[k] = d.x;
    st->dy[k] = d.y;
    st->dz[k] = d.z;
}


/*
 * The lane's next camera ray: smallpt's tent filter and camera. One lane at
 * a time: a bounce ends one path in ten, and square roots and divisions of
 * vectors cost as much for the lanes that do not need them.
 */
static inline void
camera_ray(engine *en, lane *l, int k)
{
    vec            d;
    double         r1, r2, s, dx, dy;
    uint64_t      *xi = &en->st.xi[k];
    const camera  *cam = &en->cam;

    /* the tent filter: r1 < 1 ? sqrt(r1) - 1 : 1 - sqrt(2 - r1) */
    r1 = 2 * rand48(xi);
    s = root(choose_lt(r1, 1, r1, 2 - r1));
    dx = choose_lt(r1, 1, s - 1, 1 - s);
    r2 = 2 * rand48(xi);
    s = root(choose_lt(r2, 1, r2, 2 - r2));
    dy = choose_lt(r2, 1, s - 1, 1 - s);

    d = vec_add(vec_add(vec_scale(cam->cx, ((l->sx + .5 + dx) / 2 + l->x)
                                           / cam->w - .5),
                        vec_scale(cam->cy, ((l->sy + .5 + dy) / 2 + l->y)
                                           / cam->h - .5)),
                cam->d);

    /* g++ normalizes d before it computes the origin */
    d = vec_norm(d);

    set_ray(&en->st, k, vec_add(cam->o, vec_scale(d, 140)), d);
    en->st.depth[k] = 0;
}


/* Gives the lane its next row, or makes it idle. */
static void
start_row(engine *en, lane *l, int k)
{
    unsigned                        y;
    const smallpt_trace_rows_args  *a = en->args;

    l->row = a->claim(a->data);
    if (l->row < 0) {
        en->st.active &= ~LANE(k);
        return;
    }

    y = (unsigned) (a->height - 1 - l->row);

    l->x = 0;
    l->y = y;
    l->sx = 0;
    l->sy = 0;
    l->s = 0;
    l->r = vec_make(0, 0, 0);
    l->acc = vec_make(0, 0, 0);
    l->rgb = a->rgb + en->stride * (size_t) (l->row - a->first_row);

    /* Xi = {0, 0, y*y*y}: only y^3 mod 2^16 is kept, in the high word */
    en->st.xi[k] = (uint64_t) ((y * y * y) & 0xFFFF) << 32;
    en->st.active |= LANE(k);

    camera_ray(en, l, k);
}


/* A sample's radiance is known: add it, move on to the next sample. */
static inline void
sample_done(engine *en, lane *l, int k, vec radiance)
{
    const smallpt_trace_rows_args  *a = en->args;

    l->r = vec_add(l->r, vec_scale(radiance, en->inv_samps));

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


/*
 * Lane k's path ended at this bounce with radiance L: fold its frames back,
 * as the recursion returns, until the sample is done or a glass split's
 * reflected ray is still to trace.
 */
static void
path_done(engine *en, lane *l, int k, vec L)
{
    int           i;
    vec           e;
    const vec    *f;
    frame        *fr, *stack;
    split        *sp;
    lanes_state  *st = &en->st;

    /* the bounce that ended the path (depth) pushed no frame */
    i = (int) st->depth[k] - 2;

    while (i >= 0) {

        /* L = 0 stays exactly 0 through e + f L with e = 0 (all >= 0) */
        if (L.x == 0 && L.y == 0 && L.z == 0) {
            i = l->lit;
            if (i < 0) {
                break;
            }
        }

        fr = &l->stack[i];
        f = &en->tab.f[i + 1 > 5][fr->id];
        e = spheres[fr->id].e;

        switch (fr->kind) {

        case FOLD_PLAIN:
            L = vec_add(e, vec_mult(*f, L));
            break;

        case FOLD_SCALED:
            L = vec_add(e, vec_mult(*f, vec_scale(L, fr->k)));
            break;

        case FOLD_REFRACTED:
            sp = &l->splits[i + 1];
            sp->kept = vec_scale(L, sp->tr);
            fr->kind = FOLD_REFLECTED;

            set_ray(st, k, sp->x, sp->refl);
            st->depth[k] = i + 1;
            return;

        default: /* FOLD_REFLECTED */
            sp = &l->splits[i + 1];
            L = vec_add(e, vec_mult(*f, vec_add(vec_scale(L, sp->re),
                                                sp->kept)));
            break;
        }

        if (i == l->lit) {
            l->lit = fr->prev;
        }

        i--;
    }

    /* the stack is empty: one grown by a long path shrinks back */
    if (l->cap > FRAMES_KEPT) {
        stack = realloc(l->stack, FRAMES_KEPT * sizeof(frame));
        if (stack != NULL) {
            l->stack = stack;
            l->cap = FRAMES_KEPT;
        }
    }

    sample_done(en, l, k, L);
}


/*
 * The rest of a glass bounce of lane k, whose frame is fr (plain so far):
 * smallpt's refraction. The reflected ray for a total internal reflection;
 * else past depth 2 one of the two rays by roulette, and at depth 1 and 2
 * both, the refracted one first.
 */
static inline void
bounce_glass(engine *en, lane *l, int k, frame *fr)
{
    int           into, depth;
    vec           d, x, n, nl, tdir, refl;
    double        nnt, ddn, cos2t, r0, c, re, tr, pr;
    split        *sp;
    lanes_state  *st = &en->st;

    d = vec_make(st->dx[k], st->dy[k], st->dz[k]);
    x = vec_make(st->hx[k], st->hy[k], st->hz[k]);
    n = vec_make(st->nx[k], st->ny[k], st->nz[k]);
    nl = vec_make(st->wx[k], st->wy[k], st->wz[k]);

    refl = vec_sub(d, vec_scale(vec_scale(n, 2), vec_dot(n, d)));
    into = vec_dot(n, nl) > 0;
    nnt = into ? 1 / 1.5 : 1.5 / 1;
    ddn = vec_dot(d, nl);
    cos2t = 1 - nnt * nnt * (1 - ddn * ddn);

    if (cos2t < 0) {
        set_ray(st, k, x, refl);
        return;
    }

    tdir = vec_norm(vec_sub(vec_scale(d, nnt),
                            vec_scale(n, (into ? 1 : -1)
                                         * (ddn * nnt + root(cos2t)))));
    r0 = (.5 * .5) / (2.5 * 2.5);
    c = 1 - (into ? -ddn : vec_dot(tdir, n));
    re = r0 + (1 - r0) * c * c * c * c * c;
    tr = 1 - re;
    pr = .25 + .5 * re;
    depth = (int) st->depth[k];

    if (depth > 2) {
        fr->kind = FOLD_SCALED;

        if (rand48(&st->xi[k]) < pr) {
            fr->k = re / pr;
            set_ray(st, k, x, refl);

        } else {
            fr->k = tr / (1 - pr);
            set_ray(st, k, x, tdir);
        }

        return;
    }

    /* g++ evaluates the refracted ray first: it draws its numbers first */
    fr->kind = FOLD_REFRACTED;
    l->lit = depth - 1;     /* linked by push_frames() already */
    sp = &l->splits[depth];
    sp->re = re;
    sp->tr = tr;
    sp->x = x;
    sp->refl = refl;

    set_ray(st, k, x, tdir);
}


/* Lane k's path goes on: it pushes its frame. */
static inline int
push_frame(engine *en, int k)
{
    int     i, cap;
    lane   *l;
    frame  *stack, *fr;

    l = &en->lanes[k];
    i = en->st.level[k];

    /*
     * Most paths are short (9.5 bounces on average), a few long: a ray
     * caught in the glass sphere went 2036 bounces deep in a 1024x768 image
     * at spp 16. The stack starts small and doubles, which every render
     * then does, tested; grown past FRAMES_KEPT, it shrinks back once its
     * path is done (path_done()), so that a thread's stacks stay small.
     */
    if (i >= l->cap) {
        cap = l->cap != 0 ? 2 * l->cap : 16;
        stack = realloc(l->stack, (size_t) cap * sizeof(frame));
        if (stack == NULL) {
            return SMALLPT_ENOMEM;
        }

        l->stack = stack;
        l->cap = cap;
    }

    fr = &l->stack[i];
    fr->id = (unsigned char) en->st.id[k];
    fr->kind = FOLD_PLAIN;
    fr->prev = l->lit;
    l->lit = en->tab.emits[fr->id] ? i : l->lit;

    return SMALLPT_OK;
}


/*
 * The scalar part of a bounce: each diffuse path that trig() left gets cos
 * and sin of its angle from glibc, each going-on one pushes its frame,
 * each glass one gets its ray.
 * Returns SMALLPT_OK or SMALLPT_ENOMEM.
 *
 * glibc's sincos() begins with stmxcsr, which waits for every
 * floating-point operation before it and holds back those after it; not
 * integer ones: the frames are pushed between the calls.
 */
static int
bounce_lanes(engine *en)
{
    int           k;
    lane         *l;
    lanes_set     calls, pushes;
    lanes_state  *st = &en->st;

    pushes = st->alive;

    for (calls = st->trig; calls != 0; calls &= calls - 1) {
        k = __builtin_ctzll(calls);
        st->cos_r1[k] = cos(st->r1[k]);
        st->sin_r1[k] = sin(st->r1[k]);

        if (pushes != 0) {
            if (push_frame(en, __builtin_ctzll(pushes)) != SMALLPT_OK) {
                return SMALLPT_ENOMEM;
            }

            pushes &= pushes - 1;
        }
    }

    for ( /* void */ ; pushes != 0; pushes &= pushes - 1) {
        if (push_frame(en, __builtin_ctzll(pushes)) != SMALLPT_OK) {
            return SMALLPT_ENOMEM;
        }
    }

    for (calls = st->glass; calls != 0; calls &= calls - 1) {
        k = __builtin_ctzll(calls);
        l = &en->lanes[k];
        bounce_glass(en, l, k, &l->stack[st->level[k]]);
    }

    return SMALLPT_OK;
}


static int
trace_rows(const smallpt_trace_rows_args *a)
{
    int           k, rc, lanes;
    engine       *en;
    lanes_set     todo;
    camera       *cam;
    lanes_state  *st;

    en = malloc(sizeof(engine));
    if (en == NULL) {
        return SMALLPT_ENOMEM;
    }

    st = &en->st;
    cam = &en->cam;

    scene_tables_init(&en->tab);

    cam->o = vec_make(50, 52, 295.6);
    cam->d = vec_norm(vec_make(0, -0.042612, -1));
    cam->cx = vec_make(a->width * .5135 / a->height, 0, 0);
    cam->cy = vec_scale(vec_norm(vec_cross(cam->cx, cam->d)), .5135);
    cam->w = a->width;
    cam->h = a->height;

    en->args = a;
    en->inv_samps = 1. / a->samps;
    en->stride = (size_t) a->width * 3;

    st->active = 0;
    st->alive = 0;
    st->diffuse = 0;
    st->glass = 0;
    st->trig = 0;
    st->ended = 0;

    /* idle lanes trace a harmless copy of a real ray */
    for (k = 0; k < LANES; k++) {
        set_ray(st, k, cam->o, cam->d);
        st->depth[k] = 0;
        st->xi[k] = 0;
        en->lanes[k].stack = NULL;
        en->lanes[k].cap = 0;
        en->lanes[k].lit = -1;
    }

    /*
     * Rows in flight: a row is finished only when all its samples are, and
     * the lanes advance together, so rows arrive in batches of the lanes;
     * a streamed image is painted as they do. All LANES for a tall image,
     * fewer for a short one (a twelfth of its rows, 16 at the least), so
     * that its rows too arrive over the render, not all at its end.
     */
    lanes = a->height / 12 < 16 ? 16 : a->height / 12;
    lanes = lanes < LANES ? (lanes + VW - 1) / VW * VW : LANES;

    /*
     * and no more than this thread's share of a small band: another
     * thread, started a moment later, would find no row left, and the
     * band would take one thread's time on two threads' CPUs
     */
    if (a->lanes > 0 && lanes > a->lanes) {
        lanes = a->lanes;
    }

    for (k = 0; k < lanes; k++) {
        start_row(en, &en->lanes[k], k);
    }

    rc = SMALLPT_OK;

    while (st->active != 0) {
        if (a->stopped(a->data)) {
            rc = SMALLPT_ECANCELLED;
            break;
        }

        st->alive = 0;
        st->diffuse = 0;
        st->glass = 0;
        st->trig = 0;
        st->ended = 0;

        for (k = 0; k < LANES; k += VW) {
            if ((st->active >> k) & VMASK) {
                intersect(en, k);
                shade(en, k);
            }
        }

        rc = bounce_lanes(en);
        if (rc != SMALLPT_OK) {
            break;
        }

        for (k = 0; k < LANES; k += VW) {
            if ((st->diffuse >> k) & VMASK) {
                diffuse_dirs(st, k);
            }
        }

        for (todo = st->ended; todo != 0; todo &= todo - 1) {
            k = __builtin_ctzll(todo);
            path_done(en, &en->lanes[k], k,
                      st->id[k] == NONE ? vec_make(0, 0, 0)
                                        : spheres[st->id[k]].e);
        }
    }

    for (k = 0; k < LANES; k++) {
        free(en->lanes[k].stack);
    }

    free(en);

    return rc;
}


/*
 * 1 if a * b + c rounds twice as this file is compiled, for its target and
 * flags: smallpt_exact() asks each instruction set the CPU runs.
 */
static int
trace_exact(void)
{
    return rounds_apart();
}
