/*
 * test_eval.c — the evaluation through the public API: determinism across thread
 * counts and update chunkings, merge of halves, slices, zero weights, API errors.
 *
 * Oracles: bit-identity between runs that must agree by construction; hand-derived
 * values for the small cases (worked out in the comments).
 */
#include "vernier.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

/* Every metric of the catalog, with parameters where needed. */
static const char *ALL =
    "count,weight_sum,mean_error,mae,mse,rmse,max_error,medae,abs_error_quantile:q=0.3,"
    "p90_abs_error,p99_abs_error,mape,smape,wmape,mpe,msle,rmsle,r2,adjusted_r2:p=3,"
    "explained_variance,huber:delta=0.7,pseudo_huber:delta=2,log_cosh,pinball:q=0.8,"
    "d2_absolute_error,d2_pinball:q=0.2,d2_tweedie:power=1.5,poisson_deviance,gamma_deviance,"
    "tweedie_deviance:power=3,pearson_r,spearman_rho,kendall_tau,ccc,nrmse:norm=iqr,"
    "nrmse:norm=std,mda,mase:m=2,rmsse:m=3";

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double uniform(void) /* splitmix64 → [0, 1) */
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

#define N 120000
static double Y[N], P[N], Wt[N];
static uint32_t S[N];

static void make_data(void)
{
    for (size_t i = 0; i < N; i++) {
        Y[i] = 1.0 + 100.0 * uniform() * uniform();       /* positive: every domain holds */
        const double t = tan(3.1 * (uniform() - 0.5));    /* heavy tail */
        P[i] = fmax(0.01, Y[i] + 3.0 * t);
        Wt[i] = uniform() < 0.05 ? 0.0 : 0.5 + 2.0 * uniform();
        S[i] = (uint32_t)(7.0 * uniform() * uniform());
    }
}

static double ci_level; /* > 0: bootstrap intervals in run() */
static size_t nrows = N;  /* rows of the data set run() evaluates */

/* Evaluates with the given threads, feeding rows in chunks of `chunk`. */
static vn_result *run(int threads, size_t chunk, int sliced)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = ALL;
    cfg.threads = threads;
    cfg.ci_level = ci_level;
    cfg.ci_method = VN_CI_PERCENTILE;
    cfg.resamples = 7;
    cfg.seed = 42;
    const char *by[] = {"seg"};
    if (sliced) {
        cfg.by_count = 1;
        cfg.by_names = by;
    }
    vn_eval *ev;
    char err[256];
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    uint32_t ids[8];
    for (int k = 0; sliced && k < 7; k++) {
        char name[8];
        snprintf(name, sizeof name, "s%d", k);
        const char *v[] = {name};
        vn_eval_slice(ev, v, NULL, &ids[k]);
    }
    for (size_t at = 0; at < nrows; at += chunk) {
        const size_t n = nrows - at < chunk ? nrows - at : chunk;
        const vn_rows r = {n, Y + at, 1, P + at, 1, Wt + at, 1, sliced ? S + at : NULL};
        if (vn_eval_update(ev, &r) != VN_OK) {
            fprintf(stderr, "%s\n", vn_eval_errmsg(ev));
            vn_eval_free(ev);
            return NULL;
        }
    }
    vn_result *res = NULL;
    vn_eval_finish(ev, &res);
    vn_eval_free(ev);
    return res;
}

/* Number of (slice, metric) values that differ in bits. */
static size_t differences(const vn_result *a, const vn_result *b)
{
    size_t d = 0;
    for (size_t s = 0; s < vn_result_slice_count(a); s++)
        for (size_t m = 0; m < vn_result_metric_count(a); m++) {
            vn_value va, vb;
            vn_result_get(a, s, m, &va);
            vn_result_get(b, s, m, &vb);
            if (!unit_same(va.value, vb.value) || va.reason != vb.reason ||
                !unit_same(va.lo, vb.lo) || !unit_same(va.hi, vb.hi)) {
                if (d++ < 3)
                    fprintf(stderr, "  slice %zu %s: %.17g vs %.17g\n", s,
                            vn_result_metric_key(a, m), va.value, vb.value);
            }
        }
    return d;
}

