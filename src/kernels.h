/*
 * kernels.h — order-statistics and rank kernels: pure functions over arrays.
 * No I/O; the only allocations are the scratch space named in each contract.
 */
#ifndef VN_KERNELS_H
#define VN_KERNELS_H

#include "vernier.h"

#include <stdbool.h>
#include <stddef.h>

/* Inputs of every kernel below must be free of NaN (the callers reject or drop
 * non-finite values first); -0.0 and +0.0 compare equal, so where a zero is selected
 * either sign may come out. Implementations: select.c (quantiles, top-k), rank.c. */

/* Unweighted quantiles, Hyndman–Fan type 7 (numpy's default "linear"): for q in [0,1],
 * h = (n-1)q, result x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)) over the
 * sorted sample. By selection (introselect, O(n) also on adversarial input), not a full
 * sort: x[0..n) is reordered. qs[0..nq) must be ascending (several quantiles then select
 * on a shrinking right part); n >= 1. out[j] receives the quantile qs[j].
 * The arithmetic is numpy 1.24's, operation by operation: np.percentile(method='linear')
 * (its _lerp, including the t >= 0.5 branch) for every q except q == 0.5, which is
 * np.median's mean of the middle value(s). Results therefore agree with numpy bit for bit
 * (q given as percent/100.0, as numpy divides). Where numpy overflows to inf on finite
 * input (the difference or sum of two values near DBL_MAX), the finite result is
 * returned instead. Allocates nothing. */
void vn__quantiles_type7(double *x, size_t n, const double *qs, size_t nq, double *out);
/* vn__quantiles_type7, and besides the order statistic of rank `rank` (0-based, < n) into
 * *at_rank, from the same passes over x (rank SIZE_MAX: none), and when tail_sq is not
 * NULL (x >= 0) the sum of the squares of the n - rank values from that rank up (equal
 * values counted as copies of it), in one order or another (the last bits depend on the
 * path). threads > 1 lets the passes over a large x run on two threads; the results are
 * the same. */
void vn__quantiles_type7_and(double *x, size_t n, const double *qs, size_t nq, double *out,
                             size_t rank, double *at_rank, double *tail_sq, int threads);
/* Values read in place from several arrays: x[0..n) of each span, in order. */
typedef struct vn__span {
    const double *x;
    size_t n;
} vn__span;
/* vn__quantiles_type7_and (with a rank, < n) over the n values of the spans sp[0..nsp)
 * put end to end, which are not modified, with the same results, bit for bit, as on
 * their concatenation; false, having done nothing, where that would not take the radix
 * passes (few values, many quantiles, heavily repeated values, no memory): the caller
 * then puts the values together and calls vn__quantiles_type7_and. */
bool vn__quantiles_type7_spans(const vn__span *sp, size_t nsp, size_t n, const double *qs,
                               size_t nq, double *out, size_t rank, double *at_rank,
                               double *tail_sq, int threads);

/* Rearranges x[lo..hi) (lo <= k < hi) so that x[k] holds the value it would hold if the
 * range were sorted, with x[lo..k) <= x[k] <= x(k..hi): introselect, O(hi - lo) also on
 * adversarial input. Several order statistics k1 < k2 < ... are placed by selecting k1
 * in [0, n), then k2 in [k1 + 1, n), and so on. Allocates nothing. */
void vn__select(double *x, size_t lo, size_t hi, size_t k);

/* numpy's arithmetic, shared by select.c and boot.c: _lerp(a, b, t) (b - (b - a)(1 - t)
 * when t >= 0.5, a finite result where b - a overflows) and np.median's mean of the one
 * (two = false) or two middle values. */
double vn__lerp_numpy(double a, double b, double t);
double vn__median_numpy(double a, double b, bool two);

/* Weighted quantiles, "averaged inverted CDF": with the sample sorted by x and C_i the
 * cumulative weight through i (compensated), t = q*W with W the compensated total:
 * lower = x at the first i with C_i >= t; if C_i == t exactly and i+1 exists, the result
 * is the midpoint of x_i and x_{i+1}, else x_i. q = 0 gives the minimum, q = 1 the
 * maximum. All w > 0, n >= 1, q in [0,1] (any order). x and w are reordered together,
 * sorted by (x, w). The midpoint is computed as numpy's _lerp(x_i, x_{i+1}, 0.5), i.e.
 * x_{i+1} - (x_{i+1} - x_i)/2, so that with integer weights the result equals
 * np.percentile(np.repeat(x, w), 100q, method='averaged_inverted_cdf') exactly.
 * (Note: scikit-learn 1.2's weighted median_absolute_error uses _weighted_percentile,
 * the plain inverted CDF without the midpoint rule; the two differ on exact ties.)
 * Scratch: 32n bytes. Returns VN_ERR_NOMEM if it cannot be had (x, w untouched). */
vn_status vn__quantiles_weighted(double *x, double *w, size_t n, const double *qs, size_t nq,
                                 double *out);

/* Sum of the k largest values of x[0..n) (k <= n; 0 for k == 0). x is reordered by
 * selection so that they occupy x[n-k..n), and they are summed there, in that order,
 * with Neumaier compensation. Allocates nothing. */
double vn__top_k_sum(double *x, size_t n, size_t k);

/* Sum of the squares of the k largest values of x[0..n) (all >= 0, k <= n), x untouched:
 * the k-th largest and the compensated sum from the passes of radix selection (scratch:
 * a few hundred KB), or, when that fails, the squares' vn__top_k_sum over a copy of x.
 * Summation orders differ between the paths, so the last bits may too. */
double vn__top_k_sumsq(const double *x, size_t n, size_t k);
/* The same given t, the k-th largest value of x (the order statistic of rank n - k): the
 * one compensated pass. */
double vn__top_k_sumsq_at(const double *x, size_t n, size_t k, double t);

/* Average ranks (1-based; ties get the mean of their positions, (first + last)/2, exactly
 * as scipy.stats.rankdata(method='average')) of x[0..n) into ranks[0..n); n may be 0.
 * Scratch: 32n bytes. Returns VN_ERR_NOMEM if it cannot be had. */
vn_status vn__rank_average(const double *x, size_t n, double *ranks);

/* Kendall's tau-b of (x, y), n pairs, O(n log n) (Knight 1966): ties in x, in y and in
 * both are handled as scipy.stats.kendalltau(variant='b'), with 64-bit pair counts and
 * the final division in long double (+-1 exact; within a few ulps of scipy, which
 * divides by the two square roots in turn). *tau is NaN if either input is constant or
 * n < 2. Scratch: 32n bytes. Returns VN_ERR_NOMEM if it cannot be had. */
vn_status vn__kendall_tau_b(const double *x, const double *y, size_t n, double *tau);

/* Pairs sorted lexicographically by (a, b) by a stable merge sort (sort.c). */
typedef struct vn__pair {
    double a, b;
} vn__pair;

/* Sorts a[0..n) using tmp[0..n) as scratch; returns whichever of the two holds the
 * result. No allocation. */
vn__pair *vn__pair_sort(vn__pair *a, vn__pair *tmp, size_t n);
/* 2n pairs (data and scratch) through the allocation hook; NULL on failure/overflow. */
vn__pair *vn__pair_alloc(size_t n);

#endif /* VN_KERNELS_H */
