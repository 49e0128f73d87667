/*
 * The vector sine and cosine (trig() in smallpt_trace_impl.h): on every
 * SIMD path this CPU has, the values the renderer uses are glibc's, bit
 * for bit, for random angles as smallpt draws them and for the hard ones
 * (near multiples of pi/2 and pi/6, where a result is near a power of
 * two); and trig() itself answers for most of them.
 * `make trig-check` runs the same on more angles and measures the error.
 */

#define _DEFAULT_SOURCE

#include <math.h>
#include <stdlib.h>

#include "../smallpt.h"
#include "../smallpt_trace.h"
#include "check.h"
#include "trig_compare.h"


#define RANDOM_ANGLES  1000000


typedef size_t (*trig_fn)(const double *x, smallpt_trig_result *out,
    size_t n);


/* the angles: x0, and the 2 * spread doubles on each side of it */
static size_t
add_around(double *x, size_t n, double x0, int spread)
{
    int     i;
    double  up, down;

    up = x0;
    down = x0;

    if (x0 >= 0 && x0 < 2 * PI) {
        x[n++] = x0;
    }

    for (i = 0; i < spread; i++) {
        up = nextafter(up, 10);
        down = nextafter(down, -10);

        if (up < 2 * PI) {
            x[n++] = up;
        }

        if (down >= 0) {
            x[n++] = down;
        }
    }

    return n;
}


static void
test_path(const char *name, trig_fn trig, const double *x, size_t n)
{
    size_t                called, wrong;
    unsigned              printed;
    smallpt_trig_result  *out;

    out = malloc(n * sizeof(smallpt_trig_result));
    CHECK(out != NULL);
    if (out == NULL) {
        return;
    }

    called = trig(x, out, n);
    printed = 0;
    wrong = trig_compare(name, x, out, n, &printed);

    CHECK_MSG(wrong == 0, "%s: %zu of %zu angles differ from glibc", name,
              wrong, n);

#if defined(__GLIBC__)
    /* about a quarter go to glibc; far more would mean trig() is broken */
    CHECK_MSG(called < n * 3 / 10, "%s: %zu of %zu angles went to glibc",
              name, called, n);
#endif

    printf("test_trig: %s: %zu angles, %.1f%% from glibc\n", name, n,
           100. * (double) called / (double) n);

    free(out);
}


int
main(void)
{
    int             k;
    size_t          n;
    double         *x;
    unsigned short  xi[3] = { 0, 0, 12345 };

    x = malloc((RANDOM_ANGLES + 4096) * sizeof(double));
    if (x == NULL) {
        return 1;
    }

    /* r1 = 2 pi erand48(), as smallpt draws it */
    for (n = 0; n < RANDOM_ANGLES; n++) {
        x[n] = 2 * PI * erand48(xi);
    }

    /* the quadrants' edges, and where sin or cos is 1/2 or 1 */
    for (k = 0; k <= 12; k++) {
        n = add_around(x, n, k * (PI / 6), 64);
    }

    for (k = 1; k <= 8; k += 2) {
        n = add_around(x, n, k * (PI / 4), 16);
    }

    n = add_around(x, n, 0x1p-30, 4);
    n = add_around(x, n, 0x1p-60, 4);
    n = add_around(x, n, 0.855469, 16);     /* glibc's own ranges' edges */
    n = add_around(x, n, 2.426265, 16);
    n = add_around(x, n, 2 * PI, 64);

#if (SMALLPT_X86_SIMD)
    if (smallpt_isa_supported(SMALLPT_ISA_AVX2)) {
        test_path("avx2", smallpt_trace_trig_avx2, x, n);
    }

    if (smallpt_isa_supported(SMALLPT_ISA_AVX512)) {
        test_path("avx512", smallpt_trace_trig_avx512, x, n);
    }
#endif

    free(x);

    return check_done("test_trig");
}
