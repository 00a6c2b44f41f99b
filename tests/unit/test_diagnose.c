/*
 * test_diagnose.c — the residual diagnostics (diagnose.c) and the QR path under them
 * (qr.c):
 *  - NIST StRD linear regression (../shared/data/nist-strd/linear-regression): the
 *    streaming Householder QR fits every file; coefficients, residual SD and R² are
 *    graded by LRE against the certified values with the thresholds the data's README
 *    gives for a QR-based binary64 engine (>= 11 Norris, Pontius, NoInt1/2, Longley;
 *    >= 7 Filip; >= 5.5 Wampler1-5; Wampler1/2 residual SD exactly 0 to 1e-9);
 *  - NIST StRD univariate r(1), the lag-1 autocorrelation, as diagnose reports it for
 *    the errors (y = the data, prediction 0), LRE >= 10;
 *  - hand cases: VIF of two features is 1 / (1 − r²) with r their correlation; the
 *    scaled condition number of [1, x] is √((1 + |c|) / (1 − |c|)), c the cosine of the
 *    two unit columns; a constant feature is set aside, a duplicate gives VIF inf;
 *  - the simulation of issue 10: Breusch–Pagan (against the prediction, level 0.95)
 *    flags >= 90 % of 500 heteroscedastic datasets and leaves >= 90 % of 500
 *    homoscedastic ones unflagged (n = 200 each, all through vn_diagnose_arrays);
 *  - allocation failure at every allocation of a run with features and time order.
 */
#include "qr.h"
#include "unit.h"
#include "alloc_hook.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NIST "../shared/data/nist-strd/"

static double lre(double x, double c)
{
    const double e = c == 0 ? fabs(x) : fabs(x - c) / fabs(c);
    return e == 0 ? 15.0 : fmin(15.0, -log10(e));
}

/* Reads a NIST file: certified B_k into cert (returns their count), the residual SD, R²
 * or r(1), and the data lines (61 on) into rows of ncol numbers. */
typedef struct nist {
    double cert[12], sd, r2, r1;
    size_t ncert;
    double *data;
    size_t n, ncol;
} nist;

static int nist_read(const char *path, size_t ncol, nist *s)
{
    memset(s, 0, sizeof *s);
    s->ncol = ncol;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char line[512];
    size_t lineno = 0, cap = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *p = line + strspn(line, " \t");
        if (lineno < 61) {
            char *v;
            if (p[0] == 'B' && p[1] >= '0' && p[1] <= '9' && s->ncert < 12) {
                strtol(p + 1, &v, 10);
                s->cert[s->ncert++] = strtod(v, NULL);
            } else if ((v = strstr(line, "Standard Deviation")) && strstr(line, "Residual") == NULL &&
                       lineno > 30 && !strstr(line, "Estimate") && !strstr(line, "Sample")) {
                const double x = strtod(v + strlen("Standard Deviation"), NULL);
                if (x != 0 || strchr(v, '0'))
                    s->sd = x;
            } else if ((v = strstr(line, "R-Squared"))) {
                s->r2 = strtod(v + strlen("R-Squared"), NULL);
            } else if ((v = strstr(line, "r(1):"))) {
                s->r1 = strtod(v + 5, NULL);
            }
            continue;
        }
        double row[8];
        char *q = p;
        size_t k = 0;
        for (; k < ncol; k++) {
            char *end;
            row[k] = strtod(q, &end);
            if (end == q)
                break;
            q = end;
        }
        if (k < ncol)
            continue;
        if (s->n == cap) {
            cap = cap ? 2 * cap : 64;
            s->data = realloc(s->data, cap * ncol * sizeof *s->data);
        }
        memcpy(s->data + s->n * ncol, row, ncol * sizeof *row);
        s->n++;
    }
    fclose(fp);
    return s->n > 0;
}

/* The files, their models: a polynomial of degree `deg` in x (cols 2: y x), or the
 * columns x1..x6 (Longley); intercept or not; and the LRE required. */
static const struct {
    const char *name;
    size_t ncol, deg;
    int intercept;
    double min_lre;
} lls[] = {
    {"Norris", 2, 1, 1, 11},   {"Pontius", 2, 2, 1, 11},   {"NoInt1", 2, 1, 0, 11},
    {"NoInt2", 2, 1, 0, 11},   {"Longley", 7, 0, 1, 11},   {"Filip", 2, 10, 1, 7},
    {"Wampler1", 2, 5, 1, 5.5}, {"Wampler2", 2, 5, 1, 5.5}, {"Wampler3", 2, 5, 1, 5.5},
    {"Wampler4", 2, 5, 1, 5.5}, {"Wampler5", 2, 5, 1, 5.5},
};

