/*
 * stats.c — the tests of a champion-vs-challenger comparison: the Student t upper tail
 * through the regularized incomplete beta function, the Diebold–Mariano test with the
 * Harvey–Leybourne–Newbold correction, and Holm's step-down p-value adjustment.
 * Contracts in stats.h; formulas, accuracy and edge cases in docs/stats-notes.md.
 *
 * Sources (formulas only; the code is written from them):
 *  - DLMF §8.17: I_x(a,b) (8.17.2), the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) (8.17.4),
 *    the relation of the t distribution to it (8.17.1 with §8.17(i)), and the continued
 *    fraction 8.17.22 with its coefficients d_{2m}, d_{2m+1} (8.17.23–24), which
 *    converges fast for x < (a+1)/(a+b+2);
 *  - the modified Lentz method: Thompson & Barnett (1986), J. Comput. Phys. 64, 490–509;
 *  - Stirling's series for ln Γ, DLMF 5.11.1 (Bernoulli numbers, DLMF Table 24.2.1), to
 *    write Γ(a+b)/(Γ(a)Γ(b)) without the cancellation of three large ln Γ values;
 *  - Diebold & Mariano (1995), J. Business & Economic Statistics 13, 253–263;
 *    Harvey, Leybourne & Newbold (1997), Int. J. Forecasting 13, 281–291;
 *    Newey & West (1987), Econometrica 55, 703–708 (the Bartlett weights);
 *  - Holm (1979), Scand. J. Statistics 6, 65–70.
 */
#include "stats.h"
#include "kernels.h"

#include <float.h>

/* ---- the incomplete beta function --------------------------------------------------- */

enum { LARGE = 10 }; /* parameters >= LARGE go through Stirling's series */

/* The power terms and the exponent are formed in long double (x87 extended on x86-64,
 * binary128 on aarch64; plain double where long double is double): the exponent E of
 * x^a y^b / B(a,b) reaches −745 before the result underflows, and exp turns an absolute
 * error δ of E into a relative error δ of the result, so E needs |E|·ε absolute. */
typedef long double ld;

/* δ(z) = ln Γ(z) − [(z − ½) ln z − z + ½ ln 2π] for z >= 10: Stirling's series
 * Σ_k B_2k / (2k(2k−1) z^(2k−1)), k = 1..9 (DLMF 5.11.1, B_2k from DLMF Table 24.2.1);
 * the first omitted term is below 2e-19 at z = 10. */
static ld stirling_delta(ld z)
{
    static const ld c[9] = {1.0L / 12,   -1.0L / 360,         1.0L / 1260,
                            -1.0L / 1680, 1.0L / 1188,         -691.0L / 360360,
                            1.0L / 156,  -3617.0L / 122400,   43867.0L / 244188};
    const ld r = 1 / z, r2 = r * r;
    ld s = c[8];
    for (int k = 7; k >= 0; k--)
        s = s * r2 + c[k];
    return s * r;
}

/* ln(1 + z) − z for z > −1, without the cancellation of the two terms near z = 0.
 * With s = z/(2+z), ln(1+z) = 2 atanh s = 2(s + s³/3 + s⁵/5 + …) and z − 2s = z·s, so
 * ln(1+z) − z = −z·s + 2s³(1/3 + s²/5 + s⁴/7 + …). On [−1/2, 1], |s| <= 1/3 and the
 * two parts never cancel by more than a factor ~1.1; 24 terms reach 3^-48. Outside, the
 * direct difference loses at most a factor ~3. */
static ld log1pmx(ld z)
{
    if (z < -0.5L || z > 1)
        return log1pl(z) - z;
    const ld s = z / (2 + z), s2 = s * s;
    ld sum = 0;
    for (int k = 23; k >= 0; k--)
        sum = sum * s2 + 1.0L / (2 * k + 3);
    return -z * s + 2 * s * s2 * sum;
}

/* a·ln(x/x0) − e, with x0 = a/(a+b) and e = x(a+b) − a = xb − ya (so that x/x0 = 1 + e/a):
 * the "a" half of a ln(x/x0) + b ln(y/y0), whose first-order terms ±e cancel between
 * the halves and are left out. lnx = ln x. */
