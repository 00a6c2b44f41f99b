/*
 * metrics.c — the metric registry: one row per metric (id, parameters, direction, unit,
 * definition, the accumulator groups it reads), the metric-list parser, and the final
 * step from accumulator state (and stored rows) to a value or a reasoned NaN.
 *
 * Adding a metric is adding a row to `catalog`, a case to vn__metric_value, and tests.
 * The formulas and edge-case rules are those of ../shared/docs/METRICS.md, documented
 * for users in docs/metrics.md.
 */
#include "eval.h"
#include "kernels.h"
#include "numparse.h"

#include <float.h>
#include <string.h>

/* A parameter: name, default (NAN = required), and the accepted range. */
typedef struct param_def {
    const char *name;
    double def;
    double lo, hi;     /* inclusive bounds */
    bool integer;
    bool open_lo;      /* lo itself excluded */
} param_def;

typedef struct metric_def {
    vn_metric_info info;
    vn__kind kind;
    unsigned needs;
    param_def param[VN_MAX_PARAMS];
} metric_def;

#define LOWER VN_LOWER_IS_BETTER
#define HIGHER VN_HIGHER_IS_BETTER
#define NODIR VN_NO_DIRECTION
#define NOPARAM {{NULL, 0, 0, 0, false, false}, {NULL, 0, 0, 0, false, false}}
#define PARAM1(n, d, lo, hi, integer, open) {{n, d, lo, hi, integer, open}, {NULL, 0, 0, 0, false, false}}
#define REQ NAN

