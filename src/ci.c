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
 * A batch of resamples is evaluated from the multiplicities of the rows (boot.c) for
 * every metric that allows it; the others (row order, ranks, d2_*, nrmse:norm=iqr), and
 * the rare resample boot.c declines, are evaluated on the gathered rows (vn__eval_rows).
 * Threads take whole batches. The BCa jackknife goes the same two ways.
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

/* The multiplicity of every row in the resample draw() makes, added into cnt[0..n)
 * (zeroed by the caller): the same draws, counted instead of listed. A row drawn more
 * than 255 times wraps around; the counter sees that the multiplicities then fall
 * short of n and the resample is gathered instead. The rows of DRAW_CHUNK draws are
 * computed first and counted after: two simple loops run faster than one that
 * interleaves multiplications with random increments. */
#define DRAW_CHUNK 256

static void draw_counts(uint64_t key, size_t n, size_t block, uint8_t *cnt)
{
    if (block < 2) {
        size_t row[DRAW_CHUNK];
        for (size_t a = 0; a < n; a += DRAW_CHUNK) {
            const size_t m = n - a < DRAW_CHUNK ? n - a : DRAW_CHUNK;
            for (size_t j = 0; j < m; j++)
                row[j] = below(mix(key + (a + j + 1) * 0xD1B54A32D192ED03ull), n);
            for (size_t j = 0; j < m; j++)
                cnt[row[j]]++;
        }
        return;
    }
    const size_t L = block < n ? block : n;
    for (size_t t = 0, j = 0; j < n; t++) {
        const size_t start = below(mix(key + (t + 1) * 0xD1B54A32D192ED03ull), n - L + 1);
        for (size_t k = 0; k < L && j < n; k++, j++)
            cnt[start + k]++;
    }
}

/* Resamples per batch at most: the batch's multiplicities (batch x n bytes) are folded
 * in one pass over the per-row terms (boot.c). */
#define MAX_BATCH 64

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
    /* The counter evaluates most metrics from multiplicities (NULL: none). The others,
     * rest[0..nrest) (index rest_of[k] in ms), are evaluated on gathered rows with a plan
     * of their own (they use neither slots nor quantiles of |e|). */
    vn__counter *cs;
    vn__mspec *rest;
    size_t nrest, *rest_of;
    vn__plan rest_plan;
    size_t batch;
    atomic_size_t next;
    atomic_int failed;
} boot;

static vn_status boot_prepare(boot *b)
{
    VN_TRY(vn__counter_new(b->plan, b->ms, b->nms, b->o, b->qs, b->nq, b->rows, &b->cs));
    for (size_t m = 0; b->cs && m < b->nms; m++)
        b->nrest += !vn__counter_has(b->cs, m);
    if (b->nrest == 0)
        return VN_OK;
    b->rest = vn__malloc(b->nrest * sizeof *b->rest);
    b->rest_of = vn__malloc(b->nrest * sizeof *b->rest_of);
    if (!b->rest || !b->rest_of)
        return VN_ERR_NOMEM;
    size_t k = 0;
    for (size_t m = 0; m < b->nms; m++)
        if (!vn__counter_has(b->cs, m)) {
            b->rest[k] = b->ms[m];
            b->rest_of[k++] = m;
            b->rest_plan.needs |= b->ms[m].needs;
        }
    /* custom metrics among them read their slots (at the plan's indices) */
    if (b->rest_plan.needs & NEED_SLOT) {
        b->rest_plan.nslots = b->plan->nslots;
        b->rest_plan.slots = b->plan->slots;
    }
    return VN_OK;
}

static void boot_release(boot *b)
{
    vn__counter_free(b->cs);
    vn__free(b->rest);
    vn__free(b->rest_of);
}

/* The rows of one resample or jackknife subset, gathered for vn__eval_rows. */
typedef struct gather {
    size_t *idx;
    double *y, *p, *w, *out;
    double **x; /* nx input columns */
    size_t nx;
} gather;

