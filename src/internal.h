/*
 * internal.h — what every module of libvernier shares and nothing outside it sees:
 * the allocation hook wrappers, the error-return macros, and compensated summation.
 *
 * Naming: vn__ (two underscores) marks a non-static function that is internal to the
 * library; static functions carry no prefix.
 */
#ifndef VN_INTERNAL_H
#define VN_INTERNAL_H

#include "vernier.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- allocation (alloc.c): every allocation of the library goes through the hook ---- */
void *vn__malloc(size_t size);                 /* NULL on failure or size 0 */
void *vn__calloc(size_t n, size_t size);       /* zeroed; NULL on failure or overflow */
void *vn__realloc(void *ptr, size_t size);     /* NULL on failure, ptr left intact */
void vn__free(void *ptr);                      /* accepts NULL */
char *vn__strdup(const char *s);               /* NULL on failure or s == NULL */
char *vn__strndup(const char *s, size_t n);    /* copies n bytes and adds a NUL */
/* Grows *ptr (an array of elem-size items with capacity *cap) to hold at least need
 * items, doubling. Returns false (and leaves *ptr, *cap intact) on failure. */
bool vn__grow(void **ptr, size_t *cap, size_t need, size_t elem);

/* ---- error messages (status.c) ---- */
/* Formats a message into buf (len bytes, always NUL-terminated, truncated if needed). */
void vn__fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vn__vfmt(char *buf, size_t len, const char *fmt, va_list ap);

/* Appends a formatted line (at most 600 bytes) to a list of owned strings *list with *n
 * entries (list and strings from vn__malloc). VN_ERR_NOMEM leaves the list as it was. */
vn_status vn__lines_add(char ***list, size_t *n, const char *fmt, va_list ap);

/* Error paths in one line, zstd-style. `errbuf`/`errlen` must be in scope, naming the
 * buffer that receives the message. */
#define VN_RETURN_IF(cond, status, ...)                                                     \
    do {                                                                                    \
        if (cond) {                                                                         \
            vn__fmt(errbuf, errlen, __VA_ARGS__);                                           \
            return (status);                                                                \
        }                                                                                   \
    } while (0)

#define VN_TRY(expr)                                                                        \
    do {                                                                                    \
        const vn_status vn__st = (expr);                                                    \
        if (vn__st != VN_OK)                                                                \
            return vn__st;                                                                  \
    } while (0)

/* ---- compensated summation (Neumaier 1974, "improved Kahan–Babuška") ----
 * s + c is the running sum; c collects the rounding error of every addition exactly,
 * so the result is as if computed in twice the working precision. The error term is
 * Knuth's branch-free TwoSum (the same exact error Neumaier's comparison picks, without
 * the branch, so loops over it vectorise). Requires -ffp-contract=off and no
 * -ffast-math, or the compiler may cancel the correction. */
typedef struct vn__ksum {
    double s, c;
} vn__ksum;

static inline void vn__ksum_add(vn__ksum *k, double x)
{
    const double t = k->s + x;
    const double bp = t - k->s;
    k->c += (k->s - (t - bp)) + (x - bp);
    k->s = t;
}

static inline double vn__ksum_get(const vn__ksum *k) { return k->s + k->c; }

/* a += b, keeping b's correction term. */
static inline void vn__ksum_merge(vn__ksum *a, const vn__ksum *b)
{
    vn__ksum_add(a, b->s);
    a->c += b->c;
}

/* A function compiled twice, as an AVX2 clone and the baseline, dispatched at load time
 * by what the CPU has (x86-64 with GNU ifuncs); the same bits either way: no FMA
 * (-ffp-contract=off, and no fma target). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__gnu_linux__)
#define VN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VN_CLONES
#endif

#endif /* VN_INTERNAL_H */