static const metric_def catalog[] = {
    {{"count", "", "", HIGHER, "rows", "rows used (weight > 0)",
      "Number of rows with positive weight. Always defined."},
     MK_COUNT, 0, NOPARAM},
    {{"weight_sum", "", "", HIGHER, "weight", "total weight W",
      "W = sum of w over the rows used (equals count when unweighted)."},
     MK_WEIGHT_SUM, 0, NOPARAM},
    {{"mean_error", "", "bias", NODIR, "", "mean signed error (positive = over-predicts)",
      "sum(w*e)/W with e = yhat - y. Positive means the model over-predicts on average."},
     MK_MEAN_ERROR, 0, NOPARAM},
    {{"mae", "", "", LOWER, "", "mean absolute error",
      "sum(w*|e|)/W. As scikit-learn mean_absolute_error."},
     MK_MAE, 0, NOPARAM},
    {{"mse", "", "", LOWER, "y^2", "mean squared error",
      "sum(w*e^2)/W. As scikit-learn mean_squared_error."},
     MK_MSE, 0, NOPARAM},
    {{"rmse", "", "", LOWER, "", "root mean squared error",
      "sqrt(mse). As scikit-learn mean_squared_error(squared=False)."},
     MK_RMSE, 0, NOPARAM},
    {{"max_error", "", "", LOWER, "", "largest absolute error",
      "max |e| over the rows with w > 0."},
     MK_MAX_ERROR, 0, NOPARAM},
    {{"medae", "", "", LOWER, "", "median absolute error",
      "Median of |e|: unweighted as numpy.median; weighted by the averaged inverted CDF. "
      "Exact, by selection."},
     MK_MEDAE, NEED_AE, NOPARAM},
    {{"abs_error_quantile", "q", "p50_abs_error,p90_abs_error,p95_abs_error,p99_abs_error",
      LOWER, "", "quantile q of |e|",
      "Quantile q (0..1) of |e|: unweighted linear interpolation (Hyndman-Fan type 7, "
      "numpy's default); weighted: averaged inverted CDF. Exact, by selection. Aliases "
      "pNN_abs_error set q = NN/100."},
     MK_AEQ, NEED_AE, PARAM1("q", REQ, 0, 1, false, false)},
    {{"mape", "", "", LOWER, "%", "mean absolute percentage error",
      "100*sum(w*|e|/|y|)/W. Rows with y = 0 follow the zero policy (--zero): nan "
      "(default) makes it undefined, skip leaves them out, eps divides by "
      "max(|y|, 2.22e-16) as scikit-learn."},
     MK_MAPE, NEED_APE, NOPARAM},
    {{"smape", "", "", LOWER, "%", "symmetric MAPE, 0..200",
      "100*sum(w*2|e|/(|y|+|yhat|))/W; a row with y = yhat = 0 contributes 0."},
     MK_SMAPE, NEED_SMAPE, NOPARAM},
    {{"wmape", "", "", LOWER, "%", "weighted MAPE (MAE relative to mean |y|)",
      "100*sum(w*|e|)/sum(w*|y|); undefined (zero_denominator) if sum(w*|y|) = 0."},
     MK_WMAPE, NEED_AY, NOPARAM},
    {{"mpe", "", "", NODIR, "%", "mean percentage error (signed)",
      "100*sum(w*e/y)/W; zero policy as mape (eps: e/max(|y|, 2.22e-16) with the sign of "
      "y, + for y = 0)."},
     MK_MPE, NEED_APE | NEED_PE, NOPARAM},
    {{"msle", "", "", LOWER, "log^2", "mean squared log error",
      "sum(w*(log(1+yhat) - log(1+y))^2)/W; undefined (domain) if any y or yhat <= -1."},
     MK_MSLE, NEED_MSLE, NOPARAM},
    {{"rmsle", "", "", LOWER, "log", "root mean squared log error",
      "sqrt(msle); same domain."},
     MK_RMSLE, NEED_MSLE, NOPARAM},
    {{"r2", "", "", HIGHER, "1", "coefficient of determination",
      "1 - sum(w*r^2)/sum(w*(y - ybar_w)^2). Constant y: undefined (constant_y), or "
      "scikit-learn's force_finite with --r2-constant sklearn. n < 2: undefined."},
     MK_R2, NEED_SYY, NOPARAM},
    {{"adjusted_r2", "p", "", HIGHER, "1", "R^2 adjusted for p features",
      "1 - (1 - R^2)(n - 1)/(n - p - 1); needs p (number of features); undefined when "
      "n - p - 1 <= 0."},
     MK_ADJ_R2, NEED_SYY, PARAM1("p", REQ, 0, 1e15, true, false)},
    {{"explained_variance", "", "", HIGHER, "1", "explained variance score",
      "1 - Var_w(y - yhat)/Var_w(y), as scikit-learn; constant y as r2."},
     MK_EXPVAR, NEED_MOM, NOPARAM},
    {{"huber", "delta=1", "", LOWER, "y^2", "Huber loss",
      "Mean of e^2/2 if |e| <= delta, else delta*(|e| - delta/2)."},
     MK_HUBER, NEED_SLOT, PARAM1("delta", 1, 0, INFINITY, false, true)},
    {{"pseudo_huber", "delta=1", "", LOWER, "y^2", "pseudo-Huber loss",
      "Mean of delta^2*(sqrt(1 + (e/delta)^2) - 1), computed without cancellation."},
     MK_PSEUDO_HUBER, NEED_SLOT, PARAM1("delta", 1, 0, INFINITY, false, true)},
    {{"log_cosh", "", "", LOWER, "", "log-cosh loss",
      "Mean of log(cosh(e)), computed without overflow for any |e|."},
     MK_LOG_COSH, NEED_LOGCOSH, NOPARAM},
    {{"pinball", "q=0.5", "", LOWER, "", "pinball (quantile) loss at level q",
      "Mean of q*r if r >= 0 else (q - 1)*r, r = y - yhat; equals scikit-learn "
      "mean_pinball_loss(alpha=q)."},
     MK_PINBALL, 0, PARAM1("q", 0.5, 0, 1, false, false)},
    {{"d2_absolute_error", "", "", HIGHER, "1", "D^2 for absolute error",
      "1 - mae/(mae of the best constant: the median of y), as scikit-learn "
      "d2_absolute_error_score; constant y as r2."},
     MK_D2_ABS, NEED_STORE, NOPARAM},
    {{"d2_pinball", "q=0.5", "", HIGHER, "1", "D^2 for pinball loss at level q",
      "1 - pinball(q)/pinball(q) of the constant q-quantile of y, as scikit-learn "
      "d2_pinball_score(alpha=q); constant y as r2."},
     MK_D2_PINBALL, NEED_STORE, PARAM1("q", 0.5, 0, 1, false, false)},
    {{"d2_tweedie", "power=0", "", HIGHER, "1", "D^2 for Tweedie deviance",
      "1 - deviance(y, yhat)/deviance(y, ybar_w), as scikit-learn d2_tweedie_score; "
      "constant y as r2."},
     MK_D2_TWEEDIE, NEED_STORE, PARAM1("power", 0, -INFINITY, INFINITY, false, false)},
    {{"poisson_deviance", "", "", LOWER, "", "mean Poisson deviance",
      "Mean of 2(y log(y/yhat) - y + yhat); needs y >= 0, yhat > 0 (else domain)."},
     MK_POISSON, NEED_SLOT, NOPARAM},
    {{"gamma_deviance", "", "", LOWER, "1", "mean Gamma deviance",
      "Mean of 2(log(yhat/y) + y/yhat - 1); needs y > 0, yhat > 0 (else domain)."},
     MK_GAMMA, NEED_SLOT, NOPARAM},
    {{"tweedie_deviance", "power=0", "", LOWER, "", "mean Tweedie deviance",
      "As scikit-learn mean_tweedie_deviance(power); power in (0, 1) is invalid; rows "
      "outside the power's domain make it undefined (domain)."},
     MK_TWEEDIE, NEED_SLOT, PARAM1("power", 0, -INFINITY, INFINITY, false, false)},
    {{"pearson_r", "", "", HIGHER, "1", "Pearson correlation of y and yhat",
      "Weighted Pearson correlation; constant y or yhat: undefined (constant_input)."},
     MK_PEARSON, NEED_MOM, NOPARAM},
    {{"spearman_rho", "", "", HIGHER, "1", "Spearman rank correlation",
      "Pearson correlation of average ranks (ties averaged). Weights only select rows. "
      "Constant input: undefined."},
     MK_SPEARMAN, NEED_STORE, NOPARAM},
    {{"kendall_tau", "", "", HIGHER, "1", "Kendall rank correlation, tau-b",
      "Tau-b (ties in both variables), O(n log n). Weights only select rows. Constant "
      "input: undefined."},
     MK_KENDALL, NEED_STORE, NOPARAM},
    {{"ccc", "", "", HIGHER, "1", "Lin's concordance correlation coefficient",
      "2 s_yp / (s_y^2 + s_p^2 + (ybar - pbar)^2) with n - 1 (W - 1) normalisation."},
     MK_CCC, NEED_MOM, NOPARAM},
    {{"nrmse", "norm=mean", "", LOWER, "1", "normalised RMSE",
      "rmse / norm of y, norm one of mean (|ybar_w|), range (max - min), std "
      "(population, weighted), iqr (q75 - q25); a zero norm is undefined."},
     MK_NRMSE, NEED_SYY, PARAM1("norm", 0, 0, 3, true, false)},
    {{"mda", "", "", HIGHER, "1", "mean directional accuracy",
      "Share of t >= 2 with sign(y_t - y_{t-1}) = sign(yhat_t - y_{t-1}), rows in input "
      "order (per slice). Unweighted. With --series, overall: the unweighted mean of the "
      "per-series values."},
     MK_MDA, NEED_STORE, NOPARAM},
    {{"mase", "m=1", "", LOWER, "1", "mean absolute scaled error",
      "mae / mean_{t>m} |y_t - y_{t-m}|: the scale is the in-sample seasonal-naive error "
      "of the evaluated y, in input order (per slice), or of the training series with "
      "--train (Hyndman & Koehler 2006). n <= m: undefined. With --series, overall: the "
      "unweighted mean of the per-series values (M4)."},
     MK_MASE, NEED_STORE, PARAM1("m", 1, 1, 1e9, true, false)},
    {{"rmsse", "m=1", "", LOWER, "1", "root mean squared scaled error",
      "sqrt(mse / mean_{t>m} (y_t - y_{t-m})^2), scale and --series pooling as mase "
      "(unweighted; M5 weights series by sales)."},
     MK_RMSSE, NEED_STORE, PARAM1("m", 1, 1, 1e9, true, false)},
    /* Binary classification: y a 0/1 label, yhat a score (binary.c; --task binary).
     * Thresholds are the distinct scores; a row is predicted 1 when yhat >= t. */
    {{"roc_auc", "", "", HIGHER, "1", "area under the ROC curve",
      "Trapezoidal area under (FPR, TPR) over the distinct score thresholds: the share of "
      "(positive, negative) pairs ranked right, tied pairs counting half; as scikit-learn "
      "roc_auc_score. One class absent: undefined (one_class)."},
     MK_ROC_AUC, NEED_STORE, NOPARAM},
    {{"average_precision", "", "", HIGHER, "1", "average precision (area under the PR steps)",
      "sum_k (R_k - R_{k-1}) P_k over the distinct score thresholds, descending; as "
      "scikit-learn average_precision_score. No positive row: undefined (one_class)."},
     MK_AVG_PRECISION, NEED_STORE, NOPARAM},
    {{"log_loss", "", "", LOWER, "1", "logarithmic loss (cross-entropy)",
      "-sum(w*(y*log(p) + (1 - y)*log(1 - p)))/W with p = yhat clipped to [1e-15, 1 - 1e-15], "
      "as scikit-learn log_loss(eps=1e-15); yhat outside [0, 1]: undefined (domain)."},
     MK_LOG_LOSS, NEED_STORE, NOPARAM},
    {{"brier", "", "brier_score", LOWER, "1", "Brier score",
      "sum(w*(yhat - y)^2)/W, as scikit-learn brier_score_loss; yhat outside [0, 1]: "
      "undefined (domain)."},
     MK_BRIER, NEED_STORE, NOPARAM},
    {{"ece", "bins=10", "", LOWER, "1", "expected calibration error, equal-count bins",
      "sum_b (W_b/W)*|mean_w(y) - mean_w(yhat)| over bins of the rows sorted by yhat, cut "
      "after rows floor(b*n/bins) (b = 1 .. bins - 1), each cut moved past rows tied with "
      "it; yhat outside [0, 1]: undefined (domain)."},
     MK_ECE, NEED_STORE, PARAM1("bins", 10, 1, 1e6, true, false)},
    {{"precision_at_recall", "r", "", HIGHER, "1", "best precision with recall >= r",
      "max P_k over thresholds with R_k >= r (ties: the higher recall), reported with its "
      "threshold. No positive row: undefined (one_class)."},
     MK_PREC_AT_REC, NEED_STORE, PARAM1("r", REQ, 0, 1, false, false)},
    {{"recall_at_precision", "p", "", HIGHER, "1", "best recall with precision >= p",
      "max R_k over thresholds with P_k >= p (ties: the higher precision), reported with "
      "its threshold; none reaches p: undefined (unreachable)."},
     MK_REC_AT_PREC, NEED_STORE, PARAM1("p", REQ, 0, 1, false, false)},
    {{"specificity_at_sensitivity", "s", "", HIGHER, "1",
      "best specificity (TNR) with sensitivity (TPR) >= s",
      "max TNR_k over thresholds with TPR_k >= s (ties: the higher TPR), reported with its "
      "threshold. One class absent: undefined (one_class)."},
     MK_SPEC_AT_SENS, NEED_STORE, PARAM1("s", REQ, 0, 1, false, false)},
    {{"sensitivity_at_specificity", "s", "", HIGHER, "1",
      "best sensitivity (TPR) with specificity (TNR) >= s",
      "max TPR_k over thresholds with TNR_k >= s (ties: the higher TNR), reported with its "
      "threshold; none reaches s: undefined (unreachable)."},
     MK_SENS_AT_SPEC, NEED_STORE, PARAM1("s", REQ, 0, 1, false, false)},
    /* Interval, quantile and probabilistic scores: they read input columns named as
     * parameters (docs/metrics.md, "Metrics over input columns"); interval.c parses
     * those parameters and computes the values from the stored rows. */
    {{"coverage", "lo,hi,level,bins", "", NODIR, "1",
      "share of y inside [lo, hi]",
      "sum(w*[lo <= y <= hi])/W, closed interval; level=L states the nominal coverage and "
      "the gap (coverage - L); bins=B gives the coverage in B equal-count bins of |yhat| "
      "(mag=y: of |y|), one metric per bin. Rows with lo > hi count as not covered and "
      "are reported."},
     MK_COVERAGE, NEED_STORE, NOPARAM},
    {{"interval_width", "lo,hi", "", LOWER, "", "mean interval width",
      "sum(w*(hi - lo))/W; crossing rows (lo > hi) are reported, not fixed."},
     MK_IWIDTH, NEED_STORE, NOPARAM},
    {{"interval_score", "lo,hi,alpha", "winkler", LOWER, "",
      "interval (Winkler) score of a central (1 - alpha) interval",
      "Mean of (hi - lo) + (2/alpha)(lo - y)+ + (2/alpha)(y - hi)+ (Winkler 1972; "
      "Gneiting & Raftery 2007, eq. 43)."},
     MK_ISCORE, NEED_STORE, NOPARAM},
    {{"wis", "median,lo,hi,alpha", "", LOWER, "",
      "weighted interval score",
      "Mean of (|y - m|/2 + sum_k (alpha_k/2) IS_alpha_k(lo_k, hi_k))/(K + 1/2) for a "
      "median m and K central intervals (Bracher et al. 2021, eq. 2); equals twice the "
      "mean pinball loss over the 2K + 1 quantiles."},
     MK_WIS, NEED_STORE, NOPARAM},
    {{"quantile_coverage", "q,col", "", NODIR, "1",
      "share of y <= the q-quantile column (calibration)",
      "sum(w*[y <= col])/W against the nominal level q (the gap is stated); list forms "
      "q=[...],col=[...] give one metric per level."},
     MK_QCOVERAGE, NEED_STORE, NOPARAM},
    {{"crps_ensemble", "members,estimator", "", LOWER, "",
      "CRPS of an ensemble forecast",
      "Mean over rows of (1/m) sum_i |x_i - y| - c sum_{i,j} |x_i - x_j| with "
      "c = 1/(2m^2) (standard: the CRPS of the ensemble's empirical distribution) or "
      "1/(2m(m - 1)) (estimator=fair; Ferro 2014); O(m log m) per row by sorting."},
     MK_CRPS_ENS, NEED_STORE, NOPARAM},
    {{"crps_gaussian", "sigma,mu", "", LOWER, "", "CRPS of a Gaussian forecast",
      "Mean of sigma*(z*(2*Phi(z) - 1) + 2*phi(z) - 1/sqrt(pi)), z = (y - mu)/sigma, "
      "mu = yhat unless mu= names a column (Gneiting & Raftery 2007, eq. 21); sigma <= 0 "
      "is undefined (domain)."},
     MK_CRPS_GAUSS, NEED_STORE, NOPARAM},
    {{"log_score_gaussian", "sigma,mu", "", LOWER, "",
      "log score (negative log density) of a Gaussian forecast",
      "Mean of -log N(y; mu, sigma^2) = log(sigma) + log(2*pi)/2 + z^2/2, mu = yhat "
      "unless mu= names a column; sigma <= 0 is undefined (domain)."},
     MK_LOGS_GAUSS, NEED_STORE, NOPARAM},
};

