/*
 * diagnose.c — residual diagnostics (`vernier diagnose`, docs/diagnose.md): what the
 * errors e = yhat − y say about a model's assumptions. Writers: diagnose_out.c.
 *
 * One pass over the rows feeds two streaming Householder QRs (qr.c) and keeps e:
 *  - [1, yhat, e²]: Breusch–Pagan against the prediction;
 *  - [1, x_1 … x_p, e²]: Breusch–Pagan against the features and, from the leading
 *    (p+1) × (p+1) block of the same R (the factor of [1, X]), the variance inflation
 *    factors and the condition number.
 * Then, from e: Jarque–Bera, the share of e² in the worst 1 % of rows and, in time
 * order, Durbin–Watson and Ljung–Box.
 *
 * Definitions (as statsmodels 0.13 computes them, which tests/oracle checks):
 *  - Breusch–Pagan in Koenker's studentised form (Koenker 1981, J. Econometrics 17,
 *    107–112): LM = n·R² of e² on [1, Z], chi-square with k = columns of Z; the F test
 *    of the same regression beside it. R² is read off R (qr.h), never from normal
 *    equations.
 *  - Jarque & Bera (1987): JB = n/6 (S² + (K − 3)²/4), S and K from the biased central
 *    moments m2, m3, m4 (two-pass, compensated), chi-square with 2 df.
 *  - Durbin & Watson (1950): DW = Σ_{t>=2} (e_t − e_{t−1})² / Σ e_t².
 *  - Ljung & Box (1978): Q = n(n+2) Σ_{k=1}^{h} r_k² / (n − k), r_k the lag-k sample
 *    autocorrelation of e about its mean (NIST's r(1) at k = 1), chi-square with h df;
 *    h = min(10, n/5) unless given.
 *  - VIF_j = 1 / (1 − R_j²), R_j² of x_j on the other features and an intercept: with R22
 *    the factor of the centred features, VIF_j = ‖row j of R22⁻¹‖² · ‖column j of R22‖²
 *    (the diagonal of (X_cᵀX_c)⁻¹ times that of X_cᵀX_c).
 *  - The condition number of Belsley, Kuh & Welsch (1980, ch. 3): σ_max / σ_min of
 *    [1, X] with every column scaled to unit length — the singular values of R times
 *    the inverse column norms, by Jacobi rotations.
 */
#include "csv.h"
#include "eval.h"
#include "kernels.h"
#include "monitor.h"
#include "qr.h"
#include "stats.h"
#include "timesort.h"

#include <stdio.h>
#include <string.h>

enum { MSG = 400, ACT = 300 };

typedef struct finding {
    vn_diag_finding pub;
    char subject[200];
    char message[MSG];
    char action[ACT];
} finding;

struct vn_diagnosis {
    vn_diagnose_info info;
    finding *f;
    size_t nf, fcap;
    vn_diag_finding *pub;
    char *source, *ycol, *pcol, *tcol;
    char **fnames;
    size_t p;
    /* the pass */
    vn__qr qp, qf;
    double *e;
    size_t n, ecap;
    vn__tsort ts;
    bool timed;
    double *row;
    double alpha;
};

/* ---- findings ---- */

static finding *add(vn_diagnosis *d, const char *code, const char *subject)
{
    if (d->nf == d->fcap) /* begin() made room for every finding */
        return NULL;
    finding *f = &d->f[d->nf++];
    memset(f, 0, sizeof *f);
    vn__fmt(f->subject, sizeof f->subject, "%s", subject ? subject : "");
    f->pub = (vn_diag_finding){code, f->subject, VN_DIAG_OK, NAN, NAN, NAN, 0, {0}, {0}, f->message,
                               f->action};
    return f;
}

static void extra(finding *f, const char *name, double v)
{
    if (f->pub.nextra < 4) {
        f->pub.extra_name[f->pub.nextra] = name;
        f->pub.extra[f->pub.nextra++] = v;
    }
}

