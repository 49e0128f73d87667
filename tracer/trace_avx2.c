/*
 * The AVX2 renderer: the engine of smallpt_trace_impl.h on vectors of four
 * lanes. Each SIMD lane does exactly the scalar operations, in the same
 * order (vsqrtpd and vdivpd are correctly rounded like sqrtsd and divsd),
 * and the target is AVX2 without FMA, so the image is the same. Chosen at
 * run time when the CPU has AVX2 (render.c).
 */

#include "smallpt_trace.h"

#if (SMALLPT_X86_SIMD)

#if defined(__clang__)
#pragma clang attribute push (__attribute__((target("avx2"))), \
                              apply_to = function)
#else
#pragma GCC target("avx2")
#endif

#include <immintrin.h>


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
static inline vm vd_ne(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_NEQ_UQ); }
static inline vm vm_and(vm a, vm b) { return _mm256_and_pd(a, b); }

static inline vd
vd_select(vm m, vd a, vd b)
{
    return _mm256_blendv_pd(b, a, m);
}


#define TRACE_ROWS  smallpt_trace_rows_avx2
#include "smallpt_trace_impl.h"


int
smallpt_trace_exact_avx2(void)
{
    return rounds_apart();
}

#if defined(__clang__)
#pragma clang attribute pop
#endif

#endif /* SMALLPT_X86_SIMD */
