/*
 * sketch.h — a mergeable quantile sketch of |e| for data larger than memory
 * (--quantiles sketch).
 *
 * Every |e| falls in a bucket of its binade cut into 2^VN_SKETCH_BITS equal parts, i.e.
 * by the top 7 bits of its significand; exact zeros have a bucket of their own. The
 * sketch is the count (and, weighted, the weight) of each bucket: adding is one
 * increment, merging adds counts, so a merged sketch is the sketch of all the rows,
 * whatever the split and order (counts exactly; weights to their compensated sums'
 * rounding). A quantile is the midpoint of the bucket that holds the order statistic,
 * within 2^-8 (0.39 %) of the exact value relative to it; the bucket's share of the rows
 * bounds the rank error, and is reported.
 */
#ifndef VN_SKETCH_H
#define VN_SKETCH_H

#include "internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VN_SKETCH_BITS 7
#define VN_SKETCH_REL_ERROR (1.0 / 256.0) /* half a bucket's width, relative */

typedef struct vn__qsketch {
    uint64_t zeros;       /* rows with |e| = 0 */
    vn__ksum wzeros;
    uint64_t **cnt;       /* per biased exponent (2047 of them), 128 counts, lazily */
    vn__ksum **w;         /* the same for weights (weighted sketches only) */
    uint64_t n;           /* rows */
} vn__qsketch;

/* Adds |e| = a >= 0 (finite) with weight w (> 0; ignored unless weighted). False when
 * memory runs out (the row is then not added). */
bool vn__sketch_add(vn__qsketch *s, double a, double w, bool weighted);
/* a += b. False when memory runs out (a is then partly merged: the caller fails). */
bool vn__sketch_merge(vn__qsketch *a, const vn__qsketch *b, bool weighted);
void vn__sketch_free(vn__qsketch *s);

/* Quantiles qs[0..nq) (ascending) into out: type 7 on the bucket midpoints (weighted:
 * the averaged inverted CDF), each at most max (the exact largest |e|, which the
 * accumulator knows); *rank_err = the largest share of rows (of weight) in a bucket
 * that held an order statistic used. s->n > 0. */
void vn__sketch_quantiles(const vn__qsketch *s, bool weighted, double max, const double *qs,
                          size_t nq, double *out, double *rank_err);

/* The byte form: the non-empty buckets as (key, count, weight sum, its correction), key
 * 0 for the zeros and exponent * 128 + part + 1 otherwise. */
size_t vn__sketch_nbuckets(const vn__qsketch *s);
/* Calls put(ctx, key, count, ws, wc) for each non-empty bucket in key order. */
void vn__sketch_each(const vn__qsketch *s, void (*put)(void *ctx, uint64_t key, uint64_t count,
                                                      double ws, double wc),
                     void *ctx);
/* Adds a bucket read back; false when the key is invalid or memory runs out. */
bool vn__sketch_put(vn__qsketch *s, uint64_t key, uint64_t count, double ws, double wc,
                    bool weighted);

#endif /* VN_SKETCH_H */
