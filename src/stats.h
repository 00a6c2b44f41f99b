/*
 * stats.h — the statistical tests behind a champion-vs-challenger comparison: the
 * Student t tail and the regularized incomplete beta function it rests on, the
 * Diebold–Mariano test with the Harvey–Leybourne–Newbold correction, and Holm's
 * step-down adjustment of a family of p-values. Pure functions (stats.c); formulas,
 * edge cases and sources in docs/stats-notes.md.
 */
#ifndef VN_STATS_H
#define VN_STATS_H

#include "internal.h"

/* Student t distribution with df > 0 degrees of freedom: P(T > t) (upper tail), accurate
 * to ~1e-14 relative for |t| up to 1e6 and df from 1 to 1e9 (df = inf: the normal).
 * Achieved (x86-64, against 60-digit mpmath over df 1 … 1e20 and inf, tails to 1e-300):
 * <= 3.1e-16 relative; where long double is plain double, <= ~2e-13 in the far tail
 * (the error grows like |ln P|·ε there) and a few 1e-15 elsewhere. Any finite t works
 * (with a 53-bit long double, |t| < 1e154). t = ±0 gives ½, t = +inf 0, t = −inf 1;
 * NaN t, NaN df or df <= 0 give NaN. The normal (erfc) is used for df = inf and wherever
 * it equals the t tail to within 2^-56 relative: df >= 2^56 (1 + |t|)^4. About 1 µs. */
double vn__t_sf(double t, double df);
/* Regularized incomplete beta I_x(a, b) for a, b > 0, x in [0, 1]: the continued
 * fraction of DLMF 8.17.22 (through its odd part) by the modified Lentz method, on the
 * side of the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where it converges fast. <= 2.1e-16
 * relative against mpmath for a, b in [0.1, 1e6] (x86-64). NaN for arguments outside
 * the domain, infinite a or b, and when a and b are both beyond ~1e15 with x near the
 * mean (the fraction would need more than 10^6 levels). */
double vn__beta_inc(double a, double b, double x);

typedef struct vn__dm {
    double mean;      /* d̄ = mean of the loss differentials */
    double var;       /* the long-run variance estimate used (of d, not of d̄) */
    double stat;      /* DM = d̄ / sqrt(var / n) */
    double stat_hln;  /* Harvey–Leybourne–Newbold corrected statistic */
    double p;         /* two-sided p-value of stat_hln from Student t with n − 1 df */
    int bartlett;     /* 1 when the rectangular (truncated) HAC estimate was <= 0 and
                         the Bartlett (Newey–West) weights were used instead */
    size_t n;
    int h;
} vn__dm;
/* Diebold–Mariano test on loss differentials d[0..n) in time order, forecast horizon
 * h >= 1 (autocovariances up to lag h−1, each gamma_k = (1/n) Σ_{t>k} (d_t − d̄)(d_{t−k} − d̄)),
 * with the HLN small-sample correction sqrt((n + 1 − 2h + h(h−1)/n) / n).
 * Returns VN_ERR_USAGE when h < 1 or n < 2 or h >= n (message in errbuf), VN_OK otherwise;
 * a zero variance (all d equal) gives stat = ±inf or NaN (0/0) and p = 0 or 1
 * accordingly (d all zero: stat NaN treated as p = 1).
 *
 * The rule: "all d equal" is detected exactly (every d[i] == d[0]); then mean = d[0],
 * var = 0, bartlett = 0, and stat = stat_hln = ±inf with p = 0 when d[0] != 0, or NaN
 * with p = 1 when d[0] == 0 (identical losses: no evidence against equal accuracy).
 * Otherwise var > 0 (the Bartlett estimate is positive for non-constant d). d must be
 * finite (the caller drops non-finite rows); a NaN or inf in d makes the results NaN.
 * On an error *out holds n, h and NaN values; errbuf may be NULL when errlen is 0.
 * O(n·h) time, no allocation. */
vn_status vn__dm_test(const double *d, size_t n, int h, vn__dm *out, char *errbuf, size_t errlen);

/* Holm's step-down adjusted p-values: adj[i] for p[i]; NaN entries are not part of the
 * family and stay NaN; adjusted values are monotone in the sorted order and capped at 1.
 * With the m non-NaN values sorted ascending, p_(1) <= ... <= p_(m) (ties in index
 * order), adj_(j) = min(1, max_{i <= j} (m − i + 1) p_(i)): R's p.adjust(method = "holm")
 * operation for operation, so tied p-values get equal adjusted values. p values must lie
 * in [0, 1] or be NaN; adj may be p itself. Scratch: 32m bytes through the allocation
 * hook (none when every p is NaN); returns VN_ERR_NOMEM (adj untouched) if it cannot be
 * had, VN_OK otherwise. */
vn_status vn__holm(const double *p, size_t n, double *adj);


/* ---- distributions for drift and residual diagnostics (drift.c, diagnose.c) ---- */

/* The regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a) for a > 0,
 * x >= 0: the power series of P = 1 − Q (DLMF 8.11.4 via 8.7.1) when x < a + 1, else the
 * continued fraction of DLMF 8.9.2 by the modified Lentz method. The prefactor
 * x^a e^−x / Γ(a) is formed in long double from lgamma_r. About 1e-13 relative for a up
 * to 1e4 (the error of the exponent grows like a·ε). NaN outside the domain. */
double vn__gamma_q(double a, double x);
/* Chi-square upper tail P(X > x) with k > 0 degrees of freedom: Q(k/2, x/2); 1 for
 * x <= 0, NaN for NaN arguments. */
double vn__chi2_sf(double x, double k);
/* F distribution upper tail P(F > f), d1, d2 > 0 degrees of freedom:
 * I_{d2/(d2 + d1 f)}(d2/2, d1/2) (DLMF 8.17 with the beta relation of F); 1 for f <= 0. */
double vn__f_sf(double f, double d1, double d2);
/* The Kolmogorov limit distribution's upper tail P(K > λ) = 2 Σ_{k>=1} (−1)^{k−1}
 * e^{−2k²λ²} (λ >= 1), or 1 − (√(2π)/λ) Σ_{k>=1} e^{−(2k−1)²π²/(8λ²)} (λ < 1), the
 * two series of Kolmogorov (1933) that converge fast on their sides; 1 for λ <= 0.
 * scipy.stats.kstwobign.sf. */
double vn__kolmogorov_sf(double lambda);
/* Exact two-sided p-value of the two-sample Kolmogorov–Smirnov test under H0 (continuous
 * data): P(max |F_m − G_n| >= D) with D = dmn / (m·n), dmn the observed maximum of
 * |i·n − j·m| over the steps of the two empirical CDFs (an integer). Counts the monotone
 * lattice paths from (0,0) to (m,n) that touch |i·n − j·m| >= dmn (Hodges 1958), as
 * probabilities: T(i,j) = 1 on and beyond the boundary, else
 * (i·T(i−1,j) + j·T(i,j−1))/(i+j) — convex combinations, so there is no cancellation
 * and a tiny p-value keeps its relative accuracy (long double). Only the band between the
 * boundaries is computed: O(m · min(n, 2·dmn/m + 1)) time; scratch (n + 1) long doubles
 * through the allocation hook. NaN when it cannot be had or m or n is 0. */
double vn__ks2_exact_p(uint64_t m, uint64_t n, uint64_t dmn);

#endif /* VN_STATS_H */
