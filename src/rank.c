/*
 * rank.c — rank statistics: average ranks (for Spearman's rho) and Kendall's tau-b.
 *
 * Both sort pairs of doubles lexicographically with one bottom-up merge sort: (value,
 * original index) for ranks, (x, y) for Kendall. The index travels as a double, which is
 * exact for n < 2^53.
 *
 * Inputs must be free of NaN (the callers reject or drop non-finite values first).
 * -0.0 and +0.0 compare equal and are therefore tied.
 */
#include "kernels.h"
#include "internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- average ranks ---- */

vn_status vn__rank_average(const double *x, size_t n, double *ranks)
{
    if (n == 0)
        return VN_OK;
    vn__pair *const buf = vn__pair_alloc(n);
    if (!buf)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        buf[i].a = x[i];
        buf[i].b = (double)i;
    }
    const vn__pair *const s = vn__pair_sort(buf, buf + n, n);
    /* A run of ties at sorted positions [lo, hi) occupies 1-based ranks lo+1 .. hi and
     * gets their mean (lo + 1 + hi) / 2, exact in binary64: scipy.stats.rankdata's
     * 0.5 * (count[dense] + count[dense - 1] + 1). */
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        while (hi < n && s[hi].a == s[lo].a)
            hi++;
        const double r = (double)(lo + 1 + hi) / 2.0;
        for (size_t i = lo; i < hi; i++)
            ranks[(size_t)s[i].b] = r;
        lo = hi;
    }
    vn__free(buf);
    return VN_OK;
}

/* ---- Kendall's tau-b ---- */

/* Sum of t(t-1)/2 over runs of equal values in the sorted v[0..n). */
static uint64_t tied_pairs(const double *v, size_t n)
{
    uint64_t sum = 0;
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        while (hi < n && v[hi] == v[lo])
            hi++;
        const uint64_t t = hi - lo;
        sum += t * (t - 1) / 2;
        lo = hi;
    }
    return sum;
}

/* Sorts v[0..n) ascending (tmp[0..n) scratch; the result is copied back into v) and
 * returns the number of inversions, pairs i < j with v[i] > v[j] strictly: ties are not
 * inversions. */
static uint64_t sort_count_inversions(double *v, double *tmp, size_t n)
{
    enum { RUN = 32 };
    uint64_t inv = 0;
    for (size_t lo = 0; lo < n; lo += RUN) {
        const size_t hi = n - lo < RUN ? n : lo + RUN;
        for (size_t i = lo + 1; i < hi; i++) {
            const double t = v[i];
            size_t j = i;
            while (j > lo && t < v[j - 1]) {
                v[j] = v[j - 1];
                j--;
            }
            inv += i - j;
            v[j] = t;
        }
    }
    double *src = v, *dst = tmp;
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            const size_t mid = n - lo < width ? n : lo + width;
            const size_t hi = n - mid < width ? n : mid + width;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) {
                if (src[j] < src[i]) {
                    inv += mid - i; /* src[j] is below every element left in [i, mid) */
                    dst[o++] = src[j++];
                } else {
                    dst[o++] = src[i++];
                }
            }
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        double *const t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        for (size_t i = 0; i < n; i++)
            v[i] = src[i];
    return inv;
}

/* Knight (1966), "A computer method for calculating Kendall's tau with ungrouped data",
 * JASA 61(314), with the tie terms of scipy.stats.kendalltau (scipy 1.10):
 *   n0 = n(n-1)/2, n1 = pairs tied in x, n2 = pairs tied in y, n3 = tied in both,
 *   dis = discordant pairs = inversions of y once sorted by (x, y),
 *   tau_b = (n0 - n1 - n2 + n3 - 2 dis) / sqrt((n0 - n1)(n0 - n2)).
 * The counts are 64-bit integers (n0 < 2^63 for n < 4.2e9). scipy divides in double by
 * sqrt(n0 - n1) and then by sqrt(n0 - n2), which returns 0.9999999999999999 for a perfect
 * agreement; here the product and the square root are taken in long double, so +-1 come
 * out exactly and other values are within an ulp or two of scipy's (the tests require
 * 1e-12 relative). */
vn_status vn__kendall_tau_b(const double *x, const double *y, size_t n, double *tau)
{
    *tau = NAN;
    if (n < 2)
        return VN_OK;
    vn__pair *const buf = vn__pair_alloc(n);
    if (!buf)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        buf[i].a = x[i];
        buf[i].b = y[i];
    }
    vn__pair *const s = vn__pair_sort(buf, buf + n, n);

    uint64_t n1 = 0, n3 = 0;
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        while (hi < n && s[hi].a == s[lo].a)
            hi++;
        const uint64_t t = hi - lo;
        n1 += t * (t - 1) / 2;
        /* within the x-run y is sorted, so joint ties are runs of equal y in it */
        for (size_t a = lo; a < hi;) {
            size_t b = a + 1;
            while (b < hi && s[b].b == s[a].b)
                b++;
            const uint64_t u = b - a;
            n3 += u * (u - 1) / 2;
            a = b;
        }
        lo = hi;
    }

    /* The other half of the block (n pairs = 2n doubles) holds y in (x, y) order and the
     * scratch of its merge sort. */
    double *const ys = (double *)(s == buf ? buf + n : buf);
    double *const tmp = ys + n;
    for (size_t i = 0; i < n; i++)
        ys[i] = s[i].b;
    const uint64_t dis = sort_count_inversions(ys, tmp, n);
    const uint64_t n2 = tied_pairs(ys, n);
    vn__free(buf);

    const uint64_t n0 = (uint64_t)n * (n - 1) / 2;
    if (n1 == n0 || n2 == n0)
        return VN_OK; /* a constant input: undefined */
    /* n0 - n1 - n2 + n3 = concordant + discordant, in [0, n0]: the unsigned
     * intermediate may wrap but the result is exact; the numerator con - dis is signed. */
    const int64_t num = (int64_t)(n0 - n1 - n2 + n3) - 2 * (int64_t)dis;
    const long double den = sqrtl((long double)(n0 - n1) * (long double)(n0 - n2));
    double r = (double)((long double)num / den);
    /* Rounding could push |tau| a hair past 1; scipy clips likewise. */
    if (r > 1.0)
        r = 1.0;
    else if (r < -1.0)
        r = -1.0;
    *tau = r;
    return VN_OK;
}
