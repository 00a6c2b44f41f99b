/*
 * test_kernels.c — unit tests of the order-statistics and rank kernels (src/select.c,
 * src/rank.c; contracts in src/kernels.h).
 *
 * Oracles, all independent of the code under test:
 *  - small cases derived by hand (the derivation is in the comment next to each);
 *  - tests/unit/kernel_cases.txt, written by gen_kernel_cases.py from numpy 1.24 and
 *    scipy 1.10 (np.percentile, np.median, scipy.stats.kendalltau, rankdata, and the
 *    weighted quantile as np.percentile(method='averaged_inverted_cdf') over the sample
 *    with every value repeated w times); the samples are regenerated here from seeds;
 *  - references written in this file: qsort + the textbook type-7 formula, an O(n^2)
 *    Kendall count, a sorted top-k sum.
 * Runs with cwd = the repository root.
 */
#include "internal.h"
#include "kernels.h"
#include "unit.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIXTURE "tests/unit/kernel_cases.txt"
#define NPCT 7
static const int PERCENTS[NPCT] = {0, 10, 50, 90, 95, 99, 100};

/* ---- helpers ------------------------------------------------------------------ */

/* splitmix64, mirrored by gen_kernel_cases.py */
typedef struct rng64 {
    uint64_t s;
} rng64;

static uint64_t rng_next(rng64 *r)
{
    r->s += 0x9E3779B97F4A7C15u;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static double rng_uniform(rng64 *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *dup_array(const double *x, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) {
        fprintf(stderr, "test_kernels: out of memory\n");
        exit(2);
    }
    memcpy(d, x, n * sizeof *d);
    return d;
}

/* Textbook type 7 over a sorted array (Hyndman & Fan 1996), median as the mean of the
 * middle pair: the reference for the adversarial and random tests. */
static double ref_type7(const double *sorted, size_t n, double q)
{
    if (q == 0.5)
        return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    const double h = (double)(n - 1) * q;
    const size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    const double f = h - (double)lo;
    return sorted[lo] + f * (sorted[lo + 1] - sorted[lo]);
}

/* within one ulp or 1e-15 relative */
static int near_ulp(double a, double b)
{
    return a == b || unit_close(a, b, 1e-15) || nextafter(a, INFINITY) == b ||
           nextafter(a, -INFINITY) == b;
}

/* |a - b| within 4 ulps of scale: both the reference and numpy's formula round terms of
 * the size of the interpolated pair, so cancellation makes a relative test on the result
 * too strict. */
static int near_scale(double a, double b, double scale)
{
    return a == b || fabs(a - b) <= 4 * DBL_EPSILON * scale;
}

/* max |v| over the two ends of a sorted array */
static double sorted_scale(const double *s, size_t n) { return fmax(fabs(s[0]), fabs(s[n - 1])); }

static void pearson(const double *a, const double *b, size_t n, double *r)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    *r = sab / sqrt(saa * sbb);
}

/* ---- hand-derived cases ------------------------------------------------------- */

static void test_type7_small(void)
{
    /* {1,2,3,4}: h = 3q. q=.25: h=.75, 1 + .75 = 1.75; q=.5: (2+3)/2 = 2.5;
     * q=.75: h=2.25, 3 + .25 = 3.25; q=0 -> 1; q=1 -> 4. Input order shuffled. */
    {
        double x[] = {4, 1, 3, 2};
        const double qs[] = {0, 0.25, 0.5, 0.75, 1};
        double out[5];
        vn__quantiles_type7(x, 4, qs, 5, out);
        CHECK(out[0] == 1 && out[1] == 1.75 && out[2] == 2.5 && out[3] == 3.25 && out[4] == 4);
    }
    /* the same quantiles one at a time on fresh copies */
    {
        const double qs[] = {0, 0.25, 0.5, 0.75, 1}, want[] = {1, 1.75, 2.5, 3.25, 4};
        for (int j = 0; j < 5; j++) {
            double x[] = {3, 4, 2, 1}, o;
            vn__quantiles_type7(x, 4, &qs[j], 1, &o);
            CHECKF(o == want[j], "q=%g got %.17g", qs[j], o);
        }
    }
    /* {10,20,30,40,50}, q=.1: h = 4 * .1 = .4 (0.4 exactly as 4*0.1 rounds), 10 + 10*.4 = 14;
     * q=.5 with n odd: the middle value 30; repeated q values give repeated answers. */
    {
        double x[] = {50, 40, 30, 20, 10};
        const double qs[] = {0.1, 0.1, 0.5, 0.5};
        double out[4];
        vn__quantiles_type7(x, 5, qs, 4, out);
        CHECK(out[0] == 14 && out[1] == 14 && out[2] == 30 && out[3] == 30);
    }
    /* 1..21: p95 has h = 20 * 0.95 = 19 (the product rounds to 19): x_(19) = 20;
     * p99: h = 20 * .99 = 19.8, t = h - 19 = 0.8000000000000007, numpy's branch
     * t >= .5: 21 - 1 * (1 - t) = 21 - 0.1999999999999993, which rounds to 20.8
     * (np.percentile(np.arange(1, 22.), 99) is 20.8 too). */
    {
        double x[21];
        for (int i = 0; i < 21; i++)
            x[i] = (double)(21 - i);
        const double qs[] = {0.95, 0.99};
        double out[2];
        vn__quantiles_type7(x, 21, qs, 2, out);
        CHECK(out[0] == 20);
        CHECK(out[1] == 20.8);
    }
    /* n = 1: every quantile is the value */
    {
        double x[] = {7.5};
        const double qs[] = {0, 0.3, 0.5, 1};
        double out[4];
        vn__quantiles_type7(x, 1, qs, 4, out);
        CHECK(out[0] == 7.5 && out[1] == 7.5 && out[2] == 7.5 && out[3] == 7.5);
    }
    /* all equal */
    {
        double x[40];
        for (int i = 0; i < 40; i++)
            x[i] = -3.25;
        const double qs[] = {0, 0.5, 0.95, 0.99, 1};
        double out[5];
        vn__quantiles_type7(x, 40, qs, 5, out);
        CHECK(out[0] == -3.25 && out[1] == -3.25 && out[2] == -3.25 && out[4] == -3.25);
    }
    /* signed zeros: {-0, +0, 1}: the median is np.median's 0.0 + x_(1), +0.0 whichever
     * zero is selected; {-0, -0}: np.median gives +0.0 too ((0 + -0) + -0 = +0). */
    {
        double x[] = {-0.0, 0.0, 1};
        const double q = 0.5;
        double o;
        vn__quantiles_type7(x, 3, &q, 1, &o);
        CHECK(unit_same(o, 0.0));
        double z[] = {-0.0, -0.0};
        vn__quantiles_type7(z, 2, &q, 1, &o);
        CHECK(unit_same(o, 0.0));
        /* numpy 1.24's own signed zeros, which follow from _lerp and the gamma of the
         * clamped last index (h - (-1)): np.percentile([-0.], 100) = -0.0,
         * np.percentile([-0., -0.], [0, 30, 70, 100]) = [0.0, 0.0, -0.0, 0.0]. */
        double one[] = {-0.0};
        const double q1 = 1;
        vn__quantiles_type7(one, 1, &q1, 1, &o);
        CHECK(unit_same(o, -0.0));
        /* ... but np.median([-0.]) = np.median([-0., -0., -0.]) = 0.0 (the sum starts at
         * +0.0) */
        vn__quantiles_type7(one, 1, &q, 1, &o);
        CHECK(unit_same(o, 0.0));
        double three[] = {-0.0, -0.0, -0.0};
        vn__quantiles_type7(three, 3, &q, 1, &o);
        CHECK(unit_same(o, 0.0));
        double two[] = {-0.0, -0.0};
        const double q4[] = {0, 0.3, 0.7, 1};
        double o4[4];
        vn__quantiles_type7(two, 2, q4, 4, o4);
        CHECK(unit_same(o4[0], 0.0) && unit_same(o4[1], 0.0) && unit_same(o4[2], -0.0) &&
              unit_same(o4[3], 0.0));
    }
    /* Huge magnitudes, where numpy overflows to inf: the median of {1e308, 1.5e308} is
     * 1.25e308; q=.3 between -1e308 and 1.5e308 (h = .3) is .7*-1e308 + .3*1.5e308 =
     * -2.5e307. */
    {
        double x[] = {1.5e308, 1e308};
        const double q = 0.5;
        double o;
        vn__quantiles_type7(x, 2, &q, 1, &o);
        CHECKF(isfinite(o) && unit_close(o, 1.25e308, 1e-15), "%.17g", o); /* unit_close(inf, x) holds */
        double y[] = {1.5e308, -1e308};
        const double q3 = 0.3;
        vn__quantiles_type7(y, 2, &q3, 1, &o);
        CHECKF(isfinite(o) && unit_close(o, -2.5e307, 1e-14), "%.17g", o);
        double z[] = {DBL_MAX, DBL_MAX, -DBL_MAX};
        const double qz[] = {0, 0.5, 1};
        double oz[3];
        vn__quantiles_type7(z, 3, qz, 3, oz);
        CHECK(oz[0] == -DBL_MAX && oz[1] == DBL_MAX && oz[2] == DBL_MAX);
    }
}

