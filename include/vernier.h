/*
 * vernier.h — the public C API of libvernier, an evaluation engine for regression models.
 *
 * This header is the contract: anything not declared here is not API. The `vernier`
 * command-line tool and the Python binding use nothing else.
 *
 * Conventions that hold for every function below:
 *  - Functions that can fail return a vn_status. VN_OK is 0; every other value is an
 *    error whose detailed, located message ("data.csv:1042:3: column \"y_pred\": not a
 *    number: \"n/a\"") is kept on the handle and read with the handle's errmsg function.
 *  - Handles are opaque, created by vn_X_new(..., vn_X **out) and destroyed by
 *    vn_X_free(x), which accepts NULL. On failure *out is set to NULL.
 *  - Input arrays are borrowed for the duration of the call only and never modified.
 *    Arrays take a stride in elements so that strided views need no copy.
 *  - Strings returned by the library are owned by the handle they came from and stay
 *    valid until that handle is freed.
 *  - The library never prints, exits or aborts on bad input.
 *  - A handle belongs to one thread at a time. A finished vn_result is immutable and may
 *    be read from several threads at once. There is no mutable global state apart from
 *    the allocator hook, which is set once before any other call.
 *  - Prediction error is e = yhat - y: a positive error is an over-prediction.
 */
#ifndef VERNIER_H
#define VERNIER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VN_VERSION "0.1.0"
#define VN_VERSION_NUMBER 100 /* major*10000 + minor*100 + patch */

/* Schema version of the JSON document written by vn_result_write(VN_FORMAT_JSON). */
#define VN_JSON_SCHEMA "vernier.eval/1"

/* ---------------------------------------------------------------------------------
 * Status codes. Values are fixed forever: never renumbered, never removed.
 * ------------------------------------------------------------------------------- */
typedef enum vn_status {
    VN_OK = 0,
    VN_ERR_USAGE = 1,    /* a bad argument: unknown metric, bad parameter, bad option */
    VN_ERR_DATA = 2,     /* the input data is invalid: parse error, missing value, ... */
    VN_ERR_IO = 3,       /* a file could not be opened, read or written */
    VN_ERR_NOMEM = 4,    /* an allocation failed */
    VN_ERR_INTERNAL = 5, /* a broken invariant inside the library: a bug */
} vn_status;

/* A static, one-line English description of a status ("data error"). Never NULL. */
const char *vn_strerror(vn_status status);

/* The library version string, VN_VERSION of the library actually linked. */
const char *vn_version(void);

/* ---------------------------------------------------------------------------------
 * Allocation hook.
 *
 * Every allocation the library makes goes through one function, so that an embedding
 * program can account for memory and tests can fail the Nth allocation. The hook has
 * realloc semantics: (ptr=NULL, size>0) allocates, (ptr, size=0) frees and returns
 * NULL, otherwise resizes. Returning NULL for size>0 means out of memory; the library
 * then returns VN_ERR_NOMEM cleanly from the call in progress.
 *
 * Set it once, before any other call and before any thread uses the library (as with
 * SQLite's sqlite3_config). Passing NULL restores the default (the C library's realloc
 * and free).
 * ------------------------------------------------------------------------------- */
typedef void *(*vn_alloc_fn)(void *ud, void *ptr, size_t size);
void vn_set_allocator(vn_alloc_fn fn, void *ud);

/* ---------------------------------------------------------------------------------
 * The metric catalog.
 *
 * One registry describes every metric: its stable id, its parameters, whether lower or
 * higher is better, its unit and its definition. See docs/metrics.md.
 * ------------------------------------------------------------------------------- */
typedef enum vn_direction {
    VN_LOWER_IS_BETTER = 0,
    VN_HIGHER_IS_BETTER = 1,
    VN_NO_DIRECTION = 2, /* signed metrics such as mean_error: closer to 0 is better */
} vn_direction;

typedef struct vn_metric_info {
    const char *id;         /* stable id, e.g. "huber" */
    const char *params;     /* parameter signature with defaults, e.g. "delta=1"; "" if none;
                               a parameter without default is written "p" (required) */
    const char *aliases;    /* comma-separated aliases, e.g. "bias"; "" if none */
    vn_direction direction;
    const char *unit;       /* "" (same unit as y), "%", "1" (dimensionless), "rows", ... */
    const char *summary;    /* one line */
    const char *definition; /* the formula and edge-case rule, plain text */
} vn_metric_info;

/* Number of metrics in the catalog, and the i-th (0-based, catalog order). */
size_t vn_metric_count(void);
const vn_metric_info *vn_metric_at(size_t i);
/* The metric with this id or alias, or NULL. */
const vn_metric_info *vn_metric_find(const char *id_or_alias);

/* The default battery used when no metric list is given, as a metric-list string. */
const char *vn_default_metrics(void);

/* What y and yhat are (vn_eval_config.task). */
typedef enum vn_quantiles {
    VN_QUANTILES_EXACT = 0,  /* exact, by selection over the kept |e| (default) */
    VN_QUANTILES_SKETCH = 1, /* a mergeable sketch: flat memory, bounded error */
} vn_quantiles;

typedef enum vn_task {
    VN_TASK_REGRESSION = 0, /* y and yhat are numbers (default) */
    VN_TASK_BINARY = 1,     /* y is a binary label, 0 or 1, and yhat a score where higher
                               means "more likely 1" (a probability for log_loss, brier
                               and ece); labels are checked as rows are read */
} vn_task;

/* The default battery of a task, as a metric-list string (vn_default_metrics() for
 * VN_TASK_REGRESSION); NULL for an unknown task. */
const char *vn_task_default_metrics(vn_task task);

/* ---------------------------------------------------------------------------------
 * Evaluation.
 *
 * An evaluation is planned once from a metric list, fed rows (from arrays or a CSV
 * file) and finished into an immutable result. Rows can be split into slices (one row
 * per distinct value of one or more "by" columns); the overall slice always exists.
 *
 * Determinism: rows of every slice are accumulated in fixed blocks of that slice's own
 * row sequence and block states are merged in order, so results are bit-identical for
 * any thread count and any way of splitting the rows into update calls.
 * ------------------------------------------------------------------------------- */

/* How mape and mpe treat rows with y == 0 (METRICS.md, "zero policy"). */
typedef enum vn_zero_policy {
    VN_ZERO_NAN = 0,  /* undefined when any weighted row has y == 0 (default) */
    VN_ZERO_SKIP = 1, /* those rows are left out of mape/mpe only; the count is reported */
    VN_ZERO_EPS = 2,  /* scikit-learn's max(|y|, DBL_EPSILON) */
} vn_zero_policy;

/* What r2 and explained_variance return for a constant y. */
typedef enum vn_r2_constant {
    VN_R2_UNDEFINED = 0, /* NaN with reason "constant_y" (default) */
    VN_R2_SKLEARN = 1,   /* scikit-learn's force_finite: 1.0 if SS_res == 0, else 0.0 */
} vn_r2_constant;

/* What a reader does with an empty cell, NaN or +-Inf in a y, prediction or weight column. */
typedef enum vn_missing {
    VN_MISSING_ERROR = 0, /* an input error naming file, line and column (default) */
    VN_MISSING_SKIP = 1,  /* the row is dropped and counted */
} vn_missing;

/* How confidence intervals are computed (docs/intervals.md). */
typedef enum vn_ci_method {
    VN_CI_AUTO = 0,       /* analytic where it exists and n >= 5000, else BCa */
    VN_CI_PERCENTILE = 1, /* bootstrap percentile */
    VN_CI_BCA = 2,        /* bootstrap bias-corrected and accelerated (jackknife a) */
    VN_CI_ANALYTIC = 3,   /* CLT / delta method / order statistics; none where invalid */
} vn_ci_method;

typedef struct vn_metric_def vn_metric_def; /* a metric implemented in C, below */

typedef struct vn_eval_config {
    const char *metrics;         /* metric list "mae,huber:delta=2,pinball:q=0.9";
                                    NULL or "" = vn_default_metrics(). Items are separated
                                    by commas outside parentheses, brackets and quotes; an
                                    item "name[options]=expression" defines a custom metric
                                    (docs/expressions.md), e.g.
                                    "cost[lower,unit=USD]=sum(abs(e) * price)" */
    vn_zero_policy zero_policy;
    vn_r2_constant r2_constant;
    size_t by_count;             /* number of slice columns (0 = overall only) */
    const char *const *by_names; /* their names, by_count entries (copied) */
    uint64_t min_count;          /* slices with fewer rows are listed, metrics undefined */
    int threads;                 /* worker threads; 0 = one per online CPU, 1 = none */
    /* Confidence intervals (ci_level 0 = none, else in (0, 1), e.g. 0.95). Resamples
     * come from a counter-based generator keyed by seed, slice and resample number, so
     * intervals are identical for any thread count. block_size >= 2 selects the
     * moving-block bootstrap (time-ordered rows); 0 the ordinary bootstrap. */
    double ci_level;
    vn_ci_method ci_method;
    uint32_t resamples;          /* bootstrap resamples (default 2000) */
    uint64_t seed;
    size_t block_size;
    /* Metrics implemented in C that the metric list may name (vn_metric_def below); the
     * definitions are borrowed until vn_eval_free. */
    size_t custom_count;
    const vn_metric_def *custom;
    /* VN_TASK_BINARY: every y must be 0 or 1 (else VN_ERR_DATA naming the row, or
     * file:line:column), and NULL or "" metrics select vn_task_default_metrics. */
    vn_task task;
    /* Quantiles of |e| (medae, pNN_abs_error): VN_QUANTILES_EXACT keeps |e| of every row
     * (8 bytes a row); VN_QUANTILES_SKETCH keeps a mergeable sketch instead (memory flat
     * in the rows; each quantile within 0.39 % of the exact value, the rank error bound
     * in a note), unless something else keeps the rows anyway (intervals, ranks). */
    vn_quantiles quantiles;
    /* Forecasting (docs/forecasting.md). series = 1: the by columns identify the series
     * (one slice per series; rows in time order within each, e.g. vn_csv_config.time).
     * The overall slice's mase, rmsse and mda are then the unweighted means of the
     * defined per-series values (the M4 convention), not one value over the rows of all
     * series mixed; series where a value is undefined are left out and counted in the
     * message. Every other metric of the overall slice is over all rows as usual.
     * Neither this nor numeric_slices nor a training file is kept in a saved state. */
    int series;
    /* numeric_slices = 1: slices are listed by the number in their first by column
     * (forecast horizons 1, 2, ..., 10, not 1, 10, 2), then by their key's bytes; keys
     * whose first value is not a number come after the numbers. 0: first appearance. */
    int numeric_slices;
} vn_eval_config;

