/*
 * smallpt: the command-line renderer.
 *
 *   smallpt [-W width] [-H height] [-t threads] [-r first-last] [-o file]
 *           [spp]
 *
 * Like smallpt.cpp, `smallpt 16` writes image.ppm at 1024x768.
 */

#define _GNU_SOURCE  /* getopt_long */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smallpt.h"
#include "smallpt_cpus.h"
#include "smallpt_encode.h"


#define EXIT_USAGE  2


typedef struct {
    int          width;
    int          height;
    int          spp;
    int          first_row;     /* --rows; -1: the whole image */
    int          last_row;
    int          threads;
    int          quiet;
    int          isa;
    int          format;
    const char  *output;
} options;


static const char  usage_text[] =
    "Usage: smallpt [OPTION]... [SPP]\n"
    "Render Kevin Beason's smallpt scene, byte for byte as smallpt.cpp.\n"
    "\n"
    "  SPP                 samples per pixel, at least 4 (default 4);\n"
    "                      smallpt renders 4 * floor(SPP / 4)\n"
    "  -W, --width=W       image width, 1 to 65535 (default 1024)\n"
    "  -H, --height=H      image height, 1 to 65535 (default 768)\n"
    "  -t, --threads=N     render threads (default: the CPUs available,\n"
    "                      all online CPUs unless limited by affinity or a\n"
    "                      cgroup CPU quota)\n"
    "  -o, --output=FILE   output file (default image.ppm); FILE ending in\n"
    "                      .png writes PNG, .ppm writes PPM, .rgb raw 8-bit\n"
    "                      RGB; - writes PPM to standard output\n"
    "  -r, --rows=FIRST-LAST\n"
    "                      render only rows FIRST to LAST of the image (0\n"
    "                      is the top row): the output is those rows, byte\n"
    "                      for byte as in the whole image\n"
    "  -q, --quiet         no progress line\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "      --cpus          show the CPUs available (the default of -t)\n"
    "                      and exit\n"
    "      --isa=NAME      instruction set: auto (default: avx2, or the\n"
    "                      faster of avx512 and avx2, timed at the start,\n"
    "                      where the CPU has both; scalar without AVX2\n"
    "                      and FMA), scalar, avx2 or avx512; all give the\n"
    "                      same image\n"
    "\n"
    "A progress line goes to standard error when it is a terminal.\n"
    "Exit status: 0 on success, 1 if the render or the output failed,\n"
    "2 on bad arguments.\n";


static int parse_int(const char *s, const char *what, long min, long max,
    int *out);
static int parse_rows(const char *s, options *opt);
static int parse_args(int argc, char **argv, options *opt);
static int output_format(const char *path, int *format);
static void show_progress(void *data, int rows_done, int rows);
static int write_output(const options *opt, const unsigned char *rgb);


/* Parses a whole decimal number in [min, max]; prints why not. */
static int
parse_int(const char *s, const char *what, long min, long max, int *out)
{
    long   v;
    char  *end;

    errno = 0;
    v = strtol(s, &end, 10);

    if (!(isdigit((unsigned char) s[0])
          || (s[0] == '-' && isdigit((unsigned char) s[1])))
        || *end != '\0')
    {
        fprintf(stderr, "smallpt: %s \"%s\" is not a whole number\n", what,
                s);
        return -1;
    }

    if (errno == ERANGE || v < min || v > max) {
        fprintf(stderr, "smallpt: %s must be from %ld to %ld, not %s\n",
                what, min, max, s);
        return -1;
    }

    *out = (int) v;
    return 0;
}