static void test_determinism(void)
{
    make_data();
    vn_result *ref = run(1, N, 1);
    CHECK(ref != NULL);
    if (!ref)
        return;
    CHECK(vn_result_slice_count(ref) == 8);
    size_t undefined = 0;
    for (size_t m = 0; m < vn_result_metric_count(ref); m++) {
        vn_value v;
        vn_result_get(ref, 0, m, &v);
        undefined += v.reason != VN_REASON_NONE;
        if (v.reason != VN_REASON_NONE)
            fprintf(stderr, "  undefined: %s (%s)\n", vn_result_metric_key(ref, m), v.message);
    }
    CHECKF(undefined == 0, "every metric is defined on the positive data set");
    const int threads[] = {1, 2, 4, 7};
    const size_t chunks[] = {N, 65536, 4097, 1000, 1};
    for (size_t t = 0; t < 4; t++)
        for (size_t c = 0; c < 5; c++) {
            if (chunks[c] == 1 && threads[t] != 2)
                continue; /* one-row updates are slow; once is enough */
            vn_result *r = run(threads[t], chunks[c], 1);
            CHECKF(r && differences(ref, r) == 0, "threads %d, chunk %zu: bit-identical",
                   threads[t], chunks[c]);
            vn_result_free(r);
        }
    /* The overall slice does not depend on whether slicing happens. */
    vn_result *flat = run(3, 12345, 0);
    size_t d = 0;
    for (size_t m = 0; flat && m < vn_result_metric_count(ref); m++) {
        vn_value a, b;
        vn_result_get(ref, 0, m, &a);
        vn_result_get(flat, 0, m, &b);
        d += !unit_same(a.value, b.value);
    }
    CHECKF(flat && d == 0, "overall slice identical with and without --by (%zu differ)", d);
    vn_result_free(flat);
    vn_result_free(ref);
}

/* Hand-derived: y = 1,2,3,4; yhat = 2,2,2,6; w = 1,0,1,2.
 * Rows used: (1,2,w1) e=1, (3,2,w1) e=-1, (4,6,w2) e=2. W = 4.
 * mean_error = (1 - 1 + 4)/4 = 1; mae = (1 + 1 + 4)/4 = 1.5; mse = (1 + 1 + 8)/4 = 2.5;
 * max_error = 2; count = 3; weight_sum = 4; pinball q=0.25: r = y - yhat = -1, 1, -2;
 * losses (q-1)r = 0.75, q r = 0.25, (q-1)r = 1.5 → (0.75 + 0.25 + 2·1.5)/4 = 1. */
static void test_hand(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mean_error,mae,mse,max_error,count,weight_sum,pinball:q=0.25,bias";
    vn_eval *ev;
    CHECK(vn_eval_new(&cfg, &ev, NULL, 0) == VN_OK);
    const double y[] = {1, 2, 3, 4}, p[] = {2, 2, 2, 6}, w[] = {1, 0, 1, 2};
    const vn_rows r = {4, y, 1, p, 1, w, 1, NULL};
    CHECK(vn_eval_update(ev, &r) == VN_OK);
    vn_result *res;
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    const double want[] = {1, 1.5, 2.5, 2, 3, 4, 1};
    CHECKF(vn_result_metric_count(res) == 7, "bias is mean_error: kept once");
    for (size_t m = 0; m < 7 && m < vn_result_metric_count(res); m++) {
        vn_value v;
        vn_result_get(res, 0, m, &v);
        CHECKF(v.value == want[m], "%s = %.17g, want %g", vn_result_metric_key(res, m), v.value,
               want[m]);
    }
    CHECK(vn_result_input(res)->rows_zero_weight == 1);
    vn_result_free(res);
    vn_eval_free(ev);
}

/* Strided input (every other element) gives the same as contiguous. */
static void test_strides(void)
{
    double y[8], p[8];
    const double yc[] = {1, 5, 2, 8}, pc[] = {2, 4, 4, 7};
    for (int i = 0; i < 4; i++) {
        y[2 * i] = yc[i];
        p[2 * i] = pc[i];
        y[2 * i + 1] = p[2 * i + 1] = NAN;
    }
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,r2,medae";
    vn_eval *a, *b;
    vn_eval_new(&cfg, &a, NULL, 0);
    vn_eval_new(&cfg, &b, NULL, 0);
    const vn_rows rs = {4, y, 2, p, 2, NULL, 0, NULL}, rc = {4, yc, 1, pc, 1, NULL, 0, NULL};
    CHECK(vn_eval_update(a, &rs) == VN_OK);
    CHECK(vn_eval_update(b, &rc) == VN_OK);
    vn_result *ra, *rb;
    vn_eval_finish(a, &ra);
    vn_eval_finish(b, &rb);
    CHECK(differences(ra, rb) == 0);
    /* mae = (1 + 1 + 2 + 1)/4 = 1.25; medae of {1,1,2,1} = 1 */
    vn_value v;
    vn_result_get(ra, 0, 0, &v);
    CHECK(v.value == 1.25);
    vn_result_get(ra, 0, 2, &v);
    CHECK(v.value == 1.0);
    vn_result_free(ra);
    vn_result_free(rb);
    vn_eval_free(a);
    vn_eval_free(b);
}

