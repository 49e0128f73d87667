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
static inline vd vd_select(vm m, vd a, vd b) { return m ? a : b; }


#define TRACE_ROWS  trace_rows_scalar
#include "trace_impl.h"