static void test_weighted_small(void)
{
    /* x = {1,2,3,4}, w = 1 each, W = 4. q=.5: t = 2 = C_2 exactly -> (2+3)/2 = 2.5;
     * q=.25: t = 1 = C_1 -> 1.5; q=.2: t = .8 < C_1 = 1 -> 1; q=.75: t = 3 = C_3 -> 3.5;
     * q=0 -> 1 and q=1 -> 4. */
    {
        double x[] = {4, 3, 2, 1}, w[] = {1, 1, 1, 1};
        const double qs[] = {0, 0.2, 0.25, 0.5, 0.75, 1};
        double out[6];
        CHECK(vn__quantiles_weighted(x, w, 4, qs, 6, out) == VN_OK);
        CHECK(out[0] == 1 && out[1] == 1 && out[2] == 1.5 && out[3] == 2.5 && out[4] == 3.5 &&
              out[5] == 4);
    }
    /* w = {1,2,1,1} on sorted x: C = 1,3,4,5, W = 5; q=.5: t = 2.5, first C_i >= 2.5 is
     * C_2 = 3 -> 2. Input given in reverse; x and w must come back reordered together. */
    {
        double x[] = {4, 3, 2, 1}, w[] = {1, 1, 2, 1};
        const double q = 0.5;
        double o;
        CHECK(vn__quantiles_weighted(x, w, 4, &q, 1, &o) == VN_OK);
        CHECK(o == 2);
        CHECK(x[0] == 1 && x[1] == 2 && x[2] == 3 && x[3] == 4);
        CHECK(w[0] == 1 && w[1] == 2 && w[2] == 1 && w[3] == 1);
    }
    /* Fractional weights that are exact in binary: w = {.5,.25,.25}, W = 1; q=.5: t = .5
     * = C_1 exactly -> (10+20)/2 = 15; q=.6: t = .6, C_2 = .75 -> 20. */
    {
        double x[] = {30, 10, 20}, w[] = {0.25, 0.5, 0.25};
        const double qs[] = {0.5, 0.6};
        double out[2];
        CHECK(vn__quantiles_weighted(x, w, 3, qs, 2, out) == VN_OK);
        CHECK(out[0] == 15 && out[1] == 20);
    }
    /* Compensation decides (partial sums checked with Python's exact math.fsum):
     * w = {.1,.2,.3} (the doubles nearest): the exact total rounds to W = 0.6, so
     * q=.5 gives t = 0.3 while C_1 = fl(.1+.2) = 0.30000000000000004 > t -> 2. A naive
     * running sum gets W = 0.6000000000000001, t = C_1 and a false tie: 2.5.
     * w = {.3,.6,.1}: W = 1 exactly rounded (naive: 0.9999999999999999); q=.3: t = 0.3
     * = C_0 -> an exact tie -> (1+2)/2 = 1.5 (naive: t < C_0 -> 1). */
    {
        double x[] = {1, 2, 3}, w[] = {0.1, 0.2, 0.3};
        const double q = 0.5;
        double o;
        CHECK(vn__quantiles_weighted(x, w, 3, &q, 1, &o) == VN_OK);
        CHECKF(o == 2, "%.17g", o);
        double x2[] = {1, 2, 3}, w2[] = {0.3, 0.6, 0.1};
        const double q2 = 0.3;
        CHECK(vn__quantiles_weighted(x2, w2, 3, &q2, 1, &o) == VN_OK);
        CHECKF(o == 1.5, "%.17g", o);
    }
    /* a tiny weight between two units: w = {1, 2^-60, 1}, W = 2 + 2^-60 rounds to 2,
     * t = 1 = C_0 exactly -> (1+2)/2 = 1.5 */
    {
        double x[] = {1, 2, 3}, w[] = {1, 0x1p-60, 1};
        const double q = 0.5;
        double o;
        CHECK(vn__quantiles_weighted(x, w, 3, &q, 1, &o) == VN_OK);
        CHECK(o == 1.5);
    }
    /* n = 1; q = 1 is the maximum even when the last weight is negligible:
     * x = {1,2}, w = {1, 1e-300}: W = 1 = C_0, so "first C_i >= W" would say 1, but q = 1
     * is defined as the maximum, 2. */
    {
        double x[] = {5}, w[] = {3};
        const double qs[] = {0, 0.5, 1};
        double out[3];
        CHECK(vn__quantiles_weighted(x, w, 1, qs, 3, out) == VN_OK);
        CHECK(out[0] == 5 && out[1] == 5 && out[2] == 5);
        double x2[] = {2, 1}, w2[] = {1e-300, 1};
        const double q1 = 1;
        CHECK(vn__quantiles_weighted(x2, w2, 2, &q1, 1, out) == VN_OK);
        CHECK(out[0] == 2);
    }
}

