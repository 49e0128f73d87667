/*
 * The portable renderer: the engine of smallpt_trace_impl.h on "vectors"
 * of one lane, plain C.
 */

#include "smallpt_trace.h"


/* "vectors" of one lane */

#define VW  1

typedef double  vd;
typedef int     vm;


static inline vd vd_load(const double *p) { return *p; }
static inline void vd_store(double *p, vd v) { *p = v; }
static inline vd vd_set(double x) { return x; }
static inline vd vd_add(vd a, vd b) { return a + b; }
static inline vd vd_sub(vd a, vd b) { return a - b; }
static inline vd vd_mul(vd a, vd b) { return a * b; }
static inline vd vd_div(vd a, vd b) { return a / b; }
static inline vd vd_sqrt(vd a) { return root(a); }
static inline vd vd_abs(vd a) { return fabs(a); }
static inline vm vd_lt(vd a, vd b) { return a < b; }
static inline vm vd_gt(vd a, vd b) { return a > b; }
static inline vm vd_ne(vd a, vd b) { return a != b; }
static inline vm vm_and(vm a, vm b) { return a && b; }
static inline vd vd_select(vm m, vd a, vd b) { return m ? a : b; }


#define TRACE_ROWS  smallpt_trace_rows_scalar
#include "smallpt_trace_impl.h"


int
smallpt_trace_exact_scalar(void)
{
    return rounds_apart();
}