static int
parse_args(int argc, char **argv, options *opt)
{
    int                          c;
    char                         libs[64];
    static const struct option  longopts[] = {
        { "width",   required_argument, NULL, 'W' },
        { "height",  required_argument, NULL, 'H' },
        { "threads", required_argument, NULL, 't' },
        { "output",  required_argument, NULL, 'o' },
        { "rows",    required_argument, NULL, 'r' },
        { "quiet",   no_argument,       NULL, 'q' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { "cpus",    no_argument,       NULL, 'C' },
        { "isa",     required_argument, NULL, 'I' },
        { NULL, 0, NULL, 0 }
    };

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":W:H:t:o:r:qhV", longopts, NULL))
           != -1)
    {
        switch (c) {
        case 'W':
            if (parse_int(optarg, "width", 1, SMALLPT_MAX_WIDTH, &opt->width)
                != 0)
            {
                return EXIT_USAGE;
            }
            break;

        case 'H':
            if (parse_int(optarg, "height", 1, SMALLPT_MAX_HEIGHT,
                          &opt->height)
                != 0)
            {
                return EXIT_USAGE;
            }
            break;

        case 't':
            if (parse_int(optarg, "threads", 1, SMALLPT_MAX_THREADS,
                          &opt->threads)
                != 0)
            {
                return EXIT_USAGE;
            }
            break;

        case 'r':
            if (parse_rows(optarg, opt) != 0) {
                return EXIT_USAGE;
            }
            break;

        case 'o':
            opt->output = optarg;
            break;

        case 'q':
            opt->quiet = 1;
            break;

        case 'h':
            fputs(usage_text, stdout);
            return EXIT_SUCCESS;

        case 'V':
            smallpt_png_versions(libs, sizeof(libs));
            printf("smallpt %s (%s, %s)\n", SMALLPT_VERSION, libs,
                   smallpt_isa_name(smallpt_isa_best()));
            return EXIT_SUCCESS;

        case 'C':
            printf("%d\n", smallpt_cpus());
            return EXIT_SUCCESS;

        case 'I':
            opt->isa = smallpt_isa_parse(optarg);
            if (opt->isa < 0 || (opt->isa != SMALLPT_ISA_AUTO
                                 && !smallpt_isa_supported(opt->isa)))
            {
                fprintf(stderr, "smallpt: instruction set \"%s\" is not "
                        "available here; the best is %s\n", optarg,
                        smallpt_isa_name(smallpt_isa_best()));
                return EXIT_USAGE;
            }
            break;

        case ':':
            fprintf(stderr, "smallpt: option %s needs a value\n",
                    argv[optind - 1]);
            return EXIT_USAGE;

        default:
            if (optopt == 'w') {
                fprintf(stderr, "smallpt: unknown option -w "
                        "(the width is -W, the height -H)\n");

            } else if (optopt != 0) {
                fprintf(stderr, "smallpt: unknown option -%c\n", optopt);

            } else {
                fprintf(stderr, "smallpt: unknown option %s\n",
                        argv[optind - 1]);
            }

            fprintf(stderr, "Try 'smallpt --help'.\n");
            return EXIT_USAGE;
        }
    }

    if (argc - optind > 1) {
        fprintf(stderr, "smallpt: one SPP argument expected, got %d\n"
                "Try 'smallpt --help'.\n", argc - optind);
        return EXIT_USAGE;
    }

    if (optind < argc
        && parse_int(argv[optind], "spp", SMALLPT_MIN_SPP, INT_MAX, &opt->spp)
           != 0)
    {
        return EXIT_USAGE;
    }

    if (opt->first_row < 0) {
        opt->first_row = 0;
        opt->last_row = opt->height - 1;

    } else if (opt->last_row >= opt->height) {
        fprintf(stderr, "smallpt: rows %d-%d are not within the image: the "
                "last row is %d\n", opt->first_row, opt->last_row,
                opt->height - 1);
        return EXIT_USAGE;
    }

    return -1;
}


/* FIRST-LAST, both whole numbers, FIRST <= LAST; prints why not. */
static int
parse_rows(const char *s, options *opt)
{
    char         first[16];
    size_t       len;
    const char  *dash;

    dash = strchr(s, '-');
    len = dash != NULL ? (size_t) (dash - s) : 0;

    if (len == 0 || len >= sizeof(first)) {
        fprintf(stderr, "smallpt: rows \"%s\" is not FIRST-LAST\n", s);
        return -1;
    }

    memcpy(first, s, len);
    first[len] = '\0';

    if (parse_int(first, "first row", 0, SMALLPT_MAX_HEIGHT - 1,
                  &opt->first_row)
        != 0
        || parse_int(dash + 1, "last row", opt->first_row,
                     SMALLPT_MAX_HEIGHT - 1, &opt->last_row)
           != 0)
    {
        return -1;
    }

    return 0;
}