static void nist_regression(void)
{
    for (size_t f = 0; f < sizeof lls / sizeof lls[0]; f++) {
        char path[256];
        snprintf(path, sizeof path, NIST "linear-regression/%s.dat", lls[f].name);
        nist s;
        if (!nist_read(path, lls[f].ncol, &s)) {
            CHECKF(0, "cannot read %s", path);
            continue;
        }
        const size_t k = lls[f].deg ? lls[f].deg + (size_t)lls[f].intercept : 7; /* parameters */
        const size_t p = k + 1;                                                  /* + y */
        vn__qr q;
        CHECK(vn__qr_init(&q, p) == VN_OK);
        double row[16];
        for (size_t i = 0; i < s.n; i++) {
            const double *d = s.data + i * s.ncol;
            size_t c = 0;
            if (lls[f].deg) {
                double xp = lls[f].intercept ? 1.0 : d[1];
                for (size_t j = 0; j < k; j++, xp *= d[1])
                    row[c++] = xp;
            } else {
                row[c++] = 1.0;
                for (size_t j = 1; j < 7; j++)
                    row[c++] = d[j];
            }
            row[c] = d[0];
            vn__qr_add(&q, row);
        }
        vn__qr_flush(&q);
        double b[16];
        CHECK(vn__qr_solve(&q, k, b));
        double worst = 15;
        for (size_t j = 0; j < k && j < s.ncert; j++)
            worst = fmin(worst, lre(b[j], s.cert[j]));
        const double rss = q.R[k * p + k] * q.R[k * p + k];
        const double sd = sqrt(rss / (double)(s.n - k));
        double tss, r2;
        if (lls[f].intercept) {
            r2 = vn__qr_r2_last(&q, &tss);
        } else { /* uncentred, as NIST certifies NoInt1/2 */
            double yy = 0;
            for (size_t i = 0; i <= k; i++)
                yy += q.R[i * p + k] * q.R[i * p + k];
            r2 = 1.0 - rss / yy;
        }
        const bool exact = s.sd == 0;
        const double sd_lre = exact ? (sd <= 1e-9 ? 15 : 0) : lre(sd, s.sd);
        const double r2_lre = lre(r2, s.r2);
        printf("  NIST %-9s n=%3zu: min coefficient LRE %5.2f, residual SD %5.2f, R^2 %5.2f (need %g)\n",
               lls[f].name, s.n, worst, sd_lre, r2_lre, lls[f].min_lre);
        CHECKF(worst >= lls[f].min_lre, "%s: coefficient LRE %.2f < %g", lls[f].name, worst, lls[f].min_lre);
        CHECKF(sd_lre >= lls[f].min_lre, "%s: residual SD %.17g vs %.17g", lls[f].name, sd, s.sd);
        CHECKF(r2_lre >= lls[f].min_lre, "%s: R^2 %.17g vs %.17g", lls[f].name, r2, s.r2);
        vn__qr_free(&q);
        free(s.data);
    }
}

static vn_diagnosis *diag(size_t n, const double *y, const double *yhat, size_t nf, const double *const *x,
                          const char *const *names, int ordered)
{
    vn_diagnose_config cfg;
    vn_diagnose_config_init(&cfg);
    cfg.ordered = ordered;
    const vn_diagnose_data data = {n, y, 1, yhat, 1, nf, names, x, NULL};
    vn_diagnosis *d = NULL;
    char err[300];
    const vn_status st = vn_diagnose_arrays(&data, &cfg, &d, err, sizeof err);
    CHECKF(st == VN_OK, "vn_diagnose_arrays: %s", err);
    return d;
}

static double extra_of(const vn_diag_finding *f, const char *name)
{
    for (size_t k = 0; f && k < f->nextra; k++)
        if (strcmp(f->extra_name[k], name) == 0)
            return f->extra[k];
    return NAN;
}

