/*
 * The AVX-512 renderer: eight lanes' rays meet each sphere at once.
 * Each SIMD lane does exactly the scalar operations, in the same order, and
 * FMA is not enabled, so the image is the same. Chosen at run time when
 * the CPU has AVX-512F (render.c).
 */

#include "trace.h"

#if (SMALLPT_X86_SIMD)

#if defined(__clang__)
#pragma clang attribute push (__attribute__((target("avx512f"))), \
                              apply_to = function)
#else
#pragma GCC target("avx512f")
#endif

#include <immintrin.h>


/*
 * Rays first .. first + 7 against every sphere, scanned from the last with
 * smallpt's rule: a hit (not 0) strictly nearer than the best so far wins.
 */
static inline void
intersect8(const scene_lanes *s, const ray_lanes *rays, int first, int *id,
    double *t)
{
    int        i, k;
    double     ids[8];
    __m512d    ox, oy, oz, dx, dy, dz, opx, opy, opz, b, oo, det, root, t1, t2;
    __m512d    eps, zero, best, best_id;
    __mmask8   hit1, hit2, nearer;

    ox = _mm512_loadu_pd(rays->ox + first);
    oy = _mm512_loadu_pd(rays->oy + first);
    oz = _mm512_loadu_pd(rays->oz + first);
    dx = _mm512_loadu_pd(rays->dx + first);
    dy = _mm512_loadu_pd(rays->dy + first);
    dz = _mm512_loadu_pd(rays->dz + first);

    eps = _mm512_set1_pd(EPS);
    zero = _mm512_setzero_pd();
    best = _mm512_set1_pd(1e20);
    best_id = _mm512_set1_pd(-1);

    for (i = NSPHERES - 1; i >= 0; i--) {
        opx = _mm512_sub_pd(_mm512_set1_pd(s->px[i]), ox);
        opy = _mm512_sub_pd(_mm512_set1_pd(s->py[i]), oy);
        opz = _mm512_sub_pd(_mm512_set1_pd(s->pz[i]), oz);

        b = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(opx, dx),
                                        _mm512_mul_pd(opy, dy)),
                          _mm512_mul_pd(opz, dz));
        oo = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(opx, opx),
                                         _mm512_mul_pd(opy, opy)),
                           _mm512_mul_pd(opz, opz));
        det = _mm512_add_pd(_mm512_sub_pd(_mm512_mul_pd(b, b), oo),
                            _mm512_set1_pd(s->rr[i]));

        /* a negative det gives NaN roots: both comparisons fail, 0 stays */
        root = _mm512_sqrt_pd(det);
        t1 = _mm512_sub_pd(b, root);
        t2 = _mm512_add_pd(b, root);
        hit1 = _mm512_cmp_pd_mask(t1, eps, _CMP_GT_OQ);
        hit2 = _mm512_cmp_pd_mask(t2, eps, _CMP_GT_OQ);
        t1 = _mm512_mask_mov_pd(_mm512_maskz_mov_pd(hit2, t2), hit1, t1);

        nearer = _mm512_cmp_pd_mask(t1, zero, _CMP_NEQ_OQ)
                 & _mm512_cmp_pd_mask(t1, best, _CMP_LT_OQ);
        best = _mm512_mask_mov_pd(best, nearer, t1);
        best_id = _mm512_mask_mov_pd(best_id, nearer, _mm512_set1_pd(i));
    }

    _mm512_storeu_pd(t + first, best);
    _mm512_storeu_pd(ids, best_id);

    for (k = 0; k < 8; k++) {
        id[first + k] = (int) ids[k];
    }
}


static inline void
intersect_lanes(const scene_lanes *s, const ray_lanes *rays, int *id,
    double *t)
{
    int  first;

    for (first = 0; first < LANES; first += 8) {
        intersect8(s, rays, first, id, t);
    }
}


/* vectors of eight lanes */

#define VW  8

typedef __m512d   vd;
typedef __mmask8  vm;


static inline vd vd_load(const double *p) { return _mm512_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm512_storeu_pd(p, v); }
static inline vd vd_set(double x) { return _mm512_set1_pd(x); }
static inline vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm512_sqrt_pd(a); }
static inline vd vd_abs(vd a) { return _mm512_abs_pd(a); }

static inline vm
vd_lt(vd a, vd b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ);
}

static inline vm
vd_gt(vd a, vd b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ);
}


static inline vd
vd_select(vm m, vd a, vd b)
{
    return _mm512_mask_blend_pd(m, b, a);
}


#define TRACE_ROWS  trace_rows_avx512
#include "trace_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif /* SMALLPT_X86_SIMD */