static ld half_dev(ld a, ld b, ld e, ld lnx)
{
    const ld z = e / a;
    if (z >= -0.5L)
        return a * log1pmx(z);
    return a * (lnx + log1pl(b / a)) - e; /* x < x0/2: no cancellation to avoid */
}

/* ln Γ(z) for 0 < z < 20 (tgamma is thread-safe, unlike lgamma and its signgam). */
static ld lgamma_small(ld z) { return logl(tgammal(z)); }

/* ln(x^a y^b / B(a,b)) for a, b > 0, x + y = 1, both in (0, 1), where the smaller of x and
 * y carries full relative precision and the larger may be its rounded complement.
 * Large parameters never meet as three large ln Γ values: with δ of stirling_delta,
 *   a, b >= 10:  ½ ln(ab / (2π(a+b))) + a ln(x/x0) + b ln(y/y0) + δ(a+b) − δ(a) − δ(b)
 *   a >= 10 > b: a ln(x/x0) − e − u + b ln u − ½ ln(1 + b/a) − ln Γ(b) + δ(a+b) − δ(a),
 *                u = y(a+b) (and the mirror image for b >= 10 > a)
 *   both < 10:   a ln x + b ln y − ln Γ(a) − ln Γ(b) + ln Γ(a+b)
 * (the first two from ln Γ(z) = (z−½) ln z − z + ½ ln 2π + δ(z) and x0^a y0^b =
 * a^a b^b / (a+b)^(a+b)). Every term is then of the size of the result or smaller, so
 * the absolute error is a few ε·max(1, |result|). */
static ld log_power_terms(ld a, ld b, ld x, ld y)
{
    const ld lnx = x <= y ? logl(x) : log1pl(-y);
    const ld lny = y <= x ? logl(y) : log1pl(-x);
    const ld ab = a + b;
    if (a < LARGE && b < LARGE)
        return a * lnx + b * lny - lgamma_small(a) - lgamma_small(b) + lgamma_small(ab);
    const ld e = x <= y ? x * ab - a : b - y * ab; /* xb − ya from the accurate one */
    if (a >= LARGE && b >= LARGE)
        return 0.5L * logl(a * (b / ab)) - 0.918938533204672741780329736405617639861L +
               half_dev(a, b, e, lnx) + half_dev(b, a, -e, lny) + stirling_delta(ab) -
               stirling_delta(a) - stirling_delta(b);
    if (a >= LARGE)
        return half_dev(a, b, e, lnx) - y * ab + b * (lny + logl(ab)) - 0.5L * log1pl(b / a) -
               lgamma_small(b) + stirling_delta(ab) - stirling_delta(a);
    return half_dev(b, a, -e, lny) - x * ab + a * (lnx + logl(ab)) - 0.5L * log1pl(a / b) -
           lgamma_small(a) + stirling_delta(ab) - stirling_delta(b);
}

/* The continued fraction of DLMF 8.17.22, I_x(a,b) = x^a y^b / (a B(a,b)) / T with
 *   T = 1 + d1/(1 + d2/(1 + d3/(1 + …))),
 *   d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),  d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)),
 * summed through its odd part (the contraction that takes two levels at a time):
 *   T = (1 + d1) − d1 d2/(1 + d2 + d3 − d3 d4/(1 + d4 + d5 − …)),
 * scaled level by level by (a+2m) (an equivalence transformation), which returns aT:
 *   aT = β0 + α1/(β1 + α2/(β2 + …)),  β0 = a(λ + 1)/(a + 1),
 *   α_m = (a+m−1)(a+b+m−1) m(b−m) x² / (a+2m−1)²,
 *   β_m = N_m/(a+2m+1) + m(b−m)x/(a+2m−1),  N_m = (a+m)(λ + m y) + m(2a + 3m + 2) + a,
 * where λ = a − (a+b)x = (a+b)y − b. (N_m is (a+2m)(a+2m+1)(1 + d_{2m+1}) multiplied
 * out; this is the form DiDonato & Morris (1992, ACM TOMS 18, 360–373) use.) Why: for
 * large a and x near 1 each 1 + d_{2m+1} is a tiny difference of two numbers near 1
 * and x itself has lost the digits of y = 1 − x, so the plain form loses ~log10(a)
 * digits; here λ comes from whichever of x, y is accurate and every N_m is a sum of
 * positive terms (λ > 1 − 2y on this side of the switch point).
 * Evaluated by the modified Lentz method (Thompson & Barnett 1986): f_m = f_{m−1} C_m D_m,
 * C_m = β_m + α_m/C_{m−1}, D_m = 1/(β_m + α_m D_{m−1}), f_0 = C_0 = β0, D_0 = 0, zeros
 * replaced by a tiny value, until the last factor is within ε of 1. Ratios are formed
 * before products so that huge a or b cannot overflow. A few dozen levels suffice for
 * b = ½ (at most 70 over the test grid); with both parameters large, near the mean
 * it takes ~6 min(a,b)^(1/3) levels (600 at 1e6, 61 000 at 1e12, 282 000 at 1e14):
 * beyond the cap of 10^6 levels (a, b >~ 1e15) the result is NaN rather than a guess. */
