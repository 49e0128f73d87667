/*
 * A minimal unit-test harness: CHECK() records a failure with its line and
 * goes on; check_done() prints the summary and gives the exit status.
 */

#ifndef SMALLPT_CHECK_H
#define SMALLPT_CHECK_H

#include <stdio.h>
#include <stdlib.h>


static int  check_failed;
static int  check_total;


#define CHECK(cond)                                                          \
    do {                                                                     \
        check_total++;                                                       \
        if (!(cond)) {                                                       \
            check_failed++;                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,           \
                    __LINE__, #cond);                                        \
        }                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                 \
    do {                                                                     \
        check_total++;                                                       \
        if (!(cond)) {                                                       \
            check_failed++;                                                  \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,           \
                    __LINE__, #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)


static inline int
check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_total, check_failed);
    return check_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}


/* Reads a whole file into a malloc'ed buffer; exits if it cannot. */
static inline unsigned char *
check_read_file(const char *path, size_t *len)
{
    FILE           *f;
    long            n;
    unsigned char  *data;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fprintf(stderr, "cannot read %s\n", path);
        exit(EXIT_FAILURE);
    }

    data = malloc((size_t) n + 1);
    if (data == NULL || fread(data, 1, (size_t) n, f) != (size_t) n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(EXIT_FAILURE);
    }

    fclose(f);
    *len = (size_t) n;
    return data;
}

#endif /* SMALLPT_CHECK_H */
