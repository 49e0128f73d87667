/*
 * smallpt's radiance() and its loop over a row's pixels and samples, written
 * once and compiled once per instruction set: the including file defines
 * TRACE_ROW (the row renderer's name) and a function
 *
 *     static inline int intersect(const scene_lanes *s, vec o, vec d,
 *         double *t);
 *
 * giving the nearest sphere the ray o + t d hits (smallpt's choice), or -1.
 */

#include "smallpt.h"


static vec
radiance(const scene_lanes *s, vec o, vec d, int depth, uint64_t *xi)
{
    int            id, into;
    vec            x, n, nl, f, w, u, v, dir, tdir, refl, a, b;
    double         t, p, r1, r2, r2s, nnt, ddn, cos2t, r0, c, re, tr, pr;
    const sphere  *obj;

    id = intersect(s, o, d, &t);
    if (id < 0) {
        return vec_make(0, 0, 0);
    }

    obj = &spheres[id];
    x = vec_add(o, vec_scale(d, t));
    n = vec_norm(vec_sub(x, obj->p));
    nl = vec_dot(n, d) < 0 ? n : vec_scale(n, -1);
    f = obj->c;
    p = f.x > f.y && f.x > f.z ? f.x : f.y > f.z ? f.y : f.z;

    if (++depth > 5) {
        if (rand48(xi) < p) {
            f = vec_scale(f, 1 / p);

        } else {
            return obj->e;
        }
    }

    if (obj->refl == DIFF) {
        r1 = 2 * PI * rand48(xi);
        r2 = rand48(xi);
        r2s = sqrt(r2);
        w = nl;
        u = vec_norm(vec_cross(fabs(w.x) > .1 ? vec_make(0, 1, 0)
                                              : vec_make(1, 0, 0), w));
        v = vec_cross(w, u);
        dir = vec_norm(vec_add(vec_add(vec_scale(vec_scale(u, cos(r1)), r2s),
                                       vec_scale(vec_scale(v, sin(r1)), r2s)),
                               vec_scale(w, sqrt(1 - r2))));
        return vec_add(obj->e, vec_mult(f, radiance(s, x, dir, depth, xi)));
    }

    refl = vec_sub(d, vec_scale(vec_scale(n, 2), vec_dot(n, d)));

    if (obj->refl == SPEC) {
        return vec_add(obj->e, vec_mult(f, radiance(s, x, refl, depth, xi)));
    }

    into = vec_dot(n, nl) > 0;
    nnt = into ? 1 / 1.5 : 1.5 / 1;
    ddn = vec_dot(d, nl);
    cos2t = 1 - nnt * nnt * (1 - ddn * ddn);

    if (cos2t < 0) {
        return vec_add(obj->e, vec_mult(f, radiance(s, x, refl, depth, xi)));
    }

    tdir = vec_norm(vec_sub(vec_scale(d, nnt),
                            vec_scale(n, (into ? 1 : -1)
                                         * (ddn * nnt + sqrt(cos2t)))));
    r0 = (.5 * .5) / (2.5 * 2.5);
    c = 1 - (into ? -ddn : vec_dot(tdir, n));
    re = r0 + (1 - r0) * c * c * c * c * c;
    tr = 1 - re;
    pr = .25 + .5 * re;

    if (depth > 2) {
        if (rand48(xi) < pr) {
            a = vec_scale(radiance(s, x, refl, depth, xi), re / pr);

        } else {
            a = vec_scale(radiance(s, x, tdir, depth, xi), tr / (1 - pr));
        }

        return vec_add(obj->e, vec_mult(f, a));
    }

    /* g++ evaluates the refracted ray first: it draws its numbers first */
    b = vec_scale(radiance(s, x, tdir, depth, xi), tr);
    a = vec_scale(radiance(s, x, refl, depth, xi), re);

    return vec_add(obj->e, vec_mult(f, vec_add(a, b)));
}


int
TRACE_ROW(const trace_row_args *args)
{
    int          sx, sy, s, samps;
    vec          cam_o, cam_d, cx, cy, d, r, acc;
    double       r1, r2, dx, dy, w, h;
    uint64_t     xi;
    unsigned     x, y;
    scene_lanes  scene;

    scene_lanes_init(&scene);

    samps = args->samps;
    w = args->width;
    h = args->height;
    y = (unsigned) (args->height - 1 - args->row);

    cam_o = vec_make(50, 52, 295.6);
    cam_d = vec_norm(vec_make(0, -0.042612, -1));
    cx = vec_make(args->width * .5135 / args->height, 0, 0);
    cy = vec_scale(vec_norm(vec_cross(cx, cam_d)), .5135);

    /* Xi = {0, 0, y*y*y}: only y^3 mod 2^16 is kept, in the high word */
    xi = (uint64_t) ((y * y * y) & 0xFFFF) << 32;

    for (x = 0; x < (unsigned) args->width; x++) {

        if (args->cancel != NULL
            && __atomic_load_n(args->cancel, __ATOMIC_RELAXED))
        {
            return SMALLPT_ECANCELLED;
        }

        acc = vec_make(0, 0, 0);

        for (sy = 0; sy < 2; sy++) {
            for (sx = 0; sx < 2; sx++) {
                r = vec_make(0, 0, 0);

                for (s = 0; s < samps; s++) {
                    r1 = 2 * rand48(&xi);
                    dx = r1 < 1 ? sqrt(r1) - 1 : 1 - sqrt(2 - r1);
                    r2 = 2 * rand48(&xi);
                    dy = r2 < 1 ? sqrt(r2) - 1 : 1 - sqrt(2 - r2);

                    d = vec_add(vec_add(
                            vec_scale(cx, ((sx + .5 + dx) / 2 + x) / w - .5),
                            vec_scale(cy, ((sy + .5 + dy) / 2 + y) / h - .5)),
                        cam_d);

                    /* g++ normalizes d before it computes the origin */
                    d = vec_norm(d);

                    r = vec_add(r, vec_scale(radiance(&scene,
                                                      vec_add(cam_o,
                                                          vec_scale(d, 140)),
                                                      d, 0, &xi),
                                             1. / samps));
                }

                acc = vec_add(acc, vec_scale(vec_make(clamp01(r.x),
                                                      clamp01(r.y),
                                                      clamp01(r.z)),
                                             .25));
            }
        }

        args->rgb[3 * x] = to_byte(acc.x);
        args->rgb[3 * x + 1] = to_byte(acc.y);
        args->rgb[3 * x + 2] = to_byte(acc.z);
    }

    return SMALLPT_OK;
}
