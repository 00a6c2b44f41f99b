/*
 * result.c — the immutable result of an evaluation: accessors, and the plain-language
 * notes that say what the numbers hide (MAPE and zero actuals, heavy tails, bias).
 */
#include "eval.h"
#include "kernels.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

void vn_result_free(vn_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; res->slices && i < res->nslices; i++) {
        for (size_t c = 0; res->slices[i].values && c < res->by_count; c++)
            vn__free(res->slices[i].values[c]);
        vn__free(res->slices[i].values);
    }
    for (size_t c = 0; res->by_names && c < res->by_count; c++)
        vn__free(res->by_names[c]);
    for (size_t i = 0; i < res->nnotes; i++)
        vn__free((char *)res->notes[i].message);
    vn__free(res->notes);
    vn__free(res->by_names);
    vn__free(res->slices);
    vn__free(res->values);
    vn__free(res->msgs);
    vn__free(res->ms);
    vn__free((char *)res->input.source);
    vn__free((char *)res->input.y);
    vn__free((char *)res->input.yhat);
    vn__free((char *)res->input.weight);
    vn__free((char *)res->input.data_hash);
    vn__free(res->plots);
    vn__free(res);
}

size_t vn_result_metric_count(const vn_result *res) { return res->nmetrics; }

const char *vn_result_metric_key(const vn_result *res, size_t m)
{
    return m < res->nmetrics ? res->ms[m].key : NULL;
}

const vn_metric_info *vn_result_metric_info(const vn_result *res, size_t m)
{
    return m < res->nmetrics ? res->ms[m].info : NULL;
}

size_t vn_result_slice_count(const vn_result *res) { return res->nslices; }
size_t vn_result_by_count(const vn_result *res) { return res->by_count; }

const char *vn_result_by_name(const vn_result *res, size_t c)
{
    return c < res->by_count ? res->by_names[c] : NULL;
}

const char *vn_result_slice_value(const vn_result *res, size_t s, size_t c)
{
    return s < res->nslices && s > 0 && c < res->by_count ? res->slices[s].values[c] : NULL;
}

uint64_t vn_result_slice_rows(const vn_result *res, size_t s)
{
    return s < res->nslices ? res->slices[s].rows : 0;
}

vn_status vn_result_get(const vn_result *res, size_t s, size_t m, vn_value *out)
{
    if (s >= res->nslices || m >= res->nmetrics)
        return VN_ERR_USAGE;
    *out = res->values[s * res->nmetrics + m];
    return VN_OK;
}

size_t vn_result_note_count(const vn_result *res) { return res->nnotes; }

const vn_note *vn_result_note(const vn_result *res, size_t i)
{
    return i < res->nnotes ? &res->notes[i] : NULL;
}

const vn_input_info *vn_result_input(const vn_result *res) { return &res->input; }

const char *vn_reason_name(vn_reason reason)
{
    switch (reason) {
    case VN_REASON_NONE: return "";
    case VN_REASON_NO_ROWS: return "no_rows";
    case VN_REASON_CONSTANT_Y: return "constant_y";
    case VN_REASON_ZERO_ACTUAL: return "zero_actual";
    case VN_REASON_ZERO_DENOMINATOR: return "zero_denominator";
    case VN_REASON_DOMAIN: return "domain";
    case VN_REASON_TOO_FEW_ROWS: return "too_few_rows";
    case VN_REASON_CONSTANT_INPUT: return "constant_input";
    case VN_REASON_MIN_COUNT: return "min_count";
    case VN_REASON_OVERFLOW: return "overflow";
    case VN_REASON_ONE_CLASS: return "one_class";
    case VN_REASON_UNREACHABLE: return "unreachable";
    case VN_REASON_NO_TRAINING: return "no_training";
    }
    return "unknown";
}

vn_status vn__note_add(vn_result *res, const char *code, size_t slice, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!vn__grow((void **)&res->notes, &res->notes_cap, res->nnotes + 1, sizeof *res->notes))
        return VN_ERR_NOMEM;
    char *m = vn__strdup(buf);
    if (!m)
        return VN_ERR_NOMEM;
    res->notes[res->nnotes++] = (vn_note){code, slice, m};
    return VN_OK;
}

static bool requested(const vn_result *res, vn__kind k)
{
    for (size_t i = 0; i < res->nmetrics; i++)
        if (res->ms[i].kind == k)
            return true;
    return false;
}

/* Notes on MAPE: zero actuals under each policy, and near-zero actuals that dominate. */
static vn_status mape_notes(vn_result *res, size_t s, const vn__acc *a)
{
    const unsigned long long nz = a->n_zero, n = a->n;
    if (nz > 0) {
        if (res->opts.zero == VN_ZERO_NAN)
            return vn__note_add(res, "mape_zero_actuals", s,
                                "MAPE is undefined: %llu of %llu rows have y = 0, where the "
                                "percentage error divides by zero. Use wmape or smape (or mase for "
                                "series), or --zero skip to leave those rows out of MAPE.",
                                nz, n);
        if (res->opts.zero == VN_ZERO_SKIP)
            return vn__note_add(res, "mape_zero_actuals", s,
                                "MAPE leaves out the %llu of %llu rows with y = 0 (--zero skip); "
                                "it describes only the rows with non-zero actuals.",
                                nz, n);
        return vn__note_add(res, "mape_zero_actuals", s,
                            "MAPE is inflated: %llu of %llu rows have y = 0 and are divided by "
                            "2.2e-16 (--zero eps, scikit-learn's rule), so each adds about "
                            "|e| x 4.5e17 %%. Prefer wmape or smape.",
                            nz, n);
    }
    const double total = vn__ksum_get(&a->ape_nz), big = vn__ksum_get(&a->ape_big);
    if (a->n_big > 0 && total > 0 && big / total >= 0.5 && (double)a->n_big <= 0.1 * (double)n)
        return vn__note_add(res, "mape_near_zero", s,
                            "MAPE is dominated by near-zero actuals: %llu rows (%.2g %% of rows) "
                            "where |e| > |y| make up %.0f %% of it. wmape or smape describe the "
                            "typical error better.",
                            (unsigned long long)a->n_big, 100.0 * (double)a->n_big / (double)n,
                            100.0 * big / total);
    return VN_OK;
}

