/*
 * The instruction sets, as the rest of the library sees them. Each file
 * trace_NAME.c compiles the path tracer (smallpt_trace_impl.h) for one
 * instruction set and describes it in one entry, smallpt_isa_NAME; the
 * table in isa.c is the one list of the entries, which everything else
 * reads (smallpt_isa_*(), smallpt_exact(), the renders, the unit tests).
 * The build, `make ISA=NAME` and cli.sh find the files by their names.
 * Adding an instruction set: a file trace_NAME.c and a line in that table.
 */

#ifndef SMALLPT_ISA_H
#define SMALLPT_ISA_H

#include <stddef.h>


/* What a renderer renders: rows it claims one at a time until none is left. */
typedef struct {
    int             width;
    int             height;
    int             samps;      /* samples per subpixel: spp / 4 */
    unsigned char  *rgb;        /* row r's pixels at (r - first_row) * 3w */
    int             first_row;
    int             lanes;      /* rows in flight at the most; 0: any */
    int           (*claim)(void *data);           /* a row, or -1: none */
    void          (*done)(void *data, int row);   /* a row is finished */
    int           (*stopped)(void *data);         /* asked every bounce */
    void           *data;
} smallpt_trace_rows_args;


/*
 * An angle's sine and cosine as a vector renderer uses them (trig()'s where
 * it vouches for glibc's bits, else glibc's), whether they are glibc's, and
 * trig()'s own before rounding, hi + lo: for the tests.
 */
typedef struct {
    double  sin_x, cos_x;
    double  sin_hi, sin_lo;
    double  cos_hi, cos_lo;
    int     glibc;
} smallpt_trig_result;


/* One instruction set: its name and its file's entry points. */
typedef struct {
    /* "avx2": smallpt_isa_name(), smallpt --isa=, make ISA= */
    const char  *name;

    /* 1 if this CPU runs it; NULL if this build has it not (not x86) */
    int        (*supported)(void);

    /* renders: SMALLPT_OK, SMALLPT_ECANCELLED or SMALLPT_ENOMEM */
    int        (*trace_rows)(const smallpt_trace_rows_args *args);

    /* 1 if a * b + c rounds twice in its file, as in smallpt.cpp */
    int        (*exact)(void);

    /*
     * its vector sine and cosine of n angles 0 <= x < 2 pi, returning how
     * many it left to glibc; NULL where the renderer calls glibc's alone
     */
    size_t     (*trig)(const double *x, smallpt_trig_result *out, size_t n);
} smallpt_isa_impl;


/* Instruction set isa's entry (1 to smallpt_isa_count()), else NULL. */
const smallpt_isa_impl *smallpt_isa_entry(int isa);

#endif /* SMALLPT_ISA_H */
