/*
 * test_fairness.c — fairness over an evaluation fed from arrays (fairness.c): gaps,
 * ratios and MOVER intervals derived by hand from the groups' values and intervals,
 * the thresholded counts from rows in memory (vn_fairness_config.rows), Wilson limits
 * against their closed form, usage errors, and allocation failure at every allocation.
 */
#include "vernier.h"
#include "unit.h"
#include "alloc_hook.h"

#include <stdint.h>

#include <string.h>

enum { N = 400 };
static double y[N], yh[N];
static uint32_t sid[N];

static vn_result *evaluate(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,mean_error,r2,count";
    const char *by[] = {"g"};
    cfg.by_count = 1;
    cfg.by_names = by;
    cfg.ci_level = 0.95;
    cfg.ci_method = VN_CI_ANALYTIC;
    vn_eval *ev = NULL;
    if (vn_eval_new(&cfg, &ev, NULL, 0) != VN_OK)
        return NULL;
    static const char *const names[] = {"a", "b", "c"};
    for (int k = 0; k < 3; k++) { /* ids 0, 1, 2 in this order */
        uint32_t id;
        const char *v[] = {names[k]};
        if (vn_eval_slice(ev, v, NULL, &id) != VN_OK) {
            vn_eval_free(ev);
            return NULL;
        }
    }
    const vn_rows rows = {N, y, 1, yh, 1, NULL, 0, sid};
    vn_result *res = NULL;
    if (vn_eval_update(ev, &rows) != VN_OK || vn_eval_finish(ev, &res) != VN_OK)
        res = NULL;
    vn_eval_free(ev);
    return res;
}

static void data(void)
{
    for (int i = 0; i < N; i++) {
        sid[i] = (uint32_t)(i % 3);
        y[i] = 10 + (i % 17) - 0.3 * (i % 5);
        const double noise = ((i * 7919) % 13) / 6.0 - 1.0;
        yh[i] = y[i] + noise * (1 + sid[i]) + (sid[i] == 1 ? 0.5 : 0.0);
    }
}

