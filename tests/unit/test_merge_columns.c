/*
 * test_merge_columns.c — vn_eval_merge of evaluations whose metrics read input columns
 * (interval, ensemble and expression metrics) or are expressions: the parts of a random
 * split, merged in order, give the evaluation of all rows (to the compensated sums'
 * accuracy: blocks are grouped differently), overall and per slice, also when the parts
 * end with rows not yet folded into a block; merges refused with a message when the
 * input columns differ; no byte form (vn_eval_state_write) for them, and a state whose
 * metric list was altered to read a column is refused (vn_eval_state_read);
 * vn_eval_column_use.
 * The values of the whole evaluation are checked against sums computed here.
 */
#include "hash.h"
#include "unit.h"
#include "vernier.h"

#include <stdint.h>
#include <string.h>

#define N 10000 /* more than two blocks of 4096 rows */
#define NM 6

static const char *const METRICS =
    "mae,coverage:lo=lo:hi=hi,crps_ensemble:members=[m1,m2],"
    "cost=sum(abs(e) * price) / sum(y * price),m=mean(abs(e)),interval_width:lo=lo:hi=hi";

static double y[N], p[N], lo[N], hi[N], m1[N], m2[N], price[N];
static uint32_t id[N];

/* xorshift64*: the same numbers on every machine */
static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void make_data(void)
{
    for (size_t i = 0; i < N; i++) {
        y[i] = 10 * uniform();
        p[i] = y[i] + uniform() - 0.5;
        lo[i] = p[i] - 0.4;
        hi[i] = p[i] + 0.3;
        m1[i] = p[i] - uniform();
        m2[i] = p[i] + uniform();
        price[i] = 1 + uniform();
        id[i] = (uint32_t)(uniform() * 3);
    }
}

static vn_eval *new_eval(const char *metrics)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = metrics;
    const char *by[] = {"g"};
    cfg.by_count = 1;
    cfg.by_names = by;
    vn_eval *ev = NULL;
    char err[256];
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK)
        return NULL;
    static const char *const g[] = {"a", "b", "c"};
    uint32_t sid;
    for (size_t k = 0; k < 3; k++) /* slice ids 0, 1, 2 in every part */
        vn_eval_slice(ev, &g[k], NULL, &sid);
    return ev;
}

/* Rows [from, to) into ev; the columns in the order the evaluation lists them. */
static vn_status feed(vn_eval *ev, size_t from, size_t to)
{
    const double *cols[5];
    for (size_t k = 0; k < vn_eval_column_count(ev); k++) {
        const char *n = vn_eval_column_name(ev, k);
        cols[k] = strcmp(n, "lo") == 0   ? lo + from
                  : strcmp(n, "hi") == 0 ? hi + from
                  : strcmp(n, "m1") == 0 ? m1 + from
                  : strcmp(n, "m2") == 0 ? m2 + from
                                         : price + from;
    }
    const vn_rows r = {to - from, y + from, 1, p + from, 1, NULL, 1, id + from};
    return vn_eval_update_columns(ev, &r, cols, NULL);
}

static double value(const vn_result *res, size_t s, size_t m)
{
    vn_value v;
    vn_result_get(res, s, m, &v);
    return v.value;
}

/* The metrics of slice s (0: all rows; else rows with id s - 1) from sums over the rows. */
static void oracle(size_t s, double *want)
{
    double n = 0, ae = 0, cov = 0, crps = 0, num = 0, den = 0, width = 0;
    for (size_t i = 0; i < N; i++) {
        if (s && id[i] != s - 1)
            continue;
        const double e = fabs(p[i] - y[i]);
        n++;
        ae += e;
        cov += lo[i] <= y[i] && y[i] <= hi[i];
        /* standard estimator, m = 2: mean |x - y| - (1 / (2 m^2)) sum |x_i - x_j| */
        crps += (fabs(m1[i] - y[i]) + fabs(m2[i] - y[i])) / 2 - 2 * fabs(m1[i] - m2[i]) / 8;
        num += e * price[i];
        den += y[i] * price[i];
        width += hi[i] - lo[i];
    }
    const double w[NM] = {ae / n, cov / n, crps / n, num / den, ae / n, width / n};
    memcpy(want, w, sizeof w);
}

