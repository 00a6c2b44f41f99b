/*
 * eval.h — what the registry (metrics.c), the evaluation (eval.c, acc.c) and the result
 * model (result.c, output.c) share.
 *
 * The flow: a metric list is parsed into metric instances (vn__mspec), each naming the
 * accumulator groups it needs; the plan is the union of those needs. Rows are folded
 * block by block into accumulator states (vn__acc) per slice; metrics that need order
 * statistics, ranks or row order read the slice's stored rows at finish time.
 */
#ifndef VN_EVAL_H
#define VN_EVAL_H

#include "expr.h"
#include "internal.h"

#include <stdio.h>

/* Rows per accumulation block. Each slice's rows are cut into blocks of this many rows
 * of its own sequence; block states are merged in order. Fixed forever within a
 * version: changing it changes last bits. */
#define VN_BLOCK_ROWS 4096

/* Metric kinds: one per catalog row. */
typedef enum vn__kind {
    MK_COUNT, MK_WEIGHT_SUM, MK_MEAN_ERROR, MK_MAE, MK_MSE, MK_RMSE, MK_MAX_ERROR,
    MK_MEDAE, MK_AEQ, MK_MAPE, MK_SMAPE, MK_WMAPE, MK_MPE, MK_MSLE, MK_RMSLE, MK_R2,
    MK_ADJ_R2, MK_EXPVAR, MK_HUBER, MK_PSEUDO_HUBER, MK_LOG_COSH, MK_PINBALL, MK_D2_ABS,
    MK_D2_PINBALL, MK_D2_TWEEDIE, MK_POISSON, MK_GAMMA, MK_TWEEDIE, MK_PEARSON,
    MK_SPEARMAN, MK_KENDALL, MK_CCC, MK_NRMSE, MK_MDA, MK_MASE, MK_RMSSE,
    /* interval, quantile and probabilistic scores over input columns (interval.c) */
    MK_COVERAGE, MK_IWIDTH, MK_ISCORE, MK_WIS, MK_QPINBALL, MK_QCOVERAGE, MK_CRPS_ENS,
    MK_CRPS_GAUSS, MK_LOGS_GAUSS,
    /* binary classification: a 0/1 label and a score (binary.c) */
    MK_ROC_AUC, MK_AVG_PRECISION, MK_LOG_LOSS, MK_BRIER, MK_ECE, MK_PREC_AT_REC,
    MK_REC_AT_PREC, MK_SPEC_AT_SENS, MK_SENS_AT_SPEC,
    MK__COUNT,
    MK_EXPR,   /* a custom metric: an expression (custom.c) */
    MK_CUSTOM, /* a custom metric implemented in C (vn_metric_def) */
} vn__kind;

/* Accumulator groups a metric reads (bits of vn__mspec.needs / the plan). The base
 * group (n, W, Σw·e, Σw·e⁺, Σw·e⁻, Σw·e², minima and maxima) is always on. */
enum {
    NEED_MOM = 1u << 0,   /* centred second moments of y, yhat, e and the co-moment */
    NEED_AY = 1u << 1,    /* Σw|y| */
    NEED_APE = 1u << 2,   /* mape / mpe sums under every zero policy */
    NEED_SMAPE = 1u << 3, /* Σw·2|e|/(|y|+|ŷ|) */
    NEED_MSLE = 1u << 4,  /* Σw·(log1p ŷ − log1p y)² and domain count */
    NEED_LOGCOSH = 1u << 5,
    NEED_SLOT = 1u << 6,  /* a parameterised per-row loss: huber, pinball, deviance ... */
    NEED_STORE = 1u << 7, /* the slice's rows are kept for order statistics / ranks */
    NEED_AE = 1u << 8,    /* quantiles of |e|: |e| (and weights) are kept, 8 bytes a row,
                             unless NEED_STORE keeps the rows anyway */
    NEED_SYY = 1u << 9,   /* Σw·y and the centred moment of y alone (r2): NEED_MOM's subset */
    NEED_PE = 1u << 10,   /* with NEED_APE: the signed percentage sums of mpe */
};

