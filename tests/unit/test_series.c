/*
 * test_series.c — forecasting across series through the C API: the overall mase, rmsse
 * and mda pooled over series (vn_eval_config.series), slices in numeric order
 * (numeric_slices), training scales from a CSV file (vn_eval_train_csv) matched per
 * series, the no_training reason, misuse, and every allocation of a run failed in turn.
 * Hand-derived values (the two-series example of docs/forecasting.md).
 */
#include "alloc_hook.h"
#include "unit.h"
#include "vernier.h"

#include <unistd.h>

/* Series a: y = 3, 5, 4, 8, 6, yhat = 4, 4, 6, 7, 6 (MASE 4/9, mda 3/4); series b:
 * y = 10, 12, 11, yhat = 11, 12, 13 (MASE 2/3, mda 1/2). Rows interleaved in time. */
static const char *const ser[] = {"a", "b", "a", "b", "a", "b", "a", "a"};
static const double Y[] = {3, 10, 5, 12, 4, 11, 8, 6}, P[] = {4, 11, 4, 12, 6, 13, 7, 6};

/* One evaluation of mase,rmsse,mda over the two series, with a training file when train
 * is not NULL. Returns the status; *out the result. */
static vn_status run(const char *train, vn_result **out)
{
    *out = NULL;
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mase,rmsse,mda";
    const char *by[] = {"item"};
    cfg.by_count = 1;
    cfg.by_names = by;
    cfg.series = 1;
    vn_eval *ev = NULL;
    char err[256];
    vn_status st = vn_eval_new(&cfg, &ev, err, sizeof err);
    if (st != VN_OK)
        return st;
    uint32_t id[8];
    for (size_t i = 0; st == VN_OK && i < 8; i++)
        st = vn_eval_slice(ev, &ser[i], NULL, &id[i]);
    const vn_rows rows = {8, Y, 1, P, 1, NULL, 1, id};
    if (st == VN_OK)
        st = vn_eval_update(ev, &rows);
    if (st == VN_OK && train) {
        vn_csv_config cc;
        vn_csv_config_init(&cc);
        cc.y = "y";
        cc.yhat = "unused";
        cc.time = "t";
        cc.by = by;
        st = vn_eval_train_csv(ev, train, &cc);
    }
    if (st == VN_OK)
        st = vn_eval_finish(ev, out);
    vn_eval_free(ev);
    return st;
}

static vn_value get(const vn_result *res, size_t s, size_t m)
{
    vn_value v;
    vn_result_get(res, s, m, &v);
    return v;
}

static void test_pooled(void)
{
    vn_result *res = NULL;
    CHECK(run(NULL, &res) == VN_OK);
    if (!res)
        return;
    CHECK(vn_result_slice_count(res) == 3);
    CHECK(unit_close(get(res, 1, 0).value, 4.0 / 9, 1e-15));
    CHECK(unit_close(get(res, 2, 0).value, 2.0 / 3, 1e-15));
    const vn_value o = get(res, 0, 0);
    CHECKF(unit_close(o.value, 5.0 / 9, 1e-15), "%.17g", o.value);
    CHECKF(strstr(o.message, "unweighted mean of 2 per-series values (M4 convention); "
                             "scale from the evaluated series (m = 1)") != NULL, "%s", o.message);
    CHECK(unit_close(get(res, 0, 1).value, (sqrt(28.0 / 125) + sqrt(2.0 / 3)) / 2, 1e-15));
    CHECK(get(res, 0, 2).value == 0.625);
    int note = 0;
    for (size_t i = 0; i < vn_result_note_count(res); i++)
        note += strcmp(vn_result_note(res, i)->code, "series_pooled") == 0;
    CHECK(note == 1);
    vn_result_free(res);
}

static char tmpl[] = "/tmp/vn_test_series_XXXXXX";

static void test_train(void)
{
    const int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    /* a: 1, 2 in time order (rows reversed) -> scale 1; b is absent */
    static const char body[] = "t,item,y\n2,a,2\n1,a,1\n";
    CHECK(write(fd, body, sizeof body - 1) == (ssize_t)(sizeof body - 1));
    close(fd);
    vn_result *res = NULL;
    CHECK(run(tmpl, &res) == VN_OK);
    if (res) {
        const vn_value a = get(res, 1, 0), b = get(res, 2, 0), o = get(res, 0, 0);
        CHECK(a.value == 1.0 && strcmp(a.message, "scale from the training series (m = 1)") == 0);
        CHECK(unit_close(get(res, 1, 1).value, sqrt(7.0 / 5), 1e-15));
        CHECK(isnan(b.value) && b.reason == VN_REASON_NO_TRAINING);
        CHECK(strcmp(vn_reason_name(VN_REASON_NO_TRAINING), "no_training") == 0);
        CHECK(o.value == 1.0);
        CHECKF(strstr(o.message, "scale from the training series (m = 1); 1 undefined series "
                                 "left out") != NULL, "%s", o.message);
        CHECK(get(res, 0, 2).value == 0.625); /* mda: no scale, both series */
    }
    vn_result_free(res);
    /* every allocation failed in turn: NOMEM, nothing leaks */
    vn_set_allocator(hook, NULL);
    long n = 0, bad = 0;
    for (;; n++) {
        fail_at = n + 1;
        calls = 0;
        live = 0;
        const vn_status st = run(tmpl, &res);
        vn_result_free(res);
        bad += live != 0 || (st != VN_OK && st != VN_ERR_NOMEM);
        if (st == VN_OK)
            break;
    }
    vn_set_allocator(NULL, NULL);
    fail_at = -1;
    CHECKF(bad == 0 && n > 10, "%ld of %ld runs leaked or failed otherwise", bad, n);
    unlink(tmpl);
}

static void test_numeric_order_and_misuse(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "count";
    const char *by[] = {"h"};
    cfg.by_count = 1;
    cfg.by_names = by;
    cfg.numeric_slices = 1;
    vn_eval *ev = NULL;
    char err[256];
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    const char *const keys[] = {"10", "x", "2", "1", "1.5", "-3"};
    uint32_t id[6];
    for (size_t i = 0; i < 6; i++)
        CHECK(vn_eval_slice(ev, &keys[i], NULL, &id[i]) == VN_OK);
    const double y[6] = {0}, p[6] = {0};
    const vn_rows rows = {6, y, 1, p, 1, NULL, 1, id};
    CHECK(vn_eval_update(ev, &rows) == VN_OK);
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    CHECK(vn_eval_train_csv(ev, "/nonexistent/train.csv", &cc) == VN_ERR_USAGE); /* no y */
    vn_eval_free(ev);
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    for (size_t i = 0; i < 6; i++)
        CHECK(vn_eval_slice(ev, &keys[i], NULL, &id[i]) == VN_OK);
    CHECK(vn_eval_update(ev, &rows) == VN_OK);
    vn_result *res = NULL;
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_eval_free(ev);
    const char *const want[] = {"-3", "1", "1.5", "2", "10", "x"};
    for (size_t s = 1; res && s < 7; s++)
        CHECKF(strcmp(vn_result_slice_value(res, s, 0), want[s - 1]) == 0, "slice %zu: %s", s,
               vn_result_slice_value(res, s, 0));
    vn_result_free(res);
    /* series without by columns */
    cfg.by_count = 0;
    cfg.by_names = NULL;
    cfg.numeric_slices = 0;
    cfg.series = 1;
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && ev == NULL);
    CHECK(strstr(err, "need by columns") != NULL);
}

int main(void)
{
    RUN(test_pooled);
    RUN(test_train);
    RUN(test_numeric_order_and_misuse);
    return unit_summary("series");
}
