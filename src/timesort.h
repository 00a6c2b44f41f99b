/*
 * timesort.h — rows held back until they can be put in time order (--time-col): the
 * readers of eval.c and compare.c buffer each row's numbers with its time cell, then
 * feed the rows in stable time order.
 *
 * Time cells are numbers when every cell reads as a finite number (strtod, whole cell),
 * else text compared bytewise — right for ISO 8601 dates and times ("2026-11-28",
 * "2026-11-28T14:03:07Z") and anything else whose text sorts in time order. Ties keep
 * file order.
 */
#ifndef VN_TIMESORT_H
#define VN_TIMESORT_H

#include "internal.h"

#define VN_TS_COLS 4 /* numbers kept per row: y, prediction(s), weight */

typedef struct vn__tsort {
    double *v[VN_TS_COLS], *tnum;
    uint32_t *sid;
    size_t *toff, *tlen;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
    bool text; /* some cell is not a number: sort as text */
} vn__tsort;

/* Appends a row: its numbers, slice id and time cell (len bytes, not empty). */
vn_status vn__tsort_add(vn__tsort *t, const double v[VN_TS_COLS], uint32_t sid, const char *cell,
                        size_t len);
/* The rows' indices in stable time order (*idx allocated with vn__malloc). */
vn_status vn__tsort_order(const vn__tsort *t, size_t **idx);
void vn__tsort_free(vn__tsort *t);

/* The moving-block length used when rows are in time order and no block size is given:
 * ceil(n^(1/3)) (Hall, Horowitz & Jing 1995: the optimal order for variance and bias),
 * at least 2. */
size_t vn__auto_block(size_t n);

#endif /* VN_TIMESORT_H */
