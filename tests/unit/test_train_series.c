/*
 * test_train_series.c — training series from memory (vn_eval_train_series): the same
 * scales, bit for bit, as the same values read from a CSV file with vn_eval_train_csv
 * (rows shuffled, put in order by a time column), a hand-computed MASE and RMSSE, a
 * strided array, one series for an evaluation without series, the no_training reason,
 * every misuse (a series twice, by_values against the series setting, mixing with a
 * training file, a non-finite value) and every allocation of a run failed in turn.
 */
#include "alloc_hook.h"
#include "unit.h"
#include "vernier.h"

#include <unistd.h>

/* Evaluated rows (the two series of docs/forecasting.md), interleaved in time. Series a:
 * y = 3, 5, 4, 8, 6, yhat = 4, 4, 6, 7, 6: |e| = 1, 1, 2, 1, 0 (mae 1, mse 7/5). Series b:
 * y = 10, 12, 11, yhat = 11, 12, 13: |e| = 1, 0, 2 (mae 1, mse 5/3). */
static const char *const ser[] = {"a", "b", "a", "b", "a", "b", "a", "a"};
static const double Y[] = {3, 10, 5, 12, 4, 11, 8, 6}, P[] = {4, 11, 4, 12, 6, 13, 7, 6};

/* Training series in time order, values that are not exact in binary so that the sums
 * exercise rounding: a = 1.1, 2.3, 4.7, 7.9 (differences 1.2, 2.4, 3.2), b = 10.5, 14.25,
 * 13 (differences 3.75, 1.25). */
static const double TA[] = {1.1, 2.3, 4.7, 7.9}, TB[] = {10.5, 14.25, 13};

#define NM 3 /* mase, rmsse, mda */

/* How the training data is given. */
enum how { CSV, ARRAYS, STRIDED };

static char tmpl[] = "/tmp/vn_test_train_series_XXXXXX";

/* One evaluation of mase,rmsse,mda over the two series with training data given `how`.
 * Returns the status; *out the result. */