static void test_top_k_small(void)
{
    double x[] = {5, 1, 4, 2, 3};
    CHECK(vn__top_k_sum(x, 5, 2) == 9);
    CHECK(vn__top_k_sum(x, 5, 0) == 0);
    CHECK(vn__top_k_sum(x, 5, 5) == 15);
    CHECK(vn__top_k_sum(x, 5, 1) == 5);
    /* the top 3 of {1, 1e16, -5, 1} are {1e16, 1, 1}: exactly 1e16 + 2 (representable,
     * ulp(1e16) = 2); a plain left-to-right sum starting from 1e16 loses both ones. */
    double y[] = {1, 1e16, -5, 1};
    CHECK(vn__top_k_sum(y, 4, 3) == 1e16 + 2);
    /* k = n leaves the order alone: 1e16 then twenty ones, exactly 1e16 + 20; a plain
     * sum rounds every 1e16 + 1 back to 1e16 (ties to even) and returns 1e16. With
     * k < n the ones must survive whatever order selection leaves. */
    double ones[31];
    ones[0] = 1e16;
    for (int i = 1; i < 21; i++)
        ones[i] = 1;
    for (int i = 21; i < 31; i++)
        ones[i] = -1;
    CHECK(vn__top_k_sum(ones, 21, 21) == 1e16 + 20);
    CHECK(vn__top_k_sum(ones, 31, 21) == 1e16 + 20);
    /* larger: top 100 of a shuffled 0..999 is 900 + ... + 999 = 94950 */
    double z[1000];
    rng64 r = {42};
    for (int i = 0; i < 1000; i++)
        z[i] = (double)i;
    for (int i = 999; i > 0; i--) {
        const int j = (int)(rng_next(&r) % (uint64_t)(i + 1));
        const double t = z[i];
        z[i] = z[j];
        z[j] = t;
    }
    CHECK(vn__top_k_sum(z, 1000, 100) == 94950);
}

/* vn__quantiles_type7_and: the quantiles of vn__quantiles_type7 bit for bit, and the
 * order statistic of one more rank equal to the sorted array's, on the radix path
 * (n >= 65536) and the selection path, with the rank inside, beside and between the
 * quantiles' ranks, on ties too; the sum of the squares from that rank up the same bits
 * on 1 and 2 threads and within 1e-15 of the sorted array's (long double), as are
 * vn__top_k_sumsq and vn__top_k_sumsq_at; for a shuffled 1..n the closed form. */
static void test_type7_and(void)
{
    const size_t sizes[] = {1, 2, 7, 100, 1000, 65536, 200003, 1048577};
    const double qs[] = {0.5, 0.95, 0.99};
    rng64 r = {7};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const size_t n = sizes[si];
        double *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a), *sorted = malloc(n * sizeof *sorted);
        CHECK(x && a && sorted);
        if (!x || !a || !sorted)
            return;
        for (int ties = 0; ties < 2; ties++) {
            for (size_t i = 0; i < n; i++) /* |e|-like: non-negative, heavy-tailed */
                x[i] = ties ? (double)(rng_next(&r) % 50)
                            : -log((double)((rng_next(&r) >> 11) + 1) * 0x1p-53) * 3.0;
            memcpy(sorted, x, n * sizeof *x);
            qsort(sorted, n, sizeof *sorted, cmp_double);
            const size_t ranks[] = {0, n - 1, n / 2, n - (n + 99) / 100, (size_t)(0.95 * (double)(n - 1))};
            for (size_t ri = 0; ri < sizeof ranks / sizeof ranks[0]; ri++) {
                double want[3], got[3], at = -1.0;
                memcpy(a, x, n * sizeof *x);
                vn__quantiles_type7(a, n, qs, 3, want);
                memcpy(a, x, n * sizeof *x);
                vn__quantiles_type7_and(a, n, qs, 3, got, ranks[ri], &at, NULL, 1 + (int)(ri % 2));
                CHECKF(memcmp(want, got, sizeof want) == 0, "n %zu rank %zu", n, ranks[ri]);
                CHECKF(at == sorted[ranks[ri]], "n %zu rank %zu: %g vs %g", n, ranks[ri], at,
                       sorted[ranks[ri]]);
            }
            if (n >= 100) {
                const size_t k = (n + 99) / 100;
                long double want = 0.0L;
                for (size_t i = n - k; i < n; i++)
                    want += (long double)sorted[i] * sorted[i];
                double got[3], t = -1.0, sq[2];
                for (int th = 1; th <= 2; th++) {
                    memcpy(a, x, n * sizeof *x);
                    vn__quantiles_type7_and(a, n, qs, 3, got, n - k, &t, &sq[th - 1], th);
                }
                CHECKF(sq[0] == sq[1] && fabsl(sq[0] - want) <= 1e-15L * want,
                       "n %zu: %.17g %.17g vs %.17Lg", n, sq[0], sq[1], want);
                const double s2 = vn__top_k_sumsq(x, n, k), s3 = vn__top_k_sumsq_at(x, n, k, t);
                CHECKF(fabsl(s2 - want) <= 1e-15L * want && fabsl(s3 - want) <= 1e-15L * want,
                       "n %zu: %.17g %.17g vs %.17Lg", n, s2, s3, want);
                CHECK(s3 == vn__top_k_sumsq_at(x, n, k, t)); /* deterministic */
            }
        }
        /* 1..n shuffled: the top k squares sum to S(n) - S(n - k), S(m) = m(m+1)(2m+1)/6 */
        for (size_t i = 0; i < n; i++)
            x[i] = (double)(i + 1);
        for (size_t i = n; i > 1; i--) {
            const size_t j = (size_t)(rng_next(&r) % i);
            const double tmp = x[i - 1];
            x[i - 1] = x[j];
            x[j] = tmp;
        }
        if (n >= 100) {
            /* exact below 2^53 (n <= 200003); beyond, to a few units in the last place
             * (the closed form in long double; n = 1048577 sums in two halves) */
            const size_t k = (n + 99) / 100;
            double got[3], t = -1.0, tq[2];
            for (int th = 1; th <= 2; th++) {
                memcpy(a, x, n * sizeof *x);
                vn__quantiles_type7_and(a, n, qs, 3, got, n - k, &t, &tq[th - 1], th);
            }
            const long double m = (long double)n, l = (long double)(n - k);
            const long double want = m * (m + 1) * (2 * m + 1) / 6 - l * (l + 1) * (2 * l + 1) / 6;
            for (int th = 1; th <= 4; th++) { /* 3, 4: the radix passes' sum */
                const double sq = th <= 2 ? vn__top_k_sumsq_at(x, n, k, t) : tq[th - 3];
                CHECKF(t == (double)(n - k + 1) &&
                           (n <= 200003 ? sq == (double)want
                                        : fabsl(sq - want) <= 4e-16L * want),
                       "n %zu threads %d: t %g, %.17g vs %.17Lg", n, th, t, sq, want);
            }
        }
        free(x);
        free(a);
        free(sorted);
    }
}