static void gather_free(gather *g)
{
    vn__free(g->idx);
    vn__free(g->y);
    vn__free(g->p);
    vn__free(g->w);
    vn__free(g->out);
    for (size_t k = 0; g->x && k < g->nx; k++)
        vn__free(g->x[k]);
    vn__free(g->x);
}

/* Allocates g's arrays on first use. */
static vn_status gather_ready(gather *g, size_t n, size_t nms, size_t nx)
{
    if (g->idx)
        return VN_OK;
    g->idx = vn__malloc((n ? n : 1) * sizeof *g->idx);
    g->y = vn__malloc((n ? n : 1) * sizeof *g->y);
    g->p = vn__malloc((n ? n : 1) * sizeof *g->p);
    g->w = vn__malloc((n ? n : 1) * sizeof *g->w);
    g->out = vn__malloc((nms ? nms : 1) * sizeof *g->out);
    g->x = vn__calloc(nx ? nx : 1, sizeof *g->x);
    bool ok = g->idx && g->y && g->p && g->w && g->out && g->x;
    if (g->x)
        for (; g->nx < nx && ok; g->nx++)
            ok = (g->x[g->nx] = vn__malloc((n ? n : 1) * sizeof **g->x)) != NULL;
    if (ok)
        return VN_OK;
    gather_free(g);
    *g = (gather){0};
    return VN_ERR_NOMEM;
}

/* Row j of g is row i of rows. */
static void gather_row(gather *g, const vn__rowset *rows, size_t j, size_t i)
{
    g->y[j] = rows->y[i];
    g->p[j] = rows->p[i];
    g->w[j] = rows->w[i];
    for (size_t k = 0; k < g->nx; k++)
        g->x[k][j] = rows->x[k][i];
}

/* The metrics on the m gathered rows of g into theta[0..nms): all of them (full), or the
 * ones the counter does not have. */
static vn_status gather_eval(const boot *b, const gather *g, size_t m, bool full, double *theta)
{
    const double *const *x = (const double *const *)g->x;
    if (full)
        return vn__eval_rows(b->plan, b->ms, b->nms, b->o, b->qs, b->nq, g->y, g->p, g->w, x,
                             g->nx, m, b->rows->weighted, theta);
    VN_TRY(vn__eval_rows(&b->rest_plan, b->rest, b->nrest, b->o, NULL, 0, g->y, g->p, g->w, x,
                         g->nx, m, b->rows->weighted, g->out));
    for (size_t k = 0; k < b->nrest; k++)
        theta[b->rest_of[k]] = g->out[k];
    return VN_OK;
}

/* Evaluates resamples [r0, r0 + nb): multiplicities for the counter, gathered rows for
 * the rest and for any resample the counter cannot do. cnt: nb x n bytes. */
static vn_status boot_batch(boot *b, size_t r0, size_t nb, uint8_t *cnt, gather *g)
{
    const size_t n = b->rows->n;
    const uint8_t *cb[MAX_BATCH] = {NULL};
    bool ok[MAX_BATCH];
    for (size_t k = 0; k < nb; k++)
        ok[k] = false;
    if (b->cs) {
        for (size_t k = 0; k < nb; k++) {
            memset(cnt + k * n, 0, n);
            draw_counts(resample_key(b->seed, b->slice_no, r0 + k), n, b->block, cnt + k * n);
            cb[k] = cnt + k * n;
        }
        VN_TRY(vn__counter_eval(b->cs, cb, nb, b->theta + r0 * b->nms, ok));
    }
    for (size_t k = 0; k < nb; k++) {
        const bool full = !b->cs || !ok[k];
        if (!full && b->nrest == 0)
            continue;
        VN_TRY(gather_ready(g, n, b->nms, b->rows->nx));
        draw(resample_key(b->seed, b->slice_no, r0 + k), n, b->block, g->idx);
        for (size_t j = 0; j < n; j++)
            gather_row(g, b->rows, j, g->idx[j]);
        VN_TRY(gather_eval(b, g, n, full, b->theta + (r0 + k) * b->nms));
    }
    return VN_OK;
}