static void say(finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

static void todo(finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void todo(finding *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(f->action, sizeof f->action, fmt, ap);
    va_end(ap);
}

static void skip(finding *f, const char *why)
{
    f->pub.status = VN_DIAG_SKIPPED;
    say(f, "%s", why);
}

/* p for people: "p < 0.001", "p = 0.042" */
static const char *ptext(char *buf, size_t len, double p)
{
    char v[16];
    vn__format_p(v, sizeof v, p);
    vn__fmt(buf, len, v[0] == '<' ? "p < 0.001" : "p = %s", v);
    return buf;
}

/* ---- the pass over the rows ---- */

static vn_status begin(vn_diagnosis *d, size_t p)
{
    d->p = p;
    /* every finding's slot up front: findings are filled through pointers into d->f */
    d->fcap = p + 12;
    d->f = vn__calloc(d->fcap, sizeof *d->f);
    if (!d->f)
        return VN_ERR_NOMEM;
    VN_TRY(vn__qr_init(&d->qp, 3));
    if (p)
        VN_TRY(vn__qr_init(&d->qf, p + 2));
    d->row = vn__malloc((p + 3) * sizeof *d->row); /* [1, yhat, e²] or [1, x…, e²] */
    return d->row ? VN_OK : VN_ERR_NOMEM;
}

static vn_status add_row(vn_diagnosis *d, double y, double yhat, const double *x, const char *tcell,
                         size_t tlen)
{
    const double e = yhat - y, u = e * e;
    d->row[0] = 1.0;
    d->row[1] = yhat;
    d->row[2] = u;
    vn__qr_add(&d->qp, d->row);
    if (d->p) {
        for (size_t k = 0; k < d->p; k++)
            d->row[1 + k] = x[k];
        d->row[d->p + 1] = u;
        vn__qr_add(&d->qf, d->row);
    }
    if (d->timed) {
        const double v[VN_TS_COLS] = {e, 0, 0, 0};
        return vn__tsort_add(&d->ts, v, 0, tcell, tlen);
    }
    if (!vn__grow((void **)&d->e, &d->ecap, d->n + 1, sizeof *d->e))
        return VN_ERR_NOMEM;
    d->e[d->n++] = e;
    return VN_OK;
}

/* ---- the statistics ---- */

/* Breusch–Pagan from the factor of [1, Z, e²] (k = columns of Z, all of rank). */
static void breusch_pagan(vn_diagnosis *d, finding *f, const vn__qr *q, size_t k, const char *against)
{
    const double n = (double)d->n;
    double tss;
    const double r2 = vn__qr_r2_last(q, &tss);
    if (!(tss > 0)) {
        skip(f, "every error has the same size: the squared errors are constant");
        return;
    }
    if (d->n <= k + 1) {
        skip(f, "too few rows for the auxiliary regression");
        return;
    }
    const double lm = n * r2, df = (double)k;
    const double fstat = (r2 / df) / ((1.0 - r2) / (n - df - 1.0));
    f->pub.stat = lm;
    f->pub.df = df;
    f->pub.p = vn__chi2_sf(lm, df);
    extra(f, "r2", r2);
    extra(f, "f", fstat);
    extra(f, "f_p", vn__f_sf(fstat, df, n - df - 1.0));
    char pt[32];
    ptext(pt, sizeof pt, f->pub.p);
    if (!(f->pub.p < d->alpha)) {
        say(f, "No evidence that the error variance changes with the %s (LM %.4g, %s).", against,
            lm, pt);
        return;
    }
    f->pub.status = VN_DIAG_FLAG;
    if (k == 1) { /* the direction: the slope of e² on the one regressor */
        double b[2];
        const bool ok = vn__qr_solve(q, 2, b);
        say(f, "The size of the errors %s with the %s (LM %.4g, %s; the %s explains %.2g%% of e²'s "
               "variation): the errors are heteroscedastic.",
            ok && b[1] < 0 ? "shrinks" : "grows", against, lm, pt, against, 100.0 * r2);
    } else {
        say(f, "The error variance depends on the %s (LM %.4g, %s; they explain %.2g%% of e²'s "
               "variation): the errors are heteroscedastic.",
            against, lm, pt, 100.0 * r2);
    }
    todo(f, "Intervals that assume one error variance are off: report relative errors (wmape, "
            "mape) or model the variance (log target, weights, quantile models), and use the "
            "bootstrap (--ci) for intervals.");
}

static void jarque_bera(vn_diagnosis *d, finding *f, const double *e, size_t n)
{
    if (n < 3) {
        skip(f, "fewer than 3 rows");
        return;
    }
    vn__ksum s = {0, 0};
    for (size_t i = 0; i < n; i++)
        vn__ksum_add(&s, e[i]);
    const double mean = vn__ksum_get(&s) / (double)n;
    vn__ksum s1 = {0, 0}, s2 = {0, 0}, s3 = {0, 0}, s4 = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const double t = e[i] - mean, t2 = t * t;
        vn__ksum_add(&s1, t);
        vn__ksum_add(&s2, t2);
        vn__ksum_add(&s3, t2 * t);
        vn__ksum_add(&s4, t2 * t2);
    }
    /* the two-pass correction of the mean's rounding (Chan, Golub & LeVeque 1983) */
    const double dn = (double)n, c1 = vn__ksum_get(&s1) / dn;
    const double m2 = vn__ksum_get(&s2) / dn - c1 * c1;
    const double m3 = vn__ksum_get(&s3) / dn, m4 = vn__ksum_get(&s4) / dn;
    if (!(m2 > 0)) {
        skip(f, "the errors are constant");
        return;
    }
    const double S = m3 / (m2 * sqrt(m2)), K = m4 / (m2 * m2);
    const double jb = dn / 6.0 * (S * S + (K - 3.0) * (K - 3.0) / 4.0);
    f->pub.stat = jb;
    f->pub.df = 2;
    f->pub.p = vn__chi2_sf(jb, 2);
    extra(f, "skewness", S);
    extra(f, "excess_kurtosis", K - 3.0);
    char pt[32];
    ptext(pt, sizeof pt, f->pub.p);
    if (!(f->pub.p < d->alpha)) {
        say(f, "The errors are compatible with a normal distribution (JB %.4g, %s; skewness %.3g, "
               "excess kurtosis %.3g).", jb, pt, S, K - 3.0);
        return;
    }
    f->pub.status = VN_DIAG_FLAG;
    const char *tail = fabs(S) < 0.5 ? "" : S > 0 ? "; a long tail of over-predictions" :
                                                     "; a long tail of under-predictions";
    const char *heavy = K - 3.0 > 1 ? "; heavy tails: large errors are more common than under a "
                                      "normal law" : "";
    say(f, "The errors are not normal (JB %.4g, %s): skewness %.3g, excess kurtosis %.3g%s%s.", jb,
        pt, S, K - 3.0, tail, heavy);
    todo(f, "Do not read error bands as mean +- 2 sd: use quantiles of |e| (p95_abs_error, "
            "pinball), MAE beside RMSE, and bootstrap intervals (--ci); look at the tail rows.");
}

/* The share of Σe² in the worst ceil(n/100) rows. */
static vn_status worst_share(vn_diagnosis *d, finding *f, const double *e, size_t n)
{
    double *sq = vn__malloc((n ? n : 1) * sizeof *sq);
    if (!sq)
        return VN_ERR_NOMEM;
    vn__ksum tot = {0, 0};
    for (size_t i = 0; i < n; i++) {
        sq[i] = e[i] * e[i];
        vn__ksum_add(&tot, sq[i]);
    }
    const size_t k = (n + 99) / 100;
    const double top = vn__top_k_sum(sq, n, k), all = vn__ksum_get(&tot);
    vn__free(sq);
    if (!(all > 0)) {
        skip(f, "every error is 0");
        return VN_OK;
    }
    const double share = top / all;
    f->pub.stat = share;
    extra(f, "rows", (double)k);
    if (share > 0.25 && n >= 100) {
        f->pub.status = VN_DIAG_FLAG;
        say(f, "The worst 1%% of rows (%zu) hold %.1f%% of the squared error (about 8.4%% for "
               "normal errors): RMSE, MSE and R² are driven by a few rows.", k, 100.0 * share);
        todo(f, "Look at those rows (data errors? a missing feature? outliers in y?); report MAE "
                "or medae beside RMSE, or train with a robust loss (huber).");
    } else {
        say(f, "The worst 1%% of rows (%zu) hold %.1f%% of the squared error (about 8.4%% for "
               "normal errors).", k, 100.0 * share);
    }
    (void)d;
    return VN_OK;
}

static void durbin_watson(vn_diagnosis *d, finding *f, const double *e, size_t n, double r1)
{
    if (n < 2) {
        skip(f, "fewer than 2 rows");
        return;
    }
    vn__ksum num = {0, 0}, den = {0, 0};
    for (size_t t = 0; t < n; t++) {
        vn__ksum_add(&den, e[t] * e[t]);
        if (t)
            vn__ksum_add(&num, (e[t] - e[t - 1]) * (e[t] - e[t - 1]));
    }
    if (!(vn__ksum_get(&den) > 0)) {
        skip(f, "every error is 0");
        return;
    }
    const double dw = vn__ksum_get(&num) / vn__ksum_get(&den);
    f->pub.stat = dw;
    extra(f, "r1", r1);
    if (dw < 1.5 || dw > 2.5) {
        f->pub.status = VN_DIAG_FLAG;
        say(f, "Consecutive errors are %s (Durbin-Watson %.3g, lag-1 autocorrelation %.3g; 2 means "
               "none): the model misses a pattern in time.",
            dw < 2 ? "alike: an error tends to follow an error of the same sign" :
                     "opposite: the errors alternate in sign", dw, r1);
        todo(f, "Add lagged or seasonal features (or model the error process); for intervals and "
                "comparisons use moving blocks (--time-col) and the Diebold-Mariano test.");
    } else {
        say(f, "No sign of first-order autocorrelation (Durbin-Watson %.3g, lag-1 "
               "autocorrelation %.3g; 2 means none).", dw, r1);
    }
    (void)d;
}

/* Autocorrelations r_1 … r_h of e about its mean into r. */
static void acf(const double *e, size_t n, size_t h, double *r)
{
    vn__ksum s = {0, 0};
    for (size_t i = 0; i < n; i++)
        vn__ksum_add(&s, e[i]);
    const double m = vn__ksum_get(&s) / (double)n;
    vn__ksum c0 = {0, 0};
    for (size_t i = 0; i < n; i++)
        vn__ksum_add(&c0, (e[i] - m) * (e[i] - m));
    const double g0 = vn__ksum_get(&c0);
    for (size_t k = 1; k <= h; k++) {
        vn__ksum c = {0, 0};
        for (size_t t = k; t < n; t++)
            vn__ksum_add(&c, (e[t] - m) * (e[t - k] - m));
        r[k - 1] = g0 > 0 ? vn__ksum_get(&c) / g0 : NAN;
    }
}

static vn_status ljung_box(vn_diagnosis *d, finding *f, const double *e, size_t n, size_t h,
                           double *r1)
{
    *r1 = NAN;
    if (h == 0)
        h = n / 5 < 10 ? n / 5 : 10;
    d->info.lags = h;
    if (h == 0 || h >= n) {
        skip(f, "too few rows for a lag (need at least 5 rows, and more rows than lags)");
        if (n >= 2) {
            double r;
            acf(e, n, 1, &r);
            *r1 = r;
        }
        return VN_OK;
    }
    double *r = vn__malloc(h * sizeof *r);
    if (!r)
        return VN_ERR_NOMEM;
    acf(e, n, h, r);
    *r1 = r[0];
    if (isnan(r[0])) {
        vn__free(r);
        skip(f, "the errors are constant");
        return VN_OK;
    }
    vn__ksum q = {0, 0};
    const double dn = (double)n;
    for (size_t k = 1; k <= h; k++)
        vn__ksum_add(&q, r[k - 1] * r[k - 1] / (dn - (double)k));
    vn__free(r);
    const double Q = dn * (dn + 2.0) * vn__ksum_get(&q);
    f->pub.stat = Q;
    f->pub.df = (double)h;
    f->pub.p = vn__chi2_sf(Q, (double)h);
    extra(f, "lags", (double)h);
    extra(f, "r1", *r1);
    char pt[32];
    ptext(pt, sizeof pt, f->pub.p);
    if (f->pub.p < d->alpha) {
        f->pub.status = VN_DIAG_FLAG;
        say(f, "The errors are autocorrelated within %zu lags (Ljung-Box Q %.4g, %s): what the "
               "model got wrong at one time tells about the next.", h, Q, pt);
        todo(f, "Add lagged, trend or seasonal features; treat the rows as a time series when "
                "judging the model (--time-col: moving-block intervals; compare with the "
                "Diebold-Mariano test).");
    } else {
        say(f, "No autocorrelation detected up to lag %zu (Ljung-Box Q %.4g, %s).", h, Q, pt);
    }
    return VN_OK;
}

static vn_status collinearity_in(vn_diagnosis *d, bool *keep, double *work);

/* Multicollinearity from the factor of [1, X, e²]: constant features are set aside; VIF
 * per feature; the scaled condition number of [1, X]. */
static vn_status collinearity(vn_diagnosis *d)
{
    const size_t P = d->p + 2;
    /* scratch: keep[P], row[P], and for the kept columns A (m²), s, T and Ti (nk² each) */
    bool *keep = vn__calloc(P, sizeof *keep);
    double *work = vn__calloc(P + 4 * P * P, sizeof *work);
    if (!keep || !work) {
        vn__free(keep);
        vn__free(work);
        return VN_ERR_NOMEM;
    }
    const vn_status st = collinearity_in(d, keep, work);
    vn__free(keep);
    vn__free(work);
    return st;
}

static vn_status collinearity_in(vn_diagnosis *d, bool *keep, double *work)
{
    const size_t p = d->p, P = p + 2;
    const double *R = d->qf.R;
    size_t nk = 0;
    keep[0] = keep[P - 1] = true;
    for (size_t j = 1; j <= p; j++) {
        /* centred norm (rows 1..j of the column) against the raw norm (rows 0..j) */
        double raw = 0, cen = 0;
        for (size_t i = 0; i <= j; i++) {
            raw += R[i * P + j] * R[i * P + j];
            if (i)
                cen += R[i * P + j] * R[i * P + j];
        }
        keep[j] = cen > 1e-24 * raw && raw > 0;
        nk += keep[j];
    }
    /* the factor of the kept columns: the QR of R's kept columns (X_S = Q R_S) */
    const size_t m = nk + 2;
    vn__qr q;
    VN_TRY(vn__qr_init(&q, m));
    double *row = work, *A = work + P, *s = A + P * P, *T = s + P, *Ti = T + P * P;
    for (size_t i = 0; i < P; i++) {
        size_t c = 0;
        for (size_t j = 0; j < P; j++)
            if (keep[j])
                row[c++] = R[i * P + j];
        vn__qr_add(&q, row);
    }
    vn__qr_flush(&q);
    q.n = d->n;
    /* Breusch–Pagan against the features */
    finding *f = add(d, "breusch_pagan", "features");
    if (!f) {
        vn__qr_free(&q);
        return VN_ERR_NOMEM;
    }
    if (nk == 0)
        skip(f, "every feature is constant");
    else
        breusch_pagan(d, f, &q, nk, "features");
    /* the condition number of [1, X_S], columns scaled to unit length */
    const size_t mm = nk + 1;
    for (size_t i = 0; i < mm; i++)
        for (size_t j = 0; j < mm; j++)
            A[i * mm + j] = q.R[i * m + j];
    for (size_t j = 0; j < mm; j++) {
        double big = 0, ss = 0;
        for (size_t i = 0; i <= j; i++)
            big = fmax(big, fabs(A[i * mm + j]));
        for (size_t i = 0; big > 0 && i <= j; i++)
            ss += (A[i * mm + j] / big) * (A[i * mm + j] / big);
        const double norm = big * sqrt(ss);
        for (size_t i = 0; norm > 0 && i <= j; i++)
            A[i * mm + j] /= norm;
    }
    vn__svd_values(A, mm, s);
    f = add(d, "condition_number", "");
    if (!f) {
        vn__qr_free(&q);
        return VN_ERR_NOMEM;
    }
    const double kappa = s[mm - 1] > 0 ? s[0] / s[mm - 1] : INFINITY;
    f->pub.stat = kappa;
    if (nk == 0) {
        skip(f, "every feature is constant");
    } else if (kappa > 30) {
        f->pub.status = VN_DIAG_FLAG;
        say(f, "The feature matrix is ill-conditioned (condition number %.4g of the scaled "
               "[1, X]; above 30 is serious, Belsley): some features are near linear "
               "combinations of others.", kappa);
        todo(f, "See the VIFs: drop or combine the redundant features, or regularise (ridge); "
                "coefficients and importances of a linear model are unstable here.");
    } else {
        say(f, "The feature matrix is well conditioned (condition number %.4g of the scaled "
               "[1, X]; above 30 is serious).", kappa);
    }
    /* VIF from the factor of the centred kept features: rows/columns 1..nk of q.R */
    for (size_t i = 0; i < nk; i++)
        for (size_t j = 0; j < nk; j++)
            T[i * nk + j] = q.R[(i + 1) * m + (j + 1)];
    const bool inv = nk > 0 && vn__tri_inverse(T, nk, Ti);
    size_t kk = 0;
    for (size_t j = 1; j <= p; j++) {
        f = add(d, "vif", d->fnames[j - 1]);
        if (!f) {
            vn__qr_free(&q);
            return VN_ERR_NOMEM;
        }
        if (!keep[j]) {
            skip(f, "the feature is constant: it cannot be collinear and is left out of the "
                    "other checks");
            continue;
        }
        double rn = 0, cn = 0;
        for (size_t c = 0; c < nk; c++)
            rn += Ti[kk * nk + c] * Ti[kk * nk + c];
        for (size_t i = 0; i <= kk; i++)
            cn += T[i * nk + kk] * T[i * nk + kk];
        /* one feature: nothing else to explain it, VIF = 1 exactly (rn·cn would be 1 only
         * to rounding) */
        const double vif = nk == 1 ? 1.0 : inv ? rn * cn : INFINITY;
        kk++;
        f->pub.stat = vif;
        extra(f, "r2", 1.0 - 1.0 / vif);
        if (vif > 10) {
            f->pub.status = VN_DIAG_FLAG;
            say(f, "%s is %.1f%% explained by the other features (VIF %.4g; above 10 is "
                   "serious): its own effect cannot be told from theirs.",
                d->fnames[j - 1], 100.0 * (1.0 - 1.0 / vif), vif);
            todo(f, "Drop it or combine it with the features it duplicates, or regularise; do not "
                    "read its coefficient or importance alone.");
        } else {
            say(f, "%s: VIF %.4g (%.1f%% explained by the other features; above 10 is serious).",
                d->fnames[j - 1], vif, 100.0 * (1.0 - 1.0 / vif));
        }
    }
    vn__qr_free(&q);
    return VN_OK;
}

static vn_status conclude(vn_diagnosis *d, const vn_diagnose_config *cfg)
{
    vn__qr_flush(&d->qp);
    if (d->p)
        vn__qr_flush(&d->qf);
    /* the errors, in time order when there is a time column */
    if (d->timed) {
        size_t *idx = NULL;
        VN_TRY(vn__tsort_order(&d->ts, &idx));
        d->n = d->ts.n;
        d->e = vn__malloc((d->n ? d->n : 1) * sizeof *d->e);
        if (!d->e) {
            vn__free(idx);
            return VN_ERR_NOMEM;
        }
        for (size_t i = 0; i < d->n; i++)
            d->e[i] = d->ts.v[0][idx[i]];
        vn__free(idx);
        vn__tsort_free(&d->ts);
        d->timed = false;
    }
    const size_t n = d->n;
    d->info.rows = n;
    d->info.ordered = cfg->ordered || (cfg->csv.time != NULL);
    d->info.features = d->p;
    d->info.level = cfg->level;
    /* Breusch–Pagan against the prediction */
    finding *f = add(d, "breusch_pagan", "prediction");
    if (!f)
        return VN_ERR_NOMEM;
    const double *R = d->qp.R;
    const double pn = sqrt(R[0 * 3 + 1] * R[0 * 3 + 1] + R[1 * 3 + 1] * R[1 * 3 + 1]);
    if (!(fabs(R[1 * 3 + 1]) > 1e-12 * pn))
        skip(f, "the prediction is constant");
    else
        breusch_pagan(d, f, &d->qp, 1, "prediction");
    if (d->p)
        VN_TRY(collinearity(d));
    if (!(f = add(d, "jarque_bera", "")))
        return VN_ERR_NOMEM;
    jarque_bera(d, f, d->e, n);
    if (!(f = add(d, "worst_rows_share", "")))
        return VN_ERR_NOMEM;
    VN_TRY(worst_share(d, f, d->e, n));
    finding *dw = add(d, "durbin_watson", ""), *lb = dw ? add(d, "ljung_box", "") : NULL;
    if (!lb)
        return VN_ERR_NOMEM;
    dw = &d->f[d->nf - 2];
    if (!d->info.ordered) {
        const char *why = "the rows are not known to be in time order: give --time COL (or "
                          "--ordered when the file is in time order)";
        skip(dw, why);
        skip(lb, why);
    } else {
        double r1;
        VN_TRY(ljung_box(d, lb, d->e, n, cfg->lags, &r1));
        durbin_watson(d, dw, d->e, n, r1);
    }
    if (!d->p) {
        if (!(f = add(d, "vif", "")))
            return VN_ERR_NOMEM;
        skip(f, "no features given (--features COL,...): VIF, the condition number and "
                "Breusch-Pagan on the features need them");
    }
    /* a stable order for people: as listed in vernier.h */
    static const char *const order[] = {"breusch_pagan", "jarque_bera", "worst_rows_share",
                                        "durbin_watson", "ljung_box", "condition_number", "vif"};
    finding *sorted = vn__malloc(d->nf * sizeof *sorted);
    if (!sorted)
        return VN_ERR_NOMEM;
    size_t at = 0;
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
        for (size_t i = 0; i < d->nf; i++)
            if (strcmp(d->f[i].pub.code, order[o]) == 0)
                sorted[at++] = d->f[i];
    vn__free(d->f);
    d->f = sorted;
    d->fcap = d->nf;
    d->pub = vn__malloc(d->nf * sizeof *d->pub);
    if (!d->pub)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < d->nf; i++) { /* the strings live in the moved findings */
        d->f[i].pub.subject = d->f[i].subject;
        d->f[i].pub.message = d->f[i].message;
        d->f[i].pub.action = d->f[i].action;
        d->pub[i] = d->f[i].pub;
    }
    return VN_OK;
}