/* Fills a config with the defaults: default battery, VN_ZERO_NAN, VN_R2_UNDEFINED,
 * no slices, min_count 0, threads 1, no intervals (VN_CI_AUTO, 2000 resamples, seed 0
 * when ci_level is set). */
void vn_eval_config_init(vn_eval_config *cfg);

typedef struct vn_eval vn_eval;

/* Plans an evaluation. On VN_ERR_USAGE (unknown metric, bad parameter) the message is
 * written to errbuf (if not NULL, up to errlen bytes, NUL-terminated) since no handle
 * exists. */
vn_status vn_eval_new(const vn_eval_config *cfg, vn_eval **out, char *errbuf, size_t errlen);
void vn_eval_free(vn_eval *ev);

/* The detailed message of the last error on this handle ("" if none). */
const char *vn_eval_errmsg(const vn_eval *ev);

/* Interns a slice key: values[0..by_count) are the values of the by columns for a row
 * (each a byte string of the given length; lens may be NULL for NUL-terminated
 * strings). *id receives the slice id to pass in vn_rows.slice. Ids are dense from 0 in
 * order of first appearance. */
vn_status vn_eval_slice(vn_eval *ev, const char *const *values, const size_t *lens,
                        uint32_t *id);

/* A batch of rows. y and yhat are required; w (weights) and slice may be NULL. Strides
 * are in elements (1 = contiguous). A row with w == 0 is ignored everywhere; a negative
 * or non-finite weight, or a non-finite y or yhat, is VN_ERR_DATA (row numbers in the
 * message count from 1 over all rows ever passed). */
typedef struct vn_rows {
    size_t n;
    const double *y;
    ptrdiff_t y_stride;
    const double *yhat;
    ptrdiff_t yhat_stride;
    const double *w;
    ptrdiff_t w_stride;
    const uint32_t *slice; /* ids from vn_eval_slice, stride 1 */
} vn_rows;

vn_status vn_eval_update(vn_eval *ev, const vn_rows *rows);

/* Reading CSV/TSV input directly (RFC 4180; gzip detected by its magic bytes; "-" is
 * standard input). Columns are named by header name or by 1-based index ("3"). */
typedef struct vn_csv_config {
    char delimiter;         /* 0 = from the name: '\t' for *.tsv / *.tsv.gz, else ',' */
    int header;             /* 1 = the first record is a header (default), 0 = none */
    vn_missing missing;
    const char *y;          /* actual column (required) */
    const char *yhat;       /* prediction column (required) */
    const char *weight;     /* weight column or NULL */
    const char *const *by;  /* by_count slice columns (vn_eval_config.by_count) or NULL */
    size_t max_field;       /* longest field accepted in bytes; 0 = 1 MiB */
    int hash;               /* 1: compute a content hash of the (decompressed) input
                               bytes, reported in vn_input_info.data_hash */
    const char *time;       /* a time column or NULL: rows are put in stable time order
                               (numbers, or text that sorts in time order such as ISO
                               8601) before anything order-dependent (mda, mase, moving
                               blocks); intervals then use moving blocks of
                               ceil(n^(1/3)) rows unless block_size is set */
} vn_csv_config;

void vn_csv_config_init(vn_csv_config *cfg);

/* Streams the whole file into the evaluation. Errors (VN_ERR_DATA, VN_ERR_IO) name
 * file:line:column; the evaluation is then unusable except for vn_eval_free. The input
 * columns that custom metrics read (vn_eval_column_name) are read from the file too, as
 * numbers under the same missing-value policy as y. */
vn_status vn_eval_csv(vn_eval *ev, const char *path, const vn_csv_config *cfg);

/* Training data for the seasonal-naive scale of mase and rmsse (`--train`): reads column
 * cfg->y of the CSV file at path (cfg->yhat and cfg->weight are not read), in the order
 * of cfg->time when set (else file order), as one training series per value of the by
 * columns cfg->by when the evaluation has series = 1, else as a single series. At finish
 * each slice's mase and rmsse take their scale from the training series with the same by
 * values (series = 1) or from the single series; a slice whose series is absent from the
 * file is undefined with reason VN_REASON_NO_TRAINING. Call at most once, before
 * vn_eval_finish. Errors (VN_ERR_DATA, VN_ERR_IO) name file:line:column; the evaluation
 * is then unusable except for vn_eval_free. Empty cells and non-finite y follow
 * cfg->missing. */
vn_status vn_eval_train_csv(vn_eval *ev, const char *path, const vn_csv_config *cfg);

/* Training data from memory, one series per call (Python's train=): the n values
 * y[i * stride], in time order, copied. by_values names the series when the evaluation
 * has series = 1 (one NUL-terminated string per by column, matched against the slices'
 * by values as vn_eval_train_csv matches the file's by columns), and is NULL otherwise:
 * the evaluation then takes one training series, whose scale serves every slice. The
 * scales are those vn_eval_train_csv gives for the same values, bit for bit; a slice
 * whose series was never given is undefined with reason VN_REASON_NO_TRAINING; a series
 * with fewer than m + 1 values gives an undefined mase/rmsse, not an error. Call before
 * vn_eval_finish. VN_ERR_USAGE: a series given twice, by_values given or missing against
 * the series setting, or training data already read with vn_eval_train_csv (the two do
 * not mix); VN_ERR_DATA: a non-finite value (the message names the series and the
 * value's position); VN_ERR_NOMEM. On error the evaluation is unusable except for
 * vn_eval_free. */
vn_status vn_eval_train_series(vn_eval *ev, const char *const *by_values, const double *y,
                               size_t n, ptrdiff_t stride);

/* ---------------------------------------------------------------------------------
 * Results.
 * ------------------------------------------------------------------------------- */
typedef struct vn_result vn_result;

/* Why a metric value is undefined (NaN). Values are fixed forever. */
typedef enum vn_reason {
    VN_REASON_NONE = 0,           /* the value is defined */
    VN_REASON_NO_ROWS = 1,        /* no rows with positive weight */
    VN_REASON_CONSTANT_Y = 2,     /* y is constant (r2, explained_variance, ...) */
    VN_REASON_ZERO_ACTUAL = 3,    /* y == 0 on some rows (mape, mpe under VN_ZERO_NAN) */
    VN_REASON_ZERO_DENOMINATOR = 4, /* a normaliser is 0 (wmape with sum|y| == 0, ...) */
    VN_REASON_DOMAIN = 5,         /* input outside the metric's domain (msle, deviances) */
    VN_REASON_TOO_FEW_ROWS = 6,   /* n too small (r2 with n < 2, adjusted_r2, mase, ...) */
    VN_REASON_CONSTANT_INPUT = 7, /* a constant column makes a correlation undefined */
    VN_REASON_MIN_COUNT = 8,      /* the slice has fewer rows than min_count */
    VN_REASON_OVERFLOW = 9,       /* the value is not finite in binary64 */
    VN_REASON_ONE_CLASS = 10,     /* a binary metric needs both labels; one is absent */
    VN_REASON_UNREACHABLE = 11,   /* no threshold reaches the asked operating point */
    VN_REASON_NO_TRAINING = 12,   /* mase/rmsse: the series is absent from the training data */
} vn_reason;

/* The stable machine-readable name of a reason ("constant_y"); "" for NONE. */
const char *vn_reason_name(vn_reason reason);

typedef struct vn_value {
    double value;        /* NaN when undefined */
    vn_reason reason;
    const char *message; /* one line: why it is undefined, or a remark on a defined value
                            (e.g. where mase took its scale); "" when there is none */
    double lo, hi;       /* the confidence interval; NaN when none was computed */
    const char *ci_method; /* "analytic", "percentile", "bca"; "" without an interval */
    const char *ci_note;   /* why there is no interval ("" when there is one or none
                              was asked for) */
    double threshold;    /* operating-point metrics (precision_at_recall, ...): the score
                            threshold t that achieves the value, rows with yhat >= t
                            predicted 1; NaN for every other metric and when undefined */
} vn_value;

/* Finishes the evaluation (the handle can then only be freed) and builds the result. */
vn_status vn_eval_finish(vn_eval *ev, vn_result **out);
void vn_result_free(vn_result *res);

/* Metrics, in the order requested. The key is the canonical spelling with parameters,
 * e.g. "huber:delta=2" or "mae"; the same key never appears twice. */
size_t vn_result_metric_count(const vn_result *res);
const char *vn_result_metric_key(const vn_result *res, size_t m);
const vn_metric_info *vn_result_metric_info(const vn_result *res, size_t m);

/* Slices: index 0 is the overall slice, then one per distinct key in order of first
 * appearance. Labels: the value of by column c for slice s (NULL for the overall). */
