/*
 * timesort.c — the time-order buffer of timesort.h.
 */
#include "timesort.h"

#include <stdlib.h>
#include <string.h>

vn_status vn__tsort_add(vn__tsort *t, const double v[VN_TS_COLS], uint32_t sid, const char *cell,
                        size_t len)
{
    if (t->n == t->cap) {
        /* every array grows to the same capacity; a failure leaves the larger ones larger */
        size_t caps[VN_TS_COLS + 4], need = t->n + 1;
        for (size_t i = 0; i < VN_TS_COLS + 4; i++)
            caps[i] = t->cap;
        for (size_t i = 0; i < VN_TS_COLS; i++)
            if (!vn__grow((void **)&t->v[i], &caps[i], need, sizeof(double)))
                return VN_ERR_NOMEM;
        if (!vn__grow((void **)&t->tnum, &caps[VN_TS_COLS], need, sizeof(double)) ||
            !vn__grow((void **)&t->sid, &caps[VN_TS_COLS + 1], need, sizeof *t->sid) ||
            !vn__grow((void **)&t->toff, &caps[VN_TS_COLS + 2], need, sizeof *t->toff) ||
            !vn__grow((void **)&t->tlen, &caps[VN_TS_COLS + 3], need, sizeof *t->tlen))
            return VN_ERR_NOMEM;
        size_t cap = caps[0];
        for (size_t i = 1; i < VN_TS_COLS + 4; i++)
            cap = caps[i] < cap ? caps[i] : cap;
        t->cap = cap;
    }
    if (t->alen + len + 1 > t->acap && !vn__grow((void **)&t->arena, &t->acap, t->alen + len + 1, 1))
        return VN_ERR_NOMEM;
    memcpy(t->arena + t->alen, cell, len);
    t->arena[t->alen + len] = '\0';
    char *end = NULL;
    const double x = strtod(t->arena + t->alen, &end);
    t->text = t->text || end != t->arena + t->alen + len || !isfinite(x);
    for (size_t i = 0; i < VN_TS_COLS; i++)
        t->v[i][t->n] = v[i];
    t->tnum[t->n] = x;
    t->sid[t->n] = sid;
    t->toff[t->n] = t->alen;
    t->tlen[t->n] = len;
    t->alen += len + 1;
    t->n++;
    return VN_OK;
}

static int by_time(const void *a, const void *b, void *ctx)
{
    const vn__tsort *t = ctx;
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int r;
    if (!t->text) {
        r = (t->tnum[i] > t->tnum[j]) - (t->tnum[i] < t->tnum[j]);
    } else {
        const size_t n = t->tlen[i] < t->tlen[j] ? t->tlen[i] : t->tlen[j];
        r = memcmp(t->arena + t->toff[i], t->arena + t->toff[j], n);
        if (r == 0)
            r = (t->tlen[i] > t->tlen[j]) - (t->tlen[i] < t->tlen[j]);
    }
    return r ? r : (i > j) - (i < j); /* stable: ties keep file order */
}

vn_status vn__tsort_order(const vn__tsort *t, size_t **idx)
{
    *idx = vn__malloc((t->n ? t->n : 1) * sizeof **idx);
    if (!*idx)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < t->n; i++)
        (*idx)[i] = i;
    qsort_r(*idx, t->n, sizeof **idx, by_time, (void *)t);
    return VN_OK;
}

void vn__tsort_free(vn__tsort *t)
{
    for (size_t i = 0; i < VN_TS_COLS; i++)
        vn__free(t->v[i]);
    vn__free(t->tnum);
    vn__free(t->sid);
    vn__free(t->toff);
    vn__free(t->tlen);
    vn__free(t->arena);
    memset(t, 0, sizeof *t);
}

size_t vn__auto_block(size_t n)
{
    size_t L = (size_t)ceil(cbrt((double)n));
    while (L * L * L < n) /* cbrt may round low */
        L++;
    return L < 2 ? 2 : L;
}