/* Parameterised per-row losses summed in "slots"; the sums of custom expressions
 * (SLOT_EXPR: Σ of a row program's term), and the states of metrics implemented in C
 * (SLOT_CUSTOM: the callbacks' bytes, after the slot sums of vn__acc). */
typedef enum vn__slot_kind {
    SLOT_HUBER, SLOT_PSEUDO_HUBER, SLOT_TWEEDIE, SLOT_EXPR, SLOT_CUSTOM
} vn__slot_kind;

typedef struct vn__umetric vn__umetric;

typedef struct vn__slot {
    vn__slot_kind kind;
    double param;
    const vn__prog *prog;    /* SLOT_EXPR: the term's row program */
    const vn__umetric *um;   /* SLOT_CUSTOM: the metric */
} vn__slot;

#define VN_MAX_PARAMS 2
#define VN_KEY_MAX 256
/* Input columns one built-in metric may read (ensemble members, quantile columns). */
#define VN_MAX_XCOLS 256

/* One requested metric. */
typedef struct vn__mspec {
    char key[VN_KEY_MAX];      /* as the user wrote it: "huber:delta=2" */
    const vn_metric_info *info;
    vn__kind kind;
    unsigned needs;
    double param[VN_MAX_PARAMS]; /* numeric parameters (nrmse's norm is coded 0..3) */
    int nparams_given;
    int slot;                  /* index into the plan's slots, or -1 (custom metrics: the
                                  first of theirs) */
    vn__umetric *um;           /* MK_EXPR, MK_CUSTOM: the metric (owned by the list that
                                  parsed it, NULL in a result's copy) */
    /* Built-in metrics over input columns (interval.c): the columns' indices in the names
     * table, a number per column (quantile level, interval alpha; NaN if none) and small
     * coded options. Plain arrays, so that a result's copy needs no ownership. */
    uint16_t nxcol;
    uint16_t xcol[VN_MAX_XCOLS];
    double xlev[VN_MAX_XCOLS];
    int16_t xopt;              /* crps_ensemble: 1 = fair; coverage: 1 = bins by |y| */
    uint16_t nbins, bin;       /* coverage by magnitude: bin (1-based) of nbins */
    uint16_t nexpand;          /* > 1 while parsing: a list form to expand into that many */
} vn__mspec;

/* Parses a metric list into specs (duplicates by key dropped). Items are separated by
 * commas outside parentheses, brackets and quotes. On error returns VN_ERR_USAGE (or
 * VN_ERR_DATA for an invalid expression) with a message in errbuf. Free *out with
 * vn__mspecs_free. */
vn_status vn__metrics_parse(const char *list, vn__mspec **out, size_t *count, char *errbuf,
                            size_t errlen);
/* The same with custom metrics: the list may name defs[0..ndefs) (borrowed until the
 * specs are freed) and define expressions, "name[lower,unit=$]=mean(...)"; the columns
 * they read are interned into cols (their programs address them by index there). */
vn_status vn__metrics_parse_ex(const char *list, const vn_metric_def *defs, size_t ndefs,
                               vn__names *cols, vn__mspec **out, size_t *count, char *errbuf,
                               size_t errlen);
void vn__mspecs_free(vn__mspec *ms, size_t n);
/* The parameter names of a metric spec, for JSON output: name of param j or NULL. */
const char *vn__metric_param_name(const vn__mspec *ms, int j);
/* nrmse's norm names, indexed by the coded value. */
extern const char *const vn__nrmse_norms[4];

/* ---- metrics over input columns (interval.c) ---- */
struct vn__rowset;
struct vn__acc;
/* Is kind one of them? */
bool vn__xkind(vn__kind kind);
/* Parses the parameters params[0..len) of a metric over input columns (items separated
 * by sep outside brackets and quotes) into ms, whose info and kind are set (MK_PINBALL
 * for pinball with col=); the columns are interned into cols. VN_ERR_USAGE with a
 * message naming the metric and parameter. */