#define NCATALOG (sizeof catalog / sizeof catalog[0])

const char *const vn__nrmse_norms[4] = {"mean", "range", "std", "iqr"};

/* Aliases that fix a parameter. */
static const struct {
    const char *alias, *id;
    double q;
} param_alias[] = {
    {"p50_abs_error", "abs_error_quantile", 0.50},
    {"p90_abs_error", "abs_error_quantile", 0.90},
    {"p95_abs_error", "abs_error_quantile", 0.95},
    {"p99_abs_error", "abs_error_quantile", 0.99},
};

size_t vn_metric_count(void) { return NCATALOG; }

const vn_metric_info *vn_metric_at(size_t i) { return i < NCATALOG ? &catalog[i].info : NULL; }

const char *vn_default_metrics(void)
{
    return "count,mean_error,mae,rmse,mape,wmape,smape,r2,medae,p95_abs_error,"
           "p99_abs_error,max_error,huber,pinball:q=0.1,pinball:q=0.5,pinball:q=0.9";
}

const char *vn_task_default_metrics(vn_task task)
{
    switch (task) {
    case VN_TASK_REGRESSION: return vn_default_metrics();
    case VN_TASK_BINARY:
        return "count,roc_auc,average_precision,log_loss,brier,ece,precision_at_recall:r=0.9,"
               "recall_at_precision:p=0.9,specificity_at_sensitivity:s=0.95,"
               "sensitivity_at_specificity:s=0.95";
    }
    return NULL;
}

