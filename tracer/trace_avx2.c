/*
 * The AVX2 row renderer: four spheres intersected at once. Each lane does
 * exactly the scalar operations, in the same order (vsqrtpd is correctly
 * rounded like sqrtsd), and no FMA is enabled, so the image is the same.
 * Chosen at run time when the CPU has AVX2 (render.c).
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


/* The distances to spheres first .. first + 3, 0 for a miss. */
static inline __m256d
distances4(const scene_lanes *s, int first, __m256d ox, __m256d oy,
    __m256d oz, __m256d dx, __m256d dy, __m256d dz)
{
    __m256d  opx, opy, opz, b, oo, det, root, t1, t2, eps;

    eps = _mm256_set1_pd(EPS);

    opx = _mm256_sub_pd(_mm256_loadu_pd(s->px + first), ox);
    opy = _mm256_sub_pd(_mm256_loadu_pd(s->py + first), oy);
    opz = _mm256_sub_pd(_mm256_loadu_pd(s->pz + first), oz);

    b = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(opx, dx),
                                    _mm256_mul_pd(opy, dy)),
                      _mm256_mul_pd(opz, dz));
    oo = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(opx, opx),
                                     _mm256_mul_pd(opy, opy)),
                       _mm256_mul_pd(opz, opz));
    det = _mm256_add_pd(_mm256_sub_pd(_mm256_mul_pd(b, b), oo),
                        _mm256_loadu_pd(s->rr + first));

    /* a negative det gives NaN roots: both comparisons fail, 0 remains */
    root = _mm256_sqrt_pd(det);
    t1 = _mm256_sub_pd(b, root);
    t2 = _mm256_add_pd(b, root);

    t2 = _mm256_and_pd(t2, _mm256_cmp_pd(t2, eps, _CMP_GT_OQ));

    return _mm256_blendv_pd(t2, t1, _mm256_cmp_pd(t1, eps, _CMP_GT_OQ));
}


static inline int
intersect(const scene_lanes *s, vec o, vec d, double *t)
{
    double   dist[12];
    __m256d  ox, oy, oz, dx, dy, dz;

    ox = _mm256_set1_pd(o.x);
    oy = _mm256_set1_pd(o.y);
    oz = _mm256_set1_pd(o.z);
    dx = _mm256_set1_pd(d.x);
    dy = _mm256_set1_pd(d.y);
    dz = _mm256_set1_pd(d.z);

    _mm256_storeu_pd(dist, distances4(s, 0, ox, oy, oz, dx, dy, dz));
    _mm256_storeu_pd(dist + 4, distances4(s, 4, ox, oy, oz, dx, dy, dz));
    _mm256_storeu_pd(dist + 8, distances4(s, 8, ox, oy, oz, dx, dy, dz));

    return nearest(dist, t);
}


#define TRACE_ROW  trace_row_avx2
#include "trace_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif /* SMALLPT_X86_SIMD */
