/*
 * state.h — what the byte form and the merge of evaluation states (state.c) read from and
 * write into an evaluation (eval.c). Docs: docs/state.md.
 */
#ifndef VN_STATE_H
#define VN_STATE_H

#include "eval.h"
#include "sketch.h"

/* An evaluation's settings and counters. */
typedef struct vn__eval_meta {
    const vn__mspec *ms;
    size_t nms;
    const vn__plan *plan;
    vn__opts opts;
    uint64_t min_count;
    vn__ci_cfg ci;
    bool auto_block;
    size_t by_count;
    const char *const *by_names;
    uint64_t rows_seen, rows_zero_weight, rows_missing, rows_read;
    bool weighted, failed;
    size_t nslices;
    size_t ncols;          /* input columns the metrics read (vn_eval_column_name) */
    const char *const *col_names;
} vn__eval_meta;

void vn__eval_get_meta(const vn_eval *ev, vn__eval_meta *m);

/* Slice s: its key (by values, each NUL-terminated; NULL for the overall slice), its
 * stored rows [0, len) (all rows when the plan stores them, else the pending ones), and
 * its state, which holds rows [0, done) (the rows before `done` when not stored). */
typedef struct vn__eval_slice_view {
    const char *key;
    size_t keylen;
    const double *y, *p, *w; /* w NULL: every weight 1 (an unweighted plan keeping no rows) */
    size_t len, done;
    const vn__acc *acc;
    /* When the plan keeps only |e| (NEED_AE without NEED_STORE): |e| and the weights (NULL:
     * all 1) of every row of the slice, an of them. */
    bool abs_only;
    const double *ae, *aw;
    size_t an;
    const struct vn__qsketch *qsk; /* --quantiles sketch: the slice's sketch, else NULL */
    const double *const *x; /* the input columns of rows [0, len), NULL when none */
} vn__eval_slice_view;

void vn__eval_get_slice(const vn_eval *ev, size_t s, vn__eval_slice_view *v);
/* Completes the |e| stores before the views are read: the overall slice's when eval.c
 * derives them from the other slices' (derived_ae), and in every slice those of the rows
 * still pending (eval.c notes a row's |e| when its block is folded): VN_OK or
 * VN_ERR_NOMEM. */
vn_status vn__eval_derive(const vn_eval *ev);

/* Adds a slice's rows to ev after its own: the slice with this key (NULL: the overall
 * one) gets the state acc merged in (acc holds all n rows) and, when ev stores rows, the
 * rows appended with their input columns x[k][0..n) (NULL when ev reads none; when it
 * keeps only |e|, their |p - y|, or p itself when y is NULL; w NULL: weights 1). ev's
 * pending rows are folded first. VN_ERR_NOMEM leaves ev failed. */
vn_status vn__eval_absorb(vn_eval *ev, const char *key, size_t keylen, const vn__acc *acc,
                          const double *y, const double *p, const double *w,
                          const double *const *x, size_t n, const struct vn__qsketch *qsk);

/* Adds counters (rows seen, with weight 0, missing, read) and the weighted flag. */
void vn__eval_add_counts(vn_eval *ev, uint64_t seen, uint64_t zero, uint64_t missing,
                         uint64_t read, bool weighted);

/* Intervals use moving blocks of ceil(n^(1/3)) rows per slice (as after a time column). */
void vn__eval_set_auto_block(vn_eval *ev);

/* Sets the evaluation's failure message and marks it failed; returns st. */
vn_status vn__eval_fail(vn_eval *ev, vn_status st, const char *msg);

#endif /* VN_STATE_H */