static void test_api_errors(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    char err[256];
    vn_eval *ev;
    cfg.metrics = "mae,nope";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && ev == NULL);
    CHECK(strstr(err, "unknown metric \"nope\"") != NULL);
    cfg.metrics = "adjusted_r2";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE);
    CHECK(strstr(err, "needs p") != NULL);
    cfg.metrics = "huber:delta=0";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE);
    cfg.metrics = "tweedie_deviance:power=0.5";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE);
    cfg.metrics = "pinball:q=abc";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE);
    cfg.metrics = "p95_abs_error:q=0.5";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE);
    cfg.metrics = "mae";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    const double y[] = {1, NAN}, p[] = {1, 2}, w[] = {1, -1};
    vn_rows r = {2, y, 1, p, 1, NULL, 0, NULL};
    CHECK(vn_eval_update(ev, &r) == VN_ERR_DATA);
    CHECK(strstr(vn_eval_errmsg(ev), "row 2") != NULL);
    vn_eval_free(ev);
    vn_eval_new(&cfg, &ev, err, sizeof err);
    const double y2[] = {1, 2};
    r = (vn_rows){2, y2, 1, p, 1, w, 1, NULL};
    CHECK(vn_eval_update(ev, &r) == VN_ERR_DATA);
    CHECK(strstr(vn_eval_errmsg(ev), "negative") != NULL);
    vn_eval_free(ev);
    /* no rows at all: metrics undefined with reason no_rows, count 0 */
    vn_eval_new(&cfg, &ev, err, sizeof err);
    vn_result *res;
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_value v;
    vn_result_get(res, 0, 0, &v);
    CHECK(isnan(v.value) && v.reason == VN_REASON_NO_ROWS);
    CHECK(vn_result_get(res, 1, 0, &v) == VN_ERR_USAGE);
    vn_result_free(res);
    vn_eval_free(ev);
    CHECK(vn_metric_find("bias") == vn_metric_find("mean_error"));
    CHECK(vn_metric_find("p95_abs_error") == vn_metric_find("abs_error_quantile"));
    CHECK(vn_metric_count() >= 36);
}

/* r2 alone folds only Σw·y and Syy (NEED_SYY); beside pearson every moment is folded:
 * r2 comes out the same bits either way, weighted or not, and so does nrmse (std). */
static void test_syy_alone(void)
{
    make_data();
    for (int weighted = 0; weighted < 2; weighted++) {
        double got[2][2];
        const char *lists[] = {"r2,nrmse:norm=std", "r2,nrmse:norm=std,pearson_r,explained_variance"};
        for (int l = 0; l < 2; l++) {
            vn_eval_config cfg;
            vn_eval_config_init(&cfg);
            cfg.metrics = lists[l];
            vn_eval *ev;
            char err[256];
            CHECKF(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK, "%s", err);
            const vn_rows r = {N, Y, 1, P, 1, weighted ? Wt : NULL, 1, NULL};
            CHECK(vn_eval_update(ev, &r) == VN_OK);
            vn_result *res = NULL;
            CHECK(vn_eval_finish(ev, &res) == VN_OK);
            for (size_t m = 0; m < 2; m++) {
                vn_value v;
                CHECK(vn_result_get(res, 0, m, &v) == VN_OK && isfinite(v.value));
                got[l][m] = v.value;
            }
            vn_result_free(res);
            vn_eval_free(ev);
        }
        CHECKF(unit_same(got[0][0], got[1][0]) && unit_same(got[0][1], got[1][1]),
               "r2 %.17g vs %.17g, nrmse %.17g vs %.17g", got[0][0], got[1][0], got[0][1],
               got[1][1]);
    }
}

/* Rows given with weights all 1 and the same rows without weights: every metric made of
 * sums the same bits (the kernel skips the weights without them, and counts W and the rows with y != 0
 * instead of summing ones), with mpe in the list (NEED_PE) and without, in one update and
 * in uneven chunks, on 1 and 2 threads. */
static void test_ones_vs_unweighted(void)
{
    make_data();
    static double ones[N];
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0;
    /* the sums' metrics (weighted quantiles are another definition, by design) */
    const char *lists[] = {"count,weight_sum,mean_error,mae,mse,rmse,max_error,mape,smape,wmape,"
                           "mpe,msle,rmsle,r2,adjusted_r2:p=3,explained_variance,huber:delta=0.7,"
                           "pseudo_huber:delta=2,log_cosh,pinball:q=0.8,poisson_deviance,"
                           "gamma_deviance,tweedie_deviance:power=3,pearson_r,ccc,nrmse:norm=std",
                           "count,mae,mape,r2,mean_error,rmse,huber"};
    for (size_t l = 0; l < 2; l++)
        for (int threads = 1; threads <= 2; threads++) {
            vn_result *res[2] = {NULL, NULL};
            for (int weighted = 0; weighted < 2; weighted++) {
                vn_eval_config cfg;
                vn_eval_config_init(&cfg);
                cfg.metrics = lists[l];
                cfg.threads = threads;
                vn_eval *ev;
                char err[256];
                CHECKF(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK, "%s", err);
                const size_t chunk = weighted ? 1000 : N; /* uneven pieces vs one update */
                for (size_t at = 0; at < N; at += chunk) {
                    const size_t m = N - at < chunk ? N - at : chunk;
                    const vn_rows r = {m, Y + at, 1, P + at, 1, weighted ? ones + at : NULL, 1, NULL};
                    CHECK(vn_eval_update(ev, &r) == VN_OK);
                }
                CHECK(vn_eval_finish(ev, &res[weighted]) == VN_OK);
                vn_eval_free(ev);
            }
            if (res[0] && res[1])
                CHECKF(differences(res[0], res[1]) == 0, "list %zu, %d thread(s)", l, threads);
            vn_result_free(res[0]);
            vn_result_free(res[1]);
        }
}