static void *boot_worker(void *arg)
{
    boot *b = arg;
    gather g = {0};
    uint8_t *cnt = b->cs ? vn__malloc(b->batch * b->rows->n) : NULL;
    if (b->cs && !cnt)
        atomic_store(&b->failed, 1);
    while (!atomic_load(&b->failed)) {
        const size_t r0 = atomic_fetch_add(&b->next, b->batch);
        if (r0 >= b->R)
            break;
        const size_t nb = b->R - r0 < b->batch ? b->R - r0 : b->batch;
        if (boot_batch(b, r0, nb, cnt, &g) != VN_OK)
            atomic_store(&b->failed, 1);
    }
    vn__free(cnt);
    gather_free(&g);
    return NULL;
}

/* The resamples into b->theta on up to `threads` threads, a batch at a time. */
static vn_status boot_run(boot *b, int threads)
{
    const size_t n = b->rows->n;
    /* about 64 MiB of multiplicities per thread, and work for every thread */
    size_t batch = b->cs ? ((size_t)64 << 20) / (n ? n : 1) : 1;
    const size_t share = (b->R + (size_t)threads - 1) / (size_t)(threads > 0 ? threads : 1);
    batch = batch > MAX_BATCH ? MAX_BATCH : batch;
    batch = batch > share ? share : batch;
    b->batch = batch < 1 ? 1 : batch;
    atomic_init(&b->next, 0);
    atomic_init(&b->failed, 0);
    const size_t nbatches = (b->R + b->batch - 1) / b->batch;
    pthread_t tid[64];
    size_t nt = 0;
    for (; (int)nt + 1 < threads && nt < 64 && nt + 1 < nbatches; nt++)
        if (pthread_create(&tid[nt], NULL, boot_worker, b) != 0)
            break;
    boot_worker(b);
    for (size_t i = 0; i < nt; i++)
        pthread_join(tid[i], NULL);
    return atomic_load(&b->failed) ? VN_ERR_NOMEM : VN_OK;
}

vn_status vn__boot_theta(const vn__plan *plan, const vn__mspec *ms, size_t nms,
                         const vn__opts *o, const double *qs, size_t nq, const vn__rowset *rows,
                         uint64_t seed, uint64_t slice_no, size_t block, size_t R, int threads,
                         double *theta)
{
    boot b = {.plan = plan, .ms = ms, .nms = nms, .o = o, .qs = qs, .nq = nq, .rows = rows,
              .seed = seed, .slice_no = slice_no, .block = block, .R = R, .theta = theta};
    vn_status st = boot_prepare(&b);
    if (st == VN_OK)
        st = boot_run(&b, threads);
    boot_release(&b);
    return st;
}

/* Jackknife estimates for BCa: leave-one-out for n <= 2000, else 200 contiguous groups
 * left out in turn. jack[g*nms + m]; *G receives the number of estimates. */
