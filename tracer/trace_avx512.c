/*
 * The AVX-512 row renderer: eight spheres intersected at once, the ninth
 * (the light) alone. Each lane does exactly the scalar operations, in the
 * same order, and no FMA is enabled, so the image is the same. Chosen at
 * run time when the CPU has AVX-512F (render.c).
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


static inline int
intersect(const scene_lanes *s, vec o, vec d, double *t)
{
    double     dist[NSPHERES];
    __m512d    opx, opy, opz, b, oo, det, root, t1, t2, eps;
    __mmask8   hit1, hit2;

    eps = _mm512_set1_pd(EPS);

    opx = _mm512_sub_pd(_mm512_loadu_pd(s->px), _mm512_set1_pd(o.x));
    opy = _mm512_sub_pd(_mm512_loadu_pd(s->py), _mm512_set1_pd(o.y));
    opz = _mm512_sub_pd(_mm512_loadu_pd(s->pz), _mm512_set1_pd(o.z));

    b = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(opx, _mm512_set1_pd(d.x)),
                                    _mm512_mul_pd(opy, _mm512_set1_pd(d.y))),
                      _mm512_mul_pd(opz, _mm512_set1_pd(d.z)));
    oo = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(opx, opx),
                                     _mm512_mul_pd(opy, opy)),
                       _mm512_mul_pd(opz, opz));
    det = _mm512_add_pd(_mm512_sub_pd(_mm512_mul_pd(b, b), oo),
                        _mm512_loadu_pd(s->rr));

    /* a negative det gives NaN roots: both comparisons fail, 0 remains */
    root = _mm512_sqrt_pd(det);
    t1 = _mm512_sub_pd(b, root);
    t2 = _mm512_add_pd(b, root);

    hit1 = _mm512_cmp_pd_mask(t1, eps, _CMP_GT_OQ);
    hit2 = _mm512_cmp_pd_mask(t2, eps, _CMP_GT_OQ);

    t2 = _mm512_maskz_mov_pd(hit2, t2);
    _mm512_storeu_pd(dist, _mm512_mask_mov_pd(t2, hit1, t1));

    dist[8] = sphere_distance(s->px[8], s->py[8], s->pz[8], s->rr[8], o, d);

    return nearest(dist, t);
}


#define TRACE_ROW  trace_row_avx512
#include "trace_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif /* SMALLPT_X86_SIMD */