vn_status vn__xparse(const char *params, size_t len, char sep, vn__names *cols, vn__mspec *ms,
                     char *errbuf, size_t errlen);
/* The next item of s[0..len) from *at, separated by sep outside brackets and double
 * quotes; false at the end. */
bool vn__param_next(const char *s, size_t len, char sep, size_t *at, const char **item,
                    size_t *ilen);
/* Replaces list-form spec (*ms)[n] (nexpand > 1) by its nexpand single specs at
 * (*ms)[n..n+nexpand), growing *ms (capacity *cap). */
vn_status vn__xexpand(vn__mspec **ms, size_t *cap, size_t n, const vn__names *cols,
                      char *errbuf, size_t errlen);
/* The value of a metric over input columns on a slice's stored rows. */
vn_status vn__xmetric_value(const vn__mspec *ms, const struct vn__acc *a,
                            const struct vn__rowset *rows,
                            vn_value *v, char *msg, size_t len);

/* Accumulator state of a run of rows: mergeable; merging in a fixed order is
 * deterministic. Slots are a trailing array of nslots entries. */
typedef struct vn__acc {
    uint64_t n;                 /* rows with w > 0 */
    vn__ksum W;
    double ymin, ymax, pmin, pmax, emin, emax;
    vn__ksum E, POS, NEG, E2;   /* Σw·e, Σw·max(e,0), Σw·max(−e,0), Σw·e² */
    /* NEED_MOM */
    vn__ksum WY, WP;            /* Σw·y, Σw·ŷ */
    double Syy, Spp, Syp, See;  /* Σw(y−ȳ)², Σw(ŷ−ŷ̄)², Σw(y−ȳ)(ŷ−ŷ̄), Σw(e−ē)² */
    /* NEED_AY */
    vn__ksum AY;
    /* NEED_APE: y ≠ 0 rows; every row with max(|y|, eps) */
    vn__ksum ape_nz, pe_nz, w_nz, ape_eps, pe_eps, ape_big;
    uint64_t n_zero, n_big;     /* rows with y == 0; rows (y ≠ 0) with |e| > |y| */
    /* NEED_SMAPE, NEED_MSLE, NEED_LOGCOSH */
    vn__ksum smape, msle, logcosh;
    uint64_t n_msle_bad;
    size_t nslots;
    struct vn__slot_sum {
        vn__ksum s;
        uint64_t bad;           /* rows outside the loss's domain */
    } slot[];
} vn__acc;

/* The plan: what every block computes. */
typedef struct vn__plan {
    unsigned needs;
    size_t nslots;
    vn__slot *slots;
} vn__plan;

size_t vn__acc_size(const vn__plan *plan);
void vn__acc_init(vn__acc *a, const vn__plan *plan);
/* Folds rows [0, n) (all with w > 0; w NULL: every weight 1) into a fresh state a: the
 * built-in groups only. */
void vn__acc_block(vn__acc *a, const vn__plan *plan, const double *y, const double *p,
                   const double *w, size_t n);
/* Folds rows [off, off + n) of y, p, w (NULL: every weight 1) and the input columns x[k]
 * (k as in the metric list's names table; NULL when there is none) into a fresh state
 * a: everything, custom metrics' slots included. */
void vn__acc_fold(vn__acc *a, const vn__plan *plan, const double *y, const double *p,
                  const double *w, const double *const *x, size_t off, size_t n);
/* Whether x[0..n) are all finite (vectorised). */
bool vn__all_finite(const double *x, size_t n);
/* |p - y| of rows [0, n) into ae; whether every difference is finite (so, y and p too). */
bool vn__abs_errors(double *restrict ae, const double *restrict y, const double *restrict p,
                    size_t n);
/* The state of custom metric um (SLOT_CUSTOM) inside a. */
void *vn__acc_state(const vn__acc *a, const vn__umetric *um);
/* a = a ⊕ b (b after a in row order). */
void vn__acc_merge(vn__acc *a, const vn__acc *b, const vn__plan *plan);