/* Is `name` (len bytes) one of the comma-separated words of `list`? */
static bool in_list(const char *list, const char *name, size_t len)
{
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        const size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        if (!c)
            break;
        p = c + 1;
    }
    return false;
}

static const metric_def *find_def(const char *name, size_t len, double *alias_q)
{
    *alias_q = NAN;
    for (size_t i = 0; i < sizeof param_alias / sizeof param_alias[0]; i++)
        if (strlen(param_alias[i].alias) == len && memcmp(param_alias[i].alias, name, len) == 0) {
            *alias_q = param_alias[i].q;
            name = param_alias[i].id;
            len = strlen(name);
            break;
        }
    for (size_t i = 0; i < NCATALOG; i++) {
        const vn_metric_info *m = &catalog[i].info;
        if ((strlen(m->id) == len && memcmp(m->id, name, len) == 0) ||
            (isnan(*alias_q) && in_list(m->aliases, name, len)))
            return &catalog[i];
    }
    return NULL;
}

const vn_metric_info *vn_metric_find(const char *id_or_alias)
{
    double q;
    const metric_def *d = id_or_alias ? find_def(id_or_alias, strlen(id_or_alias), &q) : NULL;
    return d ? &d->info : NULL;
}

static const metric_def *def_of(const vn__mspec *ms)
{
    return (const metric_def *)((const char *)ms->info - offsetof(metric_def, info));
}

const char *vn__metric_param_name(const vn__mspec *ms, int j)
{
    const bool custom = ms->kind == MK_EXPR || ms->kind == MK_CUSTOM || ms->nxcol;
    return j < VN_MAX_PARAMS && !custom ? def_of(ms)->param[j].name : NULL;
}

/* Parses one "name=value" parameter of metric d into ms. */
static vn_status parse_param(const metric_def *d, const char *s, size_t len, vn__mspec *ms,
                             char *errbuf, size_t errlen)
{
    const char *eq = memchr(s, '=', len);
    VN_RETURN_IF(!eq, VN_ERR_USAGE, "metric \"%s\": parameter \"%.*s\" needs a value (name=value)",
                 d->info.id, (int)len, s);
    const size_t nlen = (size_t)(eq - s), vlen = len - nlen - 1;
    int j = 0;
    while (j < VN_MAX_PARAMS && d->param[j].name &&
           !(strlen(d->param[j].name) == nlen && memcmp(d->param[j].name, s, nlen) == 0))
        j++;
    VN_RETURN_IF(j == VN_MAX_PARAMS || !d->param[j].name, VN_ERR_USAGE,
                 "metric \"%s\" has no parameter \"%.*s\"%s%s", d->info.id, (int)nlen, s,
                 d->info.params[0] ? "; it takes " : " (it takes none)", d->info.params);
    const param_def *p = &d->param[j];
    double v;
    if (d->kind == MK_NRMSE) {
        v = -1;
        for (int k = 0; k < 4; k++)
            if (strlen(vn__nrmse_norms[k]) == vlen && memcmp(vn__nrmse_norms[k], eq + 1, vlen) == 0)
                v = k;
        VN_RETURN_IF(v < 0, VN_ERR_USAGE,
                     "metric \"nrmse\": norm must be mean, range, std or iqr, not \"%.*s\"",
                     (int)vlen, eq + 1);
    } else {
        const vn__num k = vn__parse_double(eq + 1, vlen, &v);
        VN_RETURN_IF(k != VN__NUM_OK && k != VN__NUM_RANGE, VN_ERR_USAGE,
                     "metric \"%s\": %s must be a number, not \"%.*s\"", d->info.id, p->name,
                     (int)vlen, eq + 1);
        const bool bad = k == VN__NUM_RANGE || v < p->lo || v > p->hi ||
                         (p->open_lo && v == p->lo) || (p->integer && v != floor(v));
        VN_RETURN_IF(bad && p->open_lo, VN_ERR_USAGE,
                     "metric \"%s\": %s must be a finite number greater than %g, not %.*s",
                     d->info.id, p->name, p->lo, (int)vlen, eq + 1);
        VN_RETURN_IF(bad && isinf(p->lo), VN_ERR_USAGE,
                     "metric \"%s\": %s must be a finite number, not %.*s", d->info.id, p->name,
                     (int)vlen, eq + 1);
        VN_RETURN_IF(bad, VN_ERR_USAGE, "metric \"%s\": %s must be %s from %g to %g, not %.*s",
                     d->info.id, p->name, p->integer ? "a whole number" : "a number", p->lo, p->hi,
                     (int)vlen, eq + 1);
    }
    ms->param[j] = v;
    ms->nparams_given++;
    return VN_OK;
}

/* Parses one metric spec "id[:name=value]..." or "id(name=value, ...)" of length len;
 * metrics over input columns intern theirs into cols. */