size_t vn_result_slice_count(const vn_result *res);
size_t vn_result_by_count(const vn_result *res);
const char *vn_result_by_name(const vn_result *res, size_t c);
const char *vn_result_slice_value(const vn_result *res, size_t s, size_t c);
uint64_t vn_result_slice_rows(const vn_result *res, size_t s); /* rows with w > 0 */

/* The value of metric m on slice s; VN_ERR_USAGE if out of range. */
vn_status vn_result_get(const vn_result *res, size_t s, size_t m, vn_value *out);

/* Notes: plain-language observations ("MAPE is undefined: 12 rows have y = 0 ..."). */
typedef struct vn_note {
    const char *code;    /* stable id: "mape_zero_actuals", "heavy_tail", "bias", ... */
    size_t slice;        /* the slice it is about */
    const char *message; /* one or two sentences */
} vn_note;
size_t vn_result_note_count(const vn_result *res);
const vn_note *vn_result_note(const vn_result *res, size_t i);

/* Input accounting, as reported in the outputs. */
typedef struct vn_input_info {
    const char *source;       /* file name, "-" for standard input, "" for arrays */
    const char *y, *yhat, *weight; /* column names ("" when not from a file) */
    uint64_t rows_read;       /* data records read */
    uint64_t rows_missing;    /* dropped under VN_MISSING_SKIP */
    uint64_t rows_zero_weight;/* rows with w == 0 */
    const char *data_hash;    /* 16 hex digits of a 64-bit content hash of the input bytes
                                 (vn_csv_config.hash), "" when not computed */
} vn_input_info;
const vn_input_info *vn_result_input(const vn_result *res);

/* ---------------------------------------------------------------------------------
 * Custom metrics.
 *
 * Two kinds take part in an evaluation like any built-in metric — slices, intervals,
 * comparisons, gates, every output format:
 *  - expressions in the metric list, "name[options]=expression" (docs/expressions.md):
 *    a formula over aggregations (mean, sum, wmean, quantile) of per-row values (y, yhat,
 *    e = yhat - y, w, and input columns by name), compiled once and run over blocks of
 *    rows. Options: lower (the default), higher or none (the better direction), and
 *    unit=TEXT. A malformed expression is VN_ERR_DATA with its position,
 *    "metric cost: expression:1:17: unknown function "foo"".
 *  - metrics implemented in C (vn_metric_def), passed in vn_eval_config.custom and named
 *    in the metric list by their name.
 *
 * Both may read input columns besides y and yhat. An evaluation lists the columns its
 * metrics read (vn_eval_column_count / _name); vn_eval_csv reads them from the file,
 * rows from memory pass them to vn_eval_update_columns.
 * ------------------------------------------------------------------------------- */

/* A block of rows as a C metric sees it: contiguous arrays of n rows (1 to 4096), every
 * row with w > 0 (w is 1 on every row when the evaluation has no weights); cols[k] is
 * the metric's column k (vn_metric_def.columns). Valid during the callback only. */
typedef struct vn_block {
    size_t n;
    const double *y, *yhat, *w;
    const double *const *cols;
} vn_block;

/* A metric implemented in C, as a mergeable state (like the built-in accumulators): the
 * rows of a slice are cut into blocks, each block is folded into a fresh state (init,
 * then block), and states are merged in row order (merge(a, b): a = a followed by b);
 * finish turns the slice's state into the value. The library copies states with memcpy,
 * so a state is plain bytes: no pointer into itself, no allocation of its own.
 * Determinism: blocks and merges depend only on each slice's row sequence, as for the
 * built-ins, so the value does not depend on the thread count — provided the callbacks
 * are deterministic. block and merge run on worker threads (threads > 1), several at
 * once on different states: they must not write to shared data (ud is shared).
 * Intervals come from the bootstrap (the rows of a resample, gathered), comparisons from
 * the paired bootstrap. */
struct vn_metric_def {
    const char *name;         /* its key: letters, digits, '_', '.', '-' (not a catalog id) */
    vn_direction direction;
    const char *unit;         /* NULL or "" = the unit of y */
    const char *summary;      /* one line for people (NULL = "custom metric") */
    size_t ncolumns;          /* input columns it reads besides y and yhat (at most 16) */
    const char *const *columns;
    size_t state_size;        /* bytes of state, 1 to 65536 (aligned for any type) */
    void (*init)(void *state, void *ud);  /* NULL: the state starts as zero bytes */
    void (*block)(void *state, const vn_block *rows, void *ud);
    void (*merge)(void *state, const void *other, void *ud);
    /* The value of a slice's state; NaN for undefined, with *reason set (it starts as
     * VN_REASON_DOMAIN). Not called for a slice without rows (no_rows). */
    double (*finish)(const void *state, vn_reason *reason, void *ud);
    void *ud;                 /* passed to every callback */
};

/* The input columns the evaluation's metrics read besides y, yhat and the weight, in the
 * order vn_eval_update_columns takes them. */
size_t vn_eval_column_count(const vn_eval *ev);
const char *vn_eval_column_name(const vn_eval *ev, size_t i); /* NULL when out of range */
/* Who reads column i, for messages: "metric coverage:lo=p05:hi=p95 reads it as lo",
 * "metric cost reads it at expression:1:22" (the first metric that reads it); NULL when
 * out of range. */
const char *vn_eval_column_use(const vn_eval *ev, size_t i);

/* vn_eval_update with the input columns: cols[k][i * strides[k]] is column k of row i
 * (strides NULL = all 1). A non-finite value is VN_ERR_DATA naming row and column. When
 * the evaluation reads columns, vn_eval_update alone is VN_ERR_USAGE. */
vn_status vn_eval_update_columns(vn_eval *ev, const vn_rows *rows, const double *const *cols,
                                 const ptrdiff_t *strides);

/* ---------------------------------------------------------------------------------
 * Output writers over one result model.
 * ------------------------------------------------------------------------------- */
typedef enum vn_format {
    VN_FORMAT_TABLE = 0, /* aligned text for people, values rounded */
    VN_FORMAT_CSV = 1,   /* one row per slice, one column per metric, full precision */
    VN_FORMAT_JSON = 2,  /* full precision (%.17g), schema VN_JSON_SCHEMA */
    VN_FORMAT_MD = 3,    /* a Markdown table and the notes */
} vn_format;

/* Parses "table", "csv", "json", "md"/"markdown"; VN_ERR_USAGE otherwise. */
vn_status vn_format_parse(const char *name, vn_format *out);

/* Writes the result to an open stream; VN_ERR_IO when the stream reports an error. */
vn_status vn_result_write(const vn_result *res, vn_format fmt, FILE *fp);

/* Helpers for writers outside the library (the CLI's other commands, bindings), so every
 * output spells strings and numbers the same way. vn_json_string writes s as a JSON
 * string literal (quote, backslash and control characters escaped). vn_format_double
 * writes into buf (len >= 32) the shortest of %.15g, %.16g, %.17g that reads back as x
 * (exact, and still readable: 0.1, not 0.10000000000000001), in the C locale; "" for
 * NaN or an infinity. */
void vn_json_string(FILE *fp, const char *s);
void vn_format_double(char *buf, size_t len, double x);
/* Writes s as one CSV text cell: quoted when it holds a comma, quote or line break, and
 * prefixed with ' inside quotes when a spreadsheet would run it as a formula (it starts
 * with =, +, -, @, tab or CR: OWASP "CSV injection"). */
void vn_csv_text(FILE *fp, const char *s);

/* ---------------------------------------------------------------------------------
 * Comparison: a baseline (champion) and a candidate (challenger) predicting the same rows.
 *
 * Both models are evaluated with the same metric plan and slices; each metric's paired
 * difference gets an interval and a two-sided p-value from the paired bootstrap (the
 * same resample indices for both models, so row-level correlation is kept) or, in
 * auto mode for n >= 5000, from the delta method on per-row terms where that is valid.
 * p-values are Holm-adjusted across every tested (metric, slice); a verdict says
 * better, worse or no detectable difference at the level. The Diebold–Mariano test
 * (HAC variance for horizon h, Harvey–Leybourne–Newbold correction) runs on per-row
 * loss differentials in row order. The decision: the candidate wins when the primary
 * metric is significantly better and no guard metric regresses (docs/compare.md).
 * ------------------------------------------------------------------------------- */
#define VN_COMPARE_JSON_SCHEMA "vernier.compare/1"

typedef enum vn_verdict {
    VN_VERDICT_UNTESTED = 0, /* no test: undefined value, exact metric, sample maximum */
    VN_VERDICT_SAME = 1,     /* no detectable difference at the level */
    VN_VERDICT_BETTER = 2,   /* the candidate is significantly better */
    VN_VERDICT_WORSE = 3,    /* the candidate is significantly worse */
} vn_verdict;

/* "untested", "no_difference", "better", "worse". */
const char *vn_verdict_name(vn_verdict v);

typedef struct vn_compare_config {
    /* Metrics, zero policy, slices, min_count and threads as for an evaluation; ci_level
     * is the test level (0 = 0.95); ci_method AUTO (analytic paired intervals where valid
     * and n >= 5000, else the paired bootstrap), PERCENTILE (always the bootstrap) or
     * ANALYTIC (only where valid; other metrics untested); BCA is VN_ERR_USAGE.
     * resamples, seed and block_size shape the bootstrap as for intervals. */
    vn_eval_config eval;
    const char *primary;        /* metric deciding the comparison (NULL: the first
                                   testable metric of the list); added if not listed */
    size_t guard_count;
    const char *const *guards;  /* "metric" (must not be significantly worse) or
                                   "metric:MARGIN" / "metric:MARGIN%" (non-inferiority:
                                   the upper bound of the worsening <= MARGIN, absolute
                                   or relative to the baseline's value); added if not
                                   listed */
    const char *dm_losses;      /* Diebold–Mariano losses: "squared,absolute" (NULL), any
                                   of squared, absolute, pinball:q=Q */
    int horizon;                /* forecast horizon h >= 1 of the DM test (0 = 1) */
    int no_adjust;              /* 1: report raw p-values (no Holm adjustment) */
} vn_compare_config;