/* vn__quantiles_type7_spans: the values of vn__quantiles_type7_and on the concatenation,
 * bit for bit (quantiles, the rank's order statistic, the sum of the squares from it
 * up), on 1 and 2 threads, whatever the cut into spans: one span, spans of one value,
 * empty spans, a span across the halves' boundary; ties; and false (nothing done) where
 * the radix passes do not go: fewer than 65536 values, all values equal. */
static void test_type7_spans(void)
{
    const size_t n = 300007;
    const double qs[] = {0.3, 0.5, 0.95, 0.99};
    double *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a);
    vn__span *sp = malloc(n * sizeof *sp);
    CHECK(x && a && sp);
    if (!x || !a || !sp)
        return;
    rng64 r = {11};
    for (int ties = 0; ties < 2; ties++) {
        for (size_t i = 0; i < n; i++)
            x[i] = ties ? (double)(rng_next(&r) % 5000)
                        : -log((double)((rng_next(&r) >> 11) + 1) * 0x1p-53) * 3.0;
        const size_t k = (n + 99) / 100;
        double want[4], wat, wsq;
        memcpy(a, x, n * sizeof *x);
        vn__quantiles_type7_and(a, n, qs, 4, want, n - k, &wat, &wsq, 1);
        for (int cut = 0; cut < 4; cut++) {
            size_t nsp = 0;
            if (cut == 0) { /* one span */
                sp[nsp++] = (vn__span){x, n};
            } else if (cut == 1) { /* random lengths 0..40000, empty ones among them */
                for (size_t at = 0; at < n;) {
                    size_t m = (size_t)(rng_next(&r) % 40001);
                    m = m < n - at ? m : n - at;
                    sp[nsp++] = (vn__span){x + at, m};
                    at += m;
                }
            } else if (cut == 2) { /* a boundary exactly at the half, and one just after */
                sp[nsp++] = (vn__span){x, n / 2};
                sp[nsp++] = (vn__span){x + n / 2, 1};
                sp[nsp++] = (vn__span){x + n / 2 + 1, n - n / 2 - 1};
            } else { /* the first 1000 values one by one */
                for (size_t i = 0; i < 1000; i++)
                    sp[nsp++] = (vn__span){x + i, 1};
                sp[nsp++] = (vn__span){x + 1000, n - 1000};
            }
            for (int th = 1; th <= 2; th++) {
                double got[4], at = -1.0, sq = -1.0;
                const bool ok = vn__quantiles_type7_spans(sp, nsp, n, qs, 4, got, n - k, &at,
                                                          &sq, th);
                CHECKF(ok && memcmp(got, want, sizeof want) == 0 && at == wat && sq == wsq,
                       "ties %d cut %d threads %d: ok %d, sq %.17g vs %.17g", ties, cut, th,
                       ok, sq, wsq);
            }
        }
    }
    /* where the radix passes do not go: false, the outputs untouched */
    double got[4] = {-1, -1, -1, -1}, at = -1.0, sq = -1.0;
    const vn__span few = {x, 65535};
    CHECK(!vn__quantiles_type7_spans(&few, 1, 65535, qs, 4, got, 100, &at, &sq, 2) &&
          got[0] == -1 && at == -1 && sq == -1);
    for (size_t i = 0; i < n; i++)
        x[i] = 2.5;
    const vn__span same = {x, n};
    CHECK(!vn__quantiles_type7_spans(&same, 1, n, qs, 4, got, 100, &at, &sq, 2) &&
          got[0] == -1 && at == -1 && sq == -1);
    free(x);
    free(a);
    free(sp);
}