/* ---- the public face ---- */

const char *vn_diag_status_name(vn_diag_status s)
{
    static const char *const names[] = {"ok", "flag", "skipped"};
    return (unsigned)s <= VN_DIAG_SKIPPED ? names[s] : "?";
}

void vn_diagnose_config_init(vn_diagnose_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    vn_csv_config_init(&cfg->csv);
    cfg->level = 0.95;
}

void vn_diagnosis_free(vn_diagnosis *d)
{
    if (!d)
        return;
    vn__qr_free(&d->qp);
    vn__qr_free(&d->qf);
    vn__tsort_free(&d->ts);
    for (size_t k = 0; d->fnames && k < d->p; k++)
        vn__free(d->fnames[k]);
    void *owned[] = {d->f, d->pub, d->source, d->ycol, d->pcol, d->tcol, d->fnames, d->e, d->row};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        vn__free(owned[k]);
    vn__free(d);
}

static vn_status configure(vn_diagnosis *d, const vn_diagnose_config *cfg, size_t p,
                           const char *const *names, char *errbuf, size_t errlen)
{
    VN_RETURN_IF(!(cfg->level > 0 && cfg->level < 1), VN_ERR_USAGE,
                 "the level must lie between 0 and 1, not %g", cfg->level);
    VN_RETURN_IF(p > 200, VN_ERR_USAGE, "at most 200 features, not %zu", p);
    d->alpha = 1.0 - cfg->level;
    d->fnames = vn__calloc(p ? p : 1, sizeof *d->fnames);
    if (!d->fnames)
        return VN_ERR_NOMEM;
    d->p = p;
    for (size_t k = 0; k < p; k++)
        if (!(d->fnames[k] = vn__strdup(names[k])))
            return VN_ERR_NOMEM;
    d->p = 0;
    return begin(d, p);
}