void vn_compare_config_init(vn_compare_config *cfg);

typedef struct vn_compare vn_compare;

vn_status vn_compare_new(const vn_compare_config *cfg, vn_compare **out, char *errbuf,
                         size_t errlen);
void vn_compare_free(vn_compare *cmp);
const char *vn_compare_errmsg(const vn_compare *cmp);

/* As vn_eval_slice. */
vn_status vn_compare_slice(vn_compare *cmp, const char *const *values, const size_t *lens,
                           uint32_t *id);
/* Rows: rows->yhat is the baseline's prediction, candidate[i * stride] the candidate's.
 * Rows are taken to be in time order (the DM test and blocks use it). */
vn_status vn_compare_update(vn_compare *cmp, const vn_rows *rows, const double *candidate,
                            ptrdiff_t candidate_stride);
/* The input columns the metrics read (as vn_eval_column_count / _name), and
 * vn_compare_update with them (as vn_eval_update_columns; both models read the same). */
size_t vn_compare_column_count(const vn_compare *cmp);
const char *vn_compare_column_name(const vn_compare *cmp, size_t i);
const char *vn_compare_column_use(const vn_compare *cmp, size_t i);
vn_status vn_compare_update_columns(vn_compare *cmp, const vn_rows *rows, const double *candidate,
                                    ptrdiff_t candidate_stride, const double *const *cols,
                                    const ptrdiff_t *strides);

/* CSV input: both predictions in one file, or the candidate in a second file joined on a
 * key column (every key exactly once in each file; a key present in one file only is
 * VN_ERR_DATA naming it and its line). */
typedef struct vn_compare_csv {
    vn_csv_config csv;          /* csv.yhat is the baseline column; options apply to both files */
    const char *candidate;      /* the candidate's prediction column */
    const char *candidate_path; /* NULL: the candidate column is in the same file */
    const char *key;            /* the join key column (required with candidate_path) */
    const char *time;           /* a time column: rows are sorted by it (stable) before
                                   anything order-dependent; numbers, or text that sorts
                                   in time order (ISO 8601). NULL: file order */
} vn_compare_csv;

void vn_compare_csv_init(vn_compare_csv *cfg);
vn_status vn_compare_csv_read(vn_compare *cmp, const char *path, const vn_compare_csv *cfg);

typedef struct vn_comparison vn_comparison;

vn_status vn_compare_finish(vn_compare *cmp, vn_comparison **out);
void vn_comparison_free(vn_comparison *c);

/* The two evaluations (0 = baseline, 1 = candidate): metrics, slices, values and notes,
 * laid out alike. Owned by the comparison. */
const vn_result *vn_comparison_model(const vn_comparison *c, int which);

typedef struct vn_diff {
    double baseline, candidate; /* the two values (NaN when undefined) */
    double diff;      /* candidate − baseline; for metrics without a direction (mean_error,
                         mpe: 0 is ideal) |candidate| − |baseline| */
    double rel;       /* diff / |baseline| (NaN when the baseline is 0 or undefined) */
    double lo, hi;    /* the interval of diff at the level (NaN when none) */
    double p;         /* two-sided p-value of "no difference" (NaN when untested) */
    double p_adj;     /* Holm-adjusted over every tested (metric, slice); = p unadjusted */
    vn_verdict verdict;
    const char *method; /* "bootstrap", "analytic", "" */
    const char *note;   /* why untested; "" otherwise */
} vn_diff;

/* The comparison of metric m on slice s (indices as in vn_comparison_model). */
vn_status vn_comparison_get(const vn_comparison *c, size_t s, size_t m, vn_diff *out);

typedef struct vn_dm_info {
    const char *loss;   /* "squared", "absolute", "pinball:q=0.9" */
    uint64_t n;         /* rows (in order) */
    int h;
    double mean;        /* mean of loss(baseline) − loss(candidate): > 0 favours the candidate */
    double stat;        /* DM statistic */
    double stat_hln;    /* with the Harvey–Leybourne–Newbold correction */
    double p;           /* two-sided, Student t with n − 1 df on stat_hln */
    int bartlett;       /* 1: the truncated HAC variance was <= 0, Bartlett weights used */
    const char *note;   /* why there is no test ("" when there is one) */
} vn_dm_info;

size_t vn_comparison_dm_count(const vn_comparison *c); /* losses, per slice */
vn_status vn_comparison_dm(const vn_comparison *c, size_t s, size_t i, vn_dm_info *out);

typedef struct vn_guard_info {
    const char *metric;  /* the metric key */
    int has_margin, relative;
    double margin;       /* as given (a percentage when relative) */
    double limit;        /* the margin in the metric's unit (NaN without margin) */
    double bound;        /* the worst worsening the interval allows (NaN when untested) */
    int passed;
    const char *message; /* one line, plain words */
} vn_guard_info;

size_t vn_comparison_guard_count(const vn_comparison *c);
const vn_guard_info *vn_comparison_guard(const vn_comparison *c, size_t i);

/* The decision: 1 when the candidate wins (primary significantly better overall, every
 * guard passed), else 0; the primary metric's key; the decision in plain words. */
int vn_comparison_wins(const vn_comparison *c);
const char *vn_comparison_primary(const vn_comparison *c);
const char *vn_comparison_summary(const vn_comparison *c);

/* Writes the comparison (table, csv, json with schema VN_COMPARE_JSON_SCHEMA, md). */
vn_status vn_comparison_write(const vn_comparison *c, vn_format fmt, FILE *fp);

/* ---------------------------------------------------------------------------------
 * Gates: a version-controlled spec (`vernier.yaml`, docs/spec.md) says which metrics,
 * on which slices, must meet which thresholds; a check evaluates the data it names and
 * applies every gate to every chosen slice (docs/check.md).
 * ------------------------------------------------------------------------------- */
#define VN_CHECK_JSON_SCHEMA "vernier.check/1"

/* Validates a spec without reading data: VN_OK, VN_ERR_DATA with one line
 * "FILE:LINE:COL: message" in errbuf, or VN_ERR_IO when the file cannot be read. */
vn_status vn_spec_validate(const char *path, char *errbuf, size_t errlen);
/* The commented starter spec written by `vernier spec init` (valid as it stands). */
const char *vn_spec_template(void);

typedef struct vn_check_config {
    const char *spec;           /* the spec file ("vernier.yaml" when NULL; "-" = stdin) */
    const char *data;           /* overrides data.path when not NULL */
    const char *store;          /* overrides baseline.store when not NULL */
    int threads;                /* as vn_eval_config.threads */
} vn_check_config;

typedef enum vn_gate_status {
    VN_GATE_PASS = 0,
    VN_GATE_FAIL = 1,    /* an error-severity gate is not met */
    VN_GATE_WARN = 2,    /* a warn-severity gate is not met */
    VN_GATE_SKIPPED = 3, /* not applied: slice below min_count, baseline missing (skip) */
    VN_GATE_ERROR = 4,   /* could not be applied: metric undefined, no interval, ... */
} vn_gate_status;

/* "pass", "fail", "warn", "skipped", "error". */
const char *vn_gate_status_name(vn_gate_status s);

typedef struct vn_gate_result {
    const char *gate;       /* the gate's name (its `name`, else built from metric and bound) */
    const char *metric;     /* the spec's metric id */
    const char *slice;      /* "overall", "region=north", "price=[10, 100)", a filter's id */
    vn_gate_status status;
    int warn_only;          /* the gate's severity is warn */
    double value;           /* the number compared (the value or a CI bound); NaN if none */
    double reference;       /* the baseline's or the best constant model's value; NaN if none */
    double lo, hi;          /* the range value had to lie in (-inf / +inf when open) */
    uint64_t rows;          /* rows of the slice */
    const char *message;    /* one line, with the numbers */
    unsigned line, col;     /* the gate's position in the spec */
} vn_gate_result;

typedef struct vn_check vn_check;

/* Loads the spec, reads the data (and the baseline, and data.train's training file),
 * evaluates and applies the gates. Spec and data errors are VN_ERR_DATA
 * ("FILE:LINE:COL: ..."), unreadable files VN_ERR_IO (the training file's messages start
 * with the spec's "SPEC:LINE:COL: data.train: "); on error *out is NULL and the message
 * is in errbuf. */
vn_status vn_check_run(const vn_check_config *cfg, vn_check **out, char *errbuf, size_t errlen);
void vn_check_free(vn_check *c);
size_t vn_check_count(const vn_check *c);
const vn_gate_result *vn_check_at(const vn_check *c, size_t i);
/* 0: every error-severity gate passed; 1: one failed or could not be applied; 5: no
 * gate could be applied at all (every result skipped or error). The CLI's exit code. */
int vn_check_verdict(const vn_check *c);

/* Where the spec's `ci:` section asks for outputs (NULL when not asked), and its GitHub
 * mode (-1 auto: when GITHUB_ACTIONS is "true", 0 off, 1 on). */
const char *vn_check_junit_path(const vn_check *c);
const char *vn_check_markdown_path(const vn_check *c);
const char *vn_check_json_path(const vn_check *c);
int vn_check_github(const vn_check *c);

typedef enum vn_check_format {
    VN_CHECK_TABLE = 0,  /* the verdict table for people */
    VN_CHECK_JSON = 1,   /* schema VN_CHECK_JSON_SCHEMA */
    VN_CHECK_JUNIT = 2,  /* JUnit XML: one testcase per gate x slice */
    VN_CHECK_MD = 3,     /* a Markdown summary (at most 1 MiB, for $GITHUB_STEP_SUMMARY) */
    VN_CHECK_GITHUB = 4, /* GitHub workflow commands: ::error / ::warning, at most 10 */
} vn_check_format;