/* Weighted rows first, then a large update without weights: the evaluation is weighted,
 * so the unweighted rows' |e| go into the store with weight 1 — also when their blocks
 * are folded straight from the caller's arrays, whose jobs write the |e| (once they did
 * not write the weights). The same values as passing those rows with weights of 1. */
static void test_weighted_then_bulk(void)
{
    make_data();
    static double ones[N];
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0;
    const size_t head = 1000; /* then N - head rows: whole blocks and a partial one */
    vn_result *res[2] = {NULL, NULL};
    for (int explicit_ones = 0; explicit_ones < 2; explicit_ones++) {
        vn_eval_config cfg;
        vn_eval_config_init(&cfg);
        cfg.metrics = "mae,medae,p90_abs_error,p99_abs_error";
        cfg.threads = 2;
        vn_eval *ev;
        char err[256];
        CHECKF(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK, "%s", err);
        const vn_rows a = {head, Y, 1, P, 1, Wt, 1, NULL};
        const vn_rows b = {N - head, Y + head, 1, P + head, 1, explicit_ones ? ones : NULL, 1, NULL};
        CHECK(vn_eval_update(ev, &a) == VN_OK && vn_eval_update(ev, &b) == VN_OK);
        CHECK(vn_eval_finish(ev, &res[explicit_ones]) == VN_OK);
        vn_eval_free(ev);
    }
    if (res[0] && res[1])
        CHECK(differences(res[0], res[1]) == 0);
    vn_result_free(res[0]);
    vn_result_free(res[1]);
}

/* Sliced rows without weights are buffered in their slices without weights
 * (scatter_sliced); when a later update brings weights, the buffered rows get weight 1
 * (become_weighted). The same values, every slice, as passing weights of 1 for them;
 * the head leaves every slice with buffered rows (fewer than a block each), the tail is
 * weighted (5 % zero weights). Then the same once more with the weights from a state:
 * vn__eval_add_counts is the other way an evaluation becomes weighted. */
static void test_sliced_then_weighted(void)
{
    make_data();
    static double ones[N];
    for (size_t i = 0; i < N; i++)
        ones[i] = 1.0;
    const size_t head = 20000; /* 7 slices, uneven: some of them past a block */
    vn_result *res[2] = {NULL, NULL};
    const char *by[] = {"seg"};
    for (int explicit_ones = 0; explicit_ones < 2; explicit_ones++) {
        vn_eval_config cfg;
        vn_eval_config_init(&cfg);
        cfg.metrics = "count,weight_sum,mae,rmse,r2,medae,p99_abs_error";
        cfg.threads = 2;
        cfg.by_count = 1;
        cfg.by_names = by;
        vn_eval *ev;
        char err[256];
        CHECKF(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK, "%s", err);
        uint32_t id[7];
        for (int k = 0; k < 7; k++) {
            char name[2] = {(char)('a' + k), 0};
            const char *v[] = {name};
            CHECK(vn_eval_slice(ev, v, NULL, &id[k]) == VN_OK && id[k] == (uint32_t)k);
        }
        const vn_rows a = {head, Y, 1, P, 1, explicit_ones ? ones : NULL, 1, S};
        const vn_rows b = {N - head, Y + head, 1, P + head, 1, Wt + head, 1, S + head};
        CHECK(vn_eval_update(ev, &a) == VN_OK && vn_eval_update(ev, &b) == VN_OK);
        CHECK(vn_eval_finish(ev, &res[explicit_ones]) == VN_OK);
        vn_eval_free(ev);
    }
    if (res[0] && res[1]) {
        CHECK(vn_result_slice_count(res[0]) == 8);
        CHECK(differences(res[0], res[1]) == 0);
    }
    vn_result_free(res[0]);
    vn_result_free(res[1]);
}

/* A bad value far into a large update from memory: the bulk path checks and takes the
 * rows a chunk at a time, so it has folded the clean chunks before it meets the bad one;
 * the row loop then takes the rest and names the row — on the direct path (no rows
 * kept) and the copying one (a metric reads an input column), for y, yhat and a column. */
