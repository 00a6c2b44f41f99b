/*
 * test_compare.c — the comparison through the C API: hand-derived values, differences
 * and the Diebold–Mariano statistic on a tiny case; arrays (strided) and a CSV file give
 * bit-identical comparisons; slices through vn_compare_slice; argument errors.
 * (tests/oracle/test_compare.py checks the intervals and p-values against numpy.)
 */
#include "vernier.h"
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t metric_index(const vn_result *r, const char *key)
{
    for (size_t m = 0; m < vn_result_metric_count(r); m++)
        if (strcmp(vn_result_metric_key(r, m), key) == 0)
            return m;
    return (size_t)-1;
}

static void test_hand_case(void)
{
    /* y = 0; baseline errors 1, 2, 3, 4; candidate errors 1, 1, 1, 1.
     * mae 2.5 vs 1: diff -1.5, rel -0.6. rmse sqrt(7.5) vs 1. mean_error (no direction):
     * |1| - |2.5| = -1.5. DM absolute loss: d = 0, 1, 2, 3, mean 1.5, gamma_0 = 1.25,
     * DM = 1.5 / sqrt(1.25 / 4) = 2.6832816, HLN = DM * sqrt(3 / 4). */
    const double y[4] = {0, 0, 0, 0}, a[4] = {1, 2, 3, 4};
    const double b[8] = {1, -9, 1, -9, 1, -9, 1, -9}; /* stride 2 */
    vn_compare_config cfg;
    vn_compare_config_init(&cfg);
    cfg.eval.metrics = "count,mae,rmse,mean_error";
    cfg.eval.resamples = 50;
    cfg.dm_losses = "absolute";
    vn_compare *c = NULL;
    char err[256];
    CHECK(vn_compare_new(&cfg, &c, err, sizeof err) == VN_OK);
    const vn_rows rows = {4, y, 1, a, 1, NULL, 1, NULL};
    CHECK(vn_compare_update(c, &rows, b, 2) == VN_OK);
    vn_comparison *r = NULL;
    CHECK(vn_compare_finish(c, &r) == VN_OK);
    vn_compare_free(c);
    const vn_result *base = vn_comparison_model(r, 0);
    vn_diff d;
    CHECK(vn_comparison_get(r, 0, metric_index(base, "mae"), &d) == VN_OK);
    CHECK(d.baseline == 2.5 && d.candidate == 1.0 && d.diff == -1.5 && d.rel == -0.6);
    CHECK(strcmp(d.method, "bootstrap") == 0 && d.lo <= d.diff && d.diff <= d.hi);
    CHECK(vn_comparison_get(r, 0, metric_index(base, "rmse"), &d) == VN_OK);
    CHECK(unit_close(d.baseline, sqrt(7.5), 1e-15) && d.candidate == 1.0);
    CHECK(vn_comparison_get(r, 0, metric_index(base, "mean_error"), &d) == VN_OK);
    CHECK(d.baseline == 2.5 && d.candidate == 1.0 && d.diff == -1.5);
    CHECK(vn_comparison_get(r, 0, metric_index(base, "count"), &d) == VN_OK);
    CHECK(d.verdict == VN_VERDICT_UNTESTED && isnan(d.p) && *d.note);
    CHECK(strcmp(vn_comparison_primary(r), "mae") == 0);
    vn_dm_info dm;
    CHECK(vn_comparison_dm_count(r) == 1);
    CHECK(vn_comparison_dm(r, 0, 0, &dm) == VN_OK);
    CHECK(strcmp(dm.loss, "absolute") == 0 && dm.n == 4 && dm.h == 1);
    CHECK(dm.mean == 1.5);
    CHECK(unit_close(dm.stat, 1.5 / sqrt(1.25 / 4.0), 1e-14));
    CHECK(unit_close(dm.stat_hln, 1.5 / sqrt(1.25 / 4.0) * sqrt(0.75), 1e-14));
    CHECK(vn_comparison_get(r, 1, 0, &d) == VN_ERR_USAGE);
    CHECK(vn_comparison_dm(r, 0, 1, &dm) == VN_ERR_USAGE);
    vn_comparison_free(r);
}

