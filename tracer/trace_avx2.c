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
typedef __m256i  vi;
typedef __m256d  vm;


static inline vd vd_load(const double *p) { return _mm256_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm256_storeu_pd(p, v); }
static inline vd vd_set(double x) { return _mm256_set1_pd(x); }
static inline vd vd_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm256_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm256_div_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm256_sqrt_pd(a); }

static inline void
vd_store_int(int32_t *p, vd v)
{
    _mm_storeu_si128((__m128i *) p, _mm256_cvttpd_epi32(v));
}

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

static inline vm vm_and(vm a, vm b) { return _mm256_and_pd(a, b); }
static inline vm vm_or(vm a, vm b) { return _mm256_or_pd(a, b); }
static inline vm vm_andnot(vm a, vm b) { return _mm256_andnot_pd(b, a); }

static inline unsigned
vm_bits(vm m)
{
    return (unsigned) _mm256_movemask_pd(m);
}

static inline vm
vm_from_bits(unsigned b)
{
    __m256i  bit;

    bit = _mm256_set_epi64x(8, 4, 2, 1);
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(
               _mm256_and_si256(_mm256_set1_epi64x(b), bit), bit));
}

static inline vi
vi_load(const uint64_t *p)
{
    return _mm256_loadu_si256((const __m256i *) p);
}

static inline void
vi_store(uint64_t *p, vi v)
{
    _mm256_storeu_si256((__m256i *) p, v);
}

static inline vi
vi_set(uint64_t x)
{
    return _mm256_set1_epi64x((long long) x);
}

static inline vi
vi_select(vm m, vi a, vi b)
{
    return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(b),
                                                _mm256_castsi256_pd(a), m));
}

static inline vm
vi_eq(vi a, vi b)
{
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(a, b));
}

static inline vd
vd_lookup(const double *table, vi i)
{
    return _mm256_i64gather_pd(table, i, 8);
}

static inline vi vi_add(vi a, vi b) { return _mm256_add_epi64(a, b); }
static inline vi vi_and(vi a, vi b) { return _mm256_and_si256(a, b); }
static inline vi vi_or(vi a, vi b) { return _mm256_or_si256(a, b); }
static inline vi vi_shl32(vi a) { return _mm256_slli_epi64(a, 32); }
static inline vi vi_shr32(vi a) { return _mm256_srli_epi64(a, 32); }
static inline vi vi_mul32(vi a, vi b) { return _mm256_mul_epu32(a, b); }
static inline vd vd_from_vi(vi a) { return _mm256_castsi256_pd(a); }


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
