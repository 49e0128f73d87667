/*
 * smallpt in C: Kevin Beason's smallpt path tracer (smallpt.cpp, MIT),
 * ported so that every image is byte-for-byte the one smallpt.cpp writes.
 * This is the tracer's interface: its limits and version, the status codes
 * of every smallpt_ function (the service code's in service/ too), the
 * instruction sets, jobs and the threads that render them, and bands.
 *
 * The library has no mutable global state. A render is described by a
 * smallpt_job; any number of threads may call smallpt_job_run() on the same
 * job at once: each claims rows (and traces up to 64 of them together, one
 * path a row: LANES in smallpt_trace.h) until none is left or the job is
 * cancelled. A job may cover only a band of the
 * image's rows: its bytes are those rows of the whole image.
 */

#ifndef SMALLPT_H
#define SMALLPT_H

#include <stddef.h>


/*
 * Version of the renderer and encoders; part of every ETag, so it changes
 * whenever the bytes of any image could.
 */
#define SMALLPT_VERSION         "1.2.0"

/* Largest width: smallpt counts columns in an unsigned short. */
#define SMALLPT_MAX_WIDTH       65535
#define SMALLPT_MAX_HEIGHT      65535

/* The fewest samples per pixel: smallpt renders 4 * floor(spp / 4). */
#define SMALLPT_MIN_SPP         4

/* What smallpt.cpp renders when told nothing: 1024x768 at spp 4. */
#define SMALLPT_DEFAULT_SPP     4
#define SMALLPT_DEFAULT_WIDTH   1024
#define SMALLPT_DEFAULT_HEIGHT  768

/* The most threads one render may use. */
#define SMALLPT_MAX_THREADS     1024

/* The most bands one image may be split into (fan-out). */
#define SMALLPT_MAX_BANDS       4096


enum {
    SMALLPT_OK = 0,
    SMALLPT_EINVAL,         /* an argument is out of range */
    SMALLPT_ECANCELLED,     /* the job was cancelled before it finished */
    SMALLPT_ENOMEM,         /* out of memory, or over a buffer's limit */
    SMALLPT_EPNG,           /* libpng reported an error */
    SMALLPT_ETHREAD         /* a thread could not be started */
};


/*
 * Instruction sets a render can use; each gives the same image. 0 is
 * "auto", the best this CPU runs; the others are numbered 1 to
 * smallpt_isa_count() in the order of tracer/isa.c's table, 1 the portable
 * C ("scalar"), and known by name: "scalar", "avx2", "avx512".
 */
enum {
    SMALLPT_ISA_AUTO = 0
};


/* A short English description of a SMALLPT_* status code. */
const char *smallpt_strerror(int status);

/* The samples per pixel smallpt.cpp really takes for spp: 4 * (spp / 4). */
int smallpt_effective_spp(int spp);

/* How many instruction sets this build knows, whether this CPU runs them. */
int smallpt_isa_count(void);

/* 1 if this build and this CPU can run the instruction set isa, else 0. */
int smallpt_isa_supported(int isa);

/*
 * The instruction set auto chooses here: the one this CPU runs besides the
 * portable C, or of several the fastest, timed once; else scalar.
 */
int smallpt_isa_best(void);

/* "auto", "scalar", "avx2"...; and back (-1: unknown name). */
const char *smallpt_isa_name(int isa);
int smallpt_isa_parse(const char *name);

/*
 * 1 if every renderer of this build rounds each operation on its own, as
 * smallpt.cpp does; 0 if the compiler fused multiplies and adds (FMA
 * contraction), which changes the image: callers refuse to render then.
 */
int smallpt_exact(void);


/* One image, or a band of its rows, being rendered by threads. */
typedef struct {
    int             width;
    int             height;     /* of the whole image */
    int             spp;
    int             first_row;  /* the band: 0 is the top row, as a PPM */
    int             last_row;   /* stores it; both inclusive */
    unsigned char  *rgb;        /* the band's rows, first_row's first */
    int             next_row;   /* next row to claim; use atomically */
    int             rows_done;  /* rows finished: smallpt_job_rows_done() */
    int             cancel;     /* set by smallpt_job_cancel */
    int             isa;        /* SMALLPT_ISA_*; init sets the best */
    int             threads;    /* threads that will run it (init: 1): */
                                /* each keeps its share of rows at once */

    /* optional, polled often (every bounce): non-zero cancels the job */
    int           (*stop)(void *data);
    void           *stop_data;

    /* optional, see smallpt_job_in_order() */
    void          (*ready)(void *data, int first_row, int rows);
    void           *ready_data;
    unsigned char  *row_done;   /* a flag a row of the band */
    int             handed;     /* rows given to ready(); atomically */
    int             handing;    /* a thread is in ready(); atomically */
} smallpt_job;


/* width * rows * 3, the bytes of that many rows; 0 if too large or bad. */
size_t smallpt_rgb_size(int width, int rows);

/*
 * Prepares a job for rows first_row to last_row (0 to height - 1: the whole
 * image) of a width x height image at spp into rgb, which holds
 * smallpt_rgb_size(width, last_row - first_row + 1) bytes. SMALLPT_EINVAL
 * if an argument is out of range. The job has no stop callback until the
 * caller sets job->stop.
 */
int smallpt_job_init(smallpt_job *job, int width, int height, int spp,
    int first_row, int last_row, unsigned char *rgb);

/*
 * Renders rows of the job until every row is claimed (SMALLPT_OK) or the job
 * is cancelled (SMALLPT_ECANCELLED); SMALLPT_ENOMEM cancels the job too.
 * Safe to call from many threads at once.
 */
int smallpt_job_run(smallpt_job *job);

/*
 * Before the job runs: ready(data, first_row, rows) will be called with
 * the rows of the band in order, top to bottom, each as soon as it and
 * every row above it are rendered, so that they can be encoded and sent
 * while the rest renders. It is called from the rendering threads, one
 * call at a time. row_done holds one zeroed byte a row of the band.
 */
void smallpt_job_in_order(smallpt_job *job, unsigned char *row_done,
    void (*ready)(void *data, int first_row, int rows), void *data);

/* Asks every thread in smallpt_job_run() to stop; safe from any thread. */
void smallpt_job_cancel(smallpt_job *job);

/* Rows finished so far (for progress); safe from any thread. */
int smallpt_job_rows_done(smallpt_job *job);

/*
 * Renders the whole job on `threads` threads and returns when they are all
 * done: SMALLPT_OK, SMALLPT_ECANCELLED, SMALLPT_ETHREAD or SMALLPT_ENOMEM.
 * Without `progress` the calling thread is one of them; with it, the calling
 * thread calls progress(data, rows_done, rows) ten times a second instead.
 */
int smallpt_render(smallpt_job *job, int threads,
    void (*progress)(void *data, int rows_done, int rows), void *data);


/*
 * Splits the rows of an image `height` rows tall into up to `bands` bands
 * (fewer only if the image has fewer rows) that take about the same time
 * to render: the scene's rows do not cost the same (the glass sphere's
 * most). Writes the first row of band i to first[i], and height to
 * first[n]; returns n. first holds bands + 1 ints.
 */
int smallpt_bands(int height, int bands, int *first);


#endif /* SMALLPT_H */