static void nist_autocorrelation(void)
{
    static const char *const files[] = {"PiDigits", "Lottery", "Lew", "Mavro", "Michelso",
                                        "NumAcc1", "NumAcc2", "NumAcc3", "NumAcc4"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[256];
        snprintf(path, sizeof path, NIST "univariate/%s.dat", files[f]);
        nist s;
        if (!nist_read(path, 1, &s)) {
            CHECKF(0, "cannot read %s", path);
            continue;
        }
        /* the errors are yhat − y = −y; r(1) of −y is r(1) of y */
        double *zero = calloc(s.n, sizeof *zero);
        vn_diagnosis *d = diag(s.n, s.data, zero, 0, NULL, NULL, 1);
        const double r1 = d ? extra_of(vn_diagnosis_find(d, "durbin_watson", NULL), "r1") : NAN;
        const double l = lre(r1, s.r1);
        printf("  NIST %-9s r(1) LRE %5.2f\n", files[f], l);
        CHECKF(l >= 10, "%s: r(1) %.17g vs %.17g", files[f], r1, s.r1);
        vn_diagnosis_free(d);
        free(zero);
        free(s.data);
    }
}

static void hand(void)
{
    enum { N = 50 };
    double x1[N], x2[N], x3[N], y[N], yh[N], k[N];
    for (int i = 0; i < N; i++) {
        x1[i] = i % 7 + 0.5 * (i % 3);
        x2[i] = (i * 37 % 11) + 0.3 * x1[i];
        x3[i] = 4.0;
        yh[i] = x1[i] + x2[i];
        y[i] = yh[i] + ((i * 13) % 5 - 2.0);
        k[i] = 2 * x1[i] - 1; /* an exact duplicate up to scale */
    }
    /* VIF with two features = 1 / (1 − r²) */
    double m1 = 0, m2 = 0;
    for (int i = 0; i < N; i++) {
        m1 += x1[i] / N;
        m2 += x2[i] / N;
    }
    double s11 = 0, s22 = 0, s12 = 0;
    for (int i = 0; i < N; i++) {
        s11 += (x1[i] - m1) * (x1[i] - m1);
        s22 += (x2[i] - m2) * (x2[i] - m2);
        s12 += (x1[i] - m1) * (x2[i] - m2);
    }
    const double r2 = s12 * s12 / (s11 * s22), vif = 1.0 / (1.0 - r2);
    const double *xs[] = {x1, x2, x3};
    const char *names[] = {"x1", "x2", "x3"};
    vn_diagnosis *d = diag(N, y, yh, 3, xs, names, 0);
    if (d) {
        const vn_diag_finding *a = vn_diagnosis_find(d, "vif", "x1"), *b = vn_diagnosis_find(d, "vif", "x2"),
                              *c = vn_diagnosis_find(d, "vif", "x3");
        CHECKF(a && unit_close(a->stat, vif, 1e-12), "VIF x1 %.17g vs %.17g", a ? a->stat : NAN, vif);
        CHECKF(b && unit_close(b->stat, vif, 1e-12), "VIF x2 %.17g vs %.17g", b ? b->stat : NAN, vif);
        CHECK(c && c->status == VN_DIAG_SKIPPED); /* constant */
        const vn_diag_finding *bp = vn_diagnosis_find(d, "breusch_pagan", "features");
        CHECK(bp && bp->df == 2); /* the constant feature is set aside */
        CHECK(vn_diagnosis_find(d, "durbin_watson", NULL)->status == VN_DIAG_SKIPPED);
    }
    vn_diagnosis_free(d);
    /* the condition number of [1, x]: √((1 + |c|) / (1 − |c|)) */
    double sx = 0, sxx = 0;
    for (int i = 0; i < N; i++) {
        sx += x1[i];
        sxx += x1[i] * x1[i];
    }
    const double cosine = sx / (sqrt((double)N) * sqrt(sxx));
    const double kappa = sqrt((1 + fabs(cosine)) / (1 - fabs(cosine)));
    d = diag(N, y, yh, 1, xs, names, 0);
    const vn_diag_finding *cn = d ? vn_diagnosis_find(d, "condition_number", NULL) : NULL;
    CHECKF(cn && unit_close(cn->stat, kappa, 1e-12), "kappa %.17g vs %.17g", cn ? cn->stat : NAN, kappa);
    vn_diagnosis_free(d);
    /* a duplicate feature: VIF inf (or beyond 1e12) for both */
    const double *xd[] = {x1, k};
    d = diag(N, y, yh, 2, xd, names, 0);
    const vn_diag_finding *v1 = d ? vn_diagnosis_find(d, "vif", "x1") : NULL;
    CHECKF(v1 && v1->stat > 1e12 && v1->status == VN_DIAG_FLAG, "duplicate VIF %g", v1 ? v1->stat : NAN);
    vn_diagnosis_free(d);
    /* Durbin–Watson of alternating errors: Σ(2)² / Σ1 = 4(n−1)/n */
    for (int i = 0; i < N; i++)
        yh[i] = y[i] + (i % 2 ? 1.0 : -1.0);
    d = diag(N, y, yh, 0, NULL, NULL, 1);
    const vn_diag_finding *dw = d ? vn_diagnosis_find(d, "durbin_watson", NULL) : NULL;
    CHECK(dw && unit_close(dw->stat, 4.0 * (N - 1) / N, 1e-15) && dw->status == VN_DIAG_FLAG);
    vn_diagnosis_free(d);
}