static void test_rank_small(void)
{
    double r[8];
    /* {10, 20, 20, 30}: the tie occupies positions 2 and 3 -> 2.5 each */
    const double a[] = {10, 20, 20, 30};
    CHECK(vn__rank_average(a, 4, r) == VN_OK);
    CHECK(r[0] == 1 && r[1] == 2.5 && r[2] == 2.5 && r[3] == 4);
    /* {3, 1, 2} -> {3, 1, 2} */
    const double b[] = {3, 1, 2};
    CHECK(vn__rank_average(b, 3, r) == VN_OK);
    CHECK(r[0] == 3 && r[1] == 1 && r[2] == 2);
    /* all equal, n = 5: positions 1..5 -> 3 */
    const double c[] = {7, 7, 7, 7, 7};
    CHECK(vn__rank_average(c, 5, r) == VN_OK);
    CHECK(r[0] == 3 && r[1] == 3 && r[2] == 3 && r[3] == 3 && r[4] == 3);
    /* -0.0 and +0.0 are tied: {0, -0, 1} -> {1.5, 1.5, 3}; runs {5,5,5} at 3..5 -> 4 */
    const double d[] = {0.0, -0.0, 1, 9, 9, 9, -1};
    CHECK(vn__rank_average(d, 7, r) == VN_OK);
    CHECK(r[0] == 2.5 && r[1] == 2.5 && r[2] == 4 && r[3] == 6 && r[4] == 6 && r[5] == 6 &&
          r[6] == 1);
    /* n = 1 and n = 0 */
    const double e[] = {4};
    CHECK(vn__rank_average(e, 1, r) == VN_OK && r[0] == 1);
    CHECK(vn__rank_average(e, 0, r) == VN_OK);

    /* Spearman = Pearson of average ranks. x = {1,2,2,3}, y = {1,3,2,2}:
     * rx = {1,2.5,2.5,4}, ry = {1,4,2.5,2.5}; centred (mean 2.5) dx = {-1.5,0,0,1.5},
     * dy = {-1.5,1.5,0,0}: sum dx dy = 2.25, sum dx^2 = sum dy^2 = 4.5 -> rho = 0.5. */
    const double x[] = {1, 2, 2, 3}, y[] = {1, 3, 2, 2};
    double rx[4], ry[4], rho;
    CHECK(vn__rank_average(x, 4, rx) == VN_OK);
    CHECK(vn__rank_average(y, 4, ry) == VN_OK);
    pearson(rx, ry, 4, &rho);
    CHECKF(rho == 0.5, "%.17g", rho);
}

static void test_kendall_small(void)
{
    double t;
    /* x = {1,2,2,3}, y = {1,3,2,2}: pairs (12) C, (13) C, (14) C, (23) tied in x,
     * (24) D, (34) tied in y. n0 = 6, n1 = 1, n2 = 1, n3 = 0, C - D = 2:
     * tau_b = 2 / sqrt(5 * 5) = 0.4 (scipy: 0.39999999999999997). */
    const double x1[] = {1, 2, 2, 3}, y1[] = {1, 3, 2, 2};
    CHECK(vn__kendall_tau_b(x1, y1, 4, &t) == VN_OK);
    CHECKF(unit_close(t, 0.4, 1e-15), "%.17g", t);
    /* x = {1,1,2,2}, y = {1,2,1,2}: (12) x-tie, (13) y-tie, (14) C, (23) D, (24) y-tie,
     * (34) x-tie: C = D -> 0. */
    const double x2[] = {1, 1, 2, 2}, y2[] = {1, 2, 1, 2};
    CHECK(vn__kendall_tau_b(x2, y2, 4, &t) == VN_OK);
    CHECKF(t == 0, "%.17g", t);
    /* joint tie: x = {1,1,2}, y = {5,5,6}: (12) tied in both, (13) C, (23) C;
     * n0 = 3, n1 = n2 = n3 = 1: (3 - 1 - 1 + 1) / sqrt(2 * 2) = 1 (without n3: 0.5;
     * scipy returns 0.9999999999999999 here, we return 1 exactly). */
    const double x3[] = {1, 1, 2}, y3[] = {5, 5, 6};
    CHECK(vn__kendall_tau_b(x3, y3, 3, &t) == VN_OK);
    CHECKF(t == 1, "%.17g", t);
    /* perfect agreement and reversal are exactly +-1 */
    const double x4[] = {1, 2, 3, 4, 5}, y4[] = {10, 20, 30, 40, 50}, y5[] = {5, 4, 3, 2, 1};
    CHECK(vn__kendall_tau_b(x4, y4, 5, &t) == VN_OK && t == 1);
    CHECK(vn__kendall_tau_b(x4, y5, 5, &t) == VN_OK && t == -1);
    /* signed zeros tie: x = {-0, +0, 1}, y = {1,2,3}: (12) x-tie, (13) C, (23) C:
     * n1 = 1 -> 2 / sqrt(2 * 3) = 0.816496580927726 */
    const double x6[] = {-0.0, 0.0, 1}, y6[] = {1, 2, 3};
    CHECK(vn__kendall_tau_b(x6, y6, 3, &t) == VN_OK);
    CHECKF(unit_close(t, 2 / sqrt(6.0), 1e-15), "%.17g", t);
    /* undefined: constant x, constant y, n < 2 */
    const double c[] = {2, 2, 2};
    CHECK(vn__kendall_tau_b(c, y6, 3, &t) == VN_OK && isnan(t));
    CHECK(vn__kendall_tau_b(y6, c, 3, &t) == VN_OK && isnan(t));
    CHECK(vn__kendall_tau_b(x6, y6, 1, &t) == VN_OK && isnan(t));
    CHECK(vn__kendall_tau_b(x6, y6, 0, &t) == VN_OK && isnan(t));
}

/* O(n^2) Kendall tau-b from the definition, as reference for larger samples. */
static double ref_kendall(const double *x, const double *y, size_t n)
{
    int64_t con = 0, dis = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0 && dy == 0)
                continue;
            if (dx == 0)
                tx++;
            else if (dy == 0)
                ty++;
            else if ((dx > 0) == (dy > 0))
                con++;
            else
                dis++;
        }
    return (double)(con - dis) / sqrt((double)(con + dis + tx) * (double)(con + dis + ty));
}

static void test_kendall_bruteforce(void)
{
    rng64 r = {7};
    int bad = 0;
    for (int rep = 0; rep < 40; rep++) {
        const size_t n = 2 + (size_t)(rng_next(&r) % 600);
        const int levels = 1 + (int)(rng_next(&r) % 50); /* few levels: many ties */
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++) {
            x[i] = floor(rng_uniform(&r) * levels);
            y[i] = floor(rng_uniform(&r) * levels) + (rep % 3 == 0 ? x[i] : 0);
        }
        double t;
        CHECK(vn__kendall_tau_b(x, y, n, &t) == VN_OK);
        const double want = ref_kendall(x, y, n);
        if (!unit_close(t, want, 1e-13)) {
            bad++;
            fprintf(stderr, "kendall n=%zu: %.17g vs %.17g\n", n, t, want);
        }
        free(x);
        free(y);
    }
    CHECKF(bad == 0, "%d of 40 random Kendall cases differ from the O(n^2) count", bad);
}

