/*
 * test_stats.c — unit tests of the comparison statistics (src/stats.c; contracts in
 * src/stats.h): the Student t tail, the incomplete beta function, the Diebold–Mariano
 * test and Holm's adjustment.
 *
 * Oracles, all independent of the code under test:
 *  - closed forms written here (t with 1 and 2 degrees of freedom, the two-sided t
 *    probability for 5 degrees of freedom from A&S 26.7.3, I_x for a or b = 1, the
 *    arcsine law) and small cases derived by hand (the derivation is in the comments);
 *  - a published worked example: the README and test suite of the Python package
 *    "dieboldmariano" (E. Annunziata, https://github.com/edoannunziata/dieboldmariano,
 *    PyPI dieboldmariano 0.1), an independent implementation of the same HLN-corrected
 *    test (rectangular long-run variance, 1/n autocovariances, Student t with n − 1 df);
 *  - tests/unit/stats_cases.txt, written by gen_stats_cases.py: scipy.stats.t.sf and
 *    scipy.special.betainc, 60-digit mpmath values of both, a numpy/math.fsum DM and a
 *    literal Holm; the DM series are rebuilt here from seeds.
 * Runs with cwd = the repository root.
 */
#include "internal.h"
#include "stats.h"
#include "unit.h"

#include "alloc_hook.h"

#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#define FIXTURE "tests/unit/stats_cases.txt"

/* Tolerances. Against the correctly rounded mpmath value: measured ~3e-16 where long
 * double is x87 extended (or binary128); with a 53-bit long double the power terms lose
 * ~|ln P|·ε in the far tail (up to ~2e-13 near 1e-300), so the bound is looser there.
 * Against scipy: 1e-12 (scipy's own error reaches ~1e-13 in the tails). */
#if LDBL_MANT_DIG >= 64
#define TOL_MP 2e-15
#else
#define TOL_MP 5e-13
#endif
#define TOL_SCIPY 1e-12

/* ---- helpers ------------------------------------------------------------------------ */

/* relative, except that results below DBL_MIN are compared on the scale of DBL_MIN */
static double rel_err(double got, double want)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want) ? 0.0 : INFINITY;
    if (got == want)
        return 0.0;
    return fabs(got - want) / fmax(fabs(want), DBL_MIN);
}

/* splitmix64, mirrored by gen_stats_cases.py */
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

static double rng_uniform(rng64 *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t hash_bits(const double *v, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, &v[i], sizeof b);
        h = h * 0x100000001B3u + b;
    }
    return h;
}

/* Two-sided P(|T| > t) for 5 degrees of freedom, A&S 26.7.3:
 * P(|T| < t) = (2/π)[θ + sinθ cosθ (1 + (2/3) cos²θ)], θ = atan(t/√5). */
static double t5_two_sided(double t)
{
    const double th = atan(fabs(t) / sqrt(5.0)), c = cos(th), s = sin(th);
    return 1.0 - 2.0 / M_PI * (th + s * c * (1.0 + 2.0 / 3.0 * c * c));
}

/* Two-sided P(|T| > t) for 4 degrees of freedom, A&S 26.7.3:
 * P(|T| < t) = sinθ (1 + ½ cos²θ), θ = atan(t/2). */
static double t4_two_sided(double t)
{
    const double th = atan(fabs(t) / 2.0), c = cos(th);
    return 1.0 - sin(th) * (1.0 + 0.5 * c * c);
}

/* ---- Student t and incomplete beta: closed forms and special values ------------------- */