static int
output_format(const char *path, int *format)
{
    size_t       len;
    const char  *dot;

    if (strcmp(path, "-") == 0) {
        *format = SMALLPT_FORMAT_PPM;
        return 0;
    }

    len = strlen(path);
    dot = strrchr(path, '.');

    if (dot != NULL && dot != path && path + len - dot == 4) {
        *format = smallpt_format_parse(dot + 1, 3);
        if (*format >= 0) {
            return 0;
        }
    }

    fprintf(stderr, "smallpt: output \"%s\" must end in .png, .ppm or "
            ".rgb, or be - for PPM on standard output\n", path);
    return -1;
}


static void
show_progress(void *data, int rows_done, int rows)
{
    const options  *opt = data;

    fprintf(stderr, "\rRendering (%d spp) %5.2f%%",
            smallpt_effective_spp(opt->spp), 100. * rows_done / rows);
}


static int
write_output(const options *opt, const unsigned char *rgb)
{
    int          rc, to_stdout;
    FILE        *f;
    smallpt_buf  buf = { NULL, 0, 0, 0 };

    rc = smallpt_encode(opt->format, rgb, opt->width,
                        opt->last_row - opt->first_row + 1, &buf);
    if (rc != SMALLPT_OK) {
        fprintf(stderr, "smallpt: encoding failed: %s\n",
                smallpt_strerror(rc));
        return -1;
    }

    to_stdout = strcmp(opt->output, "-") == 0;
    f = to_stdout ? stdout : fopen(opt->output, "wb");
    if (f == NULL) {
        fprintf(stderr, "smallpt: cannot open %s: %s\n", opt->output,
                strerror(errno));
        smallpt_buf_free(&buf);
        return -1;
    }

    rc = fwrite(buf.data, 1, buf.len, f) == buf.len ? 0 : -1;
    if (fflush(f) != 0) {
        rc = -1;
    }

    if (rc != 0) {
        fprintf(stderr, "smallpt: cannot write %s: %s\n", opt->output,
                strerror(errno));
    }

    if (!to_stdout && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "smallpt: cannot write %s: %s\n", opt->output,
                strerror(errno));
        rc = -1;
    }

    smallpt_buf_free(&buf);
    return rc;
}


int
main(int argc, char **argv)
{
    int             rc, progress;
    size_t          size;
    options         opt;
    smallpt_job     job;
    unsigned char  *rgb;

    opt.width = SMALLPT_DEFAULT_WIDTH;
    opt.height = SMALLPT_DEFAULT_HEIGHT;
    opt.spp = SMALLPT_DEFAULT_SPP;
    opt.first_row = -1;
    opt.last_row = -1;
    opt.threads = 0;
    opt.quiet = 0;
    opt.isa = SMALLPT_ISA_AUTO;
    opt.output = "image.ppm";

    rc = parse_args(argc, argv, &opt);
    if (rc >= 0) {
        return rc;
    }

    if (output_format(opt.output, &opt.format) != 0) {
        return EXIT_USAGE;
    }

    if (!smallpt_exact()) {
        fprintf(stderr, "smallpt: this build fuses multiplies and adds (FMA "
                "contraction) and would not render smallpt's image; "
                "rebuild it without -ffp-contract=fast\n");
        return EXIT_FAILURE;
    }

    if (opt.threads == 0) {
        opt.threads = smallpt_cpus();
    }

    size = smallpt_rgb_size(opt.width, opt.last_row - opt.first_row + 1);
    if (size == 0) {
        fprintf(stderr, "smallpt: %dx%d is too large\n", opt.width,
                opt.height);
        return EXIT_USAGE;
    }

    rgb = malloc(size);
    if (rgb == NULL) {
        fprintf(stderr, "smallpt: not enough memory for %dx%d\n", opt.width,
                opt.height);
        return EXIT_FAILURE;
    }

    rc = smallpt_job_init(&job, opt.width, opt.height, opt.spp, opt.first_row,
                          opt.last_row, rgb);
    if (rc == SMALLPT_OK) {
        if (opt.isa != SMALLPT_ISA_AUTO) {
            job.isa = opt.isa;
        }

        progress = !opt.quiet && isatty(STDERR_FILENO);

        rc = smallpt_render(&job, opt.threads,
                            progress ? show_progress : NULL, &opt);
        if (progress) {
            fputc('\n', stderr);
        }
    }

    if (rc != SMALLPT_OK) {
        fprintf(stderr, "smallpt: render failed: %s\n", smallpt_strerror(rc));
        free(rgb);
        return EXIT_FAILURE;
    }

    rc = write_output(&opt, rgb);
    free(rgb);

    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