static vn_status parse_one(const char *s, size_t len, vn__names *cols, vn__mspec *ms,
                           char *errbuf, size_t errlen)
{
    memset(ms, 0, sizeof *ms);
    ms->slot = -1;
    VN_RETURN_IF(len >= VN_KEY_MAX, VN_ERR_USAGE, "metric spec too long: \"%.*s\"", (int)len, s);
    memcpy(ms->key, s, len);
    ms->key[len] = '\0';
    size_t idlen = 0;
    while (idlen < len && s[idlen] != ':' && s[idlen] != '(')
        idlen++;
    /* the parameters: after the first ':', separated by ':'; or inside "(...)", by ',' */
    const bool paren = idlen < len && s[idlen] == '(';
    const char *colon = idlen < len ? s + idlen : NULL;
    size_t plen = colon ? len - idlen - 1 : 0;
    VN_RETURN_IF(paren && s[len - 1] != ')', VN_ERR_USAGE,
                 "metric \"%.*s\": the parameters have no closing \")\"", (int)idlen, s);
    plen -= paren;
    double alias_q;
    const metric_def *d = find_def(s, idlen, &alias_q);
    VN_RETURN_IF(!d, VN_ERR_USAGE, "unknown metric \"%.*s\" (vernier metrics lists them)",
                 (int)idlen, s);
    ms->info = &d->info;
    ms->kind = d->kind;
    ms->needs = d->needs;
    for (int j = 0; j < VN_MAX_PARAMS; j++)
        ms->param[j] = d->param[j].def;
    if (!isnan(alias_q)) {
        ms->param[0] = alias_q;
        VN_RETURN_IF(colon, VN_ERR_USAGE, "metric \"%.*s\" takes no parameters (it fixes q)",
                     (int)idlen, s);
    }
    const char *ps = colon ? colon + 1 : s + len, *item;
    size_t at = 0, ilen;
    bool cols_form = vn__xkind(d->kind);
    while (d->kind == MK_PINBALL && !cols_form && vn__param_next(ps, plen, paren ? ',' : ':', &at, &item, &ilen))
        cols_form = ilen >= 4 && memcmp(item, "col=", 4) == 0;
    if (cols_form)
        return vn__xparse(ps, plen, paren ? ',' : ':', cols, ms, errbuf, errlen);
    for (at = 0; vn__param_next(ps, plen, paren ? ',' : ':', &at, &item, &ilen);)
        VN_TRY(parse_param(d, item, ilen, ms, errbuf, errlen));
    for (int j = 0; j < VN_MAX_PARAMS; j++)
        VN_RETURN_IF(d->param[j].name && isnan(ms->param[j]), VN_ERR_USAGE,
                     "metric \"%s\" needs %s%s (e.g. %s:%s=%s)", d->info.id, d->param[j].name,
                     d->kind == MK_ADJ_R2 ? ", the number of features" : "", d->info.id,
                     d->param[j].name, d->kind == MK_ADJ_R2 ? "12" : "0.9");
    if (d->kind == MK_TWEEDIE || d->kind == MK_D2_TWEEDIE)
        VN_RETURN_IF(ms->param[0] > 0 && ms->param[0] < 1, VN_ERR_USAGE,
                     "metric \"%s\": power %g is invalid (Tweedie powers in (0, 1) do not exist)",
                     d->info.id, ms->param[0]);
    if (d->kind == MK_NRMSE && ms->param[0] == 3)
        ms->needs |= NEED_STORE;
    return VN_OK;
}

/* The end of the metric-list item starting at p: the first comma outside parentheses,
 * brackets and double quotes (expressions hold commas: "cost=mean(max(e, 0))"). */
static const char *item_end(const char *p)
{
    int depth = 0;
    bool quoted = false;
    for (; *p; p++) {
        if (quoted) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == '(' || *p == '[') {
            depth++;
        } else if ((*p == ')' || *p == ']') && depth > 0) {
            depth--;
        } else if (*p == ',' && depth == 0) {
            break;
        }
    }
    return p;
}

void vn__mspecs_free(vn__mspec *ms, size_t n)
{
    for (size_t i = 0; ms && i < n; i++)
        vn__custom_free(ms[i].um);
    vn__free(ms);
}