static void test_t_closed_forms(void)
{
    /* df = 1 (Cauchy): P(T > t) = atan(1/t)/π for t > 0; df = 2: with s = √(2 + t²),
     * P(T > t) = ½(1 − t/s) = 1/(s(s + t)) (the second form has no cancellation). */
    const double ts[] = {1e-6, 0.1, 0.5, 1, 2, 3.5, 10, 123.25, 1e3, 1e5, 1e6};
    double worst1 = 0, worst2 = 0;
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        const double t = ts[i], s = sqrt(2 + t * t);
        worst1 = fmax(worst1, rel_err(vn__t_sf(t, 1), atan(1 / t) / M_PI));
        worst2 = fmax(worst2, rel_err(vn__t_sf(t, 2), 1 / (s * (s + t))));
        /* P(T > −t) = 1 − P(T > t) */
        CHECKF(fabs(vn__t_sf(-t, 1) + vn__t_sf(t, 1) - 1) <= 2 * DBL_EPSILON, "t=%g", t);
        CHECKF(fabs(vn__t_sf(-t, 7.5) + vn__t_sf(t, 7.5) - 1) <= 2 * DBL_EPSILON, "t=%g", t);
    }
    CHECKF(worst1 <= 1e-15, "df=1: %.3g", worst1);
    CHECKF(worst2 <= 1e-15, "df=2: %.3g", worst2);
    /* t = 1 exactly: the Cauchy tail is 1/4 */
    CHECKF(unit_close(vn__t_sf(1, 1), 0.25, 1e-16), "%.17g", vn__t_sf(1, 1));
    /* the normal: Φc(1) = 0.158655253931457051414767454367962077522087033273395609012605 */
    CHECKF(unit_close(vn__t_sf(1, INFINITY), 0.15865525393145705, 2e-16), "%.17g",
           vn__t_sf(1, INFINITY));
    /* special values */
    CHECK(vn__t_sf(0, 3) == 0.5 && vn__t_sf(-0.0, 1e9) == 0.5 && vn__t_sf(0, INFINITY) == 0.5);
    CHECK(vn__t_sf(INFINITY, 3) == 0 && vn__t_sf(-INFINITY, 3) == 1);
    CHECK(vn__t_sf(INFINITY, INFINITY) == 0 && vn__t_sf(-INFINITY, INFINITY) == 1);
    CHECK(isnan(vn__t_sf(NAN, 3)) && isnan(vn__t_sf(1, NAN)) && isnan(vn__t_sf(1, 0)) &&
          isnan(vn__t_sf(1, -2)));
    /* df -> 0: all mass escapes to ±inf, P(T > t) -> ½ (also for the smallest subnormal
     * df, where df/2 rounds to 0) */
    CHECK(vn__t_sf(1, 1e-320) == 0.5 && vn__t_sf(1, 0x1p-1074) == 0.5 &&
          vn__t_sf(-1, 0x1p-1074) == 0.5);
    /* monotone in t across the switch of the continued fraction (t² ≈ 3 for large df) */
    for (int k = 0; k < 3; k++) {
        const double df = k == 0 ? 4 : k == 1 ? 1e3 : 1e9;
        double prev = 1;
        int mono = 1;
        for (double t = 0; t <= 4; t += 1.0 / 64) {
            const double q = vn__t_sf(t, df);
            mono &= q <= prev;
            prev = q;
        }
        CHECKF(mono, "df=%g: not monotone", df);
    }
}

static void test_beta_closed_forms(void)
{
    /* I_x(1,1) = x; I_x(a,1) = x^a; I_x(1,b) = 1 − (1−x)^b; I_x(½,½) = (2/π) asin √x */
    const double xs[] = {1e-12, 0.01, 0.25, 0.5, 0.7, 0.99};
    double worst = 0;
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        const double x = xs[i];
        worst = fmax(worst, rel_err(vn__beta_inc(1, 1, x), x));
        worst = fmax(worst, rel_err(vn__beta_inc(3.5, 1, x), pow(x, 3.5)));
        worst = fmax(worst, rel_err(vn__beta_inc(1, 4, x), -expm1(4 * log1p(-x))));
        worst = fmax(worst, rel_err(vn__beta_inc(0.5, 0.5, x), 2 / M_PI * asin(sqrt(x))));
    }
    CHECKF(worst <= 1e-15, "closed forms: %.3g", worst);
    /* I_0.4(2,3) = P(at least 2 successes in 4 trials of p = 0.4)
     *           = 6(.16)(.36) + 4(.064)(.6) + .0256 = .3456 + .1536 + .0256 = .5248 */
    CHECKF(unit_close(vn__beta_inc(2, 3, 0.4), 0.5248, 4e-16), "%.17g", vn__beta_inc(2, 3, 0.4));
    /* the ends and the domain */
    CHECK(vn__beta_inc(2, 3, 0) == 0 && vn__beta_inc(2, 3, 1) == 1);
    CHECK(isnan(vn__beta_inc(0, 1, 0.5)) && isnan(vn__beta_inc(1, -1, 0.5)) &&
          isnan(vn__beta_inc(1, 1, -0.1)) && isnan(vn__beta_inc(1, 1, 1.1)) &&
          isnan(vn__beta_inc(NAN, 1, 0.5)) && isnan(vn__beta_inc(1, 1, NAN)) &&
          isnan(vn__beta_inc(INFINITY, 1, 0.5)));
}

