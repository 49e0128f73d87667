/*
 * `make test-trig`: the vector sine and cosine on many random angles, by
 * hand (CI runs test_trig's million). For each SIMD path this CPU has:
 * how many results differ from glibc's (must be none), how many trig()
 * leaves to glibc, and its largest error before rounding, |hi + lo - y|
 * in units of the last place of hi, y from libquadmath (113 bits).
 * trig() vouches for a result only 1/64 of a unit inside its bound, so the
 * error must stay below that. Also glibc's own largest error, which its
 * bound, 0.548 of a unit, must cover.
 *
 *   trig_check [ANGLES] [SEED]
 */

#define _DEFAULT_SOURCE

#include <math.h>
#include <quadmath.h>
#include <stdio.h>
#include <stdlib.h>

#include "smallpt.h"
#include "smallpt_isa.h"
#include "smallpt_trace.h"
#include "trig_compare.h"


#define BATCH  65536


typedef size_t (*trig_fn)(const double *x, smallpt_trig_result *out,
    size_t n);


/* |hi + lo - y| in units of hi's last place */
static double
error_ulps(double hi, double lo, __float128 y)
{
    int  e;

    if (hi == 0) {
        return 0;
    }

    frexp(hi, &e);
    return (double) fabsq((__float128) hi + lo - y) / ldexp(1, e - 53);
}


static int
check_path(const char *name, trig_fn trig, unsigned long angles,
    unsigned short seed)
{
    size_t                i, n;
    double                x[BATCH], e, worst, libc;
    __float128            ys, yc;
    unsigned              printed;
    unsigned long         done, wrong, called;
    unsigned short        xi[3];
    smallpt_trig_result  *out;

    out = malloc(BATCH * sizeof(smallpt_trig_result));
    if (out == NULL) {
        return 1;
    }

    xi[0] = 0;
    xi[1] = 0;
    xi[2] = seed;
    wrong = 0;
    printed = 0;
    called = 0;
    worst = 0;
    libc = 0;

    for (done = 0; done < angles; done += n) {
        n = angles - done < BATCH ? angles - done : BATCH;

        for (i = 0; i < n; i++) {
            x[i] = 2 * PI * erand48(xi);
        }

        called += trig(x, out, n);
        wrong += trig_compare(name, x, out, n, &printed);

        for (i = 0; i < n; i++) {
            ys = sinq(x[i]);
            yc = cosq(x[i]);
            e = error_ulps(out[i].sin_hi, out[i].sin_lo, ys);
            worst = e > worst ? e : worst;
            e = error_ulps(out[i].cos_hi, out[i].cos_lo, yc);
            worst = e > worst ? e : worst;

            /* out[i]'s sin_x and cos_x are glibc's (trig_compare()) */
            e = error_ulps(out[i].sin_x, 0, ys);
            libc = e > libc ? e : libc;
            e = error_ulps(out[i].cos_x, 0, yc);
            libc = e > libc ? e : libc;
        }
    }

    printf("%s: %lu angles, %lu differ from glibc, %.2f%% left to glibc, "
           "largest error %.3g ulp (%.3g of the margin); glibc's largest "
           "error %.4f ulp\n", name, angles, wrong,
           100. * (double) called / (double) angles, worst, worst * 64, libc);

    free(out);

    return wrong != 0 || worst >= 1. / 64;
}


int
main(int argc, char **argv)
{
    int                      bad, isa;
    unsigned long            angles;
    unsigned short           seed;
    const smallpt_isa_impl  *e;

    angles = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000000;
    seed = argc > 2 ? (unsigned short) strtoul(argv[2], NULL, 10) : 1;
    bad = 0;

    for (isa = 1; isa <= smallpt_isa_count(); isa++) {
        e = smallpt_isa_entry(isa);
        if (e->trig != NULL && smallpt_isa_supported(isa)) {
            bad |= check_path(e->name, e->trig, angles, seed);
        }
    }

    return bad;
}
