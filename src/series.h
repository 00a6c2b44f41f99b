/*
 * series.h — forecasting across series (series.c): the training series that give mase
 * and rmsse their seasonal-naive scale (vn_eval_train_csv), the overall value pooled over
 * series (vn_eval_config.series), and the numeric order of horizon slices
 * (vn_eval_config.numeric_slices). eval.c calls these; they know nothing of its slices.
 * Training series come from a file (vn__train_read) or from arrays, one series per call
 * (vn__train_add); both build the same structure.
 */
#ifndef VN_SERIES_H
#define VN_SERIES_H

#include "eval.h"

/* Training series: y in time order per series key (by values, each NUL-terminated,
 * concatenated, as eval.c keys its slices). Immutable once read. */
typedef struct vn__train vn__train;

/* Reads the training file at path: column cfg->y, ordered by cfg->time (stable; else file
 * order), one series per distinct key of the by columns cfg->by[0..by_count) (by_count 0:
 * one series with the empty key). Errors name file:line:column in errbuf. */
vn_status vn__train_read(const char *path, const vn_csv_config *cfg, size_t by_count,
                         vn__train **out, char *errbuf, size_t errlen);
void vn__train_free(vn__train *t);
/* The training y of the series with this key (*n values, time order), or NULL when the
 * file has no such series. */
const double *vn__train_find(const vn__train *t, const char *key, size_t keylen, size_t *n);
/* Adds one training series (vn_eval_train_series): key (keylen bytes, the by values as
 * above; empty for the single series of an evaluation without series) and its n values
 * y[i * stride] in time order, copied. Creates *t when NULL. VN_ERR_USAGE when *t already
 * has a series with this key; VN_ERR_NOMEM (*t then unchanged, though created). */
vn_status vn__train_add(vn__train **t, const char *key, size_t keylen, const double *y,
                        size_t n, ptrdiff_t stride);
/* The number of training series. */
size_t vn__train_count(const vn__train *t);

/* The overall slice (0) of res: mase, rmsse and mda become the unweighted mean of their
 * defined values on slices 1.. (the series), with a message saying so and where the
 * scale came from (train: the training series); no interval; and a note (series_pooled). */
vn_status vn__series_pool(vn_result *res, bool train);
/* mase and rmsse of one slice, vals[0..nms), scaled by training series: their bootstrap
 * resamples would take the evaluated series' scale, so no interval is given. */
void vn__series_no_ci(const vn__mspec *ms, size_t nms, vn_value *vals);

/* Orders two slice keys for numeric_slices: by the number in the first value, then by
 * bytes; keys whose first value is not a number after all numbers. */
int vn__key_cmp_numeric(const char *a, size_t alen, const char *b, size_t blen);

#endif /* VN_SERIES_H */
