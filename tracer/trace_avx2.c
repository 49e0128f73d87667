/*
 * The AVX2 renderer: four lanes' rays meet each sphere at once. Each SIMD
 * lane does exactly the scalar operations, in the same order (vsqrtpd is
 * correctly rounded like sqrtsd), and FMA is not enabled, so the image is
 * the same. Chosen at run time when the CPU has AVX2 (render.c).
 */

#include "trace.h"

#if (SMALLPT_X86_SIMD)

#if defined(__clang__)
#pragma clang attribute push (__attribute__((target("avx2"))), \
                              apply_to = function)
#else
#pragma GCC target("avx2")
#endif

#include <immintrin.h>


/*
 * Rays first .. first + 3 against every sphere, scanned from the last with
 * smallpt's rule: a hit (not 0) strictly nearer than the best so far wins.
 */
static inline void
intersect4(const scene_lanes *s, const ray_lanes *rays, int first, int *id,
    double *t)
{
    int      i, k;
    double   ids[4];
    __m256d  ox, oy, oz, dx, dy, dz, opx, opy, opz, b, oo, det, root, t1, t2;
    __m256d  eps, zero, best, best_id, nearer;

    ox = _mm256_loadu_pd(rays->ox + first);
    oy = _mm256_loadu_pd(rays->oy + first);
    oz = _mm256_loadu_pd(rays->oz + first);
    dx = _mm256_loadu_pd(rays->dx + first);
    dy = _mm256_loadu_pd(rays->dy + first);
    dz = _mm256_loadu_pd(rays->dz + first);

    eps = _mm256_set1_pd(EPS);
    zero = _mm256_setzero_pd();
    best = _mm256_set1_pd(1e20);
    best_id = _mm256_set1_pd(-1);

    for (i = NSPHERES - 1; i >= 0; i--) {
        opx = _mm256_sub_pd(_mm256_set1_pd(s->px[i]), ox);
        opy = _mm256_sub_pd(_mm256_set1_pd(s->py[i]), oy);
        opz = _mm256_sub_pd(_mm256_set1_pd(s->pz[i]), oz);

        b = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(opx, dx),
                                        _mm256_mul_pd(opy, dy)),
                          _mm256_mul_pd(opz, dz));
        oo = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(opx, opx),
                                         _mm256_mul_pd(opy, opy)),
                           _mm256_mul_pd(opz, opz));
        det = _mm256_add_pd(_mm256_sub_pd(_mm256_mul_pd(b, b), oo),
                            _mm256_set1_pd(s->rr[i]));

        /* a negative det gives NaN roots: both comparisons fail, 0 stays */
        root = _mm256_sqrt_pd(det);
        t1 = _mm256_sub_pd(b, root);
        t2 = _mm256_add_pd(b, root);
        t2 = _mm256_and_pd(t2, _mm256_cmp_pd(t2, eps, _CMP_GT_OQ));
        t1 = _mm256_blendv_pd(t2, t1, _mm256_cmp_pd(t1, eps, _CMP_GT_OQ));

        nearer = _mm256_and_pd(_mm256_cmp_pd(t1, zero, _CMP_NEQ_OQ),
                               _mm256_cmp_pd(t1, best, _CMP_LT_OQ));
        best = _mm256_blendv_pd(best, t1, nearer);
        best_id = _mm256_blendv_pd(best_id, _mm256_set1_pd(i), nearer);
    }

    _mm256_storeu_pd(t + first, best);
    _mm256_storeu_pd(ids, best_id);

    for (k = 0; k < 4; k++) {
        id[first + k] = (int) ids[k];
    }
}


static inline void
intersect_lanes(const scene_lanes *s, const ray_lanes *rays, int *id,
    double *t)
{
    int  first;

    for (first = 0; first < LANES; first += 4) {
        intersect4(s, rays, first, id, t);
    }
}


/* vectors of four lanes */

#define VW  4

typedef __m256d  vd;
typedef __m256d  vm;


static inline vd vd_load(const double *p) { return _mm256_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm256_storeu_pd(p, v); }
static inline vd vd_set(double x) { return _mm256_set1_pd(x); }
static inline vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm256_sqrt_pd(a); }

static inline vd
vd_abs(vd a)
{
    return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a);
}

static inline vm vd_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
static inline vm vd_gt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }

static inline vd
vd_select(vm m, vd a, vd b)
{
    return _mm256_blendv_pd(b, a, m);
}


#define TRACE_ROWS  trace_rows_avx2
#include "trace_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif /* SMALLPT_X86_SIMD */