/* Heavy tails: RMSE/MAE (≈ 1.25 for normal errors) and, with stored rows, the share of
 * the squared error from the worst 1 % of rows. */
static vn_status tail_note(vn_result *res, size_t s, const vn__acc *a, const vn__rowset *rows)
{
    const double W = vn__ksum_get(&a->W), e2 = vn__ksum_get(&a->E2);
    const double mae = (vn__ksum_get(&a->POS) + vn__ksum_get(&a->NEG)) / W;
    if (a->n < 20 || mae == 0.0 || e2 == 0.0)
        return VN_OK;
    const double ratio = sqrt(e2 / W) / mae;
    if (!isfinite(ratio)) /* squares that overflow: the metrics already say so */
        return VN_OK;
    double share = NAN;
    size_t k = 0;
    if (rows && rows->n >= 100) {
        k = vn__tail_k(rows->n);
        if (!rows->w && rows->top_k == k) { /* unweighted |e|, the sum found with the quantiles */
            share = rows->top_sq / e2;
        } else if (rows->ae && !rows->w) { /* the largest e² are the largest |e| */
            share = vn__top_k_sumsq(rows->ae, rows->n, k) / e2;
        } else {
            double *sq = vn__malloc(rows->n * sizeof *sq);
            if (!sq)
                return VN_ERR_NOMEM;
            for (size_t i = 0; i < rows->n; i++) {
                const double e = rows->ae ? rows->ae[i] : rows->p[i] - rows->y[i];
                sq[i] = rows->w[i] * e * e;
            }
            share = vn__top_k_sum(sq, rows->n, k) / e2;
            vn__free(sq);
        }
    }
    if (ratio < 1.5 && !(share >= 0.25))
        return VN_OK;
    if (isnan(share))
        return vn__note_add(res, "heavy_tail", s,
                            "Errors are heavy-tailed: RMSE/MAE = %.2f (about 1.25 for normal "
                            "errors), so a few large errors drive RMSE. Report MAE or medae "
                            "alongside it.",
                            ratio);
    return vn__note_add(res, "heavy_tail", s,
                        "Errors are heavy-tailed: the worst 1 %% of rows (%zu) carry %.0f %% of "
                        "the squared error and RMSE/MAE = %.2f (about 1.25 for normal errors). "
                        "RMSE is driven by a few rows: look at them, and report MAE or medae "
                        "alongside it.",
                        k, 100.0 * share, ratio);
}

/* Bias: a mean error that is large against MAE and far from noise (|t| ≥ 3). */
static vn_status bias_note(vn_result *res, size_t s, const vn__acc *a, bool moments)
{
    const double W = vn__ksum_get(&a->W);
    const double me = vn__ksum_get(&a->E) / W;
    const double mae = (vn__ksum_get(&a->POS) + vn__ksum_get(&a->NEG)) / W;
    if (a->n < 10 || mae == 0.0 || fabs(me) < 0.25 * mae)
        return VN_OK;
    /* The variance of e: the centred two-pass moment when the plan has it. Otherwise
     * E2/W − me², which only serves a threshold here: it cancels only when the spread
     * is tiny against the mean error, where t is huge whatever its digits. */
    const double ss = moments ? a->See / W : fmax(vn__ksum_get(&a->E2) / W - me * me, 0.0);
    const double var = ss * W / fmax(W - 1.0, 1.0);
    const double t = var > 0 ? me / sqrt(var / (double)a->n) : INFINITY;
    if (fabs(t) < 3.0)
        return VN_OK;
    char where[300] = "";
    if (s > 0) {
        size_t at = 0;
        for (size_t c = 0; c < res->by_count && at + 1 < sizeof where; c++) {
            const int k = snprintf(where + at, sizeof where - at, "%s%s=%s", c ? "," : " in ",
                                   res->by_names[c], res->slices[s].values[c]);
            at = k < 0 ? at : at + (size_t)k;
        }
    }
    return vn__note_add(res, "bias", s,
                        "Predictions are biased%s: the mean error is %+.4g (%s on average), %.0f %% "
                        "of MAE (t = %.1f). A constant shift of %+.4g would remove it.",
                        where, me, me > 0 ? "over-prediction" : "under-prediction",
                        100.0 * fabs(me) / mae, t, -me);
}

vn_status vn__notes_slice(vn_result *res, size_t s, const vn__acc *a, const vn__rowset *rows,
                          bool moments)
{
    if (a->n == 0)
        return VN_OK;
    /* Notes on errors e = yhat - y speak of regression: not for labels and scores alone */
    bool regression = false;
    for (size_t m = 0; m < res->nmetrics && !regression; m++)
        regression = !vn__binkind(res->ms[m].kind) && res->ms[m].kind != MK_COUNT &&
                     res->ms[m].kind != MK_WEIGHT_SUM;
    if (!regression)
        return VN_OK;
    /* The overall slice gets every note; a slice only the bias note, since a bias
     * confined to one segment is what the overall numbers hide best. */
    if (s == 0 && (requested(res, MK_MAPE) || requested(res, MK_MPE)))
        VN_TRY(mape_notes(res, s, a));
    if (s == 0)
        VN_TRY(tail_note(res, s, a, rows));
    return bias_note(res, s, a, moments);
}