vn_status vn_check_write(const vn_check *c, vn_check_format fmt, FILE *fp);

/* ---------------------------------------------------------------------------------
 * Worst-slice discovery: where is the model bad? (`vernier slices`, docs/slices.md)
 *
 * Candidate slices are the values of categorical columns and quantile bins of numeric
 * columns and, at depth 2, conjunctions of two candidates from different columns. For
 * each: one metric on the slice and on the rest of the rows, their difference with a
 * normal (CLT) interval and a two-sided p-value, the slice's share of the rows and of
 * the total loss. The p-values are adjusted across every tested candidate (Holm or
 * Benjamini–Hochberg); the findings are the slices significantly worse than the rest
 * (at depth 2 also than both parents), largest worsening first.
 *
 * The metric is a weighted mean of a per-row term (mae, mse, mape, ...) or the square
 * root of one (rmse, rmsle), so a slice is a handful of sums over its rows: the file is
 * read once into memory, each column (pair of columns) is one pass over the rows into
 * per-candidate sums, and the rest is the total minus the slice. A slice's value is
 * the value `vernier eval --by` reports for the same rows.
 * ------------------------------------------------------------------------------- */
#define VN_SLICES_JSON_SCHEMA "vernier.slices/1"

typedef enum vn_adjust {
    VN_ADJUST_HOLM = 0, /* family-wise error rate (Holm 1979) */
    VN_ADJUST_BH = 1,   /* false discovery rate (Benjamini & Hochberg 1995) */
} vn_adjust;

typedef struct vn_slices_config {
    vn_csv_config csv;        /* y, yhat, weight, delimiter, header, missing, max_field;
                                 by, time and hash are not used */
    const char *metric;       /* one metric, e.g. "mae" (NULL) or "pinball:q=0.9"; others
                                 than weighted means of a per-row term (and rmse, rmsle)
                                 are VN_ERR_USAGE, the message lists the supported ones */
    vn_zero_policy zero_policy;
    size_t column_count;      /* candidate columns (name or 1-based index); 0 = every */
    const char *const *columns; /* column except y, yhat and weight */
    int depth;                /* 1 (default) or 2 */
    unsigned bins;            /* quantile bins per numeric column, 2 to 100 (default 5) */
    uint64_t min_count;       /* a slice and its rest need this many rows to be tested
                                 (default 30; at least 2 is always required) */
    size_t top;               /* findings to report (default 10; 0 = all) */
    vn_adjust adjust;
    double level;             /* of the intervals and the tests (default 0.95) */
    size_t max_values;        /* a categorical column with more distinct values is left
                                 out with a note (default 1000) */
    int threads;              /* worker threads for the passes over the rows (default 1;
                                 0 = one per CPU, 256 at most); the results do not
                                 depend on it */
} vn_slices_config;

/* Fills a config with the defaults above (metric NULL, csv as vn_csv_config_init). */
void vn_slices_config_init(vn_slices_config *cfg);

typedef enum vn_slice_status {
    VN_SLICE_WORSE = 0,           /* significantly worse than the rest (and, at depth 2,
                                     than both parents): a finding */
    VN_SLICE_BETTER = 1,          /* significantly better, likewise */
    VN_SLICE_NOT_SIGNIFICANT = 2, /* tested, neither of the above */
    VN_SLICE_TOO_FEW_ROWS = 3,    /* the slice, its rest or a parent's rest has fewer than
                                     min_count rows: not tested */
    VN_SLICE_UNDEFINED = 4,       /* the metric is undefined there (mape with y = 0, ...):
                                     not tested */
} vn_slice_status;

/* "worse", "better", "not_significant", "too_few_rows", "undefined". */
const char *vn_slice_status_name(vn_slice_status s);

/* One candidate slice. A numeric bin holds the rows with bin_lo < x <= bin_hi (-inf and
 * +inf at the ends); for a categorical value bin_lo and bin_hi are NaN. For metrics whose
 * ideal is 0 (mean_error, mpe) differences are |slice| - |other|, as in vn_diff. */
typedef struct vn_slice {
    const char *label;       /* "region=north", "distance<=3.2", "3.2<distance<=7.5",
                                "region=north & distance>12.1" */
    int depth;               /* 1 or 2 */
    const char *column[2];   /* the column of each condition; column[1] NULL at depth 1 */
    const char *cond[2];     /* the value, or the bin as "(3.2, 7.5]" */
    double bin_lo[2], bin_hi[2];
    vn_slice_status status;
    const char *note;        /* why it is untested; "" otherwise */
    size_t rank;             /* 1, 2, ... for the reported findings; 0 otherwise */
    uint64_t rows;           /* rows of the slice (weight > 0) */
    double row_share;        /* rows / all rows */
    double loss_share;       /* sum of w*|term| over the slice / over all rows */
    double value, rest;      /* the metric on the slice and on the other rows (NaN when
                                undefined) */
    double diff;             /* value - rest: > 0 is worse */
    double lo, hi;           /* the interval of diff at the level (per slice, unadjusted) */
    double p;                /* two-sided p-value of diff = 0; at depth 2 the largest of
                                it and parent_p[0], parent_p[1] (NaN when untested) */
    double p_adj;            /* adjusted across every tested candidate */
    double parent_diff[2];   /* depth 2: value - the metric on parent k's other rows */
    double parent_p[2];      /* and its p-value (NaN at depth 1) */
} vn_slice;

/* How one candidate column was used. */
typedef struct vn_slices_column {
    const char *name;
    const char *kind;        /* "categorical", "numeric" (binned) or "skipped" */
    size_t candidates;       /* values or bins (0 when skipped or constant) */
    const char *note;        /* why skipped, or why there is no candidate; "" otherwise */
} vn_slices_column;

/* What was searched, for the outputs. */
typedef struct vn_slices_info {
    const char *metric;      /* the metric key, "mae" */
    const char *source, *y, *yhat, *weight; /* weight "" when none */
    uint64_t rows_read, rows_missing, rows_zero_weight;
    uint64_t rows;           /* rows used (weight > 0) */
    double value;            /* the metric on all rows (NaN when undefined) */
    int depth;
    unsigned bins;
    uint64_t min_count;
    size_t max_values;
    vn_adjust adjust;
    double level;
    size_t tested;           /* candidates tested: the family of the adjustment */
    size_t worse;            /* candidates with status VN_SLICE_WORSE */
    uint64_t small_pairs;    /* depth 2: non-empty conjunctions below min_count, not listed */
} vn_slices_info;

typedef struct vn_slices vn_slices;

/* Reads path ("-" = stdin) and runs the search. Data errors are VN_ERR_DATA with a
 * located message ("data.csv:12:3: ..."), unreadable files VN_ERR_IO, bad settings
 * VN_ERR_USAGE; on error *out is NULL and the message is in errbuf. */
vn_status vn_slices_run(const char *path, const vn_slices_config *cfg, vn_slices **out,
                        char *errbuf, size_t errlen);
void vn_slices_free(vn_slices *s);

const vn_slices_info *vn_slices_summary(const vn_slices *s);
/* Every candidate listed (depth-2 ones only from min_count rows on): the reported
 * findings first, by rank; then the other candidates, largest diff first. */
size_t vn_slices_count(const vn_slices *s);
const vn_slice *vn_slices_at(const vn_slices *s, size_t i);   /* NULL when out of range */
size_t vn_slices_findings(const vn_slices *s); /* reported findings: min(top, worse) */
size_t vn_slices_column_count(const vn_slices *s);
const vn_slices_column *vn_slices_column_at(const vn_slices *s, size_t i);
/* Plain-language notes: columns left out, undefined metrics, nothing found. */
size_t vn_slices_note_count(const vn_slices *s);
const char *vn_slices_note(const vn_slices *s, size_t i);

/* Writes the findings (all = 1: every candidate) as a table, csv, json (schema
 * VN_SLICES_JSON_SCHEMA) or md. VN_ERR_IO when the stream reports an error. */
vn_status vn_slices_write(const vn_slices *s, vn_format fmt, int all, FILE *fp);

/* Adds the first max findings of a search to a result's notes (code "worst_slice", on
 * the overall slice), so that they appear wherever the result is written or logged
 * (`vernier eval --columns`). Call it before the result is shared between threads. */
vn_status vn_result_add_slice_findings(vn_result *res, const vn_slices *s, size_t max);

/* ---------------------------------------------------------------------------------
 * The run store: every evaluation can be recorded in one SQLite file (docs/store.md has
 * the schema, queryable with plain SQL). Writes are one transaction per run, so a
 * killed process leaves the whole run or none; the file is opened in WAL mode with a
 * 10 s busy timeout, so several processes may log at once. Store errors are VN_ERR_IO
 * (CLI exit code 4) unless said otherwise; messages start with the store's path.
 * A vn_store handle belongs to one thread at a time; lists read from it (vn_runs,
 * vn_run_values) own their strings and stay valid after vn_store_close. SQLite's own
 * memory does not go through the allocation hook.
 * ------------------------------------------------------------------------------- */
#define VN_STORE_SCHEMA 1  /* PRAGMA user_version of the stores this version writes */
#define VN_RUN_ID_LEN 16   /* run ids are 16 lowercase hex digits */

typedef struct vn_store vn_store;

/* Opens the store at path, creating it (and one missing parent directory) when missing;
 * path NULL or "" means $VERNIER_STORE, else ".vernier/runs.db". Migrates an older
 * schema forward; refuses a newer one ("store schema 2 is newer than this vernier
 * supports (1): upgrade vernier"), a file that is not a SQLite database, or a SQLite
 * database that is not a vernier store; a refused file is not modified. On error *out
 * is NULL and the message is in errbuf. */
