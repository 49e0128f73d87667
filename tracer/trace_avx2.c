/*
 * The AVX2 renderer: the engine of smallpt_trace_impl.h on vectors of
 * eight lanes, each a pair of AVX2 registers. Each SIMD lane does exactly
 * the scalar operations, in the same order (vsqrtpd and vdivpd are
 * correctly rounded like sqrtsd and divsd), so the image is the same.
 *
 * Why pairs: a bounce is a long chain of dependent operations per vector
 * (a square root, then a division, then a comparison...). Two registers
 * side by side make two independent chains in the same instructions, which
 * the CPU overlaps, as it overlaps the two halves of AVX-512 on a CPU that
 * splits them; four lanes at a time were 2 to 4% slower here.
 *
 * The target includes FMA for the sine and cosine (trig() in
 * smallpt_trace_impl.h), the only place that fuses, with vd_fma(); the ban
 * on contraction in smallpt_trace.h keeps every other a * b + c rounded
 * twice. Its entry, smallpt_isa_avx2, serves where the CPU has AVX2 and FMA
 * (isa.c times it against AVX-512 where both are there).
 */

#include "smallpt_trace.h"

#if (SMALLPT_X86_SIMD)

#if defined(__clang__)
#pragma clang attribute push (__attribute__((target("avx2,fma"))), \
                              apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include <immintrin.h>


/* vectors of eight lanes: lanes 0 to 3 in lo, 4 to 7 in hi */

#define VW      8
#define VD_FMA  1

typedef struct {
    __m256d  lo, hi;
} vd;

typedef struct {
    __m256i  lo, hi;
} vi;

typedef vd  vm;


/* a two-operand operation of every lane, as two of AVX2 */

#define PAIRED(name, type, arg, op)                                           \
    static inline type                                                        \
    name(arg a, arg b)                                                        \
    {                                                                         \
        type  r;                                                              \
                                                                              \
        r.lo = op(a.lo, b.lo);                                                \
        r.hi = op(a.hi, b.hi);                                                \
        return r;                                                             \
    }

/* and a one-operand one */

#define PAIRED1(name, type, arg, op)                                          \
    static inline type                                                        \
    name(arg a)                                                               \
    {                                                                         \
        type  r;                                                              \
                                                                              \
        r.lo = op(a.lo);                                                      \
        r.hi = op(a.hi);                                                      \
        return r;                                                             \
    }

/* and a three-operand one, whose first operand may be a mask */

#define PAIRED3(name, type, first, op)                                        \
    static inline type                                                        \
    name(first a, type b, type c)                                             \
    {                                                                         \
        type  r;                                                              \
                                                                              \
        r.lo = op(a.lo, b.lo, c.lo);                                          \
        r.hi = op(a.hi, b.hi, c.hi);                                          \
        return r;                                                             \
    }


static inline __m256d
cmp_lt(__m256d a, __m256d b)
{
    return _mm256_cmp_pd(a, b, _CMP_LT_OQ);
}


static inline __m256d
cmp_gt(__m256d a, __m256d b)
{
    return _mm256_cmp_pd(a, b, _CMP_GT_OQ);
}


/* a and not b, for masks */
static inline __m256d
mask_andnot(__m256d a, __m256d b)
{
    return _mm256_andnot_pd(b, a);
}


static inline __m256d
eq64(__m256i a, __m256i b)
{
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(a, b));
}


/* a where m, else b */
static inline __m256d
select_pd(__m256d m, __m256d a, __m256d b)
{
    return _mm256_blendv_pd(b, a, m);
}


static inline __m256i
select_epi64(__m256d m, __m256i a, __m256i b)
{
    return _mm256_castpd_si256(select_pd(m, _mm256_castsi256_pd(a),
                                         _mm256_castsi256_pd(b)));
}


static inline __m256d
abs_pd(__m256d a)
{
    return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a);
}


static inline __m256i
shl32(__m256i a)
{
    return _mm256_slli_epi64(a, 32);
}


static inline __m256i
shr32(__m256i a)
{
    return _mm256_srli_epi64(a, 32);
}


