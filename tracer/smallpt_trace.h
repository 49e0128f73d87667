/*
 * Inside the renderer: smallpt.cpp's scene, vector arithmetic and random
 * numbers, shared by the renderers of every instruction set (trace_NAME.c,
 * one file each: see smallpt_isa.h and smallpt_trace_impl.h).
 *
 * Every floating-point operation is the one smallpt.cpp performs, in the
 * same order and grouping, so the image is bit for bit the reference's.
 * A fused multiply-add rounds once where smallpt.cpp rounds twice, and
 * changes the image: the files that include this one forbid contraction
 * themselves, whatever flags they are built with (nginx's, a distribution's),
 * and rounds_apart() lets a test and the callers check that it worked.
 *
 * sin, cos and pow are the C library's, as smallpt.cpp's are: glibc picks
 * an FMA or an SSE2 variant of them at run time by the CPU, and their last
 * bits are part of the image. So the image equals smallpt.cpp's built and
 * run on the same machine with the same C library; the reference images
 * in the tests are glibc's on x86-64.
 */

#ifndef SMALLPT_TRACE_H
#define SMALLPT_TRACE_H

/*
 * Before any function: GCC's GNU modes contract a * b + c into an FMA
 * wherever the target has one (-ffp-contract=fast); clang's default does
 * within an expression, and -ffp-contract=fast there ignores the pragma
 * (rounds_apart() then reports it).
 */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize ("fp-contract=off")
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "smallpt_isa.h"


#if defined(__FAST_MATH__)
#error "smallpt needs IEEE arithmetic: build without -ffast-math and -Ofast"
#endif


/*
 * 1 if a * b + c is rounded twice where this is compiled, as in smallpt.cpp;
 * 0 if it was fused into one FMA. The operands are volatile so that the
 * compiler cannot fold it: a * b is 1 - 2^-60, which rounds to 1.
 */
static inline int
rounds_apart(void)
{
    volatile double  a = 1 + 0x1p-30, b = 1 - 0x1p-30, c = -1;

    return a * b + c == 0;
}


typedef struct {
    double  x, y, z;
} vec;


/*
 * sqrt() without errno: the same correctly rounded result, without the
 * check and the libm call a negative argument takes (smallpt never takes
 * the root of a negative number); and a choice without a branch.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

static inline double
root(double x)
{
    return _mm_cvtsd_f64(_mm_sqrt_sd(_mm_setzero_pd(), _mm_set_sd(x)));
}

/* x < y ? a : b without a branch: for choices the CPU cannot foresee */
static inline double
choose_lt(double x, double y, double a, double b)
{
    __m128d  m;

    m = _mm_cmplt_sd(_mm_set_sd(x), _mm_set_sd(y));
    return _mm_cvtsd_f64(_mm_or_pd(_mm_and_pd(m, _mm_set_sd(a)),
                                   _mm_andnot_pd(m, _mm_set_sd(b))));
}

#else

static inline double
root(double x)
{
    return sqrt(x);
}


static inline double
choose_lt(double x, double y, double a, double b)
{
    return x < y ? a : b;
}

#endif

typedef enum {
    DIFF, SPEC, REFR
} material;

typedef struct {
    double    rad;
    vec       p;        /* position */
    vec       e;        /* emission */
    vec       c;        /* colour */
    material  refl;
} sphere;


#define NSPHERES  9

static const sphere  spheres[NSPHERES] = {
    { 1e5,  {  1e5 + 1, 40.8, 81.6 },     { 0, 0, 0 },    { .75, .25, .25 },
      DIFF },                                                 /* left */
    { 1e5,  { -1e5 + 99, 40.8, 81.6 },    { 0, 0, 0 },    { .25, .25, .75 },
      DIFF },                                                 /* right */
    { 1e5,  { 50, 40.8, 1e5 },            { 0, 0, 0 },    { .75, .75, .75 },
      DIFF },                                                 /* back */
    { 1e5,  { 50, 40.8, -1e5 + 170 },     { 0, 0, 0 },    { 0, 0, 0 },
      DIFF },                                                 /* front */
    { 1e5,  { 50, 1e5, 81.6 },            { 0, 0, 0 },    { .75, .75, .75 },
      DIFF },                                                 /* bottom */
    { 1e5,  { 50, -1e5 + 81.6, 81.6 },    { 0, 0, 0 },    { .75, .75, .75 },
      DIFF },                                                 /* top */
    { 16.5, { 27, 16.5, 47 },             { 0, 0, 0 },    { .999, .999, .999 },
      SPEC },                                                 /* mirror */
    { 16.5, { 73, 16.5, 78 },             { 0, 0, 0 },    { .999, .999, .999 },
      REFR },                                                 /* glass */
    { 600,  { 50, 681.6 - .27, 81.6 },    { 12, 12, 12 }, { 0, 0, 0 },
      DIFF }                                                  /* light */
};

/* smallpt.cpp's M_PI; spelled out because C99 does not define it. */
#define PI  3.14159265358979323846

/* smallpt's epsilon: hits closer than this are ignored */
#define EPS  1e-4


/* Rows each thread traces at once (see smallpt_trace_impl.h), at most 64. */
#define LANES  64


/*
 * x86 with GCC or clang: the AVX2 and AVX-512 files build their renderers.
 * Their entries (smallpt_isa.h): the functions smallpt_trace_impl.h made
 * and a CPU check, `supported`; elsewhere the name alone, not supported.
 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define SMALLPT_X86_SIMD  1

#define SMALLPT_X86_ISA(isa_name, cpu_check)                                 \
    { .name = isa_name, .supported = cpu_check, .trace_rows = trace_rows,     \
      .exact = trace_exact, .trig = trace_trig }
#else
#define SMALLPT_X86_ISA(isa_name, cpu_check)  { .name = isa_name }
#endif


static inline vec
vec_make(double x, double y, double z)
{
    vec  v;

    v.x = x;
    v.y = y;
    v.z = z;
    return v;
}


static inline vec
vec_add(vec a, vec b)
{
    return vec_make(a.x + b.x, a.y + b.y, a.z + b.z);
}


static inline vec
vec_sub(vec a, vec b)
{
    return vec_make(a.x - b.x, a.y - b.y, a.z - b.z);
}


static inline vec
vec_scale(vec a, double s)
{
    return vec_make(a.x * s, a.y * s, a.z * s);
}


static inline vec
vec_mult(vec a, vec b)
{
    return vec_make(a.x * b.x, a.y * b.y, a.z * b.z);
}


static inline double
vec_dot(vec a, vec b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}


static inline vec
vec_cross(vec a, vec b)
{
    return vec_make(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z,
                    a.x * b.y - a.y * b.x);
}


static inline vec
vec_norm(vec a)
{
    return vec_scale(a, 1 / root(a.x * a.x + a.y * a.y + a.z * a.z));
}


/*
 * erand48() with the state in one integer: X' = (a X + c) mod 2^48, and the
 * result X' / 2^48, which is exactly the double glibc builds.
 */
static inline double
rand48(uint64_t *state)
{
    *state = (*state * 0x5DEECE66DULL + 0xB) & 0xFFFFFFFFFFFFULL;
    return (double) *state * 0x1p-48;
}


static inline double
clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}


static inline unsigned char
to_byte(double x)
{
    return (unsigned char) (int) (pow(clamp01(x), 1 / 2.2) * 255 + .5);
}

#endif /* SMALLPT_TRACE_H */