static void test_bad_row_deep(void)
{
    /* More than one batch of 128 blocks of 4096 rows, and a tail of 3,616 rows. */
    enum { M = 700000 };
    double *y = malloc(M * sizeof *y), *p = malloc(M * sizeof *p), *x = malloc(M * sizeof *x);
    CHECK(y && p && x);
    if (!y || !p || !x)
        goto out;
    const struct {
        const char *metrics;
        size_t lead; /* good rows given in an update before, leaving a partial block */
        size_t row;  /* 0-based, in the big update */
        int which;   /* 0 y, 1 yhat, 2 the column */
        double bad;
        const char *want;
    } cases[] = {
        {"mae,p95_abs_error", 0, 150000, 0, NAN, "row 150001: y is not finite (nan)"},
        {"mae", 0, 65536, 1, INFINITY, "row 65537: yhat is not finite (inf)"},
        {"mae,p99_abs_error", 0, 600000, 1, NAN, "row 600001: yhat is not finite (nan)"},
        {"mae,p99_abs_error", 0, M - 1, 0, -INFINITY, "row 700000: y is not finite (-inf)"},
        {"mae,p99_abs_error", 1000, 5, 1, NAN, "row 1006: yhat is not finite (nan)"},
        {"mae", 1000, 3096, 0, NAN, "row 4097: y is not finite (nan)"},
        {"rmse,medae", 1000, 530000, 0, INFINITY, "row 531001: y is not finite (inf)"},
        {"rmse,medae", 1000, M - 2, 1, NAN, "row 700999: yhat is not finite (nan)"},
        {"mae,c=mean(abs(e) * x)", 0, 70000, 2, -INFINITY, "row 70001: column \"x\" is not finite (-inf)"},
        {"mae,c=mean(abs(e) * x)", 0, 199999, 0, NAN, "row 200000: y is not finite (nan)"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t i = 0; i < M; i++) {
            y[i] = (double)(i % 97);
            p[i] = y[i] + 0.5;
            x[i] = 2.0;
        }
        vn_eval_config cfg;
        vn_eval_config_init(&cfg);
        cfg.metrics = cases[c].metrics;
        cfg.threads = 2;
        vn_eval *ev;
        char err[256];
        CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
        const double *cols[] = {x};
        const double *const *xs = vn_eval_column_count(ev) ? cols : NULL;
        if (cases[c].lead) { /* good rows: the first of the arrays */
            const vn_rows r0 = {cases[c].lead, y, 1, p, 1, NULL, 0, NULL};
            CHECK(vn_eval_update_columns(ev, &r0, xs, NULL) == VN_OK);
        }
        (cases[c].which == 0 ? y : cases[c].which == 1 ? p : x)[cases[c].row] = cases[c].bad;
        const vn_rows r = {M, y, 1, p, 1, NULL, 0, NULL};
        CHECK(vn_eval_update_columns(ev, &r, xs, NULL) == VN_ERR_DATA);
        CHECKF(strcmp(vn_eval_errmsg(ev), cases[c].want) == 0, "case %zu: %s", c, vn_eval_errmsg(ev));
        vn_result *res = NULL;
        CHECK(vn_eval_finish(ev, &res) != VN_OK && res == NULL);
        vn_eval_free(ev);
    }
out:
    free(y);
    free(p);
    free(x);
}

/* Finite rows whose difference overflows (y = -1e308, p = 1e308) are good rows: the
 * fold jobs learn that the rows are finite from their differences when |e| is kept, and
 * must check the rows themselves when a difference is not — on 1 and 2 threads, in the
 * first block, a later batch and the tail. */
static void test_overflow_is_not_bad(void)
{
    enum { M = 700000 };
    double *y = malloc(M * sizeof *y), *p = malloc(M * sizeof *p);
    CHECK(y && p);
    if (!y || !p)
        goto out;
    static const size_t rows[] = {3, 530000, M - 1};
    for (size_t c = 0; c < 6; c++) {
        for (size_t i = 0; i < M; i++) {
            y[i] = (double)(i % 97);
            p[i] = y[i] + 0.5;
        }
        y[rows[c % 3]] = -1e308;
        p[rows[c % 3]] = 1e308;
        vn_eval_config cfg;
        vn_eval_config_init(&cfg);
        cfg.metrics = "count,p99_abs_error,max_error";
        cfg.threads = 1 + (int)(c / 3);
        vn_eval *ev;
        char err[256];
        CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
        const vn_rows r = {M, y, 1, p, 1, NULL, 0, NULL};
        CHECKF(vn_eval_update(ev, &r) == VN_OK, "case %zu: %s", c, vn_eval_errmsg(ev));
        vn_result *res = NULL;
        CHECK(vn_eval_finish(ev, &res) == VN_OK);
        /* the count is every row, the p99 that of the clean rows (0.5), max |e| inf */
        double v[3] = {0, 0, 0};
        for (size_t k = 0; res && k < 3; k++) {
            vn_value val;
            vn_result_get(res, 0, k, &val);
            v[k] = val.value;
        }
        /* (max_error overflows: inf, or undefined with a reason) */
        CHECKF(v[0] == M && v[1] == 0.5 && !isfinite(v[2]), "case %zu: %g %g %g", c, v[0], v[1],
               v[2]);
        vn_result_free(res);
        vn_eval_free(ev);
    }
out:
    free(y);
    free(p);
}

/* Quantiles of |e| when a metric reads an input column: unweighted, unsliced rows with
 * columns are appended in bulk (append_plain), which once skipped the |e| store and the
 * sketch, so medae and pNN_abs_error came out 0 (found by fuzz_csvpar's metric list).
 * The same quantiles as without the column, exact and sketched. */
