/*
 * spec.h — the model of a `vernier.yaml` spec (schema version 1) and its loader.
 *
 * The loader (spec.c) is a strict, safe reader on libyaml's event API: it refuses
 * anchors, aliases and non-core tags, caps the nesting depth, the number of values and
 * the file size, and validates every key against the schema, so a loaded spec is
 * complete and consistent: the check engine (check.c) needs no further validation of
 * its own beyond what depends on the data. The schema and its errors are documented
 * for users in docs/spec.md.
 *
 * A loaded spec is immutable and owns all its strings; it may be shared between
 * threads. Free it with vn__spec_free.
 */
#ifndef VN_SPEC_H
#define VN_SPEC_H

#include "internal.h"

#define VN__SPEC_VERSION 1
#define VN__SPEC_MAX_DEPTH 32        /* nested sequences and mappings */
#define VN__SPEC_MAX_BYTES (1u << 20) /* larger files are refused unread */
#define VN__SPEC_MAX_NODES 100000    /* scalars, sequences and mappings */

typedef struct vn__spec_loc {
    uint32_t line, col; /* 1-based, of the key (or the list item) */
} vn__spec_loc;

typedef struct vn__spec_metric {
    char *id;   /* stable id (unique within the spec) */
    char *type; /* catalog id or alias, as written (vn_metric_find knows it) */
    char *list; /* the metric-list spelling for vn_eval_config.metrics: "type" or
                   "type:p1=v1:p2=v2" built from params in catalog order, numbers in
                   their shortest round-trip form (e.g. "abs_error_quantile:q=0.95") */
    const vn_metric_info *info;      /* the catalog entry of type; for type expression,
                                        xinfo (id, direction, unit, the expression) */
    char *expr, *unit;               /* type expression: the formula and the unit */
    vn_metric_info xinfo;
    char *y, *prediction, *weight;   /* per-metric column overrides, NULL = data's */
    int has_uncertainty;             /* an `uncertainty` mapping was given */
    double ci_level;                 /* (0, 1); 0 without uncertainty */
    vn_ci_method ci_method;
    uint32_t resamples;
    uint64_t seed;
    vn__spec_loc loc;
} vn__spec_metric;

typedef enum { VN__SLICE_BY, VN__SLICE_BINS, VN__SLICE_FILTER } vn__slice_kind;
typedef enum {
    VN__OP_EQ, VN__OP_NE, VN__OP_IN, VN__OP_NOT_IN, VN__OP_LT, VN__OP_LE, VN__OP_GT, VN__OP_GE
} vn__filter_op;

typedef struct vn__spec_slice {
    char *id;
    vn__slice_kind kind;
    char **by;
    size_t nby;      /* BY: one slice per distinct value combination */
    char *column;    /* BINS and FILTER: the column */
    double *edges;
    size_t nedges;   /* BINS: strictly increasing, >= 2; bins [e_i, e_{i+1}), the last one
                        closed; values outside are in no bin */
    vn__filter_op op;
    char **values;
    size_t nvalues;  /* FILTER eq/ne: exactly 1; in/not_in: >= 1 (compared as text) */
    double number;   /* FILTER lt/le/gt/ge */
    uint64_t min_count; /* below it a slice is reported but never gated (default 0) */
    int numeric;     /* BY whose first column is data.horizon: slices listed in the numeric
                        order of that column (vn_eval_config.numeric_slices) */
    vn__spec_loc loc;
} vn__spec_slice;

typedef enum { VN__ON_VALUE, VN__ON_CI_LOW, VN__ON_CI_HIGH } vn__gate_on;
typedef enum { VN__VS_NONE, VN__VS_BASELINE, VN__VS_DUMMY } vn__gate_vs;
typedef enum { VN__SEV_ERROR, VN__SEV_WARN } vn__severity;

