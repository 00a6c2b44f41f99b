/*
 * expr.h — the expression language of custom metrics (docs/expressions.md): source text
 * such as `sum(abs(e) * price) / sum(y * price)` compiled once into small programs.
 *
 * An expression is a formula over aggregations (mean, sum, wmean, quantile) and
 * constants; each aggregation reads a formula over the columns of one row (y, yhat, e,
 * w and input columns by name). Compiling gives:
 *  - per aggregation, a row program computing its per-row term (for sums already
 *    multiplied by the row weight, as the built-in sums of acc.c multiply it), run by
 *    vn__prog_run over blocks of rows: every instruction is a loop over up to
 *    VN_EXPR_ROWS rows, so interpretation costs one dispatch per instruction and block,
 *    not per row;
 *  - a top program over the aggregations' values, run once per slice by vn__expr_top,
 *    which also says why a value is undefined (a division by zero, log of a negative).
 *
 * Programs are immutable after compilation and may be run from several threads at
 * once. Nothing in the language reaches outside the row: no file, environment or
 * state; size and nesting are bounded (VN_EXPR_MAX_*), and errors name the character:
 * "expression:1:17: unknown function \"foo\"".
 */
#ifndef VN_EXPR_H
#define VN_EXPR_H

#include "internal.h"

#define VN_EXPR_MAX_LEN 65536   /* bytes of source */
#define VN_EXPR_MAX_DEPTH 256   /* nested parentheses, calls and unary operators */
#define VN_EXPR_MAX_HEIGHT 2048 /* operations on one path of the tree (a + b + ... chains) */
#define VN_EXPR_MAX_AGGS 256    /* aggregations per expression */
#define VN_EXPR_ROWS 256        /* rows per instruction step of the row programs */
#define VN_EXPR_REGS 32         /* registers of VN_EXPR_ROWS doubles (on the stack) */

/* Operand addresses of instructions: registers, then the row's columns (y, yhat, w, then
 * input column k of the names table), then (top program only) aggregation k. */
enum {
    VN_T_Y = VN_EXPR_REGS,
    VN_T_P,
    VN_T_W,
    VN_T_X,                  /* + column index */
    VN_T_AGG = 1u << 28,     /* + aggregation index */
};

typedef struct vn__ins {
    uint8_t op, form;        /* operation; binary: both operands, constant left or right */
    uint32_t d, a, b, c;     /* destination register and operand addresses */
    double k;                /* the constant operand */
    uint32_t at;             /* byte offset of the operator in the source */
} vn__ins;

/* A program: instructions, and where its value ends up (an address, or the constant k
 * when is_const). */
typedef struct vn__prog {
    vn__ins *ins;
    size_t nins;
    uint32_t out;
    bool is_const;
    double k;
} vn__prog;

typedef enum vn__agg_kind {
    VN_AGG_SUM,      /* Σ w·x */
    VN_AGG_MEAN,     /* Σ w·x / Σ w */
    VN_AGG_WMEAN,    /* Σ (w·v)·x / Σ w·v */
    VN_AGG_QUANTILE, /* quantile q of x, weighted by w when the rows are weighted */
} vn__agg_kind;

typedef struct vn__agg {
    vn__agg_kind kind;
    vn__prog term;   /* SUM, MEAN: w·x (a product a·b as (w·a)·b); WMEAN: (w·v)·x;
                        QUANTILE: x */
    vn__prog den;    /* WMEAN: w·v */
    double q;        /* QUANTILE: the level, in [0, 1] */
    uint32_t line, col; /* where it is written */
    size_t slot;     /* SUM, MEAN, WMEAN: the index of its (first) sum */
} vn__agg;

typedef struct vn__expr {
    char *src;       /* the source, NUL-terminated */
    vn__agg *aggs;
    size_t naggs;
    vn__prog top;    /* over the aggregations' values */
    size_t nsums;    /* sums the aggregations need: 1 per sum or mean, 2 per wmean */
    bool quantile;   /* some aggregation is a quantile: rows must be stored */
} vn__expr;

/* A growable table of column names, shared by the expressions of one metric list (their
 * programs address columns by index in it). */
typedef struct vn__names {
    char **name;
    char **use;  /* who reads it first, for messages: "metric cost reads it at 1:22" */
    size_t n, cap;
} vn__names;

/* The index of name (len bytes) in t, added when missing, with use (copied) when it is
 * new; VN_ERR_NOMEM. */
vn_status vn__names_intern(vn__names *t, const char *name, size_t len, const char *use,
                           size_t *index);
void vn__names_free(vn__names *t);

/* Compiles src[0..len) (need not be NUL-terminated) of the metric named who. Column
 * names are interned into cols. Errors are VN_ERR_DATA with "expression:LINE:COL:
 * message" in errbuf (or VN_ERR_NOMEM); *out is then NULL and cols may hold names the
 * expression added. */
vn_status vn__expr_compile(const char *src, size_t len, const char *who, vn__names *cols,
                           vn__expr **out, char *errbuf, size_t errlen);
void vn__expr_free(vn__expr *x);

/* VN_BLOCK_ROWS (>= VN_EXPR_ROWS) weights of 1: a block's weights when the rows came
 * without any (acc.c). */
extern const double vn__ones[];

/* The columns programs read: rows [off, off + n) of y, p (yhat), w (NULL: every weight
 * 1) and x[k] (column k of the names table). */
typedef struct vn__xrows {
    const double *y, *p, *w;
    const double *const *x;
} vn__xrows;

/* Runs a row program over rows [off, off + n) of r into out[0..n). Values are what the
 * arithmetic gives: NaN or ±inf where a row leaves the domain (log of 0, x/0); the
 * callers count such rows. No allocation; uses VN_EXPR_REGS * VN_EXPR_ROWS doubles of
 * stack. */
void vn__prog_run(const vn__prog *pg, const vn__xrows *r, size_t off, size_t n, double *out);

/* The expression's value from its aggregations' values agg[0..naggs). A finite value
 * gives VN_REASON_NONE; otherwise the reason (zero_denominator for a division by 0,
 * domain for log, sqrt or pow outside their domain, overflow) with one line in msg. */
vn_reason vn__expr_top(const vn__expr *x, const double *agg, double *out, char *msg,
                       size_t len);

/* Whether the top program is aggregation 0 itself (*root false) or its square root
 * (*root true). */
bool vn__expr_root_of_agg(const vn__expr *x, bool *root);

/* "mean", "sum", "wmean", "quantile". */
const char *vn__agg_name(vn__agg_kind k);

#endif /* VN_EXPR_H */