static void test_quantiles_with_columns(void)
{
    const double y[] = {1, 4, 2, 8, 5}, p[] = {2, 5, 4, 7, 9}, x[] = {3, 6, 1, 1, 2};
    const double *cols[] = {x};
    for (int sketch = 0; sketch < 2; sketch++) {
        double got[2][2];
        for (int with = 0; with < 2; with++) {
            vn_eval_config cfg;
            vn_eval_config_init(&cfg);
            cfg.metrics = with ? "medae,p90_abs_error,xe=mean(abs(e)*x)" : "medae,p90_abs_error";
            cfg.quantiles = sketch ? VN_QUANTILES_SKETCH : VN_QUANTILES_EXACT;
            vn_eval *ev;
            CHECK(vn_eval_new(&cfg, &ev, NULL, 0) == VN_OK);
            const vn_rows r = {5, y, 1, p, 1, NULL, 0, NULL};
            CHECK((with ? vn_eval_update_columns(ev, &r, cols, NULL) : vn_eval_update(ev, &r)) ==
                  VN_OK);
            vn_result *res;
            CHECK(vn_eval_finish(ev, &res) == VN_OK);
            for (size_t m = 0; m < 2; m++) {
                vn_value v;
                vn_result_get(res, 0, m, &v);
                got[with][m] = v.value;
            }
            vn_result_free(res);
            vn_eval_free(ev);
        }
        /* |e| = {1, 1, 2, 1, 4}: medae 1 (the sketch's within 0.39 %) */
        CHECKF(unit_close(got[0][0], 1.0, sketch ? 0.004 : 0) && unit_same(got[1][0], got[0][0]) &&
                   unit_same(got[1][1], got[0][1]),
               "sketch %d: medae %g vs %g, p90 %g vs %g", sketch, got[1][0], got[0][0], got[1][1],
               got[0][1]);
    }
}

/* A slice whose every row has weight 0 holds no rows and never gets buffers; folding
 * at finish once did pointer arithmetic on them (NULL + 0, undefined: caught by
 * `make ubsan` / `make asan`; found by fuzz_csvpar, fuzz/corpus/csvpar/
 * crash-zero-weight-slice-null-offset). Its metrics are undefined with no_rows. */
static void test_zero_weight_slice(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "count,mae,medae";
    const char *by[] = {"seg"};
    cfg.by_count = 1;
    cfg.by_names = by;
    vn_eval *ev;
    CHECK(vn_eval_new(&cfg, &ev, NULL, 0) == VN_OK);
    const char *a[] = {"a"}, *b[] = {"b"};
    uint32_t id[2];
    CHECK(vn_eval_slice(ev, a, NULL, &id[0]) == VN_OK && vn_eval_slice(ev, b, NULL, &id[1]) == VN_OK);
    const double y[] = {1, 1}, p[] = {2, 3}, w[] = {1, 0};
    const vn_rows r = {2, y, 1, p, 1, w, 1, id};
    CHECK(vn_eval_update(ev, &r) == VN_OK);
    vn_result *res;
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_value v;
    CHECK(vn_result_get(res, 1, 1, &v) == VN_OK && v.value == 1.0);
    CHECK(vn_result_get(res, 2, 1, &v) == VN_OK && isnan(v.value) && v.reason == VN_REASON_NO_ROWS);
    vn_result_free(res);
    vn_eval_free(ev);
}

/* Bootstrap intervals: identical for any thread count and chunking (counter-based
 * resampling); present on every defined metric but count, weight_sum (exact) and
 * max_error (no valid bootstrap for a maximum). On a smaller prefix of the data to keep the resampling cheap. */
static void test_intervals(void)
{
    ci_level = 0.9;
    nrows = 9000;
    vn_result *a = run(1, nrows, 1), *b = run(4, 4097, 1);
    CHECK(a && b && differences(a, b) == 0);
    size_t with = 0, without = 0;
    for (size_t m = 0; a && m < vn_result_metric_count(a); m++) {
        vn_value v;
        vn_result_get(a, 0, m, &v);
        const int has = isfinite(v.lo) && isfinite(v.hi);
        with += has;
        without += !has;
        if (has)
            CHECKF(v.lo <= v.hi, "%s: [%g, %g]", vn_result_metric_key(a, m), v.lo, v.hi);
    }
    CHECKF(without == 3 && with + 3 == vn_result_metric_count(a),
           "intervals on all but count, weight_sum and max_error (%zu without)", without);
    vn_result_free(a);
    vn_result_free(b);
    ci_level = 0;
    nrows = N;
}


/* ---- the overall slice's |e| derived from the slices' (eval.c, derived_ae) ----
 * With by columns and only |e| quantiles to keep, the overall slice stores no |e| of its
 * own: they are the slices' put together when needed. Oracle: type-7 quantiles of the
 * sorted |e| computed here (numpy's formula), and the same rows evaluated unsliced. */

static const char *AE_METRICS = "count,mae,medae,p90_abs_error,p99_abs_error,"
                                "abs_error_quantile:q=0.3,max_error";
static const double AE_Q[] = {0.5, 0.9, 0.99, 0.3}; /* medae, p90, p99, q=0.3 */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double type7(const double *sorted, size_t n, double q)
{
    const double h = (double)(n - 1) * q;
    const size_t lo = (size_t)h;
    const size_t hi = lo + 1 < n ? lo + 1 : lo;
    return sorted[lo] + (h - (double)lo) * (sorted[hi] - sorted[lo]);
}