static vn_status jackknife(const boot *b, double **jack, size_t *G)
{
    const size_t n = b->rows->n;
    const size_t ng = n <= 2000 ? n : 200;
    *G = ng;
    *jack = vn__malloc((ng ? ng : 1) * b->nms * sizeof **jack);
    bool *ok = vn__calloc(ng ? ng : 1, sizeof *ok);
    gather g = {0};
    vn_status st = *jack && ok ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK && b->cs)
        st = vn__counter_jack(b->cs, ng, *jack, ok);
    for (size_t k = 0; st == VN_OK && k < ng; k++) {
        const bool full = !b->cs || !ok[k];
        if (!full && b->nrest == 0)
            continue;
        st = gather_ready(&g, n, b->nms, b->rows->nx);
        const size_t lo = k * n / ng, hi = (k + 1) * n / ng; /* rows [lo, hi) left out */
        size_t m = 0;
        for (size_t i = 0; st == VN_OK && i < n; i++)
            if (i < lo || i >= hi)
                gather_row(&g, b->rows, m++, i);
        if (st == VN_OK)
            st = gather_eval(b, &g, m, full, *jack + k * b->nms);
    }
    gather_free(&g);
    vn__free(ok);
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
    /* Only the metrics that take a bootstrap interval are resampled: sub[k] is ms[of[k]]
     * (the plan, its slots and the quantile levels stay those of all metrics). */
    size_t nb = 0;
    for (size_t m = 0; m < nms; m++)
        nb += how[m] == BOOT;
    vn__mspec *sub = vn__malloc(nb * sizeof *sub);
    size_t *of = vn__malloc(nb * sizeof *of);
    for (size_t m = 0, k = 0; sub && of && m < nms; m++)
        if (how[m] == BOOT) {
            sub[k] = ms[m];
            of[k++] = m;
        }
    boot b = {.plan = plan, .ms = sub, .nms = nb, .o = o, .qs = qs, .nq = nq, .rows = rows,
              .seed = cfg->seed, .slice_no = slice_no, .block = cfg->block, .R = cfg->resamples};
    b.theta = vn__malloc(b.R * nb * sizeof *b.theta);
    double *defined = vn__malloc(b.R * sizeof *defined);
    double *jack = NULL;
    size_t G = 0;
    /* one counter for the resamples and the jackknife */
    st = sub && of && b.theta && defined ? boot_prepare(&b) : VN_ERR_NOMEM;
    if (st == VN_OK)
        st = boot_run(&b, cfg->threads);
    const bool bca = cfg->method == VN_CI_BCA || cfg->method == VN_CI_AUTO;
    if (st == VN_OK && bca)
        st = jackknife(&b, &jack, &G);
    for (size_t k = 0; st == VN_OK && k < nb; k++) {
        vn_value *v = &vals[of[k]];
        size_t nd = 0, below_ = 0, equal = 0;
        for (size_t r = 0; r < b.R; r++) {
            const double t = b.theta[r * nb + k];
            if (!isfinite(t))
                continue;
            defined[nd++] = t;
            below_ += t < v->value;
            equal += t == v->value;
        }
        if (nd == 0) {
            v->ci_note = "no resample defines the metric";
            continue;
        }
        double plo = alpha / 2.0, phi = 1.0 - alpha / 2.0;
        const char *method = "percentile";
        if (bca) {
            const double z0 = vn__norm_ppf(((double)below_ + 0.5 * (double)equal) / (double)nd);
            if (isfinite(z0)) {
                const double a = acceleration(jack, G, nb, k);
                const double zl = vn__norm_ppf(alpha / 2.0), zh = vn__norm_ppf(1.0 - alpha / 2.0);
                const double bl = vn__norm_cdf(z0 + (z0 + zl) / (1.0 - a * (z0 + zl)));
                const double bh = vn__norm_cdf(z0 + (z0 + zh) / (1.0 - a * (z0 + zh)));
                /* the acceleration is NaN when jackknife values overflow (fuzz_state
                 * found it): then the percentile interval stands, labelled as such */
                if (bl >= 0.0 && bl <= 1.0 && bh >= 0.0 && bh <= 1.0 && bl <= bh) {
                    plo = bl;
                    phi = bh;
                    method = "bca";
                }
            }
        }
        v->lo = vn__sample_quantile(defined, nd, plo);
        v->hi = vn__sample_quantile(defined, nd, phi);
        v->ci_method = method;
        if (isnan(v->lo) || isnan(v->hi))
            st = VN_ERR_NOMEM;
    }
    boot_release(&b);
    vn__free(b.theta);
    vn__free(defined);
    vn__free(jack);
    vn__free(sub);
    vn__free(of);
    vn__free(how);
    return st;
}