static void test_merge(void)
{
    vn_eval *whole = new_eval(METRICS);
    CHECK(whole != NULL);
    if (!whole)
        return;
    CHECK(vn_eval_column_count(whole) == 5);
    CHECKF(strcmp(vn_eval_column_use(whole, 0), "metric coverage:lo=lo:hi=hi reads it as lo") == 0,
           "%s", vn_eval_column_use(whole, 0));
    CHECK(vn_eval_column_use(whole, 5) == NULL);
    CHECK(feed(whole, 0, N) == VN_OK);
    /* no byte form: the message names the metric */
    void *buf = NULL;
    size_t len = 0;
    char err[512];
    CHECK(vn_eval_state_write(whole, &buf, &len, err, sizeof err) == VN_ERR_USAGE && !buf);
    CHECKF(strncmp(err, "coverage:lo=lo:hi=hi: ", 22) == 0, "%s", err);
    vn_result *all = NULL;
    CHECK(vn_eval_finish(whole, &all) == VN_OK);
    vn_eval_free(whole);
    /* three parts, cut inside blocks so that each part ends with rows not yet folded */
    static const size_t cut[] = {0, 1234, 6001, N};
    vn_eval *into = new_eval(METRICS);
    CHECK(into && feed(into, cut[0], cut[1]) == VN_OK);
    for (size_t k = 1; into && k < 3; k++) {
        vn_eval *part = new_eval(METRICS);
        CHECK(part && feed(part, cut[k], cut[k + 1]) == VN_OK);
        CHECKF(vn_eval_merge(into, part, err, sizeof err) == VN_OK, "%s", err);
        vn_eval_free(part);
    }
    vn_result *merged = NULL;
    CHECK(into && vn_eval_finish(into, &merged) == VN_OK);
    vn_eval_free(into);
    if (!all || !merged) {
        vn_result_free(all);
        vn_result_free(merged);
        return;
    }
    CHECK(vn_result_slice_count(all) == 4 && vn_result_slice_count(merged) == 4);
    for (size_t s = 0; s < 4; s++) {
        double want[NM];
        oracle(s, want);
        CHECK(vn_result_slice_rows(merged, s) == vn_result_slice_rows(all, s));
        for (size_t m = 0; m < NM; m++) {
            const double a = value(all, s, m), b = value(merged, s, m);
            CHECKF(unit_close(a, want[m], 1e-12), "slice %zu %s: %.17g, by hand %.17g", s,
                   vn_result_metric_key(all, m), a, want[m]);
            CHECKF(unit_close(b, a, 1e-13), "slice %zu %s: merged %.17g, whole %.17g", s,
                   vn_result_metric_key(all, m), b, a);
        }
    }
    /* a share: exact whatever the grouping */
    CHECK(unit_same(value(all, 0, 1), value(merged, 0, 1)));
    vn_result_free(all);
    vn_result_free(merged);
}

static void test_refused(void)
{
    /* the same key, other columns: refused, into unchanged */
    vn_eval *a = new_eval("cost=sum(abs(e) * price)"), *b = new_eval("cost=sum(abs(e) * qty)");
    CHECK(a && b);
    if (!a || !b) {
        vn_eval_free(a);
        vn_eval_free(b);
        return;
    }
    char err[512];
    CHECK(vn_eval_merge(a, b, err, sizeof err) == VN_ERR_USAGE);
    CHECKF(strcmp(err, "cannot merge: input column 1 is price here and qty there") == 0, "%s", err);
    vn_eval_free(b);
    b = new_eval("cost=sum(abs(e) * price)");
    CHECK(feed(b, 0, 10) == VN_OK);
    CHECKF(vn_eval_merge(a, b, err, sizeof err) == VN_OK, "%s", err);
    vn_result *res = NULL;
    CHECK(vn_eval_finish(a, &res) == VN_OK);
    double want = 0;
    for (size_t i = 0; i < 10; i++)
        want += fabs(p[i] - y[i]) * price[i];
    if (res)
        CHECKF(unit_close(value(res, 0, 0), want, 1e-14), "%.17g %.17g", value(res, 0, 0), want);
    vn_result_free(res);
    vn_eval_free(a);
    vn_eval_free(b);
}

/* A state of "mae,c=mean(abs(e) * 2)" whose list is altered to read the column p (the
 * hash made again): vn_eval_state_read refuses it, naming the column, for its rows carry
 * no columns. The unaltered state reads back with the value 2·mae. */
static void test_state_list_reading_a_column(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,c=mean(abs(e) * 2)";
    vn_eval *ev;
    char err[512];
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    const double ys[] = {1, 2, 4}, ps[] = {1.5, 2.5, 3};
    const vn_rows r = {3, ys, 1, ps, 1, NULL, 0, NULL};
    CHECK(vn_eval_update(ev, &r) == VN_OK);
    void *buf = NULL;
    size_t len = 0;
    CHECKF(vn_eval_state_write(ev, &buf, &len, err, sizeof err) == VN_OK, "%s", err);
    vn_eval_free(ev);
    if (!buf)
        return;
    vn_eval *back = NULL;
    CHECK(vn_eval_state_read(buf, len, 1, &back, err, sizeof err) == VN_OK);
    vn_result *res = NULL;
    vn_value v;
    CHECK(back && vn_eval_finish(back, &res) == VN_OK);
    CHECK(res && vn_result_get(res, 0, 1, &v) == VN_OK && v.value == 4.0 / 3.0);
    vn_result_free(res);
    vn_eval_free(back);
    static const char old[] = "mae,c[lower]=mean(abs(e) * 2)";
    unsigned char *b = buf, *at = NULL;
    for (size_t i = 0; i + sizeof old - 1 <= len && !at; i++)
        if (memcmp(b + i, old, sizeof old - 1) == 0)
            at = b + i;
    CHECK(at != NULL);
    if (at) {
        at[sizeof old - 3] = 'p'; /* "... * 2)" -> "... * p)": the same length */
        vn__hash h; /* the hash of every byte before it, little-endian, as the writer */
        vn__hash_init(&h);
        vn__hash_update(&h, b, len - 8);
        const uint64_t hv = vn__hash_final(&h);
        for (int k = 0; k < 8; k++)
            b[len - 8 + k] = (unsigned char)(hv >> (8 * k));
        back = NULL;
        CHECK(vn_eval_state_read(buf, len, 1, &back, err, sizeof err) == VN_ERR_DATA && !back);
        CHECKF(strcmp(err, "state: its metrics read the input column \"p\", which states do "
                           "not carry") == 0, "%s", err);
    }
    vn_state_free(buf);
}

int main(void)
{
    make_data();
    RUN(test_merge);
    RUN(test_refused);
    RUN(test_state_list_reading_a_column);
    return unit_summary("merge_columns");
}