static void gaps_and_rates(void)
{
    data();
    vn_result *res = evaluate();
    CHECK(res != NULL);
    if (!res)
        return;
    vn_fairness_config fc;
    vn_fairness_config_init(&fc);
    fc.threshold = 15;
    fc.label_threshold = 16;
    const vn_rows rows = {N, y, 1, yh, 1, NULL, 0, sid};
    fc.rows = &rows;
    vn_fairness *f = NULL;
    char err[300];
    CHECKF(vn_fairness_new(res, &fc, &f, err, sizeof err) == VN_OK, "%s", err);
    if (f) {
        CHECK(vn_fairness_gap_count(f) == 3 + 3); /* mae, mean_error, r2 (count left out) + rates */
        const vn_fairness_gap *g = vn_fairness_gap_at(f, 0);
        /* mae: the largest and smallest group by hand from the result, MOVER from their
         * intervals */
        vn_value v[3];
        for (size_t s = 0; s < 3; s++)
            vn_result_get(res, s + 1, 0, &v[s]);
        size_t hi = 0, lo = 0;
        for (size_t s = 1; s < 3; s++) {
            hi = v[s].value > v[hi].value ? s : hi;
            lo = v[s].value < v[lo].value ? s : lo;
        }
        const double d = v[hi].value - v[lo].value;
        const double L = d - hypot(v[hi].value - v[hi].lo, v[lo].hi - v[lo].value);
        const double U = d + hypot(v[hi].hi - v[hi].value, v[lo].value - v[lo].lo);
        CHECK(strcmp(g->metric, "mae") == 0 && g->groups == 3);
        CHECK(strcmp(g->worst, hi == 0 ? "a" : hi == 1 ? "b" : "c") == 0);
        CHECKF(unit_close(g->gap, d, 1e-15) && unit_close(g->lo, L, 1e-14) && unit_close(g->hi, U, 1e-14),
               "gap %.17g [%.17g, %.17g] vs %.17g [%.17g, %.17g]", g->gap, g->lo, g->hi, d, L, U);
        CHECK(unit_close(g->ratio, v[hi].value / v[lo].value, 1e-15));
        CHECK(g->significant == (L > 0));
        /* r2: higher is better, so the worst is the smallest */
        const vn_fairness_gap *r2 = vn_fairness_gap_at(f, 2);
        CHECK(strcmp(r2->metric, "r2") == 0 && r2->worst_value <= r2->best_value);
        /* the counts of each group, by hand */
        CHECK(vn_fairness_group_count(f) == 3);
        for (size_t k = 0; k < 3; k++) {
            uint64_t n = 0, sel = 0, pos = 0, tp = 0, fp = 0;
            for (int i = 0; i < N; i++) {
                if (sid[i] != (uint32_t)k)
                    continue;
                n++;
                sel += yh[i] >= 15;
                pos += y[i] >= 16;
                tp += yh[i] >= 15 && y[i] >= 16;
                fp += yh[i] >= 15 && y[i] < 16;
            }
            const vn_fairness_group *r = vn_fairness_group_at(f, k);
            CHECK(r->rows == n && r->selected == sel && r->positives == pos &&
                  r->true_positives == tp && r->false_positives == fp);
            /* Wilson: the limits solve (p - p̂)² = z² p (1 − p) / n */
            const double z = 1.959963984540054, ph = (double)sel / (double)n;
            for (int side = 0; side < 2; side++) {
                const double p = side ? r->selection_hi : r->selection_lo;
                CHECKF(fabs((p - ph) * (p - ph) - z * z * p * (1 - p) / (double)n) < 1e-12,
                       "Wilson limit %g", p);
            }
        }
        const vn_fairness_info *in = vn_fairness_summary(f);
        CHECK(in->compared == 3 && in->threshold == 15 && in->label_threshold == 16);
        CHECK(in->dp_difference >= 0 && in->dp_ratio <= 1 && !isnan(in->eo_difference));
        /* the notes */
        const size_t before = vn_result_note_count(res);
        CHECK(vn_result_add_fairness_findings(res, f) == VN_OK);
        CHECK(vn_result_note_count(res) > before); /* the parity note at least */
    }
    vn_fairness_free(f);
    /* usage: a result with no by column */
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    vn_eval *ev = NULL;
    vn_result *plain = NULL;
    const vn_rows rows2 = {N, y, 1, yh, 1, NULL, 0, NULL};
    CHECK(vn_eval_new(&cfg, &ev, NULL, 0) == VN_OK && vn_eval_update(ev, &rows2) == VN_OK &&
          vn_eval_finish(ev, &plain) == VN_OK);
    vn_eval_free(ev);
    vn_fairness_config_init(&fc);
    CHECK(vn_fairness_new(plain, &fc, &f, err, sizeof err) == VN_ERR_USAGE && !f);
    vn_result_free(plain);
    /* a threshold without rows */
    vn_fairness_config_init(&fc);
    fc.threshold = 1;
    CHECK(vn_fairness_new(res, &fc, &f, err, sizeof err) == VN_ERR_USAGE && !f);
    vn_result_free(res);
}

static void alloc_failures(void)
{
    data();
    vn_result *res = evaluate();
    if (!res)
        return;
    vn_fairness_config fc;
    vn_fairness_config_init(&fc);
    fc.threshold = 15;
    const vn_rows rows = {N, y, 1, yh, 1, NULL, 0, sid};
    fc.rows = &rows;
    vn_set_allocator(hook, NULL);
    calls = 0;
    vn_fairness *f = NULL;
    CHECK(vn_fairness_new(res, &fc, &f, NULL, 0) == VN_OK);
    vn_fairness_free(f);
    const long total = calls;
    long bad = 0, nomem = 0;
    for (long k = 1; k <= total; k++) {
        calls = live = 0;
        fail_at = k;
        f = NULL;
        const vn_status st = vn_fairness_new(res, &fc, &f, NULL, 0);
        nomem += st == VN_ERR_NOMEM;
        bad += (st != VN_OK && st != VN_ERR_NOMEM) || (st != VN_OK && f);
        vn_fairness_free(f);
        bad += live != 0;
    }
    fail_at = -1;
    vn_set_allocator(NULL, NULL);
    vn_result_free(res);
    printf("  fairness: %ld allocations, each failed once: %ld runs reported NOMEM\n", total, nomem);
    CHECKF(bad == 0, "%ld runs leaked or misreported", bad);
}

int main(void)
{
    RUN(gaps_and_rates);
    RUN(alloc_failures);
    return unit_summary("fairness");
}
