/*
 * The portable row renderer: spheres intersected one at a time, as in
 * smallpt.cpp.
 */

#include "trace.h"


static inline int
intersect(const scene_lanes *s, vec o, vec d, double *t)
{
    int     i;
    double  dist[NSPHERES];

    for (i = 0; i < NSPHERES; i++) {
        dist[i] = sphere_distance(s->px[i], s->py[i], s->pz[i], s->rr[i], o,
                                  d);
    }

    return nearest(dist, t);
}


#define TRACE_ROW  trace_row_scalar
#include "trace_impl.h"