static ld beta_cf(ld a, ld b, ld x, ld y, ld lam)
{
    const ld tiny = 1e-300L;
    ld f = a * (lam + 1) / (a + 1);
    if (f == 0)
        f = tiny;
    ld C = f, D = 0;
    for (long i = 1; i <= 1000000; i++) {
        const ld m = (ld)i, r = a + 2 * m - 1;
        const ld alpha = ((a + m - 1) / r) * ((a + b + m - 1) / r) * (m * (b - m)) * (x * x);
        const ld beta = ((a + m) / (r + 2)) * (lam + m * y) +
                        (m * (2 * a + 3 * m + 2) + a) / (r + 2) + m * (b - m) * x / r;
        D = beta + alpha * D;
        if (D == 0)
            D = tiny;
        C = beta + alpha / C;
        if (C == 0)
            C = tiny;
        D = 1 / D;
        const ld delta = C * D;
        f *= delta;
        if (fabsl(delta - 1) <= LDBL_EPSILON)
            return f;
    }
    return NAN; /* no convergence: only a and b both beyond ~1e15 with x near the mean */
}

/* I_x(a,b) given x and y = 1 − x, the smaller of the two accurate (see log_power_terms).
 * The continued fraction is summed on the side where it converges fast:
 *   x < (a+1)/(a+b+2):  I_x(a,b) = x^a y^b / B(a,b) / (aT)     (beta_cf)
 *   otherwise:          I_x(a,b) = 1 − I_y(b,a)                (DLMF 8.17.4)
 * Below the switch point I_x is the smaller side (or not far above it), so the
 * subtraction loses at most a digit. */
static double ibeta(double a, double b, ld x, ld y)
{
    if (x <= 0)
        return 0.0;
    if (y <= 0)
        return 1.0;
    const ld la = a, lb = b;
    const ld lam = x <= y ? la - (la + lb) * x : (la + lb) * y - lb;
    const bool direct = lam > 1 - 2 * y; /* x < (a+1)/(a+b+2) */
    if (direct)
        return (double)(expl(log_power_terms(la, lb, x, y)) / beta_cf(la, lb, x, y, lam));
    return (double)(1 - expl(log_power_terms(lb, la, y, x)) / beta_cf(lb, la, y, x, -lam));
}

double vn__beta_inc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1))
        return NAN; /* also every NaN argument */
    if (isinf(a) || isinf(b))
        return NAN;
    return ibeta(a, b, x, 1 - (ld)x);
}

/* ---- Student t --------------------------------------------------------------------- */

/* P(Z > z) for z >= 0. erfc's argument z/√2 is rounded, and the tail's relative
 * sensitivity to it is ~z², so the rounding error r of the product (exact by fma) and
 * the error of the constant are added back to first order:
 * ½ erfc(w + r) = ½ erfc(w) − e^(−w²) r / √π. */