/* Random arrays with random ascending quantile sets (repeats included) against qsort. */
static void test_type7_random(void)
{
    rng64 r = {99};
    int bad = 0;
    static const double grid[] = {0, 0.001, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1};
    for (int rep = 0; rep < 400; rep++) {
        const size_t n = 1 + (size_t)(rng_next(&r) % (rep < 200 ? 40 : 3000));
        const int levels = (rep % 4 == 0) ? 3 : 1000000;
        double *x = malloc(n * sizeof *x);
        for (size_t i = 0; i < n; i++)
            x[i] = floor(rng_uniform(&r) * levels) - levels / 2;
        double *s = dup_array(x, n);
        qsort(s, n, sizeof *s, cmp_double);
        double qs[12], out[12];
        size_t nq = 0;
        for (size_t g = 0; g < 12; g++)
            if (rng_next(&r) % 2)
                qs[nq++] = grid[g];
        vn__quantiles_type7(x, n, qs, nq, out);
        for (size_t j = 0; j < nq; j++)
            if (!near_scale(out[j], ref_type7(s, n, qs[j]), sorted_scale(s, n))) {
                bad++;
                fprintf(stderr, "type7 n=%zu q=%g: %.17g vs %.17g\n", n, qs[j], out[j],
                        ref_type7(s, n, qs[j]));
            }
        /* the selection only permutes */
        qsort(x, n, sizeof *x, cmp_double);
        if (memcmp(x, s, n * sizeof *x) != 0)
            bad++;
        /* top-k against the sorted tail */
        const size_t k = (size_t)(rng_next(&r) % (n + 1));
        double want = 0;
        for (size_t i = n - k; i < n; i++)
            want += s[i]; /* integers well below 2^53: exact */
        if (vn__top_k_sum(x, n, k) != want)
            bad++;
        free(x);
        free(s);
    }
    CHECKF(bad == 0, "%d random type-7/top-k mismatches", bad);
}

/* ---- adversarial inputs for introselect --------------------------------------- */

enum { ADV_N = 1000000 };

static void fill_pattern(double *x, size_t n, int pattern, rng64 *r)
{
    for (size_t i = 0; i < n; i++) {
        switch (pattern) {
        case 0: x[i] = (double)i; break;                               /* sorted */
        case 1: x[i] = (double)(n - i); break;                         /* reversed */
        case 2: x[i] = 1.5; break;                                     /* all equal */
        case 3: x[i] = (double)(i < n / 2 ? i : n - i); break;         /* organ pipe */
        case 4: x[i] = (double)(i % 1000); break;                      /* sawtooth */
        case 5: x[i] = (double)(i % 2); break;                         /* two values */
        case 6: x[i] = rng_uniform(r); break;                          /* random */
        case 7: x[i] = (double)(i % 2 ? i : n + i); break;             /* interleaved */
        default: break;
        }
    }
    if (pattern == 8) {
        /* Musser's median-of-3 killer for the first/middle/last pivot rule
         * (Musser 1997, section 5.1), k = n/2 pairs. */
        const size_t k = n / 2;
        for (size_t i = 1; i <= k; i++) {
            if (i % 2) {
                x[i - 1] = (double)i;
                x[i] = (double)(k + i);
            }
            x[k + i - 1] = (double)(2 * i);
        }
    }
}

static void test_adversarial(void)
{
    static const char *const names[] = {"sorted",   "reversed", "all-equal",
                                        "organ",    "sawtooth", "two-values",
                                        "random",   "interleaved", "median3-killer"};
    const double qs[] = {0, 0.01, 0.5, 0.95, 0.99, 1};
    double *x = malloc(ADV_N * sizeof *x), *s = malloc(ADV_N * sizeof *s);
    rng64 r = {2024};
    for (int p = 0; p < 9; p++) {
        fill_pattern(x, ADV_N, p, &r);
        memcpy(s, x, ADV_N * sizeof *s);
        qsort(s, ADV_N, sizeof *s, cmp_double);
        double out[6];
        const double t0 = now_sec();
        vn__quantiles_type7(x, ADV_N, qs, 6, out);
        const double dt = now_sec() - t0;
        /* Quadratic behaviour would take hours; a generous bound keeps sanitizer
         * builds and loaded machines green. */
        CHECKF(dt < 2.0, "%s: %.3f s", names[p], dt);
        for (int j = 0; j < 6; j++)
            CHECKF(near_scale(out[j], ref_type7(s, ADV_N, qs[j]), sorted_scale(s, ADV_N)),
                   "%s q=%g: %.17g vs %.17g",
                   names[p], qs[j], out[j], ref_type7(s, ADV_N, qs[j]));
        /* every single quantile from scratch, and top-k, also in time */
        for (int j = 0; j < 6; j++) {
            fill_pattern(x, ADV_N, p, &r);
            if (p == 6)
                memcpy(x, s, ADV_N * sizeof *x); /* sorted random is adversarial too */
            double o;
            const double t1 = now_sec();
            vn__quantiles_type7(x, ADV_N, &qs[j], 1, &o);
            CHECKF(now_sec() - t1 < 2.0, "%s single q=%g slow", names[p], qs[j]);
            CHECKF(near_scale(o, ref_type7(s, ADV_N, qs[j]), sorted_scale(s, ADV_N)),
                   "%s single q=%g", names[p], qs[j]);
        }
        fill_pattern(x, ADV_N, p, &r);
        const double t2 = now_sec();
        const double top = vn__top_k_sum(x, ADV_N, ADV_N / 3);
        CHECKF(now_sec() - t2 < 2.0, "%s top-k slow", names[p]);
        long double want = 0; /* exact for these integer patterns; p == 6 regenerated */
        if (p != 6) {
            for (size_t i = ADV_N - ADV_N / 3; i < ADV_N; i++)
                want += s[i];
            CHECKF(top == (double)want, "%s top-k %.17g vs %.17Lg", names[p], top, want);
        }
    }
    free(x);
    free(s);
}

/* ---- numpy / scipy fixture ---------------------------------------------------- */

static double fixture_value(int kind, rng64 *r)
{
    const double u1 = rng_uniform(r), u2 = rng_uniform(r);
    switch (kind) {
    case 0: return u1 * 200.0 - 100.0;
    case 1: return floor(u1 * 100.0 + 0.5) / 10.0;
    case 2: {
        const double v = 1.0 / (1.0 - u1) - 1.0;
        return u2 < 0.5 ? -v : v;
    }
    case 3: return 1e9 + (u1 - 0.5);
    case 4: return floor(u1 * 5.0);
    case 5:
        if (u1 < 0.4)
            return u2 < 0.5 ? -0.0 : 0.0;
        return floor(u2 * 10.0) / 4.0 - 1.0;
    case 6: return (u1 - 0.5) * 1e300;
    default: return (u1 - 0.5) * 1e-300;
    }
}

