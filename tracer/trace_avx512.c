/*
 * The AVX-512 renderer: the engine of smallpt_trace_impl.h on vectors of
 * eight lanes. Each SIMD lane does exactly the scalar operations, in the
 * same order, so the image is the same. AVX-512F includes FMA, and GCC
 * would fuse even _mm512_mul_pd and _mm512_add_pd into it: only the ban on
 * contraction in smallpt_trace.h keeps it out, but for the sine and cosine
 * (trig() in smallpt_trace_impl.h), which fuse on purpose with vd_fma().
 * Its entry, smallpt_isa_avx512, serves where the CPU has AVX-512F (isa.c
 * times it against AVX2).
 */

#include "smallpt_trace.h"

#if (SMALLPT_X86_SIMD)

#if defined(__clang__)
#pragma clang attribute push (__attribute__((target("avx512f"))), \
                              apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

#include <immintrin.h>


/* vectors of eight lanes */

#define VW      8
#define VD_FMA  1

typedef __m512d   vd;
typedef __m512i   vi;
typedef __mmask8  vm;


static inline vd vd_load(const double *p) { return _mm512_loadu_pd(p); }
static inline void vd_store(double *p, vd v) { _mm512_storeu_pd(p, v); }
static inline vd vd_set(double x) { return _mm512_set1_pd(x); }
static inline vd vd_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static inline vd vd_sub(vd a, vd b) { return _mm512_sub_pd(a, b); }
static inline vd vd_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static inline vd vd_div(vd a, vd b) { return _mm512_div_pd(a, b); }
static inline vd vd_sqrt(vd a) { return _mm512_sqrt_pd(a); }

/* a * b + c, rounded once: only for trig() */
static inline vd
vd_fma(vd a, vd b, vd c)
{
    return _mm512_fmadd_pd(a, b, c);
}

static inline void
vd_store_int(int32_t *p, vd v)
{
    _mm256_storeu_si256((__m256i *) p, _mm512_cvttpd_epi32(v));
}
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

static inline vm vm_and(vm a, vm b) { return a & b; }
static inline vm vm_or(vm a, vm b) { return a | b; }
static inline vm vm_andnot(vm a, vm b) { return a & (vm) ~b; }
static inline unsigned vm_bits(vm m) { return m; }
static inline vm vm_from_bits(unsigned b) { return (vm) b; }

static inline vi vi_load(const uint64_t *p) { return _mm512_loadu_si512(p); }
static inline void vi_store(uint64_t *p, vi v) { _mm512_storeu_si512(p, v); }
static inline vi vi_set(uint64_t x) { return _mm512_set1_epi64((long long) x); }

static inline vi
vi_select(vm m, vi a, vi b)
{
    return _mm512_mask_blend_epi64(m, b, a);
}

static inline vm vi_eq(vi a, vi b) { return _mm512_cmpeq_epi64_mask(a, b); }

/* table[i] for i from 0 to 15: a two-table permutation */
static inline vd
vd_lookup(const double *table, vi i)
{
    return _mm512_permutex2var_pd(_mm512_loadu_pd(table), i,
                                  _mm512_loadu_pd(table + 8));
}

static inline vi vi_add(vi a, vi b) { return _mm512_add_epi64(a, b); }
static inline vi vi_and(vi a, vi b) { return _mm512_and_si512(a, b); }
static inline vi vi_or(vi a, vi b) { return _mm512_or_si512(a, b); }
static inline vi vi_shl32(vi a) { return _mm512_slli_epi64(a, 32); }
static inline vi vi_shr32(vi a) { return _mm512_srli_epi64(a, 32); }
static inline vi vi_mul32(vi a, vi b) { return _mm512_mul_epu32(a, b); }
static inline vd vd_from_vi(vi a) { return _mm512_castsi512_pd(a); }
static inline vi vi_from_vd(vd a) { return _mm512_castpd_si512(a); }


#include "smallpt_trace_impl.h"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif


/* for any x86 CPU, outside the target: it runs before the choice */
static int
supported(void)
{
    return __builtin_cpu_supports("avx512f");
}

#endif /* SMALLPT_X86_SIMD */


const smallpt_isa_impl  smallpt_isa_avx512 =
    SMALLPT_X86_ISA("avx512", supported);
