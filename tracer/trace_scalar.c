/*
 * The portable renderer: each lane's ray meets the spheres one at a time,
 * as in smallpt.cpp.
 */

#include "trace.h"


static inline void
intersect_lanes(const scene_lanes *s, const ray_lanes *rays, int *id,
    double *t)
{
    int     i, k;
    vec     o, d;
    double  dist[NSPHERES];

    for (k = 0; k < LANES; k++) {
        o = vec_make(rays->ox[k], rays->oy[k], rays->oz[k]);
        d = vec_make(rays->dx[k], rays->dy[k], rays->dz[k]);

        for (i = 0; i < NSPHERES; i++) {
            dist[i] = sphere_distance(s->px[i], s->py[i], s->pz[i], s->rr[i],
                                      o, d);
        }

        id[k] = nearest(dist, &t[k]);
    }
}


#define TRACE_ROWS  trace_rows_scalar
#include "trace_impl.h"