PAIRED(vd_add, vd, vd, _mm256_add_pd)
PAIRED(vd_sub, vd, vd, _mm256_sub_pd)
PAIRED(vd_mul, vd, vd, _mm256_mul_pd)
PAIRED(vd_div, vd, vd, _mm256_div_pd)
PAIRED(vd_lt, vd, vd, cmp_lt)
PAIRED(vd_gt, vd, vd, cmp_gt)
PAIRED(vm_and, vm, vm, _mm256_and_pd)
PAIRED(vm_or, vm, vm, _mm256_or_pd)
PAIRED(vm_andnot, vm, vm, mask_andnot)
PAIRED(vi_add, vi, vi, _mm256_add_epi64)
PAIRED(vi_and, vi, vi, _mm256_and_si256)
PAIRED(vi_or, vi, vi, _mm256_or_si256)
PAIRED(vi_mul32, vi, vi, _mm256_mul_epu32)
PAIRED1(vd_sqrt, vd, vd, _mm256_sqrt_pd)
PAIRED1(vd_abs, vd, vd, abs_pd)
PAIRED1(vi_shl32, vi, vi, shl32)
PAIRED1(vi_shr32, vi, vi, shr32)
PAIRED1(vd_from_vi, vd, vi, _mm256_castsi256_pd)
PAIRED1(vi_from_vd, vi, vd, _mm256_castpd_si256)
PAIRED(vi_eq, vm, vi, eq64)
PAIRED3(vd_fma, vd, vd, _mm256_fmadd_pd)       /* only for trig() */
PAIRED3(vd_select, vd, vm, select_pd)
PAIRED3(vi_select, vi, vm, select_epi64)


static inline vd
vd_load(const double *p)
{
    vd  r;

    r.lo = _mm256_loadu_pd(p);
    r.hi = _mm256_loadu_pd(p + 4);
    return r;
}


static inline void
vd_store(double *p, vd v)
{
    _mm256_storeu_pd(p, v.lo);
    _mm256_storeu_pd(p + 4, v.hi);
}


static inline vd
vd_set(double x)
{
    vd  r;

    r.lo = _mm256_set1_pd(x);
    r.hi = r.lo;
    return r;
}


static inline void
vd_store_int(int32_t *p, vd v)
{
    _mm_storeu_si128((__m128i *) p, _mm256_cvttpd_epi32(v.lo));
    _mm_storeu_si128((__m128i *) (p + 4), _mm256_cvttpd_epi32(v.hi));
}


static inline unsigned
vm_bits(vm m)
{
    return (unsigned) _mm256_movemask_pd(m.lo)
           | (unsigned) _mm256_movemask_pd(m.hi) << 4;
}


static inline __m256d
mask_from_bits(unsigned b)
{
    __m256i  bit;

    bit = _mm256_set_epi64x(8, 4, 2, 1);
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(
               _mm256_and_si256(_mm256_set1_epi64x(b), bit), bit));
}


static inline vm
vm_from_bits(unsigned b)
{
    vm  r;

    r.lo = mask_from_bits(b & 0xF);
    r.hi = mask_from_bits((b >> 4) & 0xF);
    return r;
}


static inline vi
vi_load(const uint64_t *p)
{
    vi  r;

    r.lo = _mm256_loadu_si256((const __m256i *) p);
    r.hi = _mm256_loadu_si256((const __m256i *) (p + 4));
    return r;
}


static inline void
vi_store(uint64_t *p, vi v)
{
    _mm256_storeu_si256((__m256i *) p, v.lo);
    _mm256_storeu_si256((__m256i *) (p + 4), v.hi);
}


static inline vi
vi_set(uint64_t x)
{
    vi  r;

    r.lo = _mm256_set1_epi64x((long long) x);
    r.hi = r.lo;
    return r;
}


/*
 * table[i], a lane at a time: the whole render took 5% longer with AVX2's
 * gather here
 */
static inline vd
vd_lookup(const double *table, vi i)
{
    vd        r;
    uint64_t  j[8];

    vi_store(j, i);
    r.lo = _mm256_set_pd(table[j[3]], table[j[2]], table[j[1]], table[j[0]]);
    r.hi = _mm256_set_pd(table[j[7]], table[j[6]], table[j[5]], table[j[4]]);
    return r;
}


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
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#endif /* SMALLPT_X86_SIMD */


const smallpt_isa_impl  smallpt_isa_avx2 =
    SMALLPT_X86_ISA("avx2", supported);