vn_status vn_store_open(const char *path, vn_store **out, char *errbuf, size_t errlen);
void vn_store_close(vn_store *st);
const char *vn_store_errmsg(const vn_store *st);
const char *vn_store_path(const vn_store *st);

/* What vn_store_log records beside the result. Every pointer may be NULL. */
typedef struct vn_run_meta {
    const char *name;       /* a name for the run */
    const char *command;    /* "eval", "compare", "check" ("eval" when NULL) */
    const char *argv;       /* the command line as a JSON array of strings */
    const char *spec;       /* the metric list or the spec text */
    const char *git_commit; /* the commit of the working directory */
    size_t ntags;
    const char *const *tag_keys, *const *tag_values;
} vn_run_meta;

/* Records res (all slices, all metrics, values, reasons, input accounting and
 * data_hash) as one run in one transaction; on any error nothing is recorded. id (may
 * be NULL) receives the new run id, or "" on error. A repeated tag key keeps its last
 * value; an empty tag key or one containing '=' is VN_ERR_USAGE. */
vn_status vn_store_log(vn_store *st, const vn_result *res, const vn_run_meta *meta,
                       char id[VN_RUN_ID_LEN + 1]);

/* A run read back from a store. Strings are "" when absent, never NULL. */
typedef struct vn_run {
    const char *id;
    const char *created_at; /* ISO 8601 UTC with milliseconds: 2026-11-28T14:03:07.123Z */
    const char *name, *command, *argv, *spec;
    const char *source, *y, *yhat, *weight, *data_hash;
    const char *version, *git_commit;
    uint64_t rows_read, rows_used, rows_missing, rows_zero_weight;
    size_t ntags;
    const char *const *tag_keys, *const *tag_values; /* sorted by key */
} vn_run;

/* One stored value: a metric on a slice. The slice label joins "column=value" with ','
 * as the outputs print it, so it is ambiguous when values contain ',' or '='; the store
 * keeps the by-column values separately too (docs/store.md, run_slice_keys). */
typedef struct vn_run_value {
    const char *slice;   /* "overall", "region=north,tier=a" */
    const char *metric;  /* the metric key, "huber:delta=2" */
    const char *metric_id;
    double value;        /* NaN when undefined */
    double lo, hi;       /* the confidence interval; NaN when none was computed */
    const char *reason, *message; /* "" when none */
    uint64_t rows;       /* rows of the slice */
} vn_run_value;

typedef struct vn_runs vn_runs;             /* a list of runs; owns its strings */
typedef struct vn_run_values vn_run_values; /* the values of one run, in stored order */

/* Runs matching a selector, newest first (at most limit; 0 = all). Selectors: NULL or
 * "" (every run), "latest", "latest~N" (the N-th before the latest), an id or an id
 * prefix of at least 4 hex digits, "tag:KEY" or "tag:KEY=VALUE", "name:NAME".
 * VN_ERR_USAGE for a malformed selector. An empty list is not an error. */
vn_status vn_store_find(vn_store *st, const char *selector, size_t limit, vn_runs **out);
/* Exactly one run: the newest match; VN_ERR_USAGE when the selector matches none ("no
 * run matches \"tag:prod\"") or, for an id prefix, several. */
vn_status vn_store_get(vn_store *st, const char *selector, vn_runs **out);
size_t vn_runs_count(const vn_runs *runs);
const vn_run *vn_runs_at(const vn_runs *runs, size_t i);
void vn_runs_free(vn_runs *runs);

/* The values of the run with this full id (vn_run.id), slice by slice in result order,
 * metrics in requested order. VN_ERR_USAGE when there is no such run. */
vn_status vn_store_values(vn_store *st, const char *run_id, vn_run_values **out);
size_t vn_run_values_count(const vn_run_values *v);
const vn_run_value *vn_run_values_at(const vn_run_values *v, size_t i);
void vn_run_values_free(vn_run_values *v);

/* Sets tag key of the run with this full id to value (value NULL removes the tag).
 * VN_ERR_USAGE when there is no such run, or for a key that is empty or contains '='
 * (tag:KEY=VALUE could not select it). */
vn_status vn_store_tag(vn_store *st, const char *run_id, const char *key, const char *value);
/* Deletes the run with this full id and everything recorded with it. VN_ERR_USAGE when
 * there is no such run. */
vn_status vn_store_delete(vn_store *st, const char *run_id);

/* ---------------------------------------------------------------------------------
 * Reports: one self-contained HTML page, or a Markdown model card, over the results
 * above (docs/report.md). The page draws its charts as inline SVG from fixed-size
 * summaries (a density grid of predicted against actual, the error histogram, |e| by
 * decile of the prediction, the worst rows), so it stays under 1 MiB for any number of
 * rows; it loads nothing from anywhere (a Content-Security-Policy forbids it), works in
 * light and dark mode, and escapes every string that comes from the data.
 * ------------------------------------------------------------------------------- */

/* Keeps the rows and, at vn_eval_finish, builds the chart summaries of all rows into the
 * result (memory: the rows, 24 bytes each, plus 8-16 bytes each while building). Call
 * before the first row; VN_ERR_USAGE after it. */
vn_status vn_eval_keep_plots(vn_eval *ev);
/* The same for both models of a comparison. */
vn_status vn_compare_keep_plots(vn_compare *cmp);

/* For a report on the data a check read: an evaluation of the spec's data with its
 * policies, the spec's metrics (those on the data's own columns), the intervals of the
 * first metric that asks for them, the slices of the first `by` definition (with
 * data.horizon: the horizons, in numeric order), and vn_eval_keep_plots; with
 * data.series one slice per series and the pooled overall values, with data.train the
 * training scale (vn_eval_train_csv), as `vernier eval --series/--horizon/--train`. cfg
 * as given to vn_check_run (its data override and threads; may be NULL). Errors as for
 * vn_eval_csv and vn_eval_train_csv, the message in errbuf. */
vn_status vn_check_evaluate(const vn_check *c, const vn_check_config *cfg, vn_result **out,
                            char *errbuf, size_t errlen);

typedef enum vn_report_format {
    VN_REPORT_HTML = 0, /* the page */
    VN_REPORT_CARD = 1, /* a Markdown model card: data, metrics by slice, notes, and
                           placeholders for what only the owners know */
} vn_report_format;

typedef struct vn_report_config {
    const char *title;               /* NULL: "vernier report: FILE" */
    const vn_result *result;         /* the evaluation; ignored with a comparison */
    const vn_comparison *comparison; /* a comparison: its decision, the paired
                                        differences, and the candidate's evaluation */
    const vn_slices *slices;         /* worst-slice findings to show, or NULL */
    const vn_check *check;           /* gate results to show, or NULL */
    const char *metric;              /* the metric the headline and the slice chart
                                        show (key or id); NULL: the first metric with a
                                        direction that is not a count */
    const char *command;             /* the command line, shown in the footer, or NULL */
    size_t max_slices;               /* slices listed (the most rows first); 0 = 200 */
    const struct vn_diagnosis *diagnosis; /* residual diagnostics to show (vn_diagnose_run,
                                        below), or NULL */
    const struct vn_fairness *fairness; /* fairness gaps and rates to show
                                        (vn_fairness_new, below), or NULL */
} vn_report_config;

void vn_report_config_init(vn_report_config *cfg);

/* Writes the report. VN_ERR_USAGE when neither a result nor a comparison is given,
 * VN_ERR_NOMEM, VN_ERR_IO when the stream reports an error. Without
 * vn_eval_keep_plots the page has no charts of rows (the tables and the slice chart
 * remain). */
vn_status vn_report_write(const vn_report_config *cfg, vn_report_format fmt, FILE *fp);

/* ---------------------------------------------------------------------------------
 * Evaluation states that travel: an evaluation in progress as bytes, and the merge of
 * two, so that workers evaluate partitions of the rows and one process combines them
 * (Dask, Spark, Ray; `vernier eval --from-states`). The byte form is versioned
 * (docs/state.md): little-endian, length-checked, with a content hash; a buffer of
 * another format version, truncated or corrupted is refused with a message. Exact
 * metrics stay exact: states of metric lists that need order statistics or intervals
 * carry their rows (24 bytes each), so merging gives the evaluation of all rows.
 * Expression metrics over y, yhat, e and w are in it (the metric list carries their
 * definitions). Metrics defined in C, and metrics over input columns (coverage, wis,
 * crps_*, expressions naming a column ...: vn_eval_column_count > 0), have no byte form
 * in format 1; such evaluations still merge in memory (vn_eval_merge).
 * ------------------------------------------------------------------------------- */
#define VN_STATE_FORMAT 1

/* The state of ev (rows so far; ev is unchanged and stays usable) as a new buffer in
 * *out (free with vn_state_free), *outlen bytes. VN_ERR_USAGE for a failed evaluation or
 * one with C metrics or metrics over input columns; VN_ERR_NOMEM. Messages in errbuf. */
vn_status vn_eval_state_write(const vn_eval *ev, void **out, size_t *outlen, char *errbuf,
                              size_t errlen);
void vn_state_free(void *buf);

/* A new evaluation from a state (threads as vn_eval_config.threads): further rows,
 * merges and vn_eval_finish as for any evaluation. VN_ERR_DATA for a buffer that is not a
 * valid state of this format ("state: format 2 is newer than this vernier reads (1):
 * upgrade vernier"); VN_ERR_NOMEM. */
vn_status vn_eval_state_read(const void *buf, size_t len, int threads, vn_eval **out,
                             char *errbuf, size_t errlen);