/* The end of a constructor: d to *out with its names published, or freed with "out of
 * memory" for NOMEM. */
static vn_status hand_over(vn_diagnosis *d, vn_status st, vn_diagnosis **out, char *errbuf,
                           size_t errlen)
{
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_diagnosis_free(d);
        return st;
    }
    vn_diagnose_info *in = &d->info;
    in->source = d->source ? d->source : "";
    in->y = d->ycol ? d->ycol : "";
    in->yhat = d->pcol ? d->pcol : "";
    in->time = d->tcol ? d->tcol : "";
    *out = d;
    return VN_OK;
}

static vn_status read_csv(vn_diagnosis *d, const char *path, const vn_diagnose_config *cfg,
                          char *errbuf, size_t errlen)
{
    const vn_csv_config *cc = &cfg->csv;
    vn__csv *r = NULL;
    VN_TRY(vn__csv_open_dialect(path, cc->delimiter, cc->header, cc->max_field, &r, errbuf, errlen));
    const size_t p = cfg->feature_count;
    size_t *col = vn__calloc(p + 3, sizeof *col);
    double *v = vn__calloc(p + 2, sizeof *v);
    const char **names = vn__calloc(p + 3, sizeof *names);
    vn_status st = col && v && names ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK)
        st = vn__csv_find_column(r, cc->y, "y", &col[0], errbuf, errlen);
    if (st == VN_OK)
        st = vn__csv_find_column(r, cc->yhat, "prediction", &col[1], errbuf, errlen);
    for (size_t k = 0; st == VN_OK && k < p; k++)
        st = vn__csv_find_column(r, cfg->features[k], "feature", &col[2 + k], errbuf, errlen);
    if (st == VN_OK && cc->time)
        st = vn__csv_find_column(r, cc->time, "time", &col[2 + p], errbuf, errlen);
    char num[24];
    for (size_t k = 0; st == VN_OK && k < p + 3; k++) {
        if (k == p + 2 && !cc->time)
            break;
        vn__fmt(num, sizeof num, "%zu", col[k] + 1);
        names[k] = vn__csv_colname(r, col[k]) ? vn__csv_colname(r, col[k]) : NULL;
        char *copy = vn__strdup(names[k] ? names[k] : num);
        if (!copy) {
            st = VN_ERR_NOMEM;
            break;
        }
        names[k] = copy;
    }
    if (st == VN_OK) {
        d->ycol = (char *)names[0];
        d->pcol = (char *)names[1];
        names[0] = names[1] = NULL;
        if (cc->time) {
            d->tcol = (char *)names[p + 2];
            names[p + 2] = NULL;
        }
        st = configure(d, cfg, p, names + 2, errbuf, errlen);
        d->timed = cc->time != NULL;
    }
    static const char *const roles[2] = {"y", "prediction"};
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            vn__fmt(errbuf, errlen, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        d->info.rows_read++;
        int ok = 1;
        for (size_t k = 0; k < p + 2 && ok == 1; k++)
            ok = vn__csv_number(r, col[k], k < 2 ? roles[k] : "feature", k < 2 ? (k ? d->pcol : d->ycol) : d->fnames[k - 2],
                                cc->missing, &v[k], errbuf, errlen);
        if (ok < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if (ok == 0) {
            d->info.rows_missing++;
            continue;
        }
        size_t tl = 0;
        const char *tv = NULL;
        if (cc->time) {
            tv = vn__csv_field(r, col[p + 2], &tl);
            if (tl == 0) {
                vn__fmt(errbuf, errlen, "%s:%llu:%llu: time column \"%s\": missing value (empty cell)",
                        vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, col[p + 2]),
                        (unsigned long long)vn__csv_field_col(r, col[p + 2]), d->tcol);
                st = VN_ERR_DATA;
                break;
            }
        }
        st = add_row(d, v[0], v[1], v + 2, tv, tl);
    }
    if (st == VN_OK && d->info.rows_read == 0) {
        vn__fmt(errbuf, errlen, "%s: no data rows%s", vn__csv_name(r), cc->header ? " after the header" : "");
        st = VN_ERR_DATA;
    }
    if (st == VN_OK && (d->timed ? d->ts.n : d->n) == 0) {
        vn__fmt(errbuf, errlen, "%s: no rows without a missing value", vn__csv_name(r));
        st = VN_ERR_DATA;
    }
    for (size_t k = 0; names && k < p + 3; k++)
        vn__free((void *)names[k]);
    vn__free(names);
    vn__free(col);
    vn__free(v);
    vn__csv_free(r);
    return st;
}