typedef struct fcase {
    int id, kind, alpha;
    size_t n;
    uint64_t seed, hash;
    double p[NPCT], median, tau, wq[NPCT];
    size_t nranks;
    double *ranks;
    double *x, *y, *w;
} fcase;

static uint64_t hash_bits(uint64_t h, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], sizeof b);
        h = h * 0x100000001B3u + b;
    }
    return h;
}

/* Mirrors sample() in gen_kernel_cases.py. */
static void make_sample(fcase *c)
{
    rng64 r = {c->seed};
    const int alpha = (int)(rng_next(&r) % 3) - 1;
    const double u = rng_uniform(&r);
    size_t n;
    if (c->id < 3)
        n = (size_t)c->id + 1;
    else if (u < 0.2)
        n = 1 + (size_t)(rng_next(&r) % 10);
    else if (u < 0.5)
        n = 1 + (size_t)(rng_next(&r) % 100);
    else
        n = 1 + (size_t)(rng_next(&r) % 2000);
    c->alpha = alpha == c->alpha ? alpha : 99; /* 99: mismatch, caught by the caller */
    c->n = n == c->n ? n : 0;
    c->x = malloc(n * sizeof *c->x);
    c->y = malloc(n * sizeof *c->y);
    c->w = malloc(n * sizeof *c->w);
    for (size_t i = 0; i < n; i++)
        c->x[i] = fixture_value(c->kind, &r);
    for (size_t i = 0; i < n; i++) {
        const double v = fixture_value(c->kind, &r);
        c->y[i] = v + (double)alpha * c->x[i];
    }
    for (size_t i = 0; i < n; i++)
        c->w[i] = (double)(1 + rng_next(&r) % 5);
}


static int expect_tok(char **save, const char *want)
{
    const char *t = unit_next_tok(save);
    return t && strcmp(t, want) == 0;
}


/* Parses one "case" line; 0 on a malformed line. */
static int parse_case(char *line, fcase *c)
{
    char *save = NULL;
    const char *t = strtok_r(line, " \n", &save);
    if (!t || strcmp(t, "case") != 0)
        return 0;
    unsigned long long v[6];
    for (int i = 0; i < 6; i++) {
        const char *f = unit_next_tok(&save);
        if (!f)
            return 0;
        v[i] = strtoull(f, NULL, 10);
        if (i == 2)
            v[i] = (unsigned long long)strtoll(f, NULL, 10);
    }
    c->id = (int)v[0];
    c->kind = (int)v[1];
    c->alpha = (int)(long long)v[2];
    c->n = (size_t)v[3];
    c->seed = v[4];
    c->hash = v[5];
    if (!expect_tok(&save, "P") || !unit_read_doubles(&save, c->p, NPCT))
        return 0;
    if (!expect_tok(&save, "M") || !unit_read_doubles(&save, &c->median, 1))
        return 0;
    if (!expect_tok(&save, "T") || !unit_read_doubles(&save, &c->tau, 1))
        return 0;
    if (!expect_tok(&save, "W") || !unit_read_doubles(&save, c->wq, NPCT))
        return 0;
    if (!expect_tok(&save, "R"))
        return 0;
    const char *k = unit_next_tok(&save);
    if (!k)
        return 0;
    c->nranks = (size_t)strtoul(k, NULL, 10);
    c->ranks = malloc((c->nranks ? c->nranks : 1) * sizeof *c->ranks);
    return unit_read_doubles(&save, c->ranks, c->nranks);
}