/* ---- the simulation ---- */

static uint64_t rng_state;
static double unif(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()); }

static void simulation(void)
{
    enum { RUNS = 500, N = 200 };
    double y[N], yh[N];
    int flagged[2] = {0, 0};
    rng_state = 20261128;
    for (int het = 0; het < 2; het++)
        for (int r = 0; r < RUNS; r++) {
            for (int i = 0; i < N; i++) {
                yh[i] = 1 + 9 * unif();
                const double sd = het ? 0.4 * yh[i] : 2.0; /* error sd grows with the prediction */
                y[i] = yh[i] + sd * gauss();
            }
            vn_diagnosis *d = diag(N, y, yh, 0, NULL, NULL, 0);
            const vn_diag_finding *bp = d ? vn_diagnosis_find(d, "breusch_pagan", "prediction") : NULL;
            flagged[het] += bp && bp->status == VN_DIAG_FLAG;
            vn_diagnosis_free(d);
        }
    printf("  Breusch-Pagan simulation (n = %d, level 0.95): flagged %d of %d heteroscedastic, "
           "%d of %d homoscedastic\n", N, flagged[1], RUNS, flagged[0], RUNS);
    CHECK(flagged[1] >= RUNS * 9 / 10);
    CHECK(RUNS - flagged[0] >= RUNS * 9 / 10);
}

static void alloc_failures(void)
{
    enum { N = 300 };
    double y[N], yh[N], a[N], b[N];
    for (int i = 0; i < N; i++) {
        a[i] = sin(i);
        b[i] = cos(i * 0.3) + 0.5 * a[i];
        yh[i] = a[i] + b[i];
        y[i] = yh[i] + 0.1 * sin(i * 7.1) * (1 + fabs(yh[i]));
    }
    const double *xs[] = {a, b};
    const char *names[] = {"a", "b"};
    vn_diagnose_config cfg;
    vn_diagnose_config_init(&cfg);
    cfg.ordered = 1;
    const vn_diagnose_data data = {N, y, 1, yh, 1, 2, names, xs, NULL};
    vn_set_allocator(hook, NULL);
    calls = 0;
    vn_diagnosis *d = NULL;
    CHECK(vn_diagnose_arrays(&data, &cfg, &d, NULL, 0) == VN_OK);
    vn_diagnosis_free(d);
    const long total = calls;
    long bad = 0, nomem = 0;
    for (long k = 1; k <= total; k++) {
        calls = live = 0;
        fail_at = k;
        d = NULL;
        const vn_status st = vn_diagnose_arrays(&data, &cfg, &d, NULL, 0);
        nomem += st == VN_ERR_NOMEM;
        bad += (st != VN_OK && st != VN_ERR_NOMEM) || (st == VN_ERR_NOMEM && d);
        vn_diagnosis_free(d);
        bad += live != 0;
    }
    fail_at = -1;
    vn_set_allocator(NULL, NULL);
    printf("  diagnose: %ld allocations, each failed once: %ld runs reported NOMEM\n", total, nomem);
    CHECKF(bad == 0, "%ld runs leaked or misreported", bad);
}

int main(void)
{
    RUN(nist_regression);
    RUN(nist_autocorrelation);
    RUN(hand);
    RUN(simulation);
    RUN(alloc_failures);
    return unit_summary("diagnose");
}