vn_status vn__metrics_parse_ex(const char *list, const vn_metric_def *defs, size_t ndefs,
                               vn__names *cols, vn__mspec **out, size_t *count, char *errbuf,
                               size_t errlen)
{
    *out = NULL;
    *count = 0;
    if (!list || !*list)
        list = vn_default_metrics();
    VN_TRY(vn__custom_check_defs(defs, ndefs, errbuf, errlen));
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    vn__mspec *ms = vn__calloc(cap, sizeof *ms);
    if (!ms)
        return VN_ERR_NOMEM;
    size_t n = 0;
    vn_status st = VN_OK;
    for (const char *p = list; st == VN_OK;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *c = item_end(p);
        size_t len = (size_t)(c - p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n'))
            len--;
        if (len == 0) {
            vn__fmt(errbuf, errlen, "empty metric name in \"%.200s\"", list);
            st = VN_ERR_USAGE;
            break;
        }
        bool custom = false;
        if (!vn__grow((void **)&ms, &cap, n + 1, sizeof *ms)) { /* list forms expand */
            st = VN_ERR_NOMEM;
            break;
        }
        memset(&ms[n], 0, sizeof ms[n]);
        ms[n].slot = -1;
        st = vn__custom_parse(p, len, defs, ndefs, cols, &ms[n], &custom, errbuf, errlen);
        if (st == VN_OK && !custom)
            st = parse_one(p, len, cols, &ms[n], errbuf, errlen);
        if (st == VN_OK && ms[n].nexpand > 1) { /* a list form: one spec per level or bin */
            const size_t k = ms[n].nexpand;
            st = vn__xexpand(&ms, &cap, n, cols, errbuf, errlen);
            n += st == VN_OK ? k - 1 : 0; /* the last one goes on below */
        }
        if (st != VN_OK)
            break;
        /* The same metric twice (by alias, or with its default written out) is kept
         * once, under the first spelling; a custom metric by its name, and an
         * expression's name may be defined once only. */
        bool dup = false;
        for (size_t i = 0; i < n && st == VN_OK; i++) {
            const bool same_key = strcmp(ms[i].key, ms[n].key) == 0;
            if (same_key && ms[n].kind == MK_EXPR) {
                vn__fmt(errbuf, errlen, "metric %s is defined twice", ms[n].key);
                st = VN_ERR_USAGE;
            }
            dup = dup || (ms[n].um || ms[n].nxcol || ms[i].nxcol
                              ? same_key
                              : ms[i].info == ms[n].info && ms[i].param[0] == ms[n].param[0] &&
                                    ms[i].param[1] == ms[n].param[1]);
        }
        if (dup || st != VN_OK) {
            vn__custom_free(ms[n].um);
            ms[n].um = NULL;
        }
        n += !dup && st == VN_OK;
        if (!*c)
            break;
        p = c + 1;
    }
    if (st != VN_OK) {
        vn__mspecs_free(ms, n);
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        return st;
    }
    *out = ms;
    *count = n;
    return VN_OK;
}

vn_status vn__metrics_parse(const char *list, vn__mspec **out, size_t *count, char *errbuf,
                            size_t errlen)
{
    vn__names cols = {0};
    const vn_status st = vn__metrics_parse_ex(list, NULL, 0, &cols, out, count, errbuf, errlen);
    vn__names_free(&cols);
    return st;
}

/* ---- from state to value -------------------------------------------------------- */

vn_status vn__undefined(vn_value *v, vn_reason r, char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(msg, len, fmt, ap);
    va_end(ap);
    v->value = NAN;
    v->reason = r;
    v->message = msg;
    return VN_OK;
}

/* The skill-score rule shared by r2, explained_variance and d2_*: constant y (zero
 * denominator) is undefined, or scikit-learn's force_finite under VN_R2_SKLEARN. */
static vn_status skill(vn_value *v, double num, double den, bool constant, const vn__opts *o,
                       char *msg, size_t len)
{
    /* Sums of squares that overflow (|y| or |e| near 1e154 and beyond) make den or num
     * inf or NaN: that is an overflow, not a constant y (docs/robustness.md). */
    if (!constant && (!isfinite(num) || !isfinite(den)))
        return vn__undefined(v, VN_REASON_OVERFLOW, msg, len,
                             "a sum of squares is not finite in double precision");
    /* y varies (min < max) yet its sum of squares is 0: the squares underflowed, or
     * overflowed into a NaN that the moments clamp to 0 (/tmp/fuzz-findings.md #3) */
    if (!constant && den == 0.0)
        return vn__undefined(v, VN_REASON_OVERFLOW, msg, len,
                             "y varies, but its sum of squares is not representable in "
                             "double precision");
    /* A constant y is detected exactly (min == max): the denominator of a deviance at
     * the rounded mean is rounding noise then, not 0. */
    if (constant || den == 0.0 || isnan(den)) {
        if (o->r2c == VN_R2_SKLEARN) {
            v->value = num == 0.0 ? 1.0 : 0.0;
            return VN_OK;
        }
        return vn__undefined(v, VN_REASON_CONSTANT_Y, msg, len,
                         "y is constant, so no model can explain its variance "
                         "(--r2-constant sklearn gives scikit-learn's 1.0/0.0)");
    }
    v->value = 1.0 - num / den;
    return VN_OK;
}

/* Quantile q of x[0..n) (weights w or NULL) by the project's convention; x, w are
 * reordered. */
static vn_status quantile(double *x, double *w, size_t n, double q, double *out)
{
    if (w)
        return vn__quantiles_weighted(x, w, n, &q, 1, out);
    vn__quantiles_type7(x, n, &q, 1, out);
    return VN_OK;
}

/* Copies of the stored y (and weights when weighted), for kernels that reorder. */
static vn_status copy_rows(const vn__rowset *r, double **x, double **w)
{
    *x = vn__malloc(r->n * sizeof **x);
    *w = r->weighted ? vn__malloc(r->n * sizeof **w) : NULL;
    if (!*x || (r->weighted && !*w)) {
        vn__free(*x);
        vn__free(*w);
        return VN_ERR_NOMEM;
    }
    memcpy(*x, r->y, r->n * sizeof **x);
    if (*w)
        memcpy(*w, r->w, r->n * sizeof **w);
    return VN_OK;
}

/* D² for pinball loss at level q: sklearn's d2_pinball_score. */
static vn_status d2_pinball(const vn__acc *a, const vn__rowset *r, double q, const vn__opts *o,
                            vn_value *v, char *msg, size_t len)
{
    double *x, *w, ref;
    VN_TRY(copy_rows(r, &x, &w));
    const vn_status st = quantile(x, w, r->n, q, &ref);
    vn__free(x);
    vn__free(w);
    VN_TRY(st);
    vn__ksum den = {0, 0};
    for (size_t i = 0; i < r->n; i++) {
        const double d = r->y[i] - ref;
        vn__ksum_add(&den, r->w[i] * (d >= 0.0 ? q * d : (q - 1.0) * d));
    }
    const double W = vn__ksum_get(&a->W);
    const double num = (q * vn__ksum_get(&a->NEG) + (1.0 - q) * vn__ksum_get(&a->POS)) / W;
    return skill(v, num, vn__ksum_get(&den) / W, a->ymin == a->ymax, o, msg, len);
}

static vn_status d2_tweedie(const vn__acc *a, const vn__rowset *r, double pw, const vn__opts *o,
                            vn_value *v, char *msg, size_t len)
{
    const double W = vn__ksum_get(&a->W);
    vn__ksum sy = {0, 0}, num = {0, 0}, den = {0, 0};
    for (size_t i = 0; i < r->n; i++)
        vn__ksum_add(&sy, r->w[i] * r->y[i]);
    const double ybar = vn__ksum_get(&sy) / W;
    uint64_t bad = 0;
    for (size_t i = 0; i < r->n; i++) {
        bool b1 = false, b2 = false;
        const double d1 = vn__tweedie_dev(r->y[i], r->p[i], pw, &b1);
        const double d2 = vn__tweedie_dev(r->y[i], ybar, pw, &b2);
        bad += b1 || b2;
        vn__ksum_add(&num, r->w[i] * d1);
        vn__ksum_add(&den, r->w[i] * d2);
    }
    if (bad)
        return vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                         "%llu rows are outside the domain of the Tweedie deviance with power %g",
                         (unsigned long long)bad, pw);
    return skill(v, vn__ksum_get(&num) / W, vn__ksum_get(&den) / W, a->ymin == a->ymax, o, msg,
                 len);
}

/* Pearson correlation of two arrays by the two-pass algorithm (for ranks). */
static double pearson_arrays(const double *x, const double *y, size_t n)
{
    vn__ksum sx = {0, 0}, sy = {0, 0};
    for (size_t i = 0; i < n; i++) {
        vn__ksum_add(&sx, x[i]);
        vn__ksum_add(&sy, y[i]);
    }
    const double mx = vn__ksum_get(&sx) / (double)n, my = vn__ksum_get(&sy) / (double)n;
    vn__ksum sxx = {0, 0}, syy = {0, 0}, sxy = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const double dx = x[i] - mx, dy = y[i] - my;
        vn__ksum_add(&sxx, dx * dx);
        vn__ksum_add(&syy, dy * dy);
        vn__ksum_add(&sxy, dx * dy);
    }
    const double r = vn__ksum_get(&sxy) / (sqrt(vn__ksum_get(&sxx)) * sqrt(vn__ksum_get(&syy)));
    return fmax(-1.0, fmin(1.0, r));
}

static vn_status spearman(const vn__rowset *r, double *out)
{
    double *rx = vn__malloc(r->n * sizeof *rx), *ry = vn__malloc(r->n * sizeof *ry);
    vn_status st = rx && ry ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK)
        st = vn__rank_average(r->y, r->n, rx);
    if (st == VN_OK)
        st = vn__rank_average(r->p, r->n, ry);
    if (st == VN_OK)
        *out = pearson_arrays(rx, ry, r->n);
    vn__free(rx);
    vn__free(ry);
    return st;
}

/* Seasonal-naive scale of a series y[0..n) in time order (n > m): mean over t > m of
 * |y_t − y_{t−m}|^k, k = 1 (mase), 2 (rmsse). Hyndman & Koehler (2006). */
