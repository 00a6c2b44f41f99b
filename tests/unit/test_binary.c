/*
 * test_binary.c — the binary classification metrics through the C API: VN_TASK_BINARY's
 * label check on rows from memory, the threshold of an operating point in vn_value, the
 * radix sort on negative, zero (both signs) and tied scores, and the sort shared by a
 * slice's metrics giving the same values as each metric alone. Hand-derived values.
 */
#include "unit.h"
#include "vernier.h"

/* Evaluates metrics on rows (y, p) with the task; the result or NULL (message in err). */
static vn_result *run(const char *metrics, vn_task task, const double *y, const double *p,
                      size_t n, char *err, size_t errlen)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = metrics;
    cfg.task = task;
    vn_eval *ev = NULL;
    if (vn_eval_new(&cfg, &ev, err, errlen) != VN_OK)
        return NULL;
    const vn_rows rows = {n, y, 1, p, 1, NULL, 1, NULL};
    vn_result *res = NULL;
    if (vn_eval_update(ev, &rows) != VN_OK || vn_eval_finish(ev, &res) != VN_OK)
        snprintf(err, errlen, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    return res;
}

static vn_value get(const vn_result *res, size_t m)
{
    vn_value v;
    vn_result_get(res, 0, m, &v);
    return v;
}

static void test_label_check(void)
{
    const double y[] = {0, 1, 0.5, 1}, p[] = {0.1, 0.2, 0.3, 0.4};
    char err[256] = "";
    vn_result *res = run("roc_auc", VN_TASK_BINARY, y, p, 4, err, sizeof err);
    CHECK(res == NULL);
    CHECKF(strcmp(err, "row 3: y is 0.5; a binary label must be 0 or 1") == 0, "%s", err);
    /* without the task the rows are taken and the metric says why it is n/a */
    res = run("roc_auc", VN_TASK_REGRESSION, y, p, 4, err, sizeof err);
    CHECK(res != NULL);
    if (res) {
        const vn_value v = get(res, 0);
        CHECK(isnan(v.value) && v.reason == VN_REASON_DOMAIN);
        CHECK(strstr(v.message, "other than 0 or 1") != NULL);
    }
    vn_result_free(res);
    /* the task's default battery */
    const double y2[] = {0, 1}, p2[] = {0.2, 0.7};
    res = run(NULL, VN_TASK_BINARY, y2, p2, 2, err, sizeof err);
    CHECK(res && vn_result_metric_count(res) == 10);
    CHECK(res && strcmp(vn_result_metric_key(res, 1), "roc_auc") == 0);
    vn_result_free(res);
    CHECK(strcmp(vn_task_default_metrics(VN_TASK_REGRESSION), vn_default_metrics()) == 0);
    CHECK(vn_task_default_metrics((vn_task)7) == NULL);
    CHECK(strcmp(vn_reason_name(VN_REASON_ONE_CLASS), "one_class") == 0);
    CHECK(strcmp(vn_reason_name(VN_REASON_UNREACHABLE), "unreachable") == 0);
}

static void test_values_and_thresholds(void)
{
    /* scores with both zeros, negatives and ties. Descending thresholds and counts:
     *   t = 3:    TP 1, FP 0      t = 0 (+0 and -0 tie): TP 2, FP 2
     *   t = -1:   TP 3, FP 3      t = -2:               TP 3, FP 4      (P 3, N 4)
     * AUC = [ΔFP·(TP_prev + TP)]/(2PN) = (0 + 2·(1 + 2) + 1·(2 + 3) + 1·(3 + 3))/24
     *     = 17/24. */
    const double y[] = {1, 0, 1, 0, 0, 1, 0}, p[] = {3, 0.0, -0.0, -0.0, -2, -1, -1};
    char err[256] = "";
    vn_result *res = run("roc_auc,average_precision,precision_at_recall:r=0.6,"
                         "recall_at_precision:p=0.6,sensitivity_at_specificity:s=0.5,"
                         "specificity_at_sensitivity:s=1,recall_at_precision:p=1,mae",
                         VN_TASK_BINARY, y, p, 7, err, sizeof err);
    CHECKF(res != NULL, "%s", err);
    if (!res)
        return;
    CHECK(unit_same(get(res, 0).value, 17.0 / 24.0));
    /* AP = Σ ΔTP·precision / P = (1·1 + 1·(2/4) + 1·(3/6)) / 3 = 2/3 */
    CHECK(fabs(get(res, 1).value - 2.0 / 3.0) <= 1e-16);
    /* recall >= 0.6 first at t = 0 (2/3): precision 1/2; at t = -1: 1/2 with recall 1 */
    vn_value v = get(res, 2);
    CHECK(v.value == 0.5 && v.threshold == -1.0);
    /* precision >= 0.6: only t = 3 (1/1): recall 1/3 */
    v = get(res, 3);
    CHECK(v.value == 1.0 / 3.0 && v.threshold == 3.0);
    /* TNR >= 0.5 (FP <= 2): t = 3 (TPR 1/3), t = 0 (TPR 2/3): 2/3 at 0, printed +0 */
    v = get(res, 4);
    CHECK(v.value == 2.0 / 3.0 && v.threshold == 0.0 && !signbit(v.threshold));
    /* TPR >= 1: t = -1 (TNR 1/4) and t = -2 (TNR 0): 1/4 at -1 */
    v = get(res, 5);
    CHECK(v.value == 0.25 && v.threshold == -1.0);
    v = get(res, 6);
    CHECK(v.reason == VN_REASON_NONE);
    CHECK(v.value == 1.0 / 3.0 && v.threshold == 3.0); /* precision 1 is reached at t = 3 */
    /* a regression metric in the same run has no threshold */
    CHECK(isnan(get(res, 7).threshold));
    /* each metric alone (its own sort) gives the same bits as the shared sort */
    const char *const alone[] = {"roc_auc", "average_precision", "precision_at_recall:r=0.6"};
    for (size_t m = 0; m < 3; m++) {
        vn_result *r1 = run(alone[m], VN_TASK_BINARY, y, p, 7, err, sizeof err);
        CHECK(r1 != NULL);
        if (r1) {
            CHECK(unit_same(get(r1, 0).value, get(res, m).value));
            CHECK(unit_same(get(r1, 0).threshold, get(res, m).threshold));
        }
        vn_result_free(r1);
    }
    vn_result_free(res);
}

static void test_one_class_and_unreachable(void)
{
    const double y[] = {0, 0, 0}, p[] = {0.2, 0.4, 0.9};
    char err[256] = "";
    vn_result *res = run("roc_auc,brier,sensitivity_at_specificity:s=0.5", VN_TASK_BINARY, y,
                         p, 3, err, sizeof err);
    CHECK(res != NULL);
    if (res) {
        CHECK(get(res, 0).reason == VN_REASON_ONE_CLASS && isnan(get(res, 0).threshold));
        CHECK(fabs(get(res, 1).value - (0.04 + 0.16 + 0.81) / 3) <= 1e-16);
        CHECK(get(res, 2).reason == VN_REASON_ONE_CLASS);
    }
    vn_result_free(res);
    const double y2[] = {0, 1, 1}, p2[] = {0.9, 0.5, 0.1};
    res = run("recall_at_precision:p=1", VN_TASK_BINARY, y2, p2, 3, err, sizeof err);
    CHECK(res && get(res, 0).reason == VN_REASON_UNREACHABLE && isnan(get(res, 0).threshold));
    vn_result_free(res);
}

int main(void)
{
    test_label_check();
    test_values_and_thresholds();
    test_one_class_and_unreachable();
    return unit_summary("binary");
}
