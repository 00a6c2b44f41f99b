/*
 * test_alloc.c — allocation-failure injection: fail the Nth allocation, for every N,
 * along a whole evaluation of a small CSV file (slices, stored rows, quantiles, ranks,
 * bootstrap intervals, notes, every output format, the HTML report and the model card),
 * along a comparison and a check (with their reports). Each run must end with VN_ERR_NOMEM — or with VN_OK
 * and exactly the output of an undisturbed run, where a module retried on a slower
 * path — never crash, and leave no block allocated (counted by the hook itself,
 * independently of any sanitizer).
 */
#include "vernier.h"
#include "alloc_hook.h"

#include <stdio.h>
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static int with_ci; /* the run with bootstrap intervals uses a small file */

static vn_status pipeline(const char *path, char **json, size_t *json_len)
{
    vn_eval_config ec;
    vn_eval_config_init(&ec);
    ec.metrics = "mae,rmse,mape,r2,medae,p95_abs_error,huber:delta=2,kendall_tau,"
                 "spearman_rho,d2_pinball:q=0.3,nrmse:norm=iqr,mase,tweedie_deviance:power=1.5";
    const char *by[] = {"g"};
    ec.by_count = 1;
    ec.by_names = by;
    ec.threads = 2;
    if (with_ci) { /* bootstrap BCa: resamples on two threads and a jackknife */
        ec.ci_level = 0.9;
        ec.ci_method = VN_CI_BCA;
        ec.resamples = 3;
    }
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.y = "y";
    cc.yhat = "yhat";
    cc.weight = "w";
    cc.by = by;
    vn_eval *ev = NULL;
    vn_result *res = NULL;
    vn_status st = vn_eval_new(&ec, &ev, NULL, 0);
    if (st == VN_OK)
        st = vn_eval_keep_plots(ev);
    if (st == VN_OK)
        st = vn_eval_csv(ev, path, &cc);
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    vn_eval_free(ev);
    FILE *mem = open_memstream(json, json_len);
    for (int f = 0; st == VN_OK && f < 4; f++)
        st = vn_result_write(res, (vn_format)f, mem);
    vn_report_config rc;
    vn_report_config_init(&rc);
    rc.result = res;
    for (int f = 0; st == VN_OK && f < 2; f++) /* the HTML report and the model card */
        st = vn_report_write(&rc, (vn_report_format)f, mem);
    fclose(mem);
    vn_result_free(res);
    return st;
}

/* A comparison over the small file (yhat and w as the two predictions): CSV reading with
 * slices, the paired bootstrap on two threads, DM tests, guards, every output format. */
static vn_status compare_pipeline(const char *path, char **out, size_t *out_len)
{
    vn_compare_config cfg;
    vn_compare_config_init(&cfg);
    const char *by[] = {"g"}, *guards[] = {"rmse:5%", "mean_error"};
    cfg.eval.metrics = "mae,rmse,mean_error,r2,medae";
    cfg.eval.by_count = 1;
    cfg.eval.by_names = by;
    cfg.eval.threads = 2;
    cfg.eval.resamples = 4;
    cfg.guards = guards;
    cfg.guard_count = 2;
    cfg.dm_losses = "squared,pinball:q=0.8";
    vn_compare_csv cc;
    vn_compare_csv_init(&cc);
    cc.csv.y = "y";
    cc.csv.yhat = "yhat";
    cc.csv.by = by;
    cc.candidate = "w";
    cc.time = "y"; /* exercises the time-sort buffer */
    vn_compare *c = NULL;
    vn_comparison *r = NULL;
    vn_status st = vn_compare_new(&cfg, &c, NULL, 0);
    if (st == VN_OK)
        st = vn_compare_keep_plots(c);
    if (st == VN_OK)
        st = vn_compare_csv_read(c, path, &cc);
    if (st == VN_OK)
        st = vn_compare_finish(c, &r);
    vn_compare_free(c);
    FILE *mem = open_memstream(out, out_len);
    for (int f = 0; st == VN_OK && f < 4; f++)
        st = vn_comparison_write(r, (vn_format)f, mem);
    vn_report_config rc;
    vn_report_config_init(&rc);
    rc.comparison = r;
    for (int f = 0; st == VN_OK && f < 2; f++)
        st = vn_report_write(&rc, (vn_report_format)f, mem);
    fclose(mem);
    vn_comparison_free(r);
    return st;
}

/* A check over a spec of the small file: by and bins slices, an interval, a baseline
 * file (the same file), a dummy gate, every output format. */
static char check_spec[64];

static vn_status check_pipeline(const char *path, char **out, size_t *out_len)
{
    (void)path;
    vn_check_config cfg = {check_spec, NULL, NULL, 2};
    vn_check *c = NULL;
    vn_status st = vn_check_run(&cfg, &c, NULL, 0);
    FILE *mem = open_memstream(out, out_len);
    for (int f = 0; st == VN_OK && f < 5; f++)
        st = vn_check_write(c, (vn_check_format)f, mem);
    vn_result *res = NULL; /* the report from a spec: its evaluation and gates */
    char err[256];
    if (st == VN_OK)
        st = vn_check_evaluate(c, &cfg, &res, err, sizeof err);
    vn_report_config rc;
    vn_report_config_init(&rc);
    rc.result = res;
    rc.check = c;
    for (int f = 0; st == VN_OK && f < 2; f++)
        st = vn_report_write(&rc, (vn_report_format)f, mem);
    vn_result_free(res);
    fclose(mem);
    vn_check_free(c);
    return st;
}

typedef vn_status (*pipeline_fn)(const char *path, char **out, size_t *out_len);