/* ---- the fixture: t, beta, DM, Holm ---------------------------------------------------- */



/* Mirrors dm_series() in gen_stats_cases.py. */
static void dm_series(int kind, size_t n, int h, uint64_t seed, double *d)
{
    rng64 r = {seed};
    const size_t ne = n + (size_t)h - 1;
    double *e = malloc(ne * sizeof *e);
    if (!e) {
        fprintf(stderr, "test_stats: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < ne; i++)
        e[i] = rng_uniform(&r) - 0.5;
    for (size_t t = 0; t < n; t++) {
        if (kind == 0) {
            double s = e[t];
            for (int j = 1; j < h; j++)
                s = s + e[t + (size_t)j];
            d[t] = 0.3 + 2.0 * s;
        } else if (kind == 1) {
            const double sgn = t % 2 == 0 ? 1.0 : -1.0;
            d[t] = 0.05 + sgn + 1.75 * e[t];
        } else {
            d[t] = 0.1 + e[t];
        }
    }
    free(e);
}

typedef struct tally {
    int n, bad, scipy_off;
    double worst_mp, worst_scipy;
} tally;

/* Checks one value against mpmath (TOL_MP) and scipy (TOL_SCIPY). Where scipy itself is
 * further than TOL_SCIPY from mpmath (scipy 1.10's betainc loses up to ~8e-7 for
 * parameters near 1e6, e.g. I_½(1e6, 1e6) = ½ exactly comes out as 0.49999961), scipy is
 * no oracle and only counted. */
static void check_fn(tally *ty, const char *what, const double *args, int nargs, double got,
                     double sp, double mpv)
{
    const double em = rel_err(got, mpv);
    const bool scipy_ok = rel_err(sp, mpv) <= TOL_SCIPY;
    const double es = scipy_ok ? rel_err(got, sp) : 0.0;
    ty->n++;
    ty->scipy_off += !scipy_ok;
    ty->worst_mp = fmax(ty->worst_mp, em);
    ty->worst_scipy = fmax(ty->worst_scipy, es);
    if (em > TOL_MP || es > TOL_SCIPY) {
        ty->bad++;
        fprintf(stderr, "%s(", what);
        for (int i = 0; i < nargs; i++)
            fprintf(stderr, "%s%.17g", i ? ", " : "", args[i]);
        fprintf(stderr, ") = %.17g; mpmath %.17g (%.2g), scipy %.17g (%.2g)\n", got, mpv, em, sp,
                es);
    }
}

static void test_fixture(void)
{
    FILE *fp = fopen(FIXTURE, "r");
    CHECKF(fp != NULL, "cannot open %s (run from the repository root)", FIXTURE);
    if (!fp)
        return;
    char *line = NULL;
    size_t cap = 0;
    tally tt = {0, 0, 0, 0, 0}, tb = {0, 0, 0, 0, 0};
    int parse_bad = 0, ndm = 0, dm_bad = 0, regen_bad = 0, nbart = 0, nholm = 0, holm_bad = 0;
    double dm_worst = 0;
    while (getline(&line, &cap, fp) > 0) {
        if (line[0] == '#')
            continue;
        char *save = NULL;
        const char *kind = strtok_r(line, " \n", &save);
        if (!kind) {
            parse_bad++;
        } else if (strcmp(kind, "t") == 0) {
            double v[4];
            if (!unit_read_doubles(&save, v, 4)) {
                parse_bad++;
                continue;
            }
            check_fn(&tt, "t_sf", v, 2, vn__t_sf(v[0], v[1]), v[2], v[3]);
        } else if (strcmp(kind, "b") == 0) {
            double v[5];
            if (!unit_read_doubles(&save, v, 5)) {
                parse_bad++;
                continue;
            }
            check_fn(&tb, "beta_inc", v, 3, vn__beta_inc(v[0], v[1], v[2]), v[3], v[4]);
        } else if (strcmp(kind, "dm") == 0) {
            /* dm <id> <kind> <n> <h> <seed> <hash> <mean> <var> <stat> <stat_hln> <p> <b> */
            unsigned long long f[6];
            int ok = 1;
            for (int i = 0; i < 6 && ok; i++) {
                const char *t = unit_next_tok(&save);
                ok = t != NULL;
                if (ok)
                    f[i] = strtoull(t, NULL, 10);
            }
            double want[6];
            if (!ok || !unit_read_doubles(&save, want, 6)) {
                parse_bad++;
                continue;
            }
            ndm++;
            const size_t n = (size_t)f[2];
            const int h = (int)f[3];
            double *d = malloc(n * sizeof *d);
            if (!d)
                exit(2);
            dm_series((int)f[1], n, h, f[4], d);
            if (hash_bits(d, n) != f[5]) {
                regen_bad++;
                fprintf(stderr, "dm case %llu: series differs from the generator's\n", f[0]);
                free(d);
                continue;
            }
            vn__dm r;
            char err[128] = "";
            const vn_status st = vn__dm_test(d, n, h, &r, err, sizeof err);
            const double got[5] = {r.mean, r.var, r.stat, r.stat_hln, r.p};
            double e = 0;
            for (int i = 0; i < 5; i++)
                e = fmax(e, rel_err(got[i], want[i]));
            dm_worst = fmax(dm_worst, e);
            nbart += r.bartlett;
            if (st != VN_OK || e > 1e-12 || r.bartlett != (int)want[5] || r.n != n || r.h != h) {
                dm_bad++;
                fprintf(stderr,
                        "dm case %llu (kind %llu, n %zu, h %d): status %d, rel. error %.3g, "
                        "bartlett %d vs %g\n",
                        f[0], f[1], n, h, (int)st, e, r.bartlett, want[5]);
            }
            free(d);
        } else if (strcmp(kind, "holm") == 0) {
            /* holm <id> <n> <p...> A <adj...> */
            const char *id = unit_next_tok(&save), *nt = unit_next_tok(&save);
            if (!id || !nt) {
                parse_bad++;
                continue;
            }
            const size_t n = (size_t)strtoul(nt, NULL, 10);
            double *p = malloc(3 * n * sizeof *p + 1);
            if (!p)
                exit(2);
            double *want = p + n, *adj = p + 2 * n;
            const char *a = NULL;
            if (!unit_read_doubles(&save, p, n) || !(a = unit_next_tok(&save)) || strcmp(a, "A") != 0 ||
                !unit_read_doubles(&save, want, n)) {
                parse_bad++;
                free(p);
                continue;
            }
            nholm++;
            int same = vn__holm(p, n, adj) == VN_OK;
            for (size_t i = 0; i < n; i++)
                same &= unit_same(adj[i], want[i]) || (isnan(adj[i]) && isnan(want[i]));
            /* in place (adj aliasing p) gives the same */
            double *q = malloc(n * sizeof *q + 1);
            if (!q)
                exit(2);
            memcpy(q, p, n * sizeof *q);
            same &= vn__holm(q, n, q) == VN_OK;
            for (size_t i = 0; i < n; i++)
                same &= unit_same(q[i], want[i]) || (isnan(q[i]) && isnan(want[i]));
            if (!same) {
                holm_bad++;
                fprintf(stderr, "holm case %s differs\n", id);
            }
            free(q);
            free(p);
        } else {
            parse_bad++;
        }
    }
    free(line);
    fclose(fp);
    printf("fixture: t_sf %d points, max rel. error vs mpmath %.2g, vs scipy %.2g (%d points "
           "where scipy is off); beta_inc %d points, vs mpmath %.2g, vs scipy %.2g (%d); "
           "DM %d cases (%d Bartlett), max rel. difference %.2g; Holm %d cases\n",
           tt.n, tt.worst_mp, tt.worst_scipy, tt.scipy_off, tb.n, tb.worst_mp, tb.worst_scipy,
           tb.scipy_off, ndm, nbart, dm_worst, nholm);
    CHECKF(parse_bad == 0, "%d malformed lines", parse_bad);
    CHECKF(tt.n >= 500 && tt.bad == 0, "t_sf: %d of %d points out of tolerance", tt.bad, tt.n);
    CHECKF(tb.n >= 1500 && tb.bad == 0, "beta_inc: %d of %d points out of tolerance", tb.bad,
           tb.n);
    CHECKF(ndm >= 40 && regen_bad == 0 && dm_bad == 0, "DM: %d cases, %d not rebuilt, %d differ",
           ndm, regen_bad, dm_bad);
    CHECKF(nbart >= 6, "only %d DM cases exercise the Bartlett fallback", nbart);
    CHECKF(nholm >= 15 && holm_bad == 0, "Holm: %d of %d cases differ", holm_bad, nholm);
}

/* ---- Diebold–Mariano: by hand, published, edge cases ----------------------------------- */

static void test_dm_hand(void)
{
    /* d = {1, 3, −1, 5, 3, 1}, n = 6: Σd = 12, d̄ = 2; deviations e = {−1, 1, −3, 3, 1, −1}.
     * gamma_0 = (1 + 1 + 9 + 9 + 1 + 1)/6 = 22/6 = 11/3.
     * gamma_1 = (e1e0 + e2e1 + e3e2 + e4e3 + e5e4)/6 = (−1 − 3 − 9 + 3 − 1)/6 = −11/6.
     *
     * h = 1: var = gamma_0 = 11/3; DM = 2 / sqrt((11/3)/6) = 2 sqrt(18/11) = 2.5584085962673253;
     * HLN factor sqrt((6 + 1 − 2 + 0)/6) = sqrt(5/6): stat_hln = 2 sqrt(15/11) = 2.3354968...;
     * p = P(|T_5| > 2 sqrt(15/11)).
     *
     * h = 2: rectangular gamma_0 + 2 gamma_1 = 11/3 − 11/3 = 0, not > 0 (exactly 0 in binary
     * too: 2·fl(−11/6) = −fl(22/6)), so the Bartlett weight 1 − 1/2 applies:
     * var = 11/3 − 11/6 = 11/6; DM = 2 / sqrt((11/6)/6) = 12/sqrt(11) = 3.6181361349331636;
     * HLN factor sqrt((6 + 1 − 4 + 2/6)/6) = sqrt(20/36): stat_hln = 2 sqrt(20/11) = 2.6967994...;
     * p = P(|T_5| > 2 sqrt(20/11)). */
    const double d[] = {1, 3, -1, 5, 3, 1};
    vn__dm r;
    char err[128] = "";
    CHECK(vn__dm_test(d, 6, 1, &r, err, sizeof err) == VN_OK);
    CHECK(r.mean == 2 && r.n == 6 && r.h == 1 && r.bartlett == 0);
    CHECKF(unit_close(r.var, 11.0 / 3, 1e-15), "%.17g", r.var);
    CHECKF(unit_close(r.stat, 2 * sqrt(18.0 / 11), 1e-15), "%.17g", r.stat);
    CHECKF(unit_close(r.stat_hln, 2 * sqrt(15.0 / 11), 1e-15), "%.17g", r.stat_hln);
    CHECKF(unit_close(r.p, t5_two_sided(2 * sqrt(15.0 / 11)), 1e-14), "%.17g vs %.17g", r.p,
           t5_two_sided(2 * sqrt(15.0 / 11)));

    CHECK(vn__dm_test(d, 6, 2, &r, err, sizeof err) == VN_OK);
    CHECK(r.mean == 2 && r.h == 2 && r.bartlett == 1);
    CHECKF(unit_close(r.var, 11.0 / 6, 1e-15), "%.17g", r.var);
    CHECKF(unit_close(r.stat, 12 / sqrt(11.0), 1e-15), "%.17g", r.stat);
    CHECKF(unit_close(r.stat_hln, 2 * sqrt(20.0 / 11), 1e-15), "%.17g", r.stat_hln);
    CHECKF(unit_close(r.p, t5_two_sided(2 * sqrt(20.0 / 11)), 1e-14), "%.17g vs %.17g", r.p,
           t5_two_sided(2 * sqrt(20.0 / 11)));

    /* The smallest case, n = 2, h = 1: d = {1, 3}, d̄ = 2, gamma_0 = (1 + 1)/2 = 1,
     * DM = 2/sqrt(1/2) = 2√2, HLN factor sqrt((2 + 1 − 2)/2) = sqrt(1/2): stat_hln = 2;
     * p = 2 P(T_1 > 2) = 2 atan(1/2)/π. */
    const double d2[] = {1, 3};
    CHECK(vn__dm_test(d2, 2, 1, &r, err, sizeof err) == VN_OK);
    CHECKF(unit_close(r.stat, 2 * M_SQRT2, 1e-15) && unit_close(r.stat_hln, 2, 1e-15),
           "%.17g %.17g", r.stat, r.stat_hln);
    CHECKF(unit_close(r.p, 2 * atan(0.5) / M_PI, 1e-15), "%.17g", r.p);
    /* the sign follows d̄: negate d */
    const double d3[] = {-1, -3};
    CHECK(vn__dm_test(d3, 2, 1, &r, err, sizeof err) == VN_OK);
    CHECK(unit_close(r.stat_hln, -2, 1e-15) && unit_close(r.p, 2 * atan(0.5) / M_PI, 1e-15));
}

static void test_dm_published(void)
{
    /* dieboldmariano README ("Code example"): T = [10,20,30,40,50], F = [11,21,29,42,53],
     * G = [13,26,24,40,59], squared error, h = 1:
     *   dm_test(T, F, G, one_sided=True) -> (-2.2229922805746782, 0.04515565862099125)
     * d = (T−F)² − (T−G)² = {1−9, 1−36, 1−36, 4−0, 9−81} = {−8, −35, −35, 4, −72}.
     * Its one-sided p (stat < 0) is half the two-sided one. The package stops its
     * continued fraction at 1e-10, so its p carries ~10 digits; the statistic is the same
     * arithmetic up to rounding order. The closed form for 4 df (A&S 26.7.3) checks p
     * to full precision. */
    {
        const double d[] = {-8, -35, -35, 4, -72};
        vn__dm r;
        char err[128];
        CHECK(vn__dm_test(d, 5, 1, &r, err, sizeof err) == VN_OK);
        CHECKF(unit_close(r.stat_hln, -2.2229922805746782, 1e-14), "%.17g", r.stat_hln);
        CHECKF(unit_close(r.p, 2 * 0.04515565862099125, 1e-9), "%.17g", r.p);
        CHECKF(unit_close(r.p, t4_two_sided(r.stat_hln), 1e-14), "%.17g vs %.17g", r.p,
               t4_two_sided(r.stat_hln));
    }
    /* dieboldmariano tests/dieboldmarianotest.py, test_diebold_mariano_1: V = 0s,
     * P1 = [0,1,2,3,4,5], P2 = [0,2,3,3,5,6], squared error, h = 1, two-sided:
     * stat -2.4905, p 0.05513 (assertAlmostEqual, places=4: within 5e-5).
     * d = P1² − P2² = {0, −3, −5, 0, −9, −11}. p also against the 5-df closed form. */
    {
        const double d[] = {0, -3, -5, 0, -9, -11};
        vn__dm r;
        char err[128];
        CHECK(vn__dm_test(d, 6, 1, &r, err, sizeof err) == VN_OK);
        CHECKF(fabs(r.stat_hln - -2.4905) < 5e-5, "%.17g", r.stat_hln);
        CHECKF(fabs(r.p - 0.05513) < 5e-5, "%.17g", r.p);
        CHECKF(unit_close(r.p, t5_two_sided(r.stat_hln), 1e-14), "%.17g", r.p);
    }
    /* test_diebold_mariano_2: n = 15, absolute error, h = 3, one-sided: stat 1.2109,
     * p 0.877; for stat > 0 the package's one-sided p is 1 − p2/2, so the two-sided
     * p2 = 2(1 − 0.877) = 0.246 (to 1e-4 of the one-sided value: 2e-4 here). The
     * rectangular estimate is positive here (gamma_0 + 2 gamma_1 + 2 gamma_2 = 0.0413), as
     * the package requires. d = |P1| − |P2|. */
    {
        static const double p1[15] = {
            0.3675225224615024,  0.5450608127223211, 0.22044990720021074, 0.8688743471040006,
            0.6072512228948467,  0.8582283746501538, 0.41662295816718187, 0.3812100211114714,
            0.7185133356116706,  0.30827323290318875, 0.4297093624074402, 0.8615974488577858,
            0.7240514514808826,  0.3450839595261038, 0.19675301374013598};
        static const double p2[15] = {
            0.12794132529988733, 0.3679643204341153,  0.768715420996091,   0.09972248964114683,
            0.27197653636654284, 0.28797629010039505, 0.9160213458582482,  0.6112628048698798,
            0.5452873235576241,  0.06785907231746158, 0.6072666485541124,  0.6241575753989782,
            0.39998026828867217, 0.19895665605941748, 0.8094941215215619};
        double d[15];
        for (int i = 0; i < 15; i++)
            d[i] = fabs(p1[i]) - fabs(p2[i]);
        vn__dm r;
        char err[128];
        CHECK(vn__dm_test(d, 15, 3, &r, err, sizeof err) == VN_OK);
        CHECK(r.bartlett == 0);
        CHECKF(fabs(r.stat_hln - 1.2109) < 5e-5, "%.17g", r.stat_hln);
        CHECKF(fabs((1 - r.p / 2) - 0.877) < 5e-5, "%.17g", r.p);
    }
}

static void test_dm_edges(void)
{
    const double d[] = {1, 2, 4, 8};
    vn__dm r;
    char err[128];
    /* usage errors, each with a message; *out is NaN-filled with n and h */
    err[0] = '\0';
    CHECK(vn__dm_test(d, 4, 0, &r, err, sizeof err) == VN_ERR_USAGE && err[0] != '\0');
    CHECK(isnan(r.stat) && isnan(r.p) && r.n == 4 && r.h == 0);
    err[0] = '\0';
    CHECK(vn__dm_test(d, 4, -3, &r, err, sizeof err) == VN_ERR_USAGE && err[0] != '\0');
    err[0] = '\0';
    CHECK(vn__dm_test(d, 1, 1, &r, err, sizeof err) == VN_ERR_USAGE && err[0] != '\0');
    err[0] = '\0';
    CHECK(vn__dm_test(d, 0, 1, &r, err, sizeof err) == VN_ERR_USAGE && err[0] != '\0');
    err[0] = '\0';
    CHECK(vn__dm_test(d, 4, 4, &r, err, sizeof err) == VN_ERR_USAGE && err[0] != '\0');
    CHECK(vn__dm_test(d, 4, 9, &r, err, sizeof err) == VN_ERR_USAGE);
    CHECK(vn__dm_test(d, 4, 4, &r, NULL, 0) == VN_ERR_USAGE); /* no buffer: still fine */
    /* h = n − 1 is allowed */
    CHECK(vn__dm_test(d, 4, 3, &r, err, sizeof err) == VN_OK && isfinite(r.stat) &&
          r.p >= 0 && r.p <= 1);

    /* all equal: the variance is exactly 0, even where the computed mean of the values
     * would not reproduce them (3 × 0.1 sums to 0.30000000000000004 before / 3) */
    const double c[] = {0.1, 0.1, 0.1};
    CHECK(vn__dm_test(c, 3, 1, &r, err, sizeof err) == VN_OK);
    CHECK(r.mean == 0.1 && r.var == 0 && r.stat == INFINITY && r.stat_hln == INFINITY &&
          r.p == 0 && r.bartlett == 0);
    const double cn[] = {-2.5, -2.5, -2.5, -2.5, -2.5};
    CHECK(vn__dm_test(cn, 5, 2, &r, err, sizeof err) == VN_OK);
    CHECK(r.mean == -2.5 && r.var == 0 && r.stat == -INFINITY && r.p == 0 && r.bartlett == 0);
    /* all zero: 0/0, no evidence either way: stat NaN, p = 1 */
    const double z[] = {0, -0.0, 0, 0};
    CHECK(vn__dm_test(z, 4, 1, &r, err, sizeof err) == VN_OK);
    CHECK(r.mean == 0 && r.var == 0 && isnan(r.stat) && isnan(r.stat_hln) && r.p == 1);
    /* a NaN in d propagates (the caller filters non-finite rows) */
    const double bad[] = {1, NAN, 2, 3};
    CHECK(vn__dm_test(bad, 4, 1, &r, err, sizeof err) == VN_OK && isnan(r.stat) && isnan(r.p));
    /* a zero mean with spread: stat 0, p 1 */
    const double sym[] = {1, -1, -1, 1};
    CHECK(vn__dm_test(sym, 4, 1, &r, err, sizeof err) == VN_OK && r.stat == 0 && r.p == 1);
}

/* ---- Holm ------------------------------------------------------------------------------ */

static void test_holm_small(void)
{
    /* p = {.01, .04, .03, .005}, m = 4: sorted .005, .01, .03, .04 times 4, 3, 2, 1 =
     * .02, .03, .06, .04; running max .02, .03, .06, .06. Back in input order:
     * {.03, .06, .06, .02}. */
    const double p[] = {0.01, 0.04, 0.03, 0.005};
    double adj[4];
    CHECK(vn__holm(p, 4, adj) == VN_OK);
    CHECKF(adj[0] == 3 * 0.01 && adj[1] == 2 * 0.03 && adj[2] == 2 * 0.03 && adj[3] == 4 * 0.005,
           "%.17g %.17g %.17g %.17g", adj[0], adj[1], adj[2], adj[3]);
    /* NaN is not in the family: {NaN, .2, .01} is a family of m = 2: .01·2 = .02,
     * .2·1 = .2 */
    const double q[] = {NAN, 0.2, 0.01};
    double aq[3];
    CHECK(vn__holm(q, 3, aq) == VN_OK);
    CHECK(isnan(aq[0]) && aq[1] == 0.2 && aq[2] == 2 * 0.01);
    /* cap at 1, and n = 0 */
    const double big[] = {0.6, 0.7};
    double ab[2];
    CHECK(vn__holm(big, 2, ab) == VN_OK && ab[0] == 1 && ab[1] == 1);
    CHECK(vn__holm(NULL, 0, NULL) == VN_OK);
}

static void test_holm_nomem(void)
{
    const double p[] = {0.01, 0.04, 0.03, 0.005, NAN};
    double adj[5] = {-1, -1, -1, -1, -1};
    vn_set_allocator(hook, NULL);
    calls = 0;
    live = 0;
    fail_at = 1;
    CHECK(vn__holm(p, 5, adj) == VN_ERR_NOMEM);
    CHECK(adj[0] == -1 && adj[4] == -1); /* untouched */
    fail_at = -1;
    CHECK(vn__holm(p, 5, adj) == VN_OK && adj[3] == 4 * 0.005 && isnan(adj[4]));
    CHECK(live == 0);
    /* the all-NaN family allocates nothing */
    const double nn[] = {NAN, NAN};
    double an[2];
    calls = 0;
    fail_at = 1;
    CHECK(vn__holm(nn, 2, an) == VN_OK && isnan(an[0]) && isnan(an[1]) && calls == 0);
    fail_at = -1;
    vn_set_allocator(NULL, NULL);
}

int main(void)
{
    RUN(test_t_closed_forms);
    RUN(test_beta_closed_forms);
    RUN(test_dm_hand);
    RUN(test_dm_published);
    RUN(test_dm_edges);
    RUN(test_holm_small);
    RUN(test_holm_nomem);
    RUN(test_fixture);
    return unit_summary("stats");
}