static void test_fixture(void)
{
    FILE *fp = fopen(FIXTURE, "r");
    CHECKF(fp != NULL, "cannot open %s (run from the repository root)", FIXTURE);
    if (!fp)
        return;
    double qs[NPCT];
    size_t q50 = 0;
    for (int j = 0; j < NPCT; j++) {
        qs[j] = PERCENTS[j] / 100.0; /* numpy: np.true_divide(q, 100) */
        if (PERCENTS[j] == 50)
            q50 = (size_t)j;
    }
    char *line = NULL;
    size_t cap = 0;
    int ncases = 0, regen_bad = 0, parse_bad = 0;
    long t7_total = 0, t7_same = 0, t7_far = 0;
    long tau_total = 0, tau_same = 0, tau_bad = 0;
    long wq_total = 0, wq_bad = 0, rank_total = 0, rank_bad = 0;
    long p50_vs_percentile_diff = 0;
    while (getline(&line, &cap, fp) > 0) {
        if (line[0] == '#')
            continue;
        fcase c;
        memset(&c, 0, sizeof c);
        if (!parse_case(line, &c)) {
            parse_bad++;
            free(c.ranks);
            continue;
        }
        ncases++;
        const size_t n_file = c.n;
        make_sample(&c);
        uint64_t h = hash_bits(hash_bits(hash_bits(0, c.x, n_file), c.y, n_file), c.w, n_file);
        if (c.n != n_file || c.alpha == 99 || h != c.hash) {
            regen_bad++;
            fprintf(stderr, "case %d: regenerated sample differs from the generator's\n", c.id);
            goto next;
        }
        const size_t n = c.n;
        /* type 7: all quantiles in one call, then each alone on a fresh copy */
        for (int pass = 0; pass < 2; pass++) {
            double out[NPCT];
            if (pass == 0) {
                double *x = dup_array(c.x, n);
                vn__quantiles_type7(x, n, qs, NPCT, out);
                free(x);
            } else {
                for (int j = 0; j < NPCT; j++) {
                    double *x = dup_array(c.x, n);
                    vn__quantiles_type7(x, n, &qs[j], 1, &out[j]);
                    free(x);
                }
            }
            for (size_t j = 0; j < NPCT; j++) {
                /* q = 0.5 follows np.median, the others np.percentile */
                const double want = j == q50 ? c.median : c.p[j];
                t7_total++;
                if (unit_same(out[j], want)) {
                    t7_same++;
                } else if (!near_ulp(out[j], want)) {
                    t7_far++;
                    fprintf(stderr, "case %d q=%g: %.17g vs numpy %.17g\n", c.id, qs[j],
                            out[j], want);
                }
                if (pass == 0 && j == q50 && !unit_same(c.median, c.p[j]))
                    p50_vs_percentile_diff++;
            }
        }
        /* Kendall tau-b */
        {
            double t;
            tau_total++;
            if (vn__kendall_tau_b(c.x, c.y, n, &t) != VN_OK || !unit_close(t, c.tau, 1e-12)) {
                tau_bad++;
                fprintf(stderr, "case %d: tau %.17g vs scipy %.17g\n", c.id, t, c.tau);
            } else if (unit_same(t, c.tau)) {
                tau_same++;
            }
        }
        /* weighted: exactly equal (== : a zero may come out with either sign) */
        {
            double *x = dup_array(c.x, n), *w = dup_array(c.w, n), out[NPCT];
            if (vn__quantiles_weighted(x, w, n, qs, NPCT, out) != VN_OK) {
                wq_bad += NPCT;
            } else {
                for (int j = 0; j < NPCT; j++) {
                    wq_total++;
                    if (!(out[j] == c.wq[j])) {
                        wq_bad++;
                        fprintf(stderr, "case %d weighted q=%g: %.17g vs numpy %.17g\n", c.id,
                                qs[j], out[j], c.wq[j]);
                    }
                }
            }
            free(x);
            free(w);
        }
        /* average ranks */
        if (c.nranks) {
            double *r = malloc(n * sizeof *r);
            rank_total++;
            if (vn__rank_average(c.x, n, r) != VN_OK || memcmp(r, c.ranks, n * sizeof *r) != 0)
                rank_bad++;
            free(r);
        }
    next:
        free(c.x);
        free(c.y);
        free(c.w);
        free(c.ranks);
    }
    free(line);
    fclose(fp);

    printf("fixture: %d cases; type-7/median bit-identical to numpy %ld/%ld (%.2f%%), "
           "%ld beyond 1 ulp; np.median != np.percentile(50) in %ld cases; "
           "tau bit-identical %ld/%ld; weighted %ld values; ranks %ld cases\n",
           ncases, t7_same, t7_total, t7_total ? 100.0 * (double)t7_same / (double)t7_total : 0.0,
           t7_far, p50_vs_percentile_diff, tau_same, tau_total, wq_total, rank_total);
    CHECKF(ncases >= 290, "only %d cases in %s", ncases, FIXTURE);
    CHECKF(parse_bad == 0, "%d malformed lines", parse_bad);
    CHECKF(regen_bad == 0, "%d samples not regenerated identically", regen_bad);
    CHECKF(t7_same * 100 >= t7_total * 99, "type-7: only %ld of %ld bit-identical", t7_same,
           t7_total);
    CHECKF(t7_far == 0, "type-7: %ld results beyond 1 ulp of numpy", t7_far);
    CHECKF(tau_bad == 0, "kendall: %ld of %ld beyond 1e-12", tau_bad, tau_total);
    CHECKF(wq_bad == 0, "weighted: %ld of %ld differ", wq_bad, wq_total);
    CHECKF(rank_bad == 0, "ranks: %ld of %ld differ", rank_bad, rank_total);
}

/* ---- allocation failure ------------------------------------------------------- */

typedef struct fail_hook {
    long calls;   /* allocations attempted */
    long fail_at; /* the allocation (1-based) that fails; 0 = none */
    long live;    /* blocks allocated and not freed */
} fail_hook;

static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    fail_hook *h = ud;
    if (size == 0) {
        if (ptr)
            h->live--;
        free(ptr);
        return NULL;
    }
    h->calls++;
    if (h->calls == h->fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        h->live++;
    return p;
}

static void test_alloc_failure(void)
{
    fail_hook h;
    vn_set_allocator(failing_alloc, &h);
    const double x0[] = {3, 1, 2, 2, 5, 4}, y0[] = {1, 2, 3, 1, 2, 3}, w0[] = {1, 2, 1, 1, 3, 1};
    const double qs[] = {0.1, 0.5, 0.9};
    for (int fn = 0; fn < 3; fn++) {
        /* Count the allocations of a successful call, then fail each in turn and one past
         * the end (which must succeed). */
        long needed = -1;
        for (long k = 0;; k++) {
            h.calls = 0;
            h.fail_at = k;
            h.live = 0;
            double x[6], w[6], out[6];
            memcpy(x, x0, sizeof x);
            memcpy(w, w0, sizeof w);
            vn_status st;
            if (fn == 0)
                st = vn__quantiles_weighted(x, w, 6, qs, 3, out);
            else if (fn == 1)
                st = vn__rank_average(x, 6, out);
            else
                st = vn__kendall_tau_b(x, y0, 6, out);
            CHECKF(h.live == 0, "fn %d fail_at %ld: %ld blocks leaked", fn, k, h.live);
            if (k == 0) {
                CHECK(st == VN_OK);
                needed = h.calls;
                CHECKF(needed >= 1, "fn %d allocates nothing?", fn);
                continue;
            }
            if (k <= needed) {
                CHECKF(st == VN_ERR_NOMEM, "fn %d fail_at %ld: status %d", fn, k, (int)st);
                if (fn == 0) /* nothing reordered on failure */
                    CHECK(memcmp(x, x0, sizeof x) == 0 && memcmp(w, w0, sizeof w) == 0);
            } else {
                CHECK(st == VN_OK);
                break;
            }
        }
    }
    /* sizes whose scratch space overflows size_t: NOMEM before touching the arrays */
    double q = 0.5, out, dummy = 0;
    CHECK(vn__quantiles_weighted(&dummy, &dummy, SIZE_MAX / 4, &q, 1, &out) == VN_ERR_NOMEM);
    CHECK(vn__rank_average(&dummy, SIZE_MAX / 4, &out) == VN_ERR_NOMEM);
    CHECK(vn__kendall_tau_b(&dummy, &dummy, SIZE_MAX / 4, &out) == VN_ERR_NOMEM);
    vn_set_allocator(NULL, NULL);
}

int main(void)
{
    RUN(test_type7_small);
    RUN(test_weighted_small);
    RUN(test_top_k_small);
    RUN(test_type7_and);
    RUN(test_type7_spans);
    RUN(test_rank_small);
    RUN(test_kendall_small);
    RUN(test_kendall_bruteforce);
    RUN(test_type7_random);
    RUN(test_adversarial);
    RUN(test_fixture);
    RUN(test_alloc_failure);
    return unit_summary("kernels");
}