/* Adds from's rows to into, after into's own (slices matched by their by values; order
 * matters only to order-dependent metrics such as mda and mase). Both must have the same
 * metric list, input columns, by columns, policies and interval settings, else
 * VN_ERR_USAGE with the difference in errbuf (into unchanged). from is unchanged. On
 * VN_ERR_NOMEM into is spent. Metrics over input columns and expression metrics merge
 * too (their stored rows carry the columns); sums are then exact to their compensated
 * accuracy, as for every metric, since blocks are summed in another grouping. */
vn_status vn_eval_merge(vn_eval *into, const vn_eval *from, char *errbuf, size_t errlen);

/* The number of by columns of an evaluation. */
size_t vn_eval_by_count(const vn_eval *ev);

/* ---------------------------------------------------------------------------------
 * Drift: has the data moved between a reference table (training data, last month) and
 * a current one? (`vernier drift`, docs/drift.md)
 *
 * Columns are matched by name. A column is numeric when every non-missing cell of both
 * files is a number, else categorical (its distinct texts). Per column: the population
 * stability index over quantile bins of the reference (psi), the two-sample
 * Kolmogorov–Smirnov statistic with its p-value (ks), the Wasserstein-1 distance divided
 * by the reference's standard deviation (wasserstein), the Jensen–Shannon distance
 * (jensen_shannon) and the chi-square test of homogeneity (chi2). One statistic per
 * column decides its verdict — by default chosen from the column's type and the
 * reference's size — and the share of drifted columns decides the dataset's.
 *
 * Memory: with ks or wasserstein the non-missing numbers of both files are held, 8 bytes
 * each. With only binned statistics (psi, jensen_shannon, chi2) nothing per row is held:
 * the reference is read two to five times (exact quantile bins by radix refinement, so
 * the bins are the ones the in-memory path would cut) and the current file once.
 * Categorical columns hold their distinct values and two counts each.
 * ------------------------------------------------------------------------------- */
#define VN_DRIFT_JSON_SCHEMA "vernier.drift/1"

typedef enum vn_drift_stat {
    VN_DRIFT_AUTO = 0,        /* the default test of each column (below) */
    VN_DRIFT_PSI = 1,         /* population stability index; drift when >= threshold */
    VN_DRIFT_KS = 2,          /* Kolmogorov–Smirnov; drift when p < threshold */
    VN_DRIFT_WASSERSTEIN = 3, /* Wasserstein-1 / reference sd; drift when >= threshold */
    VN_DRIFT_JS = 4,          /* Jensen–Shannon distance (natural log); >= threshold */
    VN_DRIFT_CHI2 = 5,        /* chi-square test of homogeneity; drift when p < threshold */
} vn_drift_stat;
#define VN_DRIFT_NSTATS 6

/* "auto", "psi", "ks", "wasserstein", "jensen_shannon", "chi2"; "?" out of range. */
const char *vn_drift_stat_name(vn_drift_stat s);
/* Parses those names (and "js", "chisquare"); VN_ERR_USAGE otherwise. */
vn_status vn_drift_stat_parse(const char *name, vn_drift_stat *out);

typedef struct vn_drift_config {
    char delimiter;           /* 0 = from each file's name (tab for *.tsv[.gz]) */
    int header;               /* 1 (default): first records are headers; 0: columns are
                                 named "1", "2", ... and matched by position */
    size_t max_field;         /* 0 = 1 MiB */
    size_t column_count;      /* columns to compare (0 = every column in both files) */
    const char *const *columns;
    unsigned stats;           /* statistics to compute, bits 1u << VN_DRIFT_PSI etc.;
                                 0 = all five. Without ks and wasserstein the files are
                                 streamed (above). */
    vn_drift_stat test;       /* the deciding statistic, VN_DRIFT_AUTO (default): numeric
                                 columns ks when the reference has <= small values, else
                                 wasserstein; categorical chi2, else jensen_shannon; a
                                 statistic that was not computed is replaced by psi. A
                                 test computed but not defined for the column type (ks
                                 or wasserstein on a categorical column) falls back to
                                 the auto choice. */
    double threshold[VN_DRIFT_NSTATS]; /* per statistic (index vn_drift_stat): psi 0.1,
                                 ks 0.05 (a p-value), wasserstein 0.1, jensen_shannon
                                 0.1, chi2 0.05 (a p-value) */
    unsigned bins;            /* quantile bins of a numeric column, 2 to 100 (default 10) */
    double psi_floor;         /* an empty bin's proportion in psi (default 1e-4) */
    double drift_share;       /* the dataset drifts when at least this share of the
                                 tested columns drift (default 0.5) */
    uint64_t small;           /* default 1000 */
    size_t max_values;        /* a non-numeric column with more distinct values is left
                                 out with a note (default 1000) */
    size_t max_collect;       /* streaming: values held per quantile before one more pass
                                 over the reference (default 262144; a tuning knob) */
} vn_drift_config;

/* Fills a config with the defaults above. */
void vn_drift_config_init(vn_drift_config *cfg);

/* One compared column. Statistics that were not computed, or are undefined for the
 * column, are NaN (and the note may say why). */
typedef struct vn_drift_column {
    const char *name;
    const char *kind;         /* "numeric", "categorical" or "skipped" */
    uint64_t ref_n, cur_n;    /* non-missing values */
    uint64_t ref_missing, cur_missing; /* empty cells (and, when numeric, NaN / inf) */
    size_t bins;              /* numeric: quantile bins after equal cuts merged;
                                 categorical: distinct values in either file */
    double ref_mean, cur_mean, ref_sd; /* numeric: the means, the reference's population
                                 standard deviation (ddof 0) */
    double psi;
    double ks, ks_p;          /* the statistic D = max |F_ref − F_cur| and its p-value */
    const char *ks_method;    /* "exact" (both sizes <= 10000) or "asymptotic"; "" */
    double wasserstein;       /* W1 in the column's unit */
    double wasserstein_normed;/* W1 / ref_sd */
    double js;                /* Jensen–Shannon distance, sqrt of the divergence (ln) */
    double chi2, chi2_df, chi2_p;
    vn_drift_stat test;       /* the deciding statistic (never AUTO) */
    double value;             /* its value (the p-value for ks and chi2) */
    double threshold;
    int drift;                /* 1 drifted, 0 not, -1 not tested (note says why) */
    const char *change;       /* the bin or category whose share moved most,
                                 "north: 12.0% -> 30.5%"; "" when none */
    const char *note;         /* why skipped or untested, or a remark; "" otherwise */
} vn_drift_column;

typedef struct vn_drift_info {
    const char *reference, *current;
    uint64_t ref_rows, cur_rows; /* data records read */
    size_t columns;           /* compared (including skipped ones) */
    size_t tested, drifted;
    double share;             /* drifted / tested; NaN when none was tested */
    double drift_share;
    int dataset_drift;        /* share >= drift_share */
    int streamed;             /* 1: binned statistics only, no rows held */
    unsigned bins;
    double psi_floor;
    vn_drift_stat test;       /* as configured (AUTO or one statistic) */
    uint64_t small;
} vn_drift_info;

typedef struct vn_drift vn_drift;

/* Compares current against reference (paths; "-" = standard input for one of them —
 * the reference then is held in memory). Data errors are VN_ERR_DATA with a located
 * message, unreadable files VN_ERR_IO, bad settings VN_ERR_USAGE; on error *out is NULL
 * and the message is in errbuf. */
vn_status vn_drift_run(const char *reference, const char *current, const vn_drift_config *cfg,
                       vn_drift **out, char *errbuf, size_t errlen);
/* The same for one numeric column in memory: ref[i * ref_stride], cur[i * cur_stride]
 * (NaN and inf count as missing). The result has one column, named "x". */
vn_status vn_drift_numeric(const double *ref, size_t nref, ptrdiff_t ref_stride,
                           const double *cur, size_t ncur, ptrdiff_t cur_stride,
                           const vn_drift_config *cfg, vn_drift **out, char *errbuf,
                           size_t errlen);
void vn_drift_free(vn_drift *d);

const vn_drift_info *vn_drift_summary(const vn_drift *d);
size_t vn_drift_column_count(const vn_drift *d);
const vn_drift_column *vn_drift_column_at(const vn_drift *d, size_t i); /* NULL if out of range */
/* Plain-language notes: columns in one file only, skipped columns, the overall verdict. */
size_t vn_drift_note_count(const vn_drift *d);
const char *vn_drift_note(const vn_drift *d, size_t i);

/* Writes the comparison (table, csv, json with schema VN_DRIFT_JSON_SCHEMA, md).
 * VN_ERR_IO when the stream reports an error. */
vn_status vn_drift_write(const vn_drift *d, vn_format fmt, FILE *fp);

/* ---------------------------------------------------------------------------------
 * Residual diagnostics: are the model's errors telling you its assumptions are wrong?
 * (`vernier diagnose`, docs/diagnose.md)
 *
 * On the errors e = yhat − y: Breusch–Pagan (does e² grow with the prediction or the
 * features?), Jarque–Bera with skewness and excess kurtosis, Durbin–Watson and Ljung–Box
 * (do errors repeat in time? only for rows in time order), the variance inflation factor
 * of each feature and the condition number of the feature matrix (multicollinearity),
 * and the share of the squared error from the worst 1 % of rows. Each finding carries a
 * one-line interpretation and what to do. Regressions run on Householder QR, never on
 * normal equations; the rows stream through the QR (the errors are held for the
 * order-dependent statistics and the worst rows: 8 bytes per row, plus the time cell
 * with a time column).
 * ------------------------------------------------------------------------------- */
#define VN_DIAGNOSE_JSON_SCHEMA "vernier.diagnose/1"

typedef enum vn_diag_status {
    VN_DIAG_OK = 0,      /* computed; nothing to act on */
    VN_DIAG_FLAG = 1,    /* computed; the finding asks for action */
    VN_DIAG_SKIPPED = 2, /* not computed; the message says why */
} vn_diag_status;

