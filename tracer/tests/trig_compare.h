/*
 * For test_trig and trig_check: the vector sine and cosine against the C
 * library's, bit for bit.
 */

#ifndef SMALLPT_TRIG_COMPARE_H
#define SMALLPT_TRIG_COMPARE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "smallpt_isa.h"


/*
 * How many of the n results differ from sin(x[i]) and cos(x[i]); the
 * first few are printed, *printed counting them across calls.
 */
static inline size_t
trig_compare(const char *name, const double *x,
    const smallpt_trig_result *out, size_t n, unsigned *printed)
{
    size_t  i, wrong;
    double  s, c;

    wrong = 0;

    for (i = 0; i < n; i++) {
        s = sin(x[i]);
        c = cos(x[i]);

        if (memcmp(&s, &out[i].sin_x, sizeof(double)) == 0
            && memcmp(&c, &out[i].cos_x, sizeof(double)) == 0)
        {
            continue;
        }

        if ((*printed)++ < 5) {
            printf("%s: x %a: sin %a, glibc %a; cos %a, glibc %a\n", name,
                   x[i], out[i].sin_x, s, out[i].cos_x, c);
        }

        wrong++;
    }

    return wrong;
}

#endif /* SMALLPT_TRIG_COMPARE_H */