/* Fails each allocation of the pipeline over path in turn. */
static void fail_each(pipeline_fn run, const char *path, const char *what)
{
    fail_at = -1;
    calls = 0;
    char *ref = NULL, *out = NULL;
    size_t ref_len = 0, out_len = 0;
    CHECK(run(path, &ref, &ref_len) == VN_OK);
    const long total = calls;
    CHECK(live == 0);
    long nomem = 0, bad = 0, leaks = 0, recovered = 0;
    for (long n = 1; n <= total; n++) {
        fail_at = n;
        calls = 0;
        live = 0;
        const vn_status st = run(path, &out, &out_len);
        nomem += st == VN_ERR_NOMEM;
        if (st == VN_OK) {
            recovered++;
            if (out_len != ref_len || memcmp(out, ref, ref_len) != 0) {
                bad++;
                fprintf(stderr, "  failing allocation %ld changed the output\n", n);
            }
        }
        free(out);
        out = NULL;
        bad += st != VN_ERR_NOMEM && st != VN_OK;
        leaks += live != 0;
        if (live != 0 && leaks < 4)
            fprintf(stderr, "  failing allocation %ld leaks %ld blocks\n", n, live);
    }
    printf("  %s: %ld allocations, each failed once: %ld runs reported NOMEM, %ld recovered "
           "with identical output\n", what, total, nomem, recovered);
    CHECKF(bad == 0, "%ld runs returned something other than OK or NOMEM", bad);
    CHECKF(leaks == 0, "%ld runs leaked", leaks);
    CHECKF(nomem + recovered == total, "every run is NOMEM or identical (%ld + %ld of %ld)", nomem,
           recovered, total);
    CHECK(nomem > total / 2);
    free(ref);
}

int main(void)
{
    char path[] = "/tmp/vn_alloc_XXXXXX";
    const int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "y,yhat,w,g\n");
    for (int i = 0; i < 9000; i++) /* > 2 blocks, so merges and partial blocks happen */
        fprintf(fp, "%d.5,%d,%d,%c\n", i % 97 + 1, i % 89 + 2, i % 3 + 1, "abc"[i % 3]);
    fclose(fp);
    char small[] = "/tmp/vn_alloc_small_XXXXXX";
    fp = fdopen(mkstemp(small), "w");
    fprintf(fp, "y,yhat,w,g\n");
    for (int i = 0; i < 24; i++)
        fprintf(fp, "%d.5,%d,%d,%c\n", i % 7 + 1, i % 5 + 2, i % 3 + 1, "ab"[i % 2]);
    fclose(fp);

    vn_set_allocator(hook, NULL);
    fail_each(pipeline, path, "evaluation");
    with_ci = 1;
    fail_each(pipeline, small, "evaluation with bootstrap intervals");
    fail_each(compare_pipeline, small, "comparison");
    snprintf(check_spec, sizeof check_spec, "/tmp/vn_alloc_spec_XXXXXX");
    fp = fdopen(mkstemp(check_spec), "w");
    fprintf(fp, "version: 1\ndata: {path: %s, y: y, prediction: yhat, weight: w}\n"
                "metrics:\n  - {id: mae, type: mae, uncertainty: {level: 0.9, method: percentile, resamples: 3}}\n"
                "  - {id: p90, type: abs_error_quantile, params: {q: 0.9}}\n"
                "slices:\n  - {id: g, by: g}\n  - {id: b, bins: {column: y, edges: [0, 3, 10]}}\n"
                "baseline: {file: %s}\n"
                "gates:\n  - {metric: mae, max: 2, slices: \"*\"}\n  - {metric: mae, on: ci_high, max: 3}\n"
                "  - {metric: p90, vs: dummy, slices: [g]}\n"
                "  - {metric: mae, vs: baseline, max_regression: \"5%%\"}\n", small, small);
    fclose(fp);
    fail_each(check_pipeline, small, "check");
    /* the forecasting keys: pooled over series (overall and a filter), a training file
     * (the same file) per series, a dummy gate and a baseline file evaluated the same way */
    fp = fopen(check_spec, "w");
    fprintf(fp, "version: 1\ndata: {path: %s, y: y, prediction: yhat, series: g, train: %s}\n"
                "metrics:\n  - {id: mase, type: mase}\n  - {id: rmsse, type: rmsse}\n"
                "  - {id: mda, type: mda}\n"
                "slices:\n  - {id: big, filter: {column: y, ge: 3}}\n"
                "baseline: {file: %s}\n"
                "gates:\n  - {metric: mase, max: 2, slices: \"*\"}\n  - {metric: mda, min: 0}\n"
                "  - {metric: mase, vs: dummy}\n"
                "  - {metric: rmsse, vs: baseline, max_regression: 0}\n", small, small, small);
    fclose(fp);
    fail_each(check_pipeline, small, "check with series and a training file");
    /* a horizon column (w: 1, 2, 3), its slices in numeric order, one training series */
    fp = fopen(check_spec, "w");
    fprintf(fp, "version: 1\ndata: {path: %s, y: y, prediction: yhat, horizon: w, train: %s}\n"
                "metrics:\n  - {id: mase, type: mase}\n"
                "slices:\n  - {id: wg, by: [w, g]}\n"
                "gates:\n  - {metric: mase, max: 2, slices: \"*\"}\n"
                "  - {metric: mase, vs: dummy, slices: [horizon]}\n", small, small);
    fclose(fp);
    fail_each(check_pipeline, small, "check with horizons");
    unlink(check_spec);
    vn_set_allocator(NULL, NULL);
    unlink(path);
    unlink(small);
    return unit_summary("alloc");
}