vn_status vn_diagnose_run(const char *path, const vn_diagnose_config *cfg, vn_diagnosis **out,
                          char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    VN_RETURN_IF(!path || !cfg || !cfg->csv.y || !cfg->csv.yhat, VN_ERR_USAGE,
                 "vn_diagnose_run: a path, a config and the y and yhat columns are required");
    VN_RETURN_IF(cfg->csv.delimiter == '"' || cfg->csv.delimiter == '\n' || cfg->csv.delimiter == '\r',
                 VN_ERR_USAGE, "the delimiter cannot be a quote or a line break");
    vn_diagnosis *d = vn__calloc(1, sizeof *d);
    if (!d) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    vn_status st = (d->source = vn__strdup(path)) ? read_csv(d, path, cfg, errbuf, errlen) : VN_ERR_NOMEM;
    if (st == VN_OK)
        st = conclude(d, cfg);
    return hand_over(d, st, out, errbuf, errlen);
}

vn_status vn_diagnose_arrays(const vn_diagnose_data *data, const vn_diagnose_config *cfg,
                             vn_diagnosis **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    VN_RETURN_IF(!data || !cfg || (data->n && (!data->y || !data->yhat)) ||
                     (data->nfeatures && (!data->features || !data->feature_names)),
                 VN_ERR_USAGE, "vn_diagnose_arrays: the arrays and a config are required");
    VN_RETURN_IF(data->n == 0, VN_ERR_DATA, "no rows");
    vn_diagnosis *d = vn__calloc(1, sizeof *d);
    if (!d) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    const size_t p = data->nfeatures;
    vn_status st = configure(d, cfg, p, data->feature_names, errbuf, errlen);
    double *x = st == VN_OK ? vn__calloc(p ? p : 1, sizeof *x) : NULL;
    if (st == VN_OK && !x)
        st = VN_ERR_NOMEM;
    for (size_t i = 0; st == VN_OK && i < data->n; i++) {
        const double y = data->y[(ptrdiff_t)i * data->y_stride];
        const double yh = data->yhat[(ptrdiff_t)i * data->yhat_stride];
        bool fine = isfinite(y) && isfinite(yh);
        for (size_t k = 0; k < p; k++) {
            const ptrdiff_t s = data->feature_strides ? data->feature_strides[k] : 1;
            x[k] = data->features[k][(ptrdiff_t)i * s];
            fine = fine && isfinite(x[k]);
        }
        if (!fine) {
            vn__fmt(errbuf, errlen, "row %zu: a value is not finite", i + 1);
            st = VN_ERR_DATA;
            break;
        }
        st = add_row(d, y, yh, x, NULL, 0);
    }
    vn__free(x);
    d->info.rows_read = data->n;
    vn_diagnose_config c2 = *cfg;
    c2.csv.time = NULL;
    if (st == VN_OK)
        st = conclude(d, &c2);
    return hand_over(d, st, out, errbuf, errlen);
}

