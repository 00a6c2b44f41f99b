/*
 * ci.c — confidence intervals on every metric: the bootstrap (percentile and BCa,
 * ordinary or moving-block) and analytic intervals (CLT for means of per-row terms, the
 * delta method for rmse, wmape and r2, order statistics for quantiles of |e|).
 *
 * Resamples come from a counter-based generator: the index of draw j of resample r of
 * slice s is a pure function of (seed, s, r, j), so the intervals do not depend on the
 * thread count or on the order resamples are computed in. docs/intervals.md states the
 * generator exactly, and tests/oracle/test_ci.py re-implements it in numpy.
 *
 * Sources: Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 13–14 (the
 * percentile and BCa intervals, the jackknife acceleration); Künsch (1989) for the
 * moving-block bootstrap; the normal quantile by Acklam's rational approximation
 * refined with one Newton step on erfc.
 */
#include "eval.h"
#include "kernels.h"

#include <float.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* ---- the generator ---- */

static uint64_t mix(uint64_t z)
{
    z ^= z >> 30;
    z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 27;
    z *= 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* An integer uniform in [0, n): the high word of z·n (Lemire's multiply-shift). */
static size_t below(uint64_t z, uint64_t n)
{
    return (size_t)(((unsigned __int128)z * n) >> 64);
}

static uint64_t resample_key(uint64_t seed, uint64_t slice_no, uint64_t r)
{
    const uint64_t ks = mix(seed + slice_no * 0x94D049BB133111EBull);
    return mix(ks + (r + 1) * 0x9E3779B97F4A7C15ull);
}

/* The row indices of one resample of n rows into idx[0..n). */
static void draw(uint64_t key, size_t n, size_t block, size_t *idx)
{
    if (block < 2) {
        for (size_t j = 0; j < n; j++)
            idx[j] = below(mix(key + (j + 1) * 0xD1B54A32D192ED03ull), n);
        return;
    }
    const size_t L = block < n ? block : n;
    for (size_t t = 0, j = 0; j < n; t++) {
        const size_t start = below(mix(key + (t + 1) * 0xD1B54A32D192ED03ull), n - L + 1);
        for (size_t k = 0; k < L && j < n; k++)
            idx[j++] = start + k;
    }
}

/* ---- the normal distribution ---- */

double vn__norm_cdf(double x) { return 0.5 * erfc(-x / M_SQRT2); }

/* Φ⁻¹(p): Acklam's approximation (relative error < 1.2e-9), then one Newton step on
 * erfc, which brings it to a few ulps. */
double vn__norm_ppf(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (p <= 0.0)
        return -INFINITY;
    if (p >= 1.0)
        return INFINITY;
    double x;
    if (p < 0.02425) {
        const double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p > 1.0 - 0.02425) {
        const double q = sqrt(-2.0 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else {
        const double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    const double e = vn__norm_cdf(x) - p;
    const double u = e * sqrt(2.0 * M_PI) * exp(0.5 * x * x);
    return x - u / (1.0 + 0.5 * x * u);
}

/* ---- percentiles of the bootstrap distribution ---- */

/* numpy's percentile (linear) of v[0..n) at fraction q, by selection on a copy. */
double vn__sample_quantile(const double *v, size_t n, double q)
{
    double out;
    double *tmp = vn__malloc(n * sizeof *tmp);
    if (!tmp)
        return NAN;
    memcpy(tmp, v, n * sizeof *tmp);
    vn__quantiles_type7(tmp, n, &q, 1, &out);
    vn__free(tmp);
    return out;
}

/* ---- analytic intervals ---- */

/* The per-row term whose weighted mean is the metric, or false if the metric is not
 * such a mean. *use = false leaves the row out (mape/mpe under --zero skip). */
bool vn__row_term(const vn__mspec *ms, const vn__opts *o, double y, double p, double *x,
                  bool *use)
{
    const double e = p - y, q = ms->param[0];
    *use = true;
    switch (ms->kind) {
    case MK_MEAN_ERROR: *x = e; return true;
    case MK_MAE: *x = fabs(e); return true;
    case MK_MSE: case MK_RMSE: *x = e * e; return true;
    case MK_MAPE:
    case MK_MPE: {
        const double ay = fabs(y);
        if (o->zero == VN_ZERO_EPS) {
            const double den = ay > DBL_EPSILON ? ay : DBL_EPSILON;
            *x = ms->kind == MK_MAPE ? 100.0 * (fabs(e) / den)
                                     : 100.0 * (e / (y < 0.0 ? -den : den));
        } else {
            *use = y != 0.0;
            *x = y == 0.0 ? 0.0 : ms->kind == MK_MAPE ? 100.0 * (fabs(e) / ay) : 100.0 * (e / y);
        }
        return true;
    }
    case MK_SMAPE: {
        const double d = fabs(y) + fabs(p);
        *x = d > 0.0 ? 100.0 * (2.0 * fabs(e) / d) : 0.0;
        return true;
    }
    case MK_HUBER: *x = vn__huber(e, q); return true;
    case MK_PSEUDO_HUBER: *x = vn__pseudo_huber(e, q); return true;
    case MK_LOG_COSH: *x = vn__log_cosh(e); return true;
    case MK_PINBALL: *x = -e >= 0.0 ? q * -e : (q - 1.0) * -e; return true;
    case MK_MSLE:
    case MK_RMSLE: {
        const double d = log1p(y) - log1p(p);
        *x = d * d;
        return true;
    }
    case MK_POISSON:
    case MK_GAMMA:
    case MK_TWEEDIE: {
        bool bad = false;
        *x = vn__tweedie_dev(y, p, ms->kind == MK_POISSON ? 1.0 : ms->kind == MK_GAMMA ? 2.0 : q,
                             &bad);
        return true;
    }
    default: return false;
    }
}

/* se of a weighted mean theta of terms x: n/(n−1)·Σw²(x−θ)²/W², over the rows used. */
static bool mean_se(const vn__mspec *ms, const vn__opts *o, const vn__rowset *r, double theta,
                    double *se)
{
    vn__ksum ss = {0, 0}, W = {0, 0};
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        double x;
        bool use;
        if (!vn__row_term(ms, o, r->y[i], r->p[i], &x, &use))
            return false;
        if (!use)
            continue;
        const double d = r->w[i] * (x - theta);
        vn__ksum_add(&ss, d * d);
        vn__ksum_add(&W, r->w[i]);
        n++;
    }
    if (n < 2)
        return false;
    const double w = vn__ksum_get(&W);
    *se = sqrt((double)n / (double)(n - 1) * vn__ksum_get(&ss)) / w;
    return true;
}

/* The analytic interval of one metric, if it has one. */
static bool analytic(const vn__mspec *ms, const vn__opts *o, const vn__rowset *r, double theta,
                     double z, double *lo, double *hi)
{
    const size_t n = r->n;
    double se;
    switch (ms->kind) {
    case MK_RMSE:
    case MK_RMSLE: {
        const double m = theta * theta; /* mse / msle from the point estimate */
        if (!mean_se(ms, o, r, m, &se))
            return false;
        *lo = sqrt(fmax(m - z * se, 0.0));
        *hi = sqrt(m + z * se);
        return true;
    }
    case MK_WMAPE: {
        vn__ksum W = {0, 0}, AY = {0, 0}, ss = {0, 0};
        for (size_t i = 0; i < n; i++) {
            vn__ksum_add(&W, r->w[i]);
            vn__ksum_add(&AY, r->w[i] * fabs(r->y[i]));
        }
        const double w = vn__ksum_get(&W), R = theta / 100.0, may = vn__ksum_get(&AY) / w;
        for (size_t i = 0; i < n; i++) {
            const double u = r->w[i] * (fabs(r->p[i] - r->y[i]) - R * fabs(r->y[i])) / may;
            vn__ksum_add(&ss, u * u);
        }
        if (n < 2)
            return false;
        se = 100.0 * sqrt((double)n / (double)(n - 1) * vn__ksum_get(&ss)) / w;
        break;
    }
    case MK_R2: {
        vn__ksum W = {0, 0}, WY = {0, 0}, A = {0, 0}, B = {0, 0}, ss = {0, 0};
        for (size_t i = 0; i < n; i++) {
            vn__ksum_add(&W, r->w[i]);
            vn__ksum_add(&WY, r->w[i] * r->y[i]);
        }
        const double w = vn__ksum_get(&W), ybar = vn__ksum_get(&WY) / w;
        for (size_t i = 0; i < n; i++) {
            const double e = r->p[i] - r->y[i], d = r->y[i] - ybar;
            vn__ksum_add(&A, r->w[i] * e * e);
            vn__ksum_add(&B, r->w[i] * d * d);
        }
        const double a = vn__ksum_get(&A) / w, b = vn__ksum_get(&B) / w;
        if (n < 2 || b == 0.0)
            return false;
        for (size_t i = 0; i < n; i++) {
            const double e = r->p[i] - r->y[i], d = r->y[i] - ybar;
            const double u = r->w[i] * (-(e * e - a) / b + a / (b * b) * (d * d - b));
            vn__ksum_add(&ss, u * u);
        }
        se = sqrt((double)n / (double)(n - 1) * vn__ksum_get(&ss)) / w;
        break;
    }
    case MK_MEDAE:
    case MK_AEQ: {
        if (r->weighted || n < 1)
            return false;
        const double q = ms->kind == MK_MEDAE ? 0.5 : ms->param[0];
        const double half = z * sqrt((double)n * q * (1.0 - q));
        double klo = floor((double)n * q - half), khi = ceil((double)n * q + half);
        klo = klo < 1 ? 1 : klo;
        khi = khi > (double)n ? (double)n : khi;
        double *ae = vn__malloc(n * sizeof *ae);
        if (!ae)
            return false;
        for (size_t i = 0; i < n; i++)
            ae[i] = fabs(r->p[i] - r->y[i]);
        /* order statistics k (1-based) are type-7 quantiles at (k − 1)/(n − 1) */
        const double qs[2] = {n > 1 ? (klo - 1.0) / (double)(n - 1) : 0.0,
                              n > 1 ? (khi - 1.0) / (double)(n - 1) : 0.0};
        double out[2];
        vn__quantiles_type7(ae, n, qs, 2, out);
        vn__free(ae);
        *lo = out[0];
        *hi = out[1];
        return true;
    }
    default:
        if (!mean_se(ms, o, r, theta, &se))
            return false;
    }
    *lo = theta - z * se;
    *hi = theta + z * se;
    return true;
}

/* ---- the bootstrap ---- */

typedef struct boot {
    const vn__plan *plan;
    const vn__mspec *ms;
    size_t nms;
    const vn__opts *o;
    const double *qs;
    size_t nq;
    const vn__rowset *rows;
    uint64_t seed, slice_no;
    size_t block, R;
    double *theta; /* R x nms */
    atomic_size_t next;
    atomic_int failed;
} boot;

static void *boot_worker(void *arg)
{
    boot *b = arg;
    const size_t n = b->rows->n;
    size_t *idx = vn__malloc(n * sizeof *idx);
    double *y = vn__malloc(n * sizeof *y), *p = vn__malloc(n * sizeof *p);
    double *w = vn__malloc(n * sizeof *w);
    if (!idx || !y || !p || !w)
        atomic_store(&b->failed, 1);
    while (!atomic_load(&b->failed)) {
        const size_t r = atomic_fetch_add(&b->next, 1);
        if (r >= b->R)
            break;
        draw(resample_key(b->seed, b->slice_no, r), n, b->block, idx);
        for (size_t j = 0; j < n; j++) {
            y[j] = b->rows->y[idx[j]];
            p[j] = b->rows->p[idx[j]];
            w[j] = b->rows->w[idx[j]];
        }
        if (vn__eval_rows(b->plan, b->ms, b->nms, b->o, b->qs, b->nq, y, p, w, n,
                          b->rows->weighted, b->theta + r * b->nms) != VN_OK)
            atomic_store(&b->failed, 1);
    }
    vn__free(idx);
    vn__free(y);
    vn__free(p);
    vn__free(w);
    return NULL;
}

vn_status vn__boot_theta(const vn__plan *plan, const vn__mspec *ms, size_t nms,
                         const vn__opts *o, const double *qs, size_t nq, const vn__rowset *rows,
                         uint64_t seed, uint64_t slice_no, size_t block, size_t R, int threads,
                         double *theta)
{
    boot b = {.plan = plan, .ms = ms, .nms = nms, .o = o, .qs = qs, .nq = nq, .rows = rows,
              .seed = seed, .slice_no = slice_no, .block = block, .R = R, .theta = theta};
    atomic_init(&b.next, 0);
    atomic_init(&b.failed, 0);
    pthread_t tid[64];
    size_t nt = 0;
    for (; (int)nt + 1 < threads && nt < 64 && nt + 1 < b.R; nt++)
        if (pthread_create(&tid[nt], NULL, boot_worker, &b) != 0)
            break;
    boot_worker(&b);
    for (size_t i = 0; i < nt; i++)
        pthread_join(tid[i], NULL);
    return atomic_load(&b.failed) ? VN_ERR_NOMEM : VN_OK;
}

/* Jackknife estimates for BCa: leave-one-out for n <= 2000, else 200 contiguous groups
 * left out in turn. jack[g*nms + m]; *G receives the number of estimates. */
static vn_status jackknife(const boot *b, double **jack, size_t *G)
{
    const size_t n = b->rows->n;
    const size_t g = n <= 2000 ? n : 200;
    *G = g;
    *jack = vn__malloc(g * b->nms * sizeof **jack);
    double *y = vn__malloc(n * sizeof *y), *p = vn__malloc(n * sizeof *p);
    double *w = vn__malloc(n * sizeof *w);
    vn_status st = *jack && y && p && w ? VN_OK : VN_ERR_NOMEM;
    for (size_t k = 0; st == VN_OK && k < g; k++) {
        const size_t lo = k * n / g, hi = (k + 1) * n / g; /* rows [lo, hi) left out */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (i < lo || i >= hi) {
                y[m] = b->rows->y[i];
                p[m] = b->rows->p[i];
                w[m] = b->rows->w[i];
                m++;
            }
        st = vn__eval_rows(b->plan, b->ms, b->nms, b->o, b->qs, b->nq, y, p, w, m,
                           b->rows->weighted, *jack + k * b->nms);
    }
    vn__free(y);
    vn__free(p);
    vn__free(w);
    if (st != VN_OK) {
        vn__free(*jack);
        *jack = NULL;
    }
    return st;
}

/* The BCa acceleration from jackknife estimates of metric m (0 when degenerate). */
static double acceleration(const double *jack, size_t G, size_t nms, size_t m)
{
    vn__ksum s = {0, 0};
    size_t k = 0;
    for (size_t g = 0; g < G; g++)
        if (isfinite(jack[g * nms + m])) {
            vn__ksum_add(&s, jack[g * nms + m]);
            k++;
        }
    if (k < 2)
        return 0.0;
    const double mean = vn__ksum_get(&s) / (double)k;
    vn__ksum s2 = {0, 0}, s3 = {0, 0};
    for (size_t g = 0; g < G; g++) {
        const double x = jack[g * nms + m];
        if (!isfinite(x))
            continue;
        const double d = mean - x;
        vn__ksum_add(&s2, d * d);
        vn__ksum_add(&s3, d * d * d);
    }
    const double den = 6.0 * pow(vn__ksum_get(&s2), 1.5);
    return den > 0.0 ? vn__ksum_get(&s3) / den : 0.0;
}

static bool has_analytic(const vn__mspec *ms, const vn__rowset *r)
{
    switch (ms->kind) {
    case MK_MEAN_ERROR: case MK_MAE: case MK_MSE: case MK_RMSE: case MK_MAPE: case MK_MPE:
    case MK_SMAPE: case MK_HUBER: case MK_PSEUDO_HUBER: case MK_LOG_COSH: case MK_PINBALL:
    case MK_MSLE: case MK_RMSLE: case MK_POISSON: case MK_GAMMA: case MK_TWEEDIE:
    case MK_WMAPE: case MK_R2:
        return true;
    case MK_MEDAE: case MK_AEQ:
        return !r->weighted;
    default:
        return false;
    }
}

vn_status vn__ci_slice(const vn__plan *plan, const vn__mspec *ms, size_t nms, const vn__opts *o,
                       const double *qs, size_t nq, const vn__rowset *rows, uint64_t slice_no,
                       const vn__ci_cfg *cfg, vn_value *vals)
{
    const double alpha = 1.0 - cfg->level, z = vn__norm_ppf(1.0 - alpha / 2.0);
    /* which metrics take which method */
    enum { NONE, ANALYTIC, BOOT } *how = vn__calloc(nms ? nms : 1, sizeof *how);
    if (!how)
        return VN_ERR_NOMEM;
    bool need_boot = false;
    for (size_t m = 0; m < nms; m++) {
        vn_value *v = &vals[m];
        if (ms[m].kind == MK_COUNT || ms[m].kind == MK_WEIGHT_SUM) {
            v->ci_note = "exact: no interval";
            continue;
        }
        if (v->reason != VN_REASON_NONE) {
            v->ci_note = "the metric is undefined";
            continue;
        }
        if (ms[m].kind == MK_MAX_ERROR) {
            /* The bootstrap distribution of a sample maximum does not converge to the
             * sampling distribution (Bickel & Freedman 1981); an interval would lie. */
            v->ci_note = "no valid interval for a sample maximum";
            continue;
        }
        const bool an = has_analytic(&ms[m], rows);
        if (cfg->method == VN_CI_ANALYTIC || (cfg->method == VN_CI_AUTO && an && rows->n >= 5000))
            how[m] = an ? ANALYTIC : NONE;
        else
            how[m] = BOOT;
        if (how[m] == NONE)
            v->ci_note = "no analytic interval for this metric";
        need_boot = need_boot || how[m] == BOOT;
    }
    vn_status st = VN_OK;
    for (size_t m = 0; m < nms; m++)
        if (how[m] == ANALYTIC) {
            double lo, hi;
            if (analytic(&ms[m], o, rows, vals[m].value, z, &lo, &hi)) {
                vals[m].lo = lo;
                vals[m].hi = hi;
                vals[m].ci_method = "analytic";
            } else {
                vals[m].ci_note = "too few rows for an analytic interval";
            }
        }
    if (!need_boot) {
        vn__free(how);
        return st;
    }
    boot b = {.plan = plan, .ms = ms, .nms = nms, .o = o, .qs = qs, .nq = nq, .rows = rows,
              .seed = cfg->seed, .slice_no = slice_no, .block = cfg->block, .R = cfg->resamples};
    b.theta = vn__malloc(b.R * nms * sizeof *b.theta);
    double *defined = vn__malloc(b.R * sizeof *defined);
    double *jack = NULL;
    size_t G = 0;
    st = b.theta && defined ? vn__boot_theta(plan, ms, nms, o, qs, nq, rows, cfg->seed, slice_no,
                                              cfg->block, b.R, cfg->threads, b.theta)
                            : VN_ERR_NOMEM;
    const bool bca = cfg->method == VN_CI_BCA || cfg->method == VN_CI_AUTO;
    if (st == VN_OK && bca)
        st = jackknife(&b, &jack, &G);
    for (size_t m = 0; st == VN_OK && m < nms; m++) {
        if (how[m] != BOOT)
            continue;
        size_t k = 0, below_ = 0, equal = 0;
        for (size_t r = 0; r < b.R; r++) {
            const double t = b.theta[r * nms + m];
            if (!isfinite(t))
                continue;
            defined[k++] = t;
            below_ += t < vals[m].value;
            equal += t == vals[m].value;
        }
        if (k == 0) {
            vals[m].ci_note = "no resample defines the metric";
            continue;
        }
        double plo = alpha / 2.0, phi = 1.0 - alpha / 2.0;
        const char *method = "percentile";
        if (bca) {
            const double z0 = vn__norm_ppf(((double)below_ + 0.5 * (double)equal) / (double)k);
            if (isfinite(z0)) {
                const double a = acceleration(jack, G, nms, m);
                const double zl = vn__norm_ppf(alpha / 2.0), zh = vn__norm_ppf(1.0 - alpha / 2.0);
                plo = vn__norm_cdf(z0 + (z0 + zl) / (1.0 - a * (z0 + zl)));
                phi = vn__norm_cdf(z0 + (z0 + zh) / (1.0 - a * (z0 + zh)));
                method = "bca";
            }
        }
        vals[m].lo = vn__sample_quantile(defined, k, plo);
        vals[m].hi = vn__sample_quantile(defined, k, phi);
        vals[m].ci_method = method;
        if (isnan(vals[m].lo) || isnan(vals[m].hi))
            st = VN_ERR_NOMEM;
    }
    vn__free(b.theta);
    vn__free(defined);
    vn__free(jack);
    vn__free(how);
    return st;
}