static double norm_sf(double z)
{
    static const double sqrt1_2_lo = -4.833646656726457e-17; /* √½ − M_SQRT1_2 */
    const double w = z * M_SQRT1_2;
    const double r = fma(z, M_SQRT1_2, -w) + z * sqrt1_2_lo;
    return 0.5 * erfc(w) - 0.56418958354775628695 * exp(-w * w) * r;
}

double vn__t_sf(double t, double df)
{
    if (isnan(t) || isnan(df) || !(df > 0))
        return NAN;
    if (t == 0)
        return 0.5;
    if (isinf(t))
        return t > 0 ? 0.0 : 1.0;
    const double at = fabs(t);
    double q; /* P(T > |t|) */
    /* Normal once the t tail agrees with it to 2^-56: their relative difference is about
     * φ(t)(t³ + t) / (4 df Φc(t)) <= (1 + |t|)^4 / df. */
    const double s1 = 1.0 + at;
    if (isinf(df) || df >= 0x1p56 * (s1 * s1) * (s1 * s1)) {
        q = norm_sf(at);
    } else {
        /* P(T > t) = ½ I_x(df/2, ½), x = df/(df + t²) (DLMF 8.17 and §8.17(i)). The tail
         * is sensitive to the relative error of y = 1 − x = t²/(df + t²) by a factor
         * ~t²/2, so x and y are formed in long double (t² is then exact to 2^-64). */
        const ld p = (ld)at * at, s = df + p;
        const ld y = p / s, x = df / s;
        /* df/2 == 0 only for the smallest subnormal df: the df -> 0 limit is ½ */
        q = 0.5 * df == 0 ? 0.5 : 0.5 * ibeta(0.5 * df, 0.5, x, y);
    }
    return t > 0 ? q : 1.0 - q;
}

/* ---- Diebold–Mariano ----------------------------------------------------------------- */

vn_status vn__dm_test(const double *d, size_t n, int h, vn__dm *out, char *errbuf, size_t errlen)
{
    *out = (vn__dm){.mean = NAN, .var = NAN, .stat = NAN, .stat_hln = NAN, .p = NAN,
                    .bartlett = 0, .n = n, .h = h};
    VN_RETURN_IF(h < 1, VN_ERR_USAGE, "Diebold-Mariano test: horizon h = %d, must be at least 1",
                 h);
    VN_RETURN_IF(n < 2, VN_ERR_USAGE,
                 "Diebold-Mariano test: %zu loss differential(s), need at least 2", n);
    VN_RETURN_IF((size_t)h >= n, VN_ERR_USAGE,
                 "Diebold-Mariano test: horizon h = %d needs more than h loss differentials, "
                 "have %zu",
                 h, n);
    const double dn = (double)n;

    /* All d equal: zero variance exactly (a computed mean could differ from d[0] in the
     * last bit and leave a spurious tiny variance). Rule: stat = ±inf, p = 0 when the
     * common value is not 0; stat = NaN (0/0), p = 1 when it is. */
    size_t i = 1;
    while (i < n && d[i] == d[0])
        i++;
    if (i == n) {
        out->mean = d[0];
        out->var = 0.0;
        if (d[0] == 0) {
            out->p = 1.0;
        } else {
            out->stat = out->stat_hln = copysign(INFINITY, d[0]);
            out->p = 0.0;
        }
        return VN_OK;
    }

    vn__ksum s = {0, 0};
    for (size_t t = 0; t < n; t++)
        vn__ksum_add(&s, d[t]);
    const double mean = vn__ksum_get(&s) / dn;

    /* gamma_k = (1/n) Σ_{t=k}^{n−1} (d_t − d̄)(d_{t−k} − d̄), k = 0 … h−1, summed into the
     * rectangular (truncated) and the Bartlett long-run variances at once:
     * V = gamma_0 + 2 Σ_{k=1}^{h−1} w_k gamma_k, w_k = 1 resp. 1 − k/h. */
    vn__ksum rect = {0, 0}, bart = {0, 0};
    for (int k = 0; k < h; k++) {
        vn__ksum g = {0, 0};
        for (size_t t = (size_t)k; t < n; t++)
            vn__ksum_add(&g, (d[t] - mean) * (d[t - (size_t)k] - mean));
        const double gk = vn__ksum_get(&g) / dn;
        vn__ksum_add(&rect, k == 0 ? gk : 2.0 * gk);
        vn__ksum_add(&bart, k == 0 ? gk : 2.0 * ((double)(h - k) / (double)h) * gk);
    }
    double var = vn__ksum_get(&rect);
    if (!(var > 0)) {
        /* The Bartlett estimate is (1/(nh)) Σ_j (sum of d_t − d̄ over the window
         * t = j … j+h−1)² over all windows meeting 0 … n−1: positive for non-constant d. */
        var = vn__ksum_get(&bart);
        out->bartlett = 1;
    }
    out->mean = mean;
    out->var = var;
    out->stat = mean / sqrt(var / dn);
    /* HLN: sqrt((n + 1 − 2h + h(h−1)/n) / n) = sqrt((n−h)(n−h+1)) / n, the factored form
     * has no cancellation. */
    const double nh = (double)(n - (size_t)h);
    out->stat_hln = out->stat * (sqrt(nh * (nh + 1.0)) / dn);
    out->p = 2.0 * vn__t_sf(fabs(out->stat_hln), dn - 1.0);
    return VN_OK;
}