/* "ok", "flag", "skipped". */
const char *vn_diag_status_name(vn_diag_status s);

typedef struct vn_diag_finding {
    const char *code;         /* "breusch_pagan", "jarque_bera", "durbin_watson",
                                 "ljung_box", "vif", "condition_number",
                                 "worst_rows_share" */
    const char *subject;      /* breusch_pagan: "prediction" or "features"; vif: the
                                 feature; "" otherwise */
    vn_diag_status status;
    double stat;              /* LM, JB, DW, Q, VIF, condition number, share (NaN when
                                 skipped) */
    double df;                /* degrees of freedom of the chi-square reference; NaN
                                 when the statistic has none */
    double p;                 /* p-value; NaN when the statistic has none */
    size_t nextra;            /* further values, e.g. "skewness", "excess_kurtosis" */
    const char *extra_name[4];
    double extra[4];
    const char *message;      /* one line: what the numbers say */
    const char *action;       /* one line: what to do ("" when nothing) */
} vn_diag_finding;

typedef struct vn_diagnose_config {
    vn_csv_config csv;        /* y, yhat, delimiter, header, missing, max_field, and time
                                 (rows put in stable time order first, as eval's
                                 --time-col); weight, by and hash are not used */
    size_t feature_count;     /* feature columns for Breusch–Pagan, VIF, condition number */
    const char *const *features;
    int ordered;              /* 1: the rows are in time order as given (no time column
                                 needed for Durbin–Watson and Ljung–Box) */
    size_t lags;              /* Ljung–Box lags; 0 = min(10, n / 5) */
    double level;             /* tests flag at p < 1 − level (default 0.95) */
} vn_diagnose_config;

/* Fills a config with the defaults (csv as vn_csv_config_init). */
void vn_diagnose_config_init(vn_diagnose_config *cfg);

typedef struct vn_diagnose_info {
    const char *source, *y, *yhat, *time; /* "" when not from a file / no time column */
    uint64_t rows_read, rows_missing, rows; /* rows used */
    size_t features;
    int ordered;              /* the order-dependent tests ran */
    size_t lags;
    double level;
} vn_diagnose_info;

typedef struct vn_diagnosis vn_diagnosis;

/* Reads path ("-" = stdin) and runs the diagnostics. Data errors are VN_ERR_DATA with a
 * located message, unreadable files VN_ERR_IO, bad settings VN_ERR_USAGE; on error *out
 * is NULL and the message is in errbuf. */
vn_status vn_diagnose_run(const char *path, const vn_diagnose_config *cfg, vn_diagnosis **out,
                          char *errbuf, size_t errlen);

/* Rows in memory: y[i * y_stride], yhat[i * yhat_stride], feature k of row i at
 * features[k][i * feature_strides[k]] (strides NULL = all 1), named feature_names[k].
 * Rows are in time order when cfg->ordered is set (cfg->csv is not used). A non-finite
 * value is VN_ERR_DATA naming the row. */
typedef struct vn_diagnose_data {
    size_t n;
    const double *y;
    ptrdiff_t y_stride;
    const double *yhat;
    ptrdiff_t yhat_stride;
    size_t nfeatures;
    const char *const *feature_names;
    const double *const *features;
    const ptrdiff_t *feature_strides;
} vn_diagnose_data;

vn_status vn_diagnose_arrays(const vn_diagnose_data *data, const vn_diagnose_config *cfg,
                             vn_diagnosis **out, char *errbuf, size_t errlen);
void vn_diagnosis_free(vn_diagnosis *d);

const vn_diagnose_info *vn_diagnosis_summary(const vn_diagnosis *d);
/* The findings, in a fixed order (the codes above, one per feature for vif). */
size_t vn_diagnosis_count(const vn_diagnosis *d);
const vn_diag_finding *vn_diagnosis_at(const vn_diagnosis *d, size_t i); /* NULL if out of range */
/* The finding with this code (and subject, NULL = any), or NULL. */
const vn_diag_finding *vn_diagnosis_find(const vn_diagnosis *d, const char *code,
                                         const char *subject);

/* Writes the diagnosis (table, csv, json with schema VN_DIAGNOSE_JSON_SCHEMA, md). */
vn_status vn_diagnosis_write(const vn_diagnosis *d, vn_format fmt, FILE *fp);

/* Adds every flagged finding to a result's notes (code "diagnose_" + the finding's
 * code, on the overall slice), so that they appear wherever the result is written or
 * logged (`vernier eval --diagnose`). Call it before the result is shared. */
vn_status vn_result_add_diagnosis_findings(vn_result *res, const vn_diagnosis *d);

/* ---------------------------------------------------------------------------------
 * Fairness: is the model systematically worse for one group? (`vernier eval
 * --sensitive COL`, docs/fairness.md)
 *
 * Over an evaluation sliced by one column, the sensitive attribute: for every metric the
 * worst and the best group, the gap between them and the ratio of the larger value to
 * the smaller, each with an interval combined from the two groups' intervals (MOVER:
 * Zou & Donner 2008; on the log scale for the ratio). With a threshold on the scores,
 * per group the selection rate P(yhat >= t), the true and false positive rates against
 * the outcome y >= t_y, with Wilson intervals, and the demographic-parity difference
 * and ratio and the equalized-odds difference (Newcombe's interval for a difference of
 * two proportions).
 * ------------------------------------------------------------------------------- */
#define VN_FAIRNESS_JSON_SCHEMA "vernier.fairness/1"

typedef struct vn_fairness_config {
    double threshold;         /* decisions are yhat >= threshold; NaN (default): none */
    double label_threshold;   /* positive outcomes are y >= label_threshold; NaN: the
                                 threshold */
    /* With a threshold, the rows are read once more: from the file the result was read
     * from (path, with csv as given to vn_eval_csv: y, yhat, weight, by[0] = the
     * sensitive column, delimiter, header, missing; rows with weight 0 or a missing
     * value are left out, as the evaluation left them out), or from rows in memory
     * (rows: y, yhat and the slice ids passed to vn_eval_update). */
    const char *path;
    vn_csv_config csv;
    const vn_rows *rows;
} vn_fairness_config;

/* Fills a config with the defaults (no threshold; csv as vn_csv_config_init). */
void vn_fairness_config_init(vn_fairness_config *cfg);

/* One metric across the groups. For metrics whose ideal is 0 (mean_error, mpe) the
 * groups are compared by |value|. */
typedef struct vn_fairness_gap {
    const char *metric;       /* the metric key, or "selection_rate",
                                 "true_positive_rate", "false_positive_rate" */
    size_t groups;            /* groups with a defined value */
    const char *worst, *best; /* their values of the sensitive column */
    double worst_value, best_value;
    double gap;               /* |worst − best| (worst − best in the metric's bad
                                 direction); for the rates the largest minus the smallest */
    double lo, hi;            /* its interval (NaN without group intervals) */
    double ratio;             /* the larger value / the smaller (NaN unless both > 0) */
    double ratio_lo, ratio_hi;
    int significant;          /* 1 when the interval of the gap excludes 0 */
} vn_fairness_gap;

/* The thresholded rates of one group. */
typedef struct vn_fairness_group {
    const char *group;
    uint64_t rows, selected, positives, true_positives, false_positives;
    double selection_rate, selection_lo, selection_hi;
    double tpr, tpr_lo, tpr_hi; /* NaN when the group has no positive outcome */
    double fpr, fpr_lo, fpr_hi; /* NaN when the group has no negative outcome */
} vn_fairness_group;

typedef struct vn_fairness_info {
    const char *sensitive;    /* the column */
    size_t groups;            /* groups (slices of the result) */
    size_t compared;          /* groups with at least min_count rows */
    double level;             /* of the intervals: the result's, else 0.95 for the rates */
    double threshold, label_threshold; /* NaN without */
    double dp_difference, dp_ratio; /* selection rates: max − min, min / max */
    double dp_lo, dp_hi;      /* Newcombe interval of the difference */
    double eo_difference;     /* max(TPR gap, FPR gap) */
} vn_fairness_info;

typedef struct vn_fairness vn_fairness;

/* Builds the comparison from res, an evaluation with exactly one by column (the
 * sensitive attribute). Slices below the result's min_count are left out. The gaps
 * have intervals when res has intervals (vn_eval_config.ci_level). VN_ERR_USAGE when
 * res does not have one by column; reading errors as for vn_eval_csv. On error *out is
 * NULL and the message is in errbuf. res is not kept. */
vn_status vn_fairness_new(const vn_result *res, const vn_fairness_config *cfg, vn_fairness **out,
                          char *errbuf, size_t errlen);
void vn_fairness_free(vn_fairness *f);

const vn_fairness_info *vn_fairness_summary(const vn_fairness *f);
/* One gap per metric with a direction (count and weight_sum left out), in the result's
 * order, then the three rates when there is a threshold. */
size_t vn_fairness_gap_count(const vn_fairness *f);
const vn_fairness_gap *vn_fairness_gap_at(const vn_fairness *f, size_t i);
/* With a threshold: the groups' rates, in the result's slice order. */
size_t vn_fairness_group_count(const vn_fairness *f);
const vn_fairness_group *vn_fairness_group_at(const vn_fairness *f, size_t i);

/* Writes the gaps and rates (table, csv, json with schema VN_FAIRNESS_JSON_SCHEMA, md). */
vn_status vn_fairness_write(const vn_fairness *f, vn_format fmt, FILE *fp);

/* Adds the significant gaps (at most three metrics) and the parity differences to a
 * result's notes (codes "fairness_gap", "fairness_parity"; on the overall slice). */
vn_status vn_result_add_fairness_findings(vn_result *res, const vn_fairness *f);

#ifdef __cplusplus
}
#endif
#endif /* VERNIER_H */