/* The same rows through arrays (with slices) and through a CSV file. */
static void test_arrays_equal_csv(void)
{
    enum { N = 300 };
    double y[N], a[N], b[N];
    uint32_t sid[N];
    char path[] = "/tmp/vn_cmp_XXXXXX";
    FILE *fp = fdopen(mkstemp(path), "w");
    fprintf(fp, "y,a,b,g\n");
    const char *labels[2] = {"east", "west"};
    for (int i = 0; i < N; i++) {
        y[i] = (double)(i % 17) + 0.25 * (i % 5);
        a[i] = y[i] + (double)((i * 7) % 11 - 5) / 4.0;
        b[i] = y[i] + (double)((i * 3) % 7 - 3) / 4.0;
        fprintf(fp, "%.17g,%.17g,%.17g,%s\n", y[i], a[i], b[i], labels[i % 3 == 0]);
    }
    fclose(fp);
    vn_compare_config cfg;
    vn_compare_config_init(&cfg);
    const char *by[] = {"g"};
    cfg.eval.by_count = 1;
    cfg.eval.by_names = by;
    cfg.eval.resamples = 200;
    cfg.eval.seed = 5;
    cfg.eval.threads = 2;
    const char *guards[] = {"mean_error:0.1"};
    cfg.guards = guards;
    cfg.guard_count = 1;
    vn_compare *c1 = NULL, *c2 = NULL;
    CHECK(vn_compare_new(&cfg, &c1, NULL, 0) == VN_OK);
    CHECK(vn_compare_new(&cfg, &c2, NULL, 0) == VN_OK);
    for (int i = 0; i < N; i++) {
        const char *v[1] = {labels[i % 3 == 0]};
        CHECK(vn_compare_slice(c1, v, NULL, &sid[i]) == VN_OK);
    }
    const vn_rows rows = {N, y, 1, a, 1, NULL, 1, sid};
    CHECK(vn_compare_update(c1, &rows, b, 1) == VN_OK);
    vn_compare_csv cc;
    vn_compare_csv_init(&cc);
    cc.csv.y = "y";
    cc.csv.yhat = "a";
    cc.csv.by = by;
    cc.candidate = "b";
    CHECK(vn_compare_csv_read(c2, path, &cc) == VN_OK);
    vn_comparison *r1 = NULL, *r2 = NULL;
    CHECK(vn_compare_finish(c1, &r1) == VN_OK);
    CHECK(vn_compare_finish(c2, &r2) == VN_OK);
    const size_t ns = vn_result_slice_count(vn_comparison_model(r1, 0));
    const size_t nm = vn_result_metric_count(vn_comparison_model(r1, 0));
    CHECK(ns == 3 && ns == vn_result_slice_count(vn_comparison_model(r2, 0)));
    size_t same = 0;
    for (size_t s = 0; s < ns; s++)
        for (size_t m = 0; m < nm; m++) {
            vn_diff d1, d2;
            vn_comparison_get(r1, s, m, &d1);
            vn_comparison_get(r2, s, m, &d2);
            same += unit_same(d1.diff, d2.diff) && unit_same(d1.lo, d2.lo) &&
                    unit_same(d1.hi, d2.hi) && unit_same(d1.p_adj, d2.p_adj) &&
                    d1.verdict == d2.verdict;
        }
    CHECKF(same == ns * nm, "%zu of %zu cells identical", same, ns * nm);
    CHECK(vn_comparison_guard_count(r1) == 1);
    const vn_guard_info *g = vn_comparison_guard(r1, 0);
    CHECK(g && strcmp(g->metric, "mean_error") == 0 && g->has_margin && g->limit == 0.1);
    CHECK(vn_comparison_guard(r1, 1) == NULL);
    CHECK(vn_comparison_wins(r1) == vn_comparison_wins(r2));
    CHECK(strcmp(vn_comparison_summary(r1), vn_comparison_summary(r2)) == 0);
    CHECK(strcmp(vn_result_input(vn_comparison_model(r2, 1))->yhat, "b") == 0);
    vn_comparison_free(r1);
    vn_comparison_free(r2);
    vn_compare_free(c1);
    vn_compare_free(c2);
    unlink(path);
}

static void test_errors(void)
{
    vn_compare_config cfg;
    vn_compare_config_init(&cfg);
    vn_compare *c = NULL;
    char err[256];
    cfg.eval.ci_method = VN_CI_BCA;
    CHECK(vn_compare_new(&cfg, &c, err, sizeof err) == VN_ERR_USAGE && c == NULL);
    CHECK(strstr(err, "percentile") != NULL);
    vn_compare_config_init(&cfg);
    cfg.primary = "weight_sum";
    CHECK(vn_compare_new(&cfg, &c, err, sizeof err) == VN_ERR_USAGE);
    CHECK(strstr(err, "cannot be tested") != NULL);
    vn_compare_config_init(&cfg);
    const char *bad[] = {"mae:-1"};
    cfg.guards = bad;
    cfg.guard_count = 1;
    CHECK(vn_compare_new(&cfg, &c, err, sizeof err) == VN_ERR_USAGE);
    vn_compare_config_init(&cfg);
    CHECK(vn_compare_new(&cfg, &c, err, sizeof err) == VN_OK);
    const double y[2] = {1, 2}, p[2] = {1, 2}, q[2] = {1, NAN};
    const vn_rows rows = {2, y, 1, p, 1, NULL, 1, NULL};
    CHECK(vn_compare_update(c, &rows, q, 1) == VN_ERR_DATA);
    CHECK(strstr(vn_compare_errmsg(c), "candidate") != NULL);
    vn_compare_free(c);
    vn_compare_free(NULL);
    CHECK(strcmp(vn_verdict_name(VN_VERDICT_WORSE), "worse") == 0);
}

int main(void)
{
    RUN(test_hand_case);
    RUN(test_arrays_equal_csv);
    RUN(test_errors);
    return unit_summary("compare");
}
