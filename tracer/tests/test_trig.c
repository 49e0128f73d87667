/*
 * The vector sine and cosine (trig() in smallpt_trace_impl.h): on every
 * SIMD path this CPU has, the values the renderer uses are glibc's, bit
 * for bit, for random angles as smallpt draws them and for the hard ones
 * (near multiples of pi/2 and pi/6, where a result is near a power of
 * two); trig() answers for most of them, leaves those near a multiple of
 * pi/2 to glibc, and its unrounded sums are within its margin of long
 * double's sin and cos. `make test-trig` runs the same on more angles
 * and measures the errors with libquadmath.
 */

#define _DEFAULT_SOURCE

#include <math.h>
#include <stdlib.h>

#include "smallpt.h"
#include "smallpt_isa.h"
#include "smallpt_trace.h"
#include "check.h"
#include "trig_compare.h"


#define RANDOM_ANGLES  1000000

/* trig()'s margin for its own error, in units of the last place */
#define MARGIN  (1. / 64)


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


/* |hi + lo - y| in units of hi's last place, y from long double */
static double
error_ulps(double hi, double lo, long double y)
{
    int  e;

    if (hi == 0) {
        return fabsl(y) == 0 ? 0 : 1;
    }

    frexp(hi, &e);
    return (double) (fabsl((long double) hi + lo - y) / ldexpl(1, e - 53));
}


static void
test_path(const char *name, trig_fn trig, const double *x, size_t n)
{
    size_t                i, called, wrong, inexact, near;
    double                e, worst, r;
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

    /*
     * trig()'s own error, which its margin must cover (long double's sin
     * and cos are off by about 2^-10 of a double's unit); and angles
     * within 2^-20 of a multiple of pi/2 go to glibc
     */
    inexact = 0;
    near = 0;
    worst = 0;

    for (i = 0; i < n; i++) {
        e = error_ulps(out[i].sin_hi, out[i].sin_lo, sinl(x[i]));
        e = fmax(e, error_ulps(out[i].cos_hi, out[i].cos_lo, cosl(x[i])));
        worst = fmax(worst, e);

        if (e >= MARGIN / 2) {
            if (inexact++ < 5) {
                printf("%s: x %a: error %.3g ulp\n", name, x[i], e);
            }
        }

        r = remainder(x[i], PI / 2);
        if (fabs(r) < 0x1p-21 && !out[i].glibc) {
            near++;
        }
    }

    CHECK_MSG(inexact == 0, "%s: %zu angles off by over half the margin",
              name, inexact);
    CHECK_MSG(near == 0, "%s: %zu angles near k pi/2 not left to glibc",
              name, near);

#if defined(__GLIBC__)
    /* about a quarter go to glibc; far more would mean trig() is broken */
    CHECK_MSG(called < n * 3 / 10, "%s: %zu of %zu angles went to glibc",
              name, called, n);
#endif

    printf("test_trig: %s: %zu angles, %.1f%% from glibc, largest error "
           "%.2g ulp\n", name, n, 100. * (double) called / (double) n,
           worst);

    free(out);
}


int
main(void)
{
    int                      k, isa, tested;
    size_t                   n;
    double                  *x;
    unsigned short           xi[3] = { 0, 0, 12345 };
    const smallpt_isa_impl  *e;

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
    n = add_around(x, n, 0x1.b6p-1, 16);        /* glibc's own ranges */
    n = add_around(x, n, 0x1.368fdp+1, 16);
    n = add_around(x, n, 2 * PI, 64);
    tested = 0;

    for (isa = 1; isa <= smallpt_isa_count(); isa++) {
        e = smallpt_isa_entry(isa);
        if (e->trig != NULL && smallpt_isa_supported(isa)) {
            test_path(e->name, e->trig, x, n);
            tested++;
        }
    }

    if (tested == 0) {
        printf("test_trig: no SIMD path with FMA here: nothing to test\n");
    }

    free(x);

    return check_done("test_trig");
}
