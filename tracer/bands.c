/*
 * Bands of rows that take about the same time to render, for fan-out.
 */

#include <stdint.h>

#include "smallpt.h"


/*
 * How much of the work of smallpt's picture lies in each of 64 slices of
 * its rows, top to bottom, in parts per 10000: instructions counted by
 * callgrind in each slice of the 1024x768 render at spp 4, rendered alone
 * (scripts/bench-band-costs). The top of the room (the light) is cheap, the
 * glass sphere dear; a row's cost depends on where it is in the picture,
 * not on the picture's size, so this serves every height. Only the
 * balance of the bands rests on it, never their bytes.
 */
static const unsigned short  slice_costs[64] = {
    139,  140,  142,  139,  141,  141,  141,  142,
    145,  144,  146,  143,  144,  144,  142,  143,
    144,  144,  142,  144,  143,  142,  143,  143,
    144,  143,  143,  143,  144,  144,  144,  144,
    145,  147,  144,  145,  144,  158,  169,  177,
    181,  185,  187,  191,  193,  194,  195,  192,
    192,  191,  190,  187,  185,  183,  178,  175,
    170,  159,  153,  149,  146,  144,  141,  141
};


int
smallpt_bands(int height, int bands, int *first)
{
    int       n, i, row;
    uint64_t  total, sum, target;

    if (height < 1 || bands < 1 || first == NULL) {
        return 0;
    }

    n = bands < height ? bands : height;

    /* a row's cost: its slice's, scaled by the rows in that slice */
    total = 0;
    for (row = 0; row < height; row++) {
        total += slice_costs[(uint64_t) row * 64 / (uint64_t) height];
    }

    first[0] = 0;
    sum = 0;
    row = 0;

    for (i = 1; i < n; i++) {
        target = total * (uint64_t) i / (uint64_t) n;

        /* up to the cost target, but at least one row a band, and enough
         * rows left for the bands after it */
        while (row < height - (n - i)
               && (row < first[i - 1] + 1 || sum < target))
        {
            sum += slice_costs[(uint64_t) row * 64 / (uint64_t) height];
            row++;
        }

        first[i] = row;
    }

    first[n] = height;

    return n;
}