static double naive_scale(const double *y, size_t n, size_t m, int k)
{
    vn__ksum s = {0, 0};
    for (size_t t = m; t < n; t++) {
        const double d = y[t] - y[t - m];
        vn__ksum_add(&s, k == 1 ? fabs(d) : d * d);
    }
    return vn__ksum_get(&s) / (double)(n - m);
}

static int sign(double x) { return (x > 0) - (x < 0); }

static double stored_quantile(const vn__rowset *r, double q)
{
    for (size_t i = 0; i < r->nq; i++)
        if (r->q[i] == q)
            return r->qv[i];
    return NAN; /* the caller always precomputes every requested q */
}

vn_status vn__metric_value(const vn__mspec *ms, const vn__acc *a, const vn__rowset *rows,
                           const vn__opts *o, vn_value *v, char *msg, size_t len)
{
    v->value = NAN;
    v->reason = VN_REASON_NONE;
    v->message = "";
    v->lo = v->hi = v->threshold = NAN;
    v->ci_method = v->ci_note = "";
    msg[0] = '\0';
    const double W = vn__ksum_get(&a->W), n = (double)a->n;
    if (ms->kind == MK_COUNT) {
        v->value = n;
        return VN_OK;
    }
    if (ms->kind == MK_WEIGHT_SUM) {
        v->value = W;
        return VN_OK;
    }
    if (a->n == 0)
        return vn__undefined(v, VN_REASON_NO_ROWS, msg, len, "no rows with positive weight");
    const double pos = vn__ksum_get(&a->POS), neg = vn__ksum_get(&a->NEG);
    /* Σw|e| = Σw·e⁺ + Σw·e⁻ with the error terms carried, so rounded once: the value a
     * compensated sum of w|e| gives (and mean(abs(e)) in an expression) */
    vn__ksum abs_e = a->POS;
    vn__ksum_merge(&abs_e, &a->NEG);
    const double sum_abs = vn__ksum_get(&abs_e);
    const double mae = sum_abs / W, mse = vn__ksum_get(&a->E2) / W;
    const bool const_y = a->ymin == a->ymax, const_p = a->pmin == a->pmax;
    const double q = ms->param[0];
    const struct vn__slot_sum *slot = ms->slot >= 0 ? &a->slot[ms->slot] : NULL;

    switch (ms->kind) {
    case MK_COUNT:
    case MK_WEIGHT_SUM:
    case MK__COUNT:
        break;
    case MK_EXPR:
    case MK_CUSTOM: VN_TRY(vn__custom_value(ms, a, rows, v, msg, len)); break;
    case MK_MEAN_ERROR: v->value = vn__ksum_get(&a->E) / W; break;
    case MK_MAE: v->value = mae; break;
    case MK_MSE:
    case MK_RMSE:
        /* Squares of errors below ~1e-162 underflow: mse is then correctly rounded to 0
         * (or to a few subnormal bits) though the errors are not 0, and sqrt(mse) would
         * call a model with errors of 1e-200 perfect. Reported, not rounded away. */
        if (mae > 0.0 && mse < DBL_MIN)
            return vn__undefined(v, VN_REASON_OVERFLOW, msg, len,
                                 "the squared errors underflow double precision "
                                 "(mean |e| = %.3g)", mae);
        v->value = ms->kind == MK_MSE ? mse : sqrt(mse);
        break;
    case MK_MAX_ERROR: v->value = fmax(a->emax, -a->emin); break;
    case MK_MEDAE: v->value = stored_quantile(rows, 0.5); break;
    case MK_AEQ: v->value = stored_quantile(rows, q); break;
    case MK_MAPE:
    case MK_MPE: {
        const bool mape = ms->kind == MK_MAPE;
        if (o->zero == VN_ZERO_EPS) {
            v->value = 100.0 * vn__ksum_get(mape ? &a->ape_eps : &a->pe_eps) / W;
            break;
        }
        if (a->n_zero > 0 && (o->zero == VN_ZERO_NAN || a->n_zero == a->n))
            return vn__undefined(v, VN_REASON_ZERO_ACTUAL, msg, len,
                             "%llu of %llu rows have y = 0, where %s divides by zero; use wmape, "
                             "smape or mase, or --zero skip|eps",
                             (unsigned long long)a->n_zero, (unsigned long long)a->n,
                             mape ? "MAPE" : "MPE");
        v->value = 100.0 * vn__ksum_get(mape ? &a->ape_nz : &a->pe_nz) / vn__ksum_get(&a->w_nz);
        if (a->n_zero > 0)
            vn__fmt(msg, len, "%llu rows with y = 0 left out (--zero skip)",
                    (unsigned long long)a->n_zero);
        break;
    }
    case MK_SMAPE: v->value = 100.0 * vn__ksum_get(&a->smape) / W; break;
    case MK_WMAPE: {
        const double ay = vn__ksum_get(&a->AY);
        if (ay == 0.0)
            return vn__undefined(v, VN_REASON_ZERO_DENOMINATOR, msg, len,
                             "sum of w*|y| is 0: every actual is zero");
        v->value = 100.0 * sum_abs / ay;
        break;
    }
    case MK_MSLE:
    case MK_RMSLE:
        if (a->n_msle_bad)
            return vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                             "%llu rows have y or yhat <= -1, where log(1 + x) is undefined",
                             (unsigned long long)a->n_msle_bad);
        v->value = vn__ksum_get(&a->msle) / W;
        if (ms->kind == MK_RMSLE)
            v->value = sqrt(v->value);
        break;
    case MK_R2:
    case MK_ADJ_R2:
    case MK_EXPVAR:
        if (a->n < 2)
            return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len, "needs at least 2 rows");
        VN_TRY(skill(v, ms->kind == MK_EXPVAR ? a->See : vn__ksum_get(&a->E2), a->Syy, const_y,
                     o, msg, len));
        if (ms->kind == MK_ADJ_R2 && !isnan(v->value)) {
            if (n - q - 1.0 <= 0.0)
                return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len,
                                 "needs n - p - 1 > 0 (n = %llu rows, p = %g features)",
                                 (unsigned long long)a->n, q);
            v->value = 1.0 - (1.0 - v->value) * (n - 1.0) / (n - q - 1.0);
        }
        break;
    case MK_HUBER:
    case MK_PSEUDO_HUBER: v->value = vn__ksum_get(&slot->s) / W; break;
    case MK_LOG_COSH: v->value = vn__ksum_get(&a->logcosh) / W; break;
    case MK_PINBALL: v->value = (q * neg + (1.0 - q) * pos) / W; break;
    case MK_D2_ABS:
    case MK_D2_PINBALL:
        if (a->n < 2)
            return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len, "needs at least 2 rows");
        return d2_pinball(a, rows, ms->kind == MK_D2_ABS ? 0.5 : q, o, v, msg, len);
    case MK_D2_TWEEDIE:
        if (a->n < 2)
            return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len, "needs at least 2 rows");
        VN_TRY(d2_tweedie(a, rows, q, o, v, msg, len));
        break;
    case MK_POISSON:
    case MK_GAMMA:
    case MK_TWEEDIE:
        if (slot->bad) {
            const double pw = ms->kind == MK_POISSON ? 1 : ms->kind == MK_GAMMA ? 2 : q;
            return vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                             "%llu rows are outside the domain of the deviance (%s)",
                             (unsigned long long)slot->bad,
                             pw < 0 ? "needs yhat > 0"
                             : pw == 0 ? "any y, yhat"
                             : pw < 2  ? "needs y >= 0 and yhat > 0"
                                       : "needs y > 0 and yhat > 0");
        }
        v->value = vn__ksum_get(&slot->s) / W;
        break;
    case MK_PEARSON:
    case MK_SPEARMAN:
    case MK_KENDALL:
    case MK_CCC:
        if (a->n < 2)
            return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len, "needs at least 2 rows");
        if (ms->kind == MK_CCC) {
            const double d = vn__ksum_get(&a->WY) / W - vn__ksum_get(&a->WP) / W;
            const double den = a->Syy + a->Spp + (W - 1.0) * d * d;
            if (!(const_y && const_p) && (den == 0.0 || !isfinite(den)))
                return vn__undefined(v, VN_REASON_OVERFLOW, msg, len,
                                 "a sum of squares is not representable in double precision");
            if (W <= 1.0 || den == 0.0)
                return vn__undefined(v, VN_REASON_CONSTANT_INPUT, msg, len,
                                 "y and yhat are the same constant");
            v->value = 2.0 * a->Syp / den;
            break;
        }
        if (const_y || const_p)
            return vn__undefined(v, VN_REASON_CONSTANT_INPUT, msg, len, "%s is constant",
                             const_y ? "y" : "yhat");
        if (ms->kind == MK_PEARSON) {
            /* fmin(1, NaN) is 1: an overflowed moment (inf/inf) must stay NaN, and be
             * reported as an overflow below, not clamped into a perfect correlation */
            const double r = a->Syp / (sqrt(a->Syy) * sqrt(a->Spp));
            v->value = isnan(r) ? r : fmax(-1.0, fmin(1.0, r));
        }
        else if (ms->kind == MK_SPEARMAN)
            VN_TRY(spearman(rows, &v->value));
        else
            VN_TRY(vn__kendall_tau_b(rows->y, rows->p, rows->n, &v->value));
        break;
    case MK_NRMSE: {
        double norm = 0.0;
        switch ((int)q) {
        case 0: norm = fabs(vn__ksum_get(&a->WY) / W); break;
        case 1: norm = a->ymax - a->ymin; break;
        case 2: norm = sqrt(a->Syy / W); break;
        default: {
            double *x, *w, lo, hi;
            VN_TRY(copy_rows(rows, &x, &w));
            vn_status st = quantile(x, w, rows->n, 0.25, &lo);
            if (st == VN_OK)
                st = quantile(x, w, rows->n, 0.75, &hi);
            vn__free(x);
            vn__free(w);
            VN_TRY(st);
            norm = hi - lo;
        }
        }
        if (norm == 0.0)
            return vn__undefined(v, VN_REASON_ZERO_DENOMINATOR, msg, len, "the %s of y is 0",
                             vn__nrmse_norms[(int)q]);
        v->value = sqrt(mse) / norm;
        break;
    }
    case MK_MDA: {
        if (rows->n < 2)
            return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len, "needs at least 2 rows");
        uint64_t hit = 0;
        for (size_t t = 1; t < rows->n; t++)
            hit += sign(rows->y[t] - rows->y[t - 1]) == sign(rows->p[t] - rows->y[t - 1]);
        v->value = (double)hit / (double)(rows->n - 1);
        break;
    }
    case MK_COVERAGE:
    case MK_IWIDTH:
    case MK_ISCORE:
    case MK_WIS:
    case MK_QPINBALL:
    case MK_QCOVERAGE:
    case MK_CRPS_ENS:
    case MK_CRPS_GAUSS:
    case MK_LOGS_GAUSS:
        VN_TRY(vn__xmetric_value(ms, a, rows, v, msg, len));
        if (v->reason != VN_REASON_NONE)
            return VN_OK;
        break;
    case MK_ROC_AUC:
    case MK_AVG_PRECISION:
    case MK_LOG_LOSS:
    case MK_BRIER:
    case MK_ECE:
    case MK_PREC_AT_REC:
    case MK_REC_AT_PREC:
    case MK_SPEC_AT_SENS:
    case MK_SENS_AT_SPEC:
        VN_TRY(vn__binary_value(ms, rows, v, msg, len));
        if (v->reason != VN_REASON_NONE)
            return VN_OK;
        break;
    case MK_MASE:
    case MK_RMSSE: {
        const size_t m = (size_t)q;
        const int k = ms->kind == MK_MASE ? 1 : 2;
        double scale;
        if (rows->train) { /* the scale of the series the model was fitted on */
            if (!rows->ty)
                return vn__undefined(v, VN_REASON_NO_TRAINING, msg, len,
                                 "the series is not in the training data");
            if (rows->tn <= m)
                return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len,
                                 "the training series has %zu rows, needs more than m = %zu",
                                 rows->tn, m);
            scale = naive_scale(rows->ty, rows->tn, m, k);
            if (scale == 0.0)
                return vn__undefined(v, VN_REASON_ZERO_DENOMINATOR, msg, len,
                                 "the seasonal-naive error of the training series (m = %zu) is 0", m);
        } else {
            if (rows->n <= m)
                return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len,
                                 "needs more than m = %zu rows for the naive scale", m);
            scale = naive_scale(rows->y, rows->n, m, k);
            if (scale == 0.0)
                return vn__undefined(v, VN_REASON_ZERO_DENOMINATOR, msg, len,
                                 "the seasonal-naive error of y (m = %zu) is 0", m);
        }
        v->value = ms->kind == MK_MASE ? mae / scale : sqrt(mse / scale);
        vn__fmt(msg, len, "scale from the %s series (m = %zu)", rows->train ? "training" : "evaluated", m);
        break;
    }
    }
    if (v->reason == VN_REASON_NONE && !isfinite(v->value))
        return vn__undefined(v, VN_REASON_OVERFLOW, msg, len,
                         "the value is not finite in double precision");
    v->message = msg;
    return VN_OK;
}
