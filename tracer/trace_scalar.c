/*
 * The portable renderer: the engine of smallpt_trace_impl.h on "vectors"
 * of one lane, plain C. Its entry, smallpt_isa_scalar, is the first of
 * isa.c's table: every CPU runs it, and auto takes it when no other
 * instruction set is there.
 */

#include <string.h>

#include "smallpt_trace.h"


/* "vectors" of one lane */

#define VW  1

typedef double   vd;
typedef uint64_t vi;
typedef int      vm;


static inline vd vd_load(const double *p) { return *p; }
static inline void vd_store(double *p, vd v) { *p = v; }
static inline vd vd_set(double x) { return x; }
static inline vd vd_add(vd a, vd b) { return a + b; }
static inline vd vd_sub(vd a, vd b) { return a - b; }
static inline vd vd_mul(vd a, vd b) { return a * b; }
static inline vd vd_div(vd a, vd b) { return a / b; }
static inline vd vd_sqrt(vd a) { return root(a); }
static inline void vd_store_int(int32_t *p, vd v) { *p = (int32_t) v; }
static inline vd vd_abs(vd a) { return fabs(a); }
static inline vm vd_lt(vd a, vd b) { return a < b; }
static inline vm vd_gt(vd a, vd b) { return a > b; }
static inline vd vd_select(vm m, vd a, vd b) { return m ? a : b; }

static inline vm vm_and(vm a, vm b) { return a & b; }
static inline vm vm_or(vm a, vm b) { return a | b; }
static inline vm vm_andnot(vm a, vm b) { return a & !b; }
static inline unsigned vm_bits(vm m) { return (unsigned) m; }
static inline vm vm_from_bits(unsigned b) { return (int) (b & 1); }

static inline vi vi_load(const uint64_t *p) { return *p; }
static inline void vi_store(uint64_t *p, vi v) { *p = v; }
static inline vi vi_set(uint64_t x) { return x; }
static inline vi vi_select(vm m, vi a, vi b) { return m ? a : b; }
static inline vm vi_eq(vi a, vi b) { return a == b; }
static inline vd vd_lookup(const double *table, vi i) { return table[i]; }

static inline vi vi_add(vi a, vi b) { return a + b; }
static inline vi vi_and(vi a, vi b) { return a & b; }
static inline vi vi_or(vi a, vi b) { return a | b; }
static inline vi vi_shl32(vi a) { return a << 32; }
static inline vi vi_shr32(vi a) { return a >> 32; }

static inline vi
vi_mul32(vi a, vi b)
{
    return (a & 0xFFFFFFFF) * (b & 0xFFFFFFFF);
}

static inline vd
vd_from_vi(vi a)
{
    vd  d;

    memcpy(&d, &a, sizeof(d));
    return d;
}


#include "smallpt_trace_impl.h"


static int
supported(void)
{
    return 1;
}


/* no trig: its sines and cosines are glibc's, one lane at a time */
const smallpt_isa_impl  smallpt_isa_scalar = {
    .name = "scalar",
    .supported = supported,
    .trace_rows = trace_rows,
    .exact = trace_exact,
    .trig = NULL
};