/* Stored rows of a slice (NEED_STORE), in row order. */
typedef struct vn__rowset {
    const double *y, *p, *w;
    size_t n;
    bool weighted;              /* weights were given (even if all are 1) */
    /* Quantiles of |e| requested by medae / abs_error_quantile, computed together. */
    size_t nq;
    const double *q, *qv;
    /* The input columns custom metrics read (the metric list's names table), in row
     * order like y; NULL when there is none. */
    const double *const *x;
    size_t nx;
    /* The binary metrics' rows sorted by score (binary.c), shared by the metrics of one
     * slice: NULL = each sorts for itself. Owned by whoever set it, one thread only. */
    struct vn__bincache *bin;
    /* Set (and y, p NULL) when only |e| was kept (NEED_AE): |e| of the rows, in some
     * order, with their weights in w (w NULL: every weight is 1). NULL with y, p NULL
     * too and top_k set: the |e| were read elsewhere (a derived overall slice's, from
     * its slices), the quantiles and top_sq taken from them. */
    const double *ae;
    /* mase, rmsse: train set when a training file gives the scale (vn_eval_train_csv):
     * ty[0..tn) is this slice's training series in time order, NULL when it has none. */
    bool train;
    const double *ty;
    size_t tn;
    /* The sum of the squares of ae's top_k largest values, when the quantiles' passes
     * found it (top_k = vn__tail_k(n)); top_k 0: not found (the heavy-tail note selects
     * them). */
    size_t top_k;
    double top_sq;
} vn__rowset;

/* How many of n rows are the worst 1 % that the heavy-tail note weighs (0 below 100). */
static inline size_t vn__tail_k(size_t n) { return n >= 100 ? (n + 99) / 100 : 0; }

/* ---- binary classification: a 0/1 label y and a score ŷ (binary.c) ---- */
/* The scores of a slice's positive and negative rows, each sorted ascending (with their
 * weights when weighted), made once by the first binary metric that needs them and read
 * by the others. Zero-initialise; vn__bincache_clear frees. */
typedef struct vn__bincache {
    bool ready;
    size_t np, nn;              /* positive rows (y = 1), negative rows (y = 0) */
    double *ps, *ns;            /* their scores, ascending */
    double *pw, *nw;            /* their weights in the same order; NULL unweighted */
    vn__ksum P, N;              /* total weight of each class */
    uint64_t bad;               /* rows whose label is neither 0 nor 1 */
    double bad_y;               /* the first such label */
} vn__bincache;
void vn__bincache_clear(vn__bincache *c);
/* Is kind a binary classification metric; an operating point reported with its
 * threshold (vn_value.threshold)? */
bool vn__binkind(vn__kind kind);
bool vn__has_threshold(vn__kind kind);
/* The value of binary metric ms on a slice's stored rows (rows->bin used as a cache
 * when set); for operating points also v->threshold. As vn__metric_value. */
vn_status vn__binary_value(const vn__mspec *ms, const vn__rowset *rows, vn_value *v, char *msg,
                           size_t len);

/* Tweedie unit deviance of (y, ŷ) with power pw, as scikit-learn writes it; *bad is set
 * when (y, ŷ) lies outside the power's domain (the value is then 0). */
double vn__tweedie_dev(double y, double p, double pw, bool *bad);
/* The per-row losses of acc.c: Huber and pseudo-Huber with parameter d, log cosh. */
double vn__huber(double e, double d);
double vn__pseudo_huber(double e, double d);
double vn__log_cosh(double e);

typedef struct vn__opts {
    vn_zero_policy zero;
    vn_r2_constant r2c;
} vn__opts;

