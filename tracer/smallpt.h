/*
 * smallpt in C: Kevin Beason's smallpt path tracer (smallpt.cpp, MIT),
 * ported so that every image is byte-for-byte the one smallpt.cpp writes.
 *
 * The library has no mutable global state. A render is described by a
 * smallpt_job; any number of threads may call smallpt_job_run() on the same
 * job at once: each claims rows (and traces 16 of them together) until none
 * is left or the job is cancelled.
 */

#ifndef SMALLPT_H
#define SMALLPT_H

#include <stddef.h>


/* Version of the renderer and encoders; part of every ETag. */
#define SMALLPT_VERSION    "1.0.0"

/* Largest width: smallpt counts columns in an unsigned short. */
#define SMALLPT_MAX_WIDTH  65535
#define SMALLPT_MAX_HEIGHT 65535

/* The fewest samples per pixel: smallpt renders 4 * floor(spp / 4). */
#define SMALLPT_MIN_SPP    4


enum {
    SMALLPT_OK = 0,
    SMALLPT_EINVAL,         /* an argument is out of range */
    SMALLPT_ECANCELLED,     /* the job was cancelled before it finished */
    SMALLPT_ENOMEM,         /* out of memory, or over a buffer's limit */
    SMALLPT_EPNG,           /* libpng reported an error */
    SMALLPT_ETHREAD         /* a thread could not be started */
};


/* Instruction sets a render can use; each gives the same image. */
enum {
    SMALLPT_ISA_AUTO = 0,   /* the best this CPU runs */
    SMALLPT_ISA_SCALAR,     /* portable C */
    SMALLPT_ISA_AVX2,       /* x86-64 AVX2: four lanes at once */
    SMALLPT_ISA_AVX512      /* x86-64 AVX-512F: eight lanes at once */
};


/* A short English description of a SMALLPT_* status code. */
const char *smallpt_strerror(int status);

/* SMALLPT_OK if width, height and spp describe an image smallpt can render. */
int smallpt_check(int width, int height, int spp);

/* The samples per pixel smallpt.cpp really takes for spp: 4 * (spp / 4). */
int smallpt_effective_spp(int spp);

/* 1 if this build and this CPU can run the instruction set isa, else 0. */
int smallpt_isa_supported(int isa);

/* The instruction set auto chooses here: AVX-512, AVX2 or scalar. */
int smallpt_isa_best(void);

/* "auto", "scalar", "avx2" or "avx512"; and back (-1: unknown name). */
const char *smallpt_isa_name(int isa);
int smallpt_isa_parse(const char *name);


/*
 * Renders image row `row` (0 is the top row, as a PPM stores it) of a
 * width x height image into width * 3 bytes of 8-bit RGB at `rgb`, with the
 * instruction set isa (SMALLPT_ISA_AUTO: the best; an unsupported one is
 * SMALLPT_EINVAL). A non-NULL `cancel` is polled at every bounce; when it
 * reads non-zero the row is left unfinished and SMALLPT_ECANCELLED
 * returned.
 */
int smallpt_render_row(int width, int height, int spp, int row, int isa,
    unsigned char *rgb, const int *cancel);


/* One image being rendered, shared by the threads that render it. */
typedef struct {
    int             width;
    int             height;
    int             spp;
    unsigned char  *rgb;        /* width * height * 3 bytes, top row first */
    int             next_row;   /* next row to claim; use atomically */
    int             rows_done;  /* rows finished: smallpt_job_rows_done() */
    int             cancel;     /* set by smallpt_job_cancel */
    int             isa;        /* SMALLPT_ISA_*; init sets the best */

    /* optional, polled often (every bounce): non-zero cancels the job */
    int           (*stop)(void *data);
    void           *stop_data;
} smallpt_job;


/*
 * Prepares a job for rgb (width * height * 3 bytes); checks the arguments.
 * The job has no stop callback until the caller sets job->stop.
 */
int smallpt_job_init(smallpt_job *job, int width, int height, int spp,
    unsigned char *rgb);

/*
 * Renders rows of the job until every row is claimed (SMALLPT_OK) or the job
 * is cancelled (SMALLPT_ECANCELLED). Safe to call from many threads at once.
 */
int smallpt_job_run(smallpt_job *job);

/* Asks every thread in smallpt_job_run() to stop; safe from any thread. */
void smallpt_job_cancel(smallpt_job *job);

/* Rows finished so far (for progress); safe from any thread. */
int smallpt_job_rows_done(smallpt_job *job);

/*
 * Renders the whole job on `threads` threads and returns when they are all
 * done: SMALLPT_OK, SMALLPT_ECANCELLED, SMALLPT_ETHREAD or SMALLPT_ENOMEM.
 * Without `progress` the calling thread is one of them; with it, the calling
 * thread calls progress(data, rows_done, height) ten times a second instead.
 */
int smallpt_render(smallpt_job *job, int threads,
    void (*progress)(void *data, int rows_done, int height), void *data);


/*
 * The CPUs this process may use: its affinity mask (all online CPUs unless
 * restricted), capped by a cgroup v2 or v1 CPU quota, rounded up. At least 1.
 */
int smallpt_cpus(void);

/* CPUs a cgroup quota and period ("150000", "100000") allow: 2; 0 if none. */
int smallpt_quota_cpus(const char *quota, const char *period);


/* A growing memory buffer; `limit` (0: none) caps its length. */
typedef struct {
    unsigned char  *data;
    size_t          len;
    size_t          cap;
    size_t          limit;
} smallpt_buf;


/* Frees the buffer's memory and empties it; its limit stays. */
void smallpt_buf_free(smallpt_buf *buf);

/*
 * Bytes of the P3 PPM for a width x height image, at most (SIZE_MAX: more
 * than memory can hold).
 */
size_t smallpt_ppm_max_size(int width, int height);

/*
 * Appends the P3 PPM of an 8-bit RGB image to buf, exactly as smallpt.cpp
 * writes image.ppm.
 */
int smallpt_encode_ppm(const unsigned char *rgb, int width, int height,
    smallpt_buf *buf);

/*
 * Bytes of the PNG for a width x height image, at most (incompressible;
 * SIZE_MAX: more than memory can hold).
 */
size_t smallpt_png_max_size(int width, int height);

/* Appends an 8-bit RGB PNG of the image to buf (libpng; lossless). */
int smallpt_encode_png(const unsigned char *rgb, int width, int height,
    smallpt_buf *buf);

/*
 * Writes the versions of libpng and zlib the PNG encoder runs with, as
 * "libpng1.6.39-zlib1.2.13", into buf (size bytes, NUL-terminated).
 */
void smallpt_png_versions(char *buf, size_t size);

#endif /* SMALLPT_H */