/* An evaluation of AE_METRICS, sliced by "seg" (7 slices) or not. */
static vn_eval *ae_eval(int sliced, int threads)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = AE_METRICS;
    cfg.threads = threads;
    const char *by[] = {"seg"};
    cfg.by_count = sliced ? 1 : 0;
    cfg.by_names = by;
    vn_eval *ev = NULL;
    char err[256];
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK)
        return NULL;
    for (int k = 0; sliced && k < 7; k++) {
        char name[8];
        snprintf(name, sizeof name, "s%d", k);
        const char *v[] = {name};
        uint32_t id;
        vn_eval_slice(ev, v, NULL, &id);
    }
    return ev;
}

/* Rows [a, b) into ev in chunks of 5000: with slice ids when ids, weights when w. */
static int ae_feed(vn_eval *ev, size_t a, size_t b, int ids, int w)
{
    for (size_t at = a; at < b; at += 5000) {
        const size_t n = b - at < 5000 ? b - at : 5000;
        const vn_rows r = {n, Y + at, 1, P + at, 1, w ? Wt + at : NULL, 1, ids ? S + at : NULL};
        if (vn_eval_update(ev, &r) != VN_OK)
            return 0;
    }
    return 1;
}

static vn_result *ae_finish(vn_eval *ev)
{
    vn_result *res = NULL;
    if (ev && vn_eval_finish(ev, &res) != VN_OK)
        res = NULL;
    vn_eval_free(ev);
    return res;
}

/* Slice 0 of a and b agree bit for bit on every metric. */
static size_t overall_differences(const vn_result *a, const vn_result *b)
{
    size_t d = 0;
    for (size_t m = 0; a && b && m < vn_result_metric_count(a); m++) {
        vn_value va, vb;
        vn_result_get(a, 0, m, &va);
        vn_result_get(b, 0, m, &vb);
        d += !unit_same(va.value, vb.value) || va.reason != vb.reason;
    }
    return a && b ? d : 1;
}