/* Marks v undefined (NaN) with reason r and a message formatted into msg; VN_OK. */
vn_status vn__undefined(vn_value *v, vn_reason r, char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Computes metric ms for one slice. rows is NULL unless the plan stores rows. The
 * message is written to msg (msglen bytes); returns VN_ERR_NOMEM if scratch space
 * could not be had, else VN_OK with *val set. */
vn_status vn__metric_value(const vn__mspec *ms, const vn__acc *a, const vn__rowset *rows,
                           const vn__opts *o, vn_value *val, char *msg, size_t msglen);

/* ---- output helpers (output.c), shared by the comparison's writers ---- */
/* "overall" or "a=x,b=y" into buf. */
const char *vn__slice_label(const vn_result *r, size_t s, char *buf, size_t len);
/* src made safe for people's formats into buf: control characters become spaces; with md,
 * | & < > are escaped so a value cannot break a Markdown table or inject markup. */
const char *vn__clean(const char *src, char *buf, size_t len, bool md);
/* JSON: a number at full precision, or null for NaN / inf; a string, or null when NULL or "". */
void vn__json_num(FILE *fp, double x);
void vn__json_opt_str(FILE *fp, const char *s);
/* A p-value for people: "<0.001", "0.042"; "" for NaN. */
void vn__format_p(char *buf, size_t len, double p);
/* A value rounded for reading (6 significant digits; counts as integers; "n/a"). */
void vn__human(char *buf, size_t len, double x, const vn__mspec *ms);

/* ---- what the comparison (compare.c) reads from an evaluation (eval.c) ---- */
typedef struct vn__eval_view {
    const vn__plan *plan;
    const vn__mspec *ms;
    size_t nms;
    const vn__opts *opts;
    bool weighted;
    uint64_t min_count;
    int threads;
} vn__eval_view;
void vn__eval_get_view(const vn_eval *ev, vn__eval_view *v);
/* Keep every slice's rows (for resamples); call before the first row. */
void vn__eval_keep_rows(vn_eval *ev);
/* The stored rows of slice s in row order (nq = 0); valid until vn_eval_free, also after
 * vn_eval_finish. Needs vn__eval_keep_rows. */
void vn__eval_slice_rows(const vn_eval *ev, size_t s, vn__rowset *rows);
/* The distinct quantile levels of |e| metrics ms[0..nms) ask for, ascending, into q
 * (room for nms); returns their number. */
size_t vn__quantile_levels(const vn__mspec *ms, size_t nms, double *q);
/* The columns of the CSV file r holding the evaluation's input columns into
 * xcol[0..vn_eval_column_count); a missing one is an error naming the metric that reads it. */
typedef struct vn__csv vn__csv;
vn_status vn__eval_find_inputs(const vn_eval *ev, const vn__csv *r, size_t *xcol, char *errbuf,
                               size_t errlen);
/* Input accounting for rows fed through vn_eval_update by a reader outside eval.c. */
vn_status vn__eval_set_input(vn_eval *ev, const char *source, const char *y, const char *yhat,
                             const char *weight, uint64_t rows_read, uint64_t rows_missing,
                             const char *data_hash);


/* Evaluates the metrics on one row set from scratch, exactly as a slice with these rows
 * in this order would be (blocks folded in order, quantile levels qs[0..nq) of |e|
 * precomputed): out[m] receives each value (NaN when undefined). x[0..nx): the input
 * columns (NULL when nx is 0). For resamples. */
vn_status vn__eval_rows(const vn__plan *plan, const vn__mspec *ms, size_t nms, const vn__opts *o,
                        const double *qs, size_t nq, const double *y, const double *p,
                        const double *w, const double *const *x, size_t nx, size_t n,
                        bool weighted, double *out);

/* ---- the bootstrap and its helpers (ci.c) ---- */

/* The metrics on R resamples of rows: theta[r*nms + m] is metric m on resample r (NaN
 * when undefined there). Resample r of slice number slice_no draws the same row
 * indices for any rows with the same n (the counter-based generator of
 * docs/intervals.md), so two calls that differ only in the predictions are paired.
 * block >= 2: the moving-block bootstrap. The values do not depend on threads. */
vn_status vn__boot_theta(const vn__plan *plan, const vn__mspec *ms, size_t nms,
                         const vn__opts *o, const double *qs, size_t nq, const vn__rowset *rows,
                         uint64_t seed, uint64_t slice_no, size_t block, size_t R, int threads,
                         double *theta);
/* The standard normal CDF and its inverse (±inf at 0 and 1). */
double vn__norm_cdf(double x);
double vn__norm_ppf(double p);
/* numpy's linear percentile of v[0..n) at fraction q (v untouched); NaN if out of memory. */
double vn__sample_quantile(const double *v, size_t n, double q);
/* The per-row term whose weighted mean is the metric (mae: |e|, mse and rmse: e², ...),
 * or false if the metric is not such a mean (or a function of one). *use = false
 * leaves the row out (mape/mpe under --zero skip). */
bool vn__row_term(const vn__mspec *ms, const vn__opts *o, double y, double p, double *x,
                  bool *use);

/* ---- resamples evaluated from row multiplicities (boot.c) ----
 * A resample (or jackknife subset) of a slice's rows is given by how many times each row
 * is in it. Most metrics can be computed from that without gathering the rows; the
 * counter prepares per-row terms once per slice and evaluates batches of resamples. */
typedef struct vn__counter vn__counter;

/* Prepares the count-based evaluation of metrics ms[0..nms) (plan, quantile levels
 * qs[0..nq) of |e|) on a slice's rows. Every argument is borrowed until
 * vn__counter_free. *out is NULL (with VN_OK) when no metric can be evaluated this way,
 * or when the per-row terms overflow (the gathered path then reports the overflow). */
vn_status vn__counter_new(const vn__plan *plan, const vn__mspec *ms, size_t nms,
                          const vn__opts *o, const double *qs, size_t nq,
                          const vn__rowset *rows, vn__counter **out);
void vn__counter_free(vn__counter *c);
/* Metric m is evaluated by the counter (false for mda, mase, rmsse, ranks, d2_*,
 * nrmse:norm=iqr, and for every metric when c is NULL). */
bool vn__counter_has(const vn__counter *c, size_t m);
/* B resamples of all rows, resample b taking row i cnt[b][i] times (Σ_i = the number of
 * rows): theta[b*nms + m] for the metrics the counter has (others untouched), as
 * vn__eval_rows would give them on the gathered rows to within the last bits. ok[b] is
 * false when resample b must be evaluated from its gathered rows instead (a centred
 * moment would lose accuracy). The values do not depend on B. */
vn_status vn__counter_eval(const vn__counter *c, const uint8_t *const *cnt, size_t B,
                           double *theta, bool *ok);
/* The jackknife subsets: rows [g·n/G, (g+1)·n/G) left out, g = 0 … G−1; jack[g*nms + m]
 * and ok[g] as for vn__counter_eval. */
vn_status vn__counter_jack(const vn__counter *c, size_t G, double *jack, bool *ok);

/* Confidence intervals (ci.c). */
/* vn__ci_cfg.block of a result whose blocks were ceil(n^(1/3)) rows per slice. */
#define VN_BLOCK_AUTO ((size_t)-1)

typedef struct vn__ci_cfg {
    double level;
    vn_ci_method method;
    uint32_t resamples;
    uint64_t seed;
    size_t block;
    int threads;
} vn__ci_cfg;

/* Fills lo, hi, ci_method, ci_note of vals[0..nms) (whose values are the point
 * estimates of slice number slice_no on rows) per the configuration. */
vn_status vn__ci_slice(const vn__plan *plan, const vn__mspec *ms, size_t nms, const vn__opts *o,
                       const double *qs, size_t nq, const vn__rowset *rows, uint64_t slice_no,
                       const vn__ci_cfg *cfg, vn_value *vals);

/* ---- the result model (result.c), filled by eval.c ---- */
#define VN_MSG_LEN 200

typedef struct vn__slice_out {
    char **values; /* by_count strings, NULL for the overall slice */
    uint64_t rows;
} vn__slice_out;

struct vn_result {
    size_t nmetrics;
    vn__mspec *ms;
    size_t by_count;
    char **by_names;
    size_t nslices;
    vn__slice_out *slices;
    vn_value *values; /* nslices x nmetrics */
    char *msgs;       /* nslices x nmetrics x VN_MSG_LEN */
    size_t nnotes, notes_cap;
    vn_note *notes;   /* code static; message owned */
    vn_input_info input; /* strings owned */
    vn__opts opts;
    uint64_t min_count;
    vn__ci_cfg ci;       /* ci.level == 0: no intervals were asked for */
    struct vn__plots *plots; /* the report's summaries (vn_eval_keep_plots), or NULL */
};

/* Adds a note (message copied). */
vn_status vn__note_add(vn_result *res, const char *code, size_t slice, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Notes on crossing intervals and quantiles (counts, not fixed) of the metrics over
 * input columns, for slice s (interval.c). */
vn_status vn__xmetric_notes(vn_result *res, size_t s, const vn__mspec *ms, size_t nms,
                            const vn__rowset *rows);

/* Plain-language notes on slice s from its state and (optionally) stored rows;
 * `moments` says whether the state carries the centred moments (NEED_MOM). */
vn_status vn__notes_slice(vn_result *res, size_t s, const vn__acc *a, const vn__rowset *rows,
                          bool moments);

/* ---- custom metrics (custom.c): expressions, and metrics implemented in C ---- */
struct vn__umetric {
    vn_metric_info info;     /* id = the name; strings owned below */
    char *name, *unit, *summary, *definition;
    vn__expr *expr;          /* an expression metric */
    const vn_metric_def *def; /* a C metric (borrowed) */
    size_t *col;             /* C: its columns' indices in the names table */
    size_t state_off;        /* C: its state's offset in the custom area of vn__acc */
};

/* If item s[0..len) of a metric list is a custom metric — a definition
 * "name[options]=expression" or the name of one of defs[0..ndefs) — fills ms (*matched
 * true); errors name the metric ("metric cost: expression:1:17: ..."). */
vn_status vn__custom_parse(const char *s, size_t len, const vn_metric_def *defs, size_t ndefs,
                           vn__names *cols, vn__mspec *ms, bool *matched, char *errbuf,
                           size_t errlen);
/* Checks definitions passed through vn_eval_config (VN_ERR_USAGE with the reason). */
vn_status vn__custom_check_defs(const vn_metric_def *defs, size_t ndefs, char *errbuf,
                                size_t errlen);
void vn__custom_free(vn__umetric *um);
/* The slots metric um uses, and their description in slots[0..n). */
size_t vn__custom_nslots(const vn__umetric *um);
void vn__custom_slots(const vn__umetric *um, vn__slot *slots);
/* The value of custom metric ms on a slice (state a, stored rows or NULL), as
 * vn__metric_value (which calls it) describes. */
vn_status vn__custom_value(const vn__mspec *ms, const vn__acc *a, const vn__rowset *rows,
                           vn_value *v, char *msg, size_t len);
/* A copy of info and its strings in one block of vn__info_size(info) bytes at mem (for
 * results, which outlive the metric list). */
size_t vn__info_size(const vn_metric_info *info);
const vn_metric_info *vn__info_copy(const vn_metric_info *info, void *mem);
/* The row program of an expression of the form mean(x) or sqrt(mean(x)) (a weighted mean
 * of a per-row term, or its root), *root telling which; NULL otherwise. */
const vn__prog *vn__custom_mean_term(const vn__mspec *ms, bool *root);

/* Rows' input columns held back for a time sort, in the order rows were added (the
 * readers of eval.c and compare.c). */
typedef struct vn__xbuf {
    double *v; /* n x nx */
    size_t nx, n, cap;
} vn__xbuf;
vn_status vn__xbuf_add(vn__xbuf *b, const double *row);
void vn__xbuf_free(vn__xbuf *b);

#endif /* VN_EVAL_H */