const vn_diagnose_info *vn_diagnosis_summary(const vn_diagnosis *d) { return &d->info; }
size_t vn_diagnosis_count(const vn_diagnosis *d) { return d->nf; }

const vn_diag_finding *vn_diagnosis_at(const vn_diagnosis *d, size_t i)
{
    return i < d->nf ? &d->pub[i] : NULL;
}

const vn_diag_finding *vn_diagnosis_find(const vn_diagnosis *d, const char *code, const char *subject)
{
    for (size_t i = 0; i < d->nf; i++)
        if (strcmp(d->pub[i].code, code) == 0 && (!subject || strcmp(d->pub[i].subject, subject) == 0))
            return &d->pub[i];
    return NULL;
}

vn_status vn_result_add_diagnosis_findings(vn_result *res, const vn_diagnosis *d)
{
    /* note codes are static strings (vn_note.code is not owned) */
    static const struct {
        const char *code, *note;
    } map[] = {{"breusch_pagan", "diagnose_breusch_pagan"},
               {"jarque_bera", "diagnose_jarque_bera"},
               {"worst_rows_share", "diagnose_worst_rows_share"},
               {"durbin_watson", "diagnose_durbin_watson"},
               {"ljung_box", "diagnose_ljung_box"},
               {"condition_number", "diagnose_condition_number"},
               {"vif", "diagnose_vif"}};
    for (size_t i = 0; i < d->nf; i++) {
        const vn_diag_finding *f = &d->pub[i];
        if (f->status != VN_DIAG_FLAG)
            continue;
        for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
            if (strcmp(f->code, map[k].code) == 0)
                VN_TRY(vn__note_add(res, map[k].note, 0, "%s%s%s%s: %s %s", vn__diag_title(f->code),
                                    *f->subject ? " (" : "", f->subject, *f->subject ? ")" : "",
                                    f->message, f->action));
    }
    return VN_OK;
}