static void test_derived_overall(void)
{
    make_data();
    double *ae = malloc(N * sizeof *ae);
    if (!ae)
        return;
    for (size_t i = 0; i < N; i++)
        ae[i] = fabs(P[i] - Y[i]);
    qsort(ae, N, sizeof *ae, cmp_double);

    /* sliced, unweighted: the overall quantiles are the oracle's, bit for bit */
    for (int threads = 1; threads <= 2; threads++) {
        vn_eval *ev = ae_eval(1, threads);
        vn_result *res = ev && ae_feed(ev, 0, N, 1, 0) ? ae_finish(ev) : (vn_eval_free(ev), NULL);
        CHECK(res != NULL);
        for (size_t q = 0; res && q < 4; q++) {
            vn_value v;
            vn_result_get(res, 0, 2 + q, &v);
            CHECKF(v.value == type7(ae, N, AE_Q[q]), "threads %d: overall %s = %.17g, oracle %.17g",
                   threads, vn_result_metric_key(res, 2 + q), v.value, type7(ae, N, AE_Q[q]));
        }
        /* each slice against its own sorted |e| */
        for (size_t k = 0; res && k < 7; k++) {
            size_t n = 0;
            double *sk = malloc(N * sizeof *sk);
            for (size_t i = 0; sk && i < N; i++)
                if (S[i] == k)
                    sk[n++] = fabs(P[i] - Y[i]);
            qsort(sk, n, sizeof *sk, cmp_double);
            vn_value v;
            vn_result_get(res, k + 1, 2, &v);
            CHECKF(sk && n && v.value == type7(sk, n, 0.5), "slice s%zu medae", k);
            free(sk);
        }
        vn_result_free(res);
    }

    /* the same rows unsliced: the same overall values */
    vn_eval *e1 = ae_eval(0, 1);
    vn_result *flat = e1 && ae_feed(e1, 0, N, 0, 0) ? ae_finish(e1) : (vn_eval_free(e1), NULL);
    vn_eval *e2 = ae_eval(1, 2);
    vn_result *sl = e2 && ae_feed(e2, 0, N, 1, 0) ? ae_finish(e2) : (vn_eval_free(e2), NULL);
    CHECKF(overall_differences(flat, sl) == 0, "overall identical with and without slices");
    /* and the heavy-tail note's share of the worst rows, from the slices' |e| read in
     * place (the radix passes over them as spans) */
    const char *tail[2] = {NULL, NULL};
    for (int r = 0; r < 2; r++) {
        const vn_result *res = r ? sl : flat;
        for (size_t i = 0; res && i < vn_result_note_count(res); i++) {
            const vn_note *nt = vn_result_note(res, i);
            if (nt->slice == 0 && strcmp(nt->code, "heavy_tail") == 0)
                tail[r] = nt->message;
        }
    }
    CHECKF(tail[0] && strstr(tail[0], "the worst 1 % of rows") && tail[1] &&
               strcmp(tail[0], tail[1]) == 0,
           "heavy-tail note with and without slices:\n  %s\n  %s", tail[0] ? tail[0] : "-",
           tail[1] ? tail[1] : "-");

    /* rows without slice ids after sliced ones: the copy is made then (the overall slice
     * gets every row; the slices only theirs) */
    vn_eval *e3 = ae_eval(1, 2);
    vn_result *mixed = e3 && ae_feed(e3, 0, N / 2, 1, 0) && ae_feed(e3, N / 2, N, 0, 0)
                           ? ae_finish(e3) : (vn_eval_free(e3), NULL);
    CHECKF(overall_differences(flat, mixed) == 0, "rows without slice ids: overall complete");
    vn_value c;
    if (mixed) {
        size_t n0 = 0;
        for (size_t i = 0; i < N / 2; i++)
            n0 += S[i] == 0;
        vn_result_get(mixed, 1, 0, &c);
        CHECKF(c.value == (double)n0, "slice s0 counts only its sliced rows (%g vs %zu)", c.value, n0);
    }
    vn_result_free(mixed);

    /* weighted rows after unweighted ones: the same as unsliced */
    vn_eval *e4 = ae_eval(1, 1), *e5 = ae_eval(0, 1);
    vn_result *w1 = e4 && ae_feed(e4, 0, N / 3, 1, 0) && ae_feed(e4, N / 3, N, 1, 1)
                        ? ae_finish(e4) : (vn_eval_free(e4), NULL);
    vn_result *w0 = e5 && ae_feed(e5, 0, N / 3, 0, 0) && ae_feed(e5, N / 3, N, 0, 1)
                        ? ae_finish(e5) : (vn_eval_free(e5), NULL);
    CHECKF(overall_differences(w0, w1) == 0, "weighted after unweighted: overall as unsliced");
    vn_result_free(w0);
    vn_result_free(w1);

    /* a state written while derived, read back; and two derived halves merged */
    vn_eval *h1 = ae_eval(1, 1), *h2 = ae_eval(1, 2);
    int ok = h1 && h2 && ae_feed(h1, 0, N / 2, 1, 0) && ae_feed(h2, N / 2, N, 1, 0);
    void *buf = NULL;
    size_t len = 0;
    char err[256];
    ok = ok && vn_eval_state_write(h2, &buf, &len, err, sizeof err) == VN_OK;
    vn_eval *back = NULL;
    ok = ok && vn_eval_state_read(buf, len, 1, &back, err, sizeof err) == VN_OK;
    ok = ok && vn_eval_merge(h1, back, err, sizeof err) == VN_OK;
    free(buf);
    vn_eval_free(back);
    vn_eval_free(h2);
    vn_result *merged = ok ? ae_finish(h1) : (vn_eval_free(h1), NULL);
    CHECKF(ok && overall_differences(sl, merged) == 0, "halves through a state, merged: overall");
    size_t d = 0;
    for (size_t k = 1; merged && sl && k < 8; k++)
        for (size_t m = 0; m < vn_result_metric_count(sl); m++) {
            vn_value a, b;
            vn_result_get(sl, k, m, &a);
            vn_result_get(merged, k, m, &b);
            d += !unit_same(a.value, b.value);
        }
    CHECKF(merged && d == 0, "halves merged: every slice (%zu differ)", d);
    vn_result_free(merged);

    /* unsliced halves through a state: the written half has rows pending (N/2 is not a
     * whole number of blocks), whose |e| the state must carry (a row's |e| is noted
     * when its block is folded) */
    vn_eval *u1 = ae_eval(0, 1), *u2 = ae_eval(0, 2);
    ok = u1 && u2 && ae_feed(u1, 0, N / 2, 0, 0) && ae_feed(u2, N / 2, N, 0, 0);
    ok = ok && vn_eval_state_write(u2, &buf, &len, err, sizeof err) == VN_OK;
    back = NULL;
    ok = ok && vn_eval_state_read(buf, len, 1, &back, err, sizeof err) == VN_OK;
    ok = ok && vn_eval_merge(u1, back, err, sizeof err) == VN_OK;
    free(buf);
    vn_eval_free(back);
    vn_eval_free(u2);
    merged = ok ? ae_finish(u1) : (vn_eval_free(u1), NULL);
    CHECKF(ok && overall_differences(flat, merged) == 0, "unsliced halves through a state");
    vn_result_free(merged);
    vn_result_free(flat);
    vn_result_free(sl);
    free(ae);
}

int main(void)
{
    RUN(test_hand);
    RUN(test_strides);
    RUN(test_api_errors);
    RUN(test_quantiles_with_columns);
    RUN(test_bad_row_deep);
    RUN(test_overflow_is_not_bad);
    RUN(test_syy_alone);
    RUN(test_ones_vs_unweighted);
    RUN(test_weighted_then_bulk);
    RUN(test_sliced_then_weighted);
    RUN(test_zero_weight_slice);
    RUN(test_determinism);
    RUN(test_intervals);
    RUN(test_derived_overall);
    return unit_summary("eval");
}