static vn_status run(enum how how, vn_result **out)
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
    const char *const a[] = {"a"}, *const b[] = {"b"};
    if (how == CSV && st == VN_OK) {
        vn_csv_config cc;
        vn_csv_config_init(&cc);
        cc.y = "y";
        cc.time = "t";
        cc.by = by;
        st = vn_eval_train_csv(ev, tmpl, &cc);
    } else if (how == ARRAYS && st == VN_OK) { /* b first: the series are kept in key order */
        st = vn_eval_train_series(ev, b, TB, 3, 1);
        if (st == VN_OK)
            st = vn_eval_train_series(ev, a, TA, 4, 1);
    } else if (how == STRIDED && st == VN_OK) { /* every other value, and backwards */
        const double ia[] = {1.1, -1, 2.3, -1, 4.7, -1, 7.9}, rb[] = {13, 14.25, 10.5};
        st = vn_eval_train_series(ev, a, ia, 4, 2);
        if (st == VN_OK)
            st = vn_eval_train_series(ev, b, rb + 2, 3, -1);
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

/* The training file: the values of TA and TB with their times, rows shuffled. */
static int write_train_file(void)
{
    strcpy(tmpl, "/tmp/vn_test_train_series_XXXXXX");
    const int fd = mkstemp(tmpl);
    if (fd < 0)
        return -1;
    FILE *fp = fdopen(fd, "w");
    if (!fp)
        return -1;
    fprintf(fp, "t,item,y\n");
    fprintf(fp, "3,b,%.17g\n4,a,%.17g\n1,a,%.17g\n", TB[2], TA[3], TA[0]);
    fprintf(fp, "1,b,%.17g\n3,a,%.17g\n2,b,%.17g\n2,a,%.17g\n", TB[0], TA[2], TB[1], TA[1]);
    return fclose(fp) == 0 ? 0 : -1;
}

static void test_same_as_csv(void)
{
    CHECK(write_train_file() == 0);
    vn_result *rc = NULL, *ra = NULL, *rs = NULL;
    CHECK(run(CSV, &rc) == VN_OK);
    CHECK(run(ARRAYS, &ra) == VN_OK);
    CHECK(run(STRIDED, &rs) == VN_OK);
    if (!rc || !ra || !rs) {
        vn_result_free(rc);
        vn_result_free(ra);
        vn_result_free(rs);
        return;
    }
    CHECK(vn_result_slice_count(ra) == 3 && vn_result_slice_count(rc) == 3);
    for (size_t s = 0; s < 3; s++)
        for (size_t m = 0; m < NM; m++) {
            const vn_value c = get(rc, s, m), a = get(ra, s, m), st = get(rs, s, m);
            CHECKF(unit_same(c.value, a.value) && unit_same(c.value, st.value),
                   "slice %zu metric %zu: csv %.17g, arrays %.17g, strided %.17g", s, m, c.value,
                   a.value, st.value);
            CHECKF(strcmp(c.message, a.message) == 0, "%s | %s", c.message, a.message);
        }
    /* by hand: a's scale (1.2 + 2.4 + 3.2) / 3 = 6.8 / 3, MASE 1 / (6.8 / 3) = 3 / 6.8;
     * b's scale (3.75 + 1.25) / 2 = 2.5, MASE 1 / 2.5 = 0.4; overall their mean. RMSSE:
     * sqrt(mse / mean squared difference): a sqrt((7/5) / ((1.44 + 5.76 + 10.24) / 3)),
     * b sqrt((5/3) / ((14.0625 + 1.5625) / 2)). */
    const double mase_a = 3 / 6.8, mase_b = 0.4;
    const double rmsse_a = sqrt(1.4 / (17.44 / 3)), rmsse_b = sqrt((5.0 / 3) / (15.625 / 2));
    CHECKF(unit_close(get(ra, 1, 0).value, mase_a, 1e-14), "%.17g", get(ra, 1, 0).value);
    CHECKF(unit_close(get(ra, 2, 0).value, mase_b, 1e-14), "%.17g", get(ra, 2, 0).value);
    CHECKF(unit_close(get(ra, 0, 0).value, (mase_a + mase_b) / 2, 1e-14), "%.17g",
           get(ra, 0, 0).value);
    CHECKF(unit_close(get(ra, 1, 1).value, rmsse_a, 1e-14), "%.17g", get(ra, 1, 1).value);
    CHECKF(unit_close(get(ra, 2, 1).value, rmsse_b, 1e-14), "%.17g", get(ra, 2, 1).value);
    CHECK(strcmp(get(ra, 1, 0).message, "scale from the training series (m = 1)") == 0);
    CHECK(get(ra, 0, 2).value == 0.625); /* mda takes no scale */
    vn_result_free(rc);
    vn_result_free(ra);
    vn_result_free(rs);
    unlink(tmpl);
}

/* An evaluation without series, sliced by horizon: one training series for every slice. */
static void test_one_series(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,mase";
    const char *by[] = {"h"};
    cfg.by_count = 1;
    cfg.by_names = by;
    cfg.numeric_slices = 1;
    vn_eval *ev = NULL;
    char err[256];
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    if (!ev)
        return;
    const char *const h[] = {"2", "1", "2", "1"};
    uint32_t id[4];
    for (size_t i = 0; i < 4; i++)
        CHECK(vn_eval_slice(ev, &h[i], NULL, &id[i]) == VN_OK);
    const double y[] = {1, 2, 3, 4}, p[] = {1.5, 2, 2, 5}; /* |e| = .5, 0, 1, 1 */
    const vn_rows rows = {4, y, 1, p, 1, NULL, 1, id};
    CHECK(vn_eval_update(ev, &rows) == VN_OK);
    const char *const a[] = {"a"};
    CHECK(vn_eval_train_series(ev, a, TA, 4, 1) == VN_ERR_USAGE); /* no series: NULL */
    CHECKF(strstr(vn_eval_errmsg(ev), "by_values must be NULL") != NULL, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    for (size_t i = 0; i < 4; i++)
        CHECK(vn_eval_slice(ev, &h[i], NULL, &id[i]) == VN_OK);
    CHECK(vn_eval_update(ev, &rows) == VN_OK);
    const double t[] = {0, 2, 1, 3}; /* scale (2 + 1 + 2) / 3 */
    CHECK(vn_eval_train_series(ev, NULL, t, 4, 1) == VN_OK);
    vn_result *res = NULL;
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_eval_free(ev);
    if (!res)
        return;
    /* slices: overall, h=1 (rows 2, 4: mae 0.5), h=2 (rows 1, 3: mae 0.75) */
    CHECK(strcmp(vn_result_slice_value(res, 1, 0), "1") == 0);
    CHECKF(unit_close(get(res, 0, 1).value, 0.625 / (5.0 / 3), 1e-15), "%.17g", get(res, 0, 1).value);
    CHECKF(unit_close(get(res, 1, 1).value, 0.5 / (5.0 / 3), 1e-15), "%.17g", get(res, 1, 1).value);
    CHECKF(unit_close(get(res, 2, 1).value, 0.75 / (5.0 / 3), 1e-15), "%.17g", get(res, 2, 1).value);
    vn_result_free(res);
}

/* A fresh series evaluation over the two series (rows fed), for the misuse cases. */
static vn_eval *fresh(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mase";
    const char *by[] = {"item"};
    cfg.by_count = 1;
    cfg.by_names = by;
    cfg.series = 1;
    vn_eval *ev = NULL;
    char err[256];
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK)
        return NULL;
    uint32_t id[8];
    for (size_t i = 0; i < 8; i++)
        vn_eval_slice(ev, &ser[i], NULL, &id[i]);
    const vn_rows rows = {8, Y, 1, P, 1, NULL, 1, id};
    vn_eval_update(ev, &rows);
    return ev;
}

static void test_misuse(void)
{
    const char *const a[] = {"a"}, *const b[] = {"b"};
    vn_eval *ev = fresh();
    CHECK(ev != NULL);
    if (!ev)
        return;
    CHECK(vn_eval_train_series(ev, a, TA, 4, 1) == VN_OK);
    CHECK(vn_eval_train_series(ev, a, TB, 3, 1) == VN_ERR_USAGE);
    CHECKF(strcmp(vn_eval_errmsg(ev), "vn_eval_train_series: series \"a\" was given twice") == 0,
           "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);

    ev = fresh();
    CHECK(vn_eval_train_series(ev, NULL, TA, 4, 1) == VN_ERR_USAGE);
    CHECKF(strstr(vn_eval_errmsg(ev), "by_values names the series") != NULL, "%s",
           vn_eval_errmsg(ev));
    vn_eval_free(ev);

    ev = fresh();
    const double bad[] = {1, 2, NAN};
    CHECK(vn_eval_train_series(ev, b, bad, 3, 1) == VN_ERR_DATA);
    CHECKF(strcmp(vn_eval_errmsg(ev),
                  "vn_eval_train_series: series \"b\": value 3 is not finite (nan)") == 0,
           "%s", vn_eval_errmsg(ev));
    vn_result *res = NULL;
    CHECK(vn_eval_finish(ev, &res) == VN_ERR_USAGE && res == NULL); /* spent */
    vn_eval_free(ev);

    /* a training file and arrays do not mix, in either order */
    CHECK(write_train_file() == 0);
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.y = "y";
    const char *by[] = {"item"};
    cc.by = by;
    ev = fresh();
    CHECK(vn_eval_train_series(ev, b, TB, 3, 1) == VN_OK);
    CHECK(vn_eval_train_csv(ev, tmpl, &cc) == VN_ERR_USAGE);
    CHECKF(strstr(vn_eval_errmsg(ev), "the two do not mix") != NULL, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    ev = fresh();
    CHECK(vn_eval_train_csv(ev, tmpl, &cc) == VN_OK);
    CHECK(vn_eval_train_series(ev, b, TB, 3, 1) == VN_ERR_USAGE);
    CHECKF(strstr(vn_eval_errmsg(ev), "the two do not mix") != NULL, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    unlink(tmpl);

    /* a series never given: no_training; a series with one value (or none): too few rows */
    ev = fresh();
    const double one[] = {5};
    CHECK(vn_eval_train_series(ev, b, one, 1, 1) == VN_OK);
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_eval_free(ev);
    if (res) {
        CHECK(isnan(get(res, 1, 0).value) && get(res, 1, 0).reason == VN_REASON_NO_TRAINING);
        CHECKF(strcmp(get(res, 1, 0).message, "the series is not in the training data") == 0,
               "%s", get(res, 1, 0).message);
        CHECK(isnan(get(res, 2, 0).value) && get(res, 2, 0).reason == VN_REASON_TOO_FEW_ROWS);
        CHECK(isnan(get(res, 0, 0).value)); /* no series with a value to pool */
    }
    vn_result_free(res);
    ev = fresh();
    CHECK(vn_eval_train_series(ev, a, NULL, 0, 1) == VN_OK);
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_eval_free(ev);
    if (res)
        CHECK(isnan(get(res, 1, 0).value) && get(res, 1, 0).reason == VN_REASON_TOO_FEW_ROWS);
    vn_result_free(res);
}

/* Every allocation of a run with training arrays failed in turn: NOMEM, nothing leaks. */
static void test_nomem(void)
{
    vn_result *res = NULL;
    vn_set_allocator(hook, NULL);
    long n = 0, bad = 0;
    for (;; n++) {
        fail_at = n + 1;
        calls = 0;
        live = 0;
        const vn_status st = run(ARRAYS, &res);
        vn_result_free(res);
        bad += live != 0 || (st != VN_OK && st != VN_ERR_NOMEM);
        if (st == VN_OK)
            break;
    }
    vn_set_allocator(NULL, NULL);
    fail_at = -1;
    CHECKF(bad == 0 && n > 10, "%ld of %ld runs leaked or failed otherwise", bad, n);
}

int main(void)
{
    RUN(test_same_as_csv);
    RUN(test_one_series);
    RUN(test_misuse);
    RUN(test_nomem);
    return unit_summary("train_series");
}
