/*
 * unit.h — the whole C unit-test harness: CHECK macros and a summary line.
 * Each tests/unit/test_*.c is one program; main() calls its test functions through
 * RUN() and ends with `return unit_summary("name");`, which prints
 * "name: N passed, M failed" and returns non-zero on any failure.
 */
#ifndef VN_UNIT_H
#define VN_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (cond) {                                                                         \
            unit_pass++;                                                                    \
        } else {                                                                            \
            unit_fail++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);        \
        }                                                                                   \
    } while (0)

#define CHECKF(cond, ...)                                                                   \
    do {                                                                                    \
        if (cond) {                                                                         \
            unit_pass++;                                                                    \
        } else {                                                                            \
            unit_fail++;                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
        }                                                                                   \
    } while (0)

/* Bitwise equality of doubles (NaN == NaN when the bits agree). */
static inline int unit_same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* |a - b| <= rel * max(|a|, |b|), or both NaN. */
static inline int unit_close(double a, double b, double rel)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

#define RUN(fn)                                                                             \
    do {                                                                                    \
        fn();                                                                               \
    } while (0)

/* Fixture files (written by the gen_*_cases.py oracles): the next whitespace-separated
 * token of a strtok_r scan, and n numbers read with strtod (0 when one is missing or
 * malformed). */
static inline char *unit_next_tok(char **save) { return strtok_r(NULL, " \n", save); }

static inline int unit_read_doubles(char **save, double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = unit_next_tok(save);
        if (!t)
            return 0;
        char *end;
        v[i] = strtod(t, &end);
        if (*end)
            return 0;
    }
    return 1;
}

static inline int unit_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
    return unit_fail != 0;
}

#endif
