/*
 * smallpt: the command-line renderer.
 *
 *   smallpt [-W width] [-H height] [-t threads] [-o file] [spp]
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


#define EXIT_USAGE  2


typedef struct {
    int          width;
    int          height;
    int          spp;
    int          threads;
    int          quiet;
    int          isa;
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
    "                      .png writes PNG, .ppm writes PPM, - writes PPM\n"
    "                      to standard output\n"
    "  -q, --quiet         no progress line\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "      --cpus          show the CPUs available (the default of -t)\n"
    "                      and exit\n"
    "      --isa=NAME      instruction set: auto (default: the fastest the\n"
    "                      CPU has: avx512, avx2, scalar), scalar, avx2 or\n"
    "                      avx512; all give the same image\n"
    "\n"
    "A progress line goes to standard error when it is a terminal.\n"
    "Exit status: 0 on success, 1 if the render or the output failed,\n"
    "2 on bad arguments.\n";


static int parse_int(const char *s, const char *what, long min, long max,
    int *out);
static int parse_args(int argc, char **argv, options *opt);
static int output_is_png(const char *path, int *png);
static void show_progress(void *data, int rows_done, int height);
static int write_output(const options *opt, int png, const unsigned char *rgb);


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
        { "quiet",   no_argument,       NULL, 'q' },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { "cpus",    no_argument,       NULL, 'C' },
        { "isa",     required_argument, NULL, 'I' },
        { NULL, 0, NULL, 0 }
    };

    opterr = 0;

    while ((c = getopt_long(argc, argv, ":W:H:t:o:qhV", longopts, NULL))
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
            if (parse_int(optarg, "threads", 1, 1024, &opt->threads) != 0) {
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

    return -1;
}


static int
output_is_png(const char *path, int *png)
{
    size_t  len;

    len = strlen(path);

    if (strcmp(path, "-") == 0
        || (len > 4 && strcmp(path + len - 4, ".ppm") == 0))
    {
        *png = 0;
        return 0;
    }

    if (len > 4 && strcmp(path + len - 4, ".png") == 0) {
        *png = 1;
        return 0;
    }

    fprintf(stderr, "smallpt: output \"%s\" must end in .png or .ppm, "
            "or be - for PPM on standard output\n", path);
    return -1;
}


static void
show_progress(void *data, int rows_done, int height)
{
    const options  *opt = data;

    fprintf(stderr, "\rRendering (%d spp) %5.2f%%",
            smallpt_effective_spp(opt->spp), 100. * rows_done / height);
}


static int
write_output(const options *opt, int png, const unsigned char *rgb)
{
    int          rc, to_stdout;
    FILE        *f;
    smallpt_buf  buf = { NULL, 0, 0, 0 };

    rc = png ? smallpt_encode_png(rgb, opt->width, opt->height, &buf)
             : smallpt_encode_ppm(rgb, opt->width, opt->height, &buf);
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
    int             rc, png;
    options         opt;
    smallpt_job     job;
    unsigned char  *rgb;

    opt.width = 1024;
    opt.height = 768;
    opt.spp = 4;
    opt.threads = 0;
    opt.quiet = 0;
    opt.isa = SMALLPT_ISA_AUTO;
    opt.output = "image.ppm";

    rc = parse_args(argc, argv, &opt);
    if (rc >= 0) {
        return rc;
    }

    if (output_is_png(opt.output, &png) != 0) {
        return EXIT_USAGE;
    }

    if (opt.threads == 0) {
        opt.threads = smallpt_cpus();
    }

    if ((size_t) opt.width * (size_t) opt.height > SIZE_MAX / 3) {
        fprintf(stderr, "smallpt: %dx%d is too large\n", opt.width,
                opt.height);
        return EXIT_USAGE;
    }

    rgb = malloc((size_t) opt.width * (size_t) opt.height * 3);
    if (rgb == NULL) {
        fprintf(stderr, "smallpt: not enough memory for %dx%d\n", opt.width,
                opt.height);
        return EXIT_FAILURE;
    }

    rc = smallpt_job_init(&job, opt.width, opt.height, opt.spp, rgb);
    if (rc == SMALLPT_OK) {
        if (opt.isa != SMALLPT_ISA_AUTO) {
            job.isa = opt.isa;
        }

        rc = smallpt_render(&job, opt.threads,
                            !opt.quiet && isatty(STDERR_FILENO)
                                ? show_progress : NULL,
                            &opt);
        if (!opt.quiet && isatty(STDERR_FILENO)) {
            fputc('\n', stderr);
        }
    }

    if (rc != SMALLPT_OK) {
        fprintf(stderr, "smallpt: render failed: %s\n", smallpt_strerror(rc));
        free(rgb);
        return EXIT_FAILURE;
    }

    rc = write_output(&opt, png, rgb);
    free(rgb);

    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