/* ---- Holm ----------------------------------------------------------------------------- */

vn_status vn__holm(const double *p, size_t n, double *adj)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += !isnan(p[i]);
    if (m == 0) {
        for (size_t i = 0; i < n; i++)
            adj[i] = p[i];
        return VN_OK;
    }
    /* (p, index) pairs sorted by the stable merge sort of sort.c (qsort would allocate
     * behind the hook): ascending p, ties in index order. */
    vn__pair *const buf = vn__pair_alloc(m);
    if (!buf)
        return VN_ERR_NOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]))
            buf[j++] = (vn__pair){p[i], (double)i};
    const vn__pair *const sorted = vn__pair_sort(buf, buf + m, m);
    /* Everything is read; adj may alias p from here on. NaN entries stay as they are. */
    for (size_t i = 0; i < n; i++)
        if (isnan(p[i]))
            adj[i] = p[i];
    double run = 0.0;
    for (j = 0; j < m; j++) {
        const double v = (double)(m - j) * sorted[j].a;
        if (v > run)
            run = v;
        adj[(size_t)sorted[j].b] = run < 1.0 ? run : 1.0;
    }
    vn__free(buf);
    return VN_OK;
}

/* ---- incomplete gamma, chi-square, F, Kolmogorov–Smirnov ------------------------------
 * For drift (drift.c) and the residual diagnostics (diagnose.c). Sources: DLMF 8.7.1,
 * 8.9.2 and 8.11.4 (the series and the continued fraction of the incomplete gamma
 * function); DLMF 8.17 and §26.5 of Abramowitz & Stegun for the F distribution through
 * I_x; Kolmogorov (1933) and Smirnov (1939) for the limit law; Hodges (1958), Ark. Mat. 3,
 * 469–486, for the exact two-sample distribution by lattice paths. */

/* x^a e^−x / Γ(a), in long double from lgamma_r (thread-safe, unlike lgamma). */
static ld gamma_prefix(double a, double x)
{
    int sign;
    const double lg = lgamma_r(a, &sign);
    return expl((ld)a * logl((ld)x) - (ld)x - (ld)lg);
}