typedef struct vn__spec_gate {
    char *name;             /* optional (unique when given); NULL = the engine builds one */
    char *metric;
    size_t m;               /* a metric id of this spec, and its index in metrics[] */
    int has_min, has_max;
    double min, max;        /* min / max / between: [a, b] */
    vn__gate_on on;         /* value, ci_low, ci_high (only with min/max/between; ci_*
                               only for a metric with uncertainty) */
    vn__gate_vs vs;
    int has_max_regression, max_regression_rel;
    double max_regression;  /* "0.5" absolute or "5%" relative (rel: 5 means 5 %) */
    int has_min_improvement, min_improvement_rel;
    double min_improvement;
    vn__severity severity;  /* default error */
    char **slices;
    size_t nslices;         /* slice ids and/or "overall"; NULL/0 = overall only;
                               a single "*" = every slice */
    vn__spec_loc loc;
} vn__spec_gate;

typedef enum { VN__BASE_NONE, VN__BASE_FILE, VN__BASE_RUN } vn__base_kind;
typedef enum { VN__MISSING_FAIL, VN__MISSING_SKIP, VN__MISSING_WARN } vn__on_missing;

typedef struct vn__spec {
    int version; /* 1 */
    struct {
        char *path;      /* "-" = standard input */
        char delimiter;  /* 0 = from the name ('\t' for *.tsv[.gz], else ','), as
                            vn_csv_config.delimiter */
        int header;      /* 1 (default) or 0 */
        char *y, *prediction, *weight, *id, *time; /* weight, id, time may be NULL */
        /* Forecasting (docs/forecasting.md), NULL when absent. series: the series column
         * (vn_eval_config.series: the overall mase, rmsse and mda are the unweighted means
         * over series); never with horizon, nor with a by or bins slice definition.
         * horizon: the horizon column; the loader makes it the slice definition slices[0]
         * with id "horizon" (by: [horizon], numeric), and no other definition has that id.
         * train: a training file (not "-") giving mase and rmsse their scale, read like
         * the data (delimiter, header, missing, time) by vn_eval_train_csv. */
        char *series, *horizon, *train;
        vn__spec_loc train_loc; /* of train's value: messages about the training file */
        vn__spec_loc series_loc; /* of series' value */
        vn__spec_loc horizon_loc; /* of the key horizon (also the "horizon" slice's loc) */
        vn_missing missing;
        vn_zero_policy zero;
        vn_r2_constant r2c;
        vn_task task;    /* binary: labels checked, the binary battery by default */
        vn__spec_loc loc;
    } data;
    vn__spec_metric *metrics;
    size_t nmetrics; /* >= 1 */
    vn__spec_slice *slices;
    size_t nslices;
    struct {
        vn__base_kind kind;
        char *file;  /* FILE: a baseline predictions file, read like data */
        char *run;   /* RUN: a run-store selector ("tag:prod", "latest", an id) */
        char *store; /* RUN: the store path, NULL = the default store */
        vn__on_missing on_missing;
        vn__spec_loc loc; /* of the key `baseline` (0:0 when absent) */
    } baseline;
    vn__spec_gate *gates;
    size_t ngates;
    struct {
        char *junit, *markdown, *json; /* NULL = not written */
        int github; /* -1 auto (GITHUB_ACTIONS=true), 0 off, 1 on */
    } ci;
    char *name; /* the spec file name for messages ("vernier.yaml") */
    char *text; /* the whole text as read (NUL-terminated) */
} vn__spec;

/* Loads and validates; on error *out is NULL and errbuf holds ONE line
 * "NAME:LINE:COL: message" (NAME = the path as given, or "<stdin>" for "-"). Returns
 * VN_ERR_DATA for any spec error (YAML syntax, schema), VN_ERR_IO when the file cannot
 * be read ("NAME: message"), VN_ERR_NOMEM. */
vn_status vn__spec_load(const char *path, vn__spec **out, char *errbuf, size_t errlen);
/* The same over text[0..len) (need not be NUL-terminated), named `name` in messages. */
vn_status vn__spec_parse(const char *text, size_t len, const char *name, vn__spec **out,
                         char *errbuf, size_t errlen);
/* Accepts NULL. */
void vn__spec_free(vn__spec *s);
/* The commented starter file of `vernier spec init` (static text, valid under the
 * schema). */
const char *vn__spec_template(void);

#endif /* VN_SPEC_H */