double vn__gamma_q(double a, double x)
{
    if (isnan(a) || isnan(x) || !(a > 0) || x < 0 || isinf(a))
        return NAN;
    if (x == 0)
        return 1.0;
    if (isinf(x))
        return 0.0;
    const ld eps = 1e-19L;
    if (x < a + 1.0) {
        /* P(a,x) = x^a e^−x / Γ(a) · Σ_{k>=0} x^k / (a (a+1) … (a+k)) */
        ld term = 1.0L / a, sum = term;
        for (int k = 1; k < 100000; k++) {
            term *= (ld)x / ((ld)a + k);
            sum += term;
            if (term < sum * eps)
                break;
        }
        const ld p = gamma_prefix(a, x) * sum;
        return p >= 1 ? 0.0 : (double)(1 - p);
    }
    /* Q(a,x) = x^a e^−x / Γ(a) · 1/(x+1−a− 1(1−a)/(x+3−a− 2(2−a)/(x+5−a− …))), Lentz */
    const ld tiny = 1e-4000L;
    ld b = (ld)x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int k = 1; k < 100000; k++) {
        const ld an = -(ld)k * ((ld)k - a);
        b += 2;
        d = an * d + b;
        if (fabsl(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (fabsl(c) < tiny)
            c = tiny;
        d = 1 / d;
        const ld del = d * c;
        h *= del;
        if (fabsl(del - 1) < eps)
            break;
    }
    const ld q = gamma_prefix(a, x) * h;
    return q > 1 ? 1.0 : (double)q;
}

double vn__chi2_sf(double x, double k)
{
    if (isnan(x) || isnan(k) || !(k > 0))
        return NAN;
    if (x <= 0)
        return 1.0;
    return vn__gamma_q(0.5 * k, 0.5 * x);
}

double vn__f_sf(double f, double d1, double d2)
{
    if (isnan(f) || isnan(d1) || isnan(d2) || !(d1 > 0) || !(d2 > 0))
        return NAN;
    if (f <= 0)
        return 1.0;
    if (isinf(f))
        return 0.0;
    /* P(F > f) = I_x(d2/2, d1/2), x = d2/(d2 + d1 f); vn__beta_inc takes the side of the
     * symmetry where it is accurate, so no complement is formed here (1 − I would cancel
     * for a tiny tail with x > ½) */
    return vn__beta_inc(0.5 * d2, 0.5 * d1, d2 / (d2 + d1 * f));
}

double vn__kolmogorov_sf(double l)
{
    if (isnan(l))
        return NAN;
    if (l <= 0)
        return 1.0;
    if (l < 1) {
        const ld w = (ld)M_PI * M_PI / (8.0L * l * l);
        ld s = 0;
        for (int k = 1; k < 100; k++) {
            const ld t = expl(-(ld)(2 * k - 1) * (2 * k - 1) * w);
            s += t;
            if (t <= s * 1e-20L)
                break;
        }
        const ld p = sqrtl(2.0L * (ld)M_PI) / l * s;
        return p >= 1 ? 0.0 : (double)(1 - p);
    }
    ld s = 0;
    for (int k = 1; k < 100; k++) {
        const ld t = expl(-2.0L * k * k * (ld)l * l);
        s += k % 2 ? t : -t;
        if (t <= fabsl(s) * 1e-20L)
            break;
    }
    const ld q = 2 * s;
    return q > 1 ? 1.0 : q < 0 ? 0.0 : (double)q;
}

double vn__ks2_exact_p(uint64_t m, uint64_t n, uint64_t dmn)
{
    if (m == 0 || n == 0)
        return NAN;
    if (dmn == 0)
        return 1.0;
    ld *T = vn__malloc(((size_t)n + 1) * sizeof *T);
    if (!T)
        return NAN;
    /* row 0: T(0,0) = 0; along i = 0 a path stays inside until j·m >= dmn */
    for (uint64_t j = 0; j <= n; j++)
        T[j] = j * m >= dmn ? 1 : 0;
    uint64_t lo_prev = 0;
    for (uint64_t i = 1; i <= m; i++) {
        const uint64_t in = i * n;
        /* the band of row i: |i·n − j·m| < dmn  <=>  (in − dmn)/m < j < (in + dmn)/m */
        const uint64_t jlo = in >= dmn ? (in - dmn) / m + 1 : 0;
        uint64_t jhi = (in + dmn - 1) / m;
        if (jhi > n)
            jhi = n;
        /* the band only moves right: what it leaves behind is beyond the boundary */
        for (uint64_t j = lo_prev; j < jlo && j <= n; j++)
            T[j] = 1;
        if (jlo > lo_prev)
            lo_prev = jlo;
        for (uint64_t j = jlo; j <= jhi; j++) {
            const ld left = j ? T[j - 1] : 0;
            T[j] = ((ld)i * T[j] + (ld)j * left) / (ld)(i + j);
        }
    }
    const double p = (double)T[n];
    vn__free(T);
    return p;
}
