/*
 * sketch.c — the quantile sketch of sketch.h.
 */
#include "sketch.h"

#include "kernels.h"

#include <string.h>

#define PARTS (1u << VN_SKETCH_BITS)
#define EXPS 2047u /* biased exponents of finite doubles */

static bool directory(vn__qsketch *s, bool weighted)
{
    if (!s->cnt && !(s->cnt = vn__calloc(EXPS, sizeof *s->cnt)))
        return false;
    if (weighted && !s->w && !(s->w = vn__calloc(EXPS, sizeof *s->w)))
        return false;
    return true;
}

static bool binade(vn__qsketch *s, unsigned e, bool weighted)
{
    if (!directory(s, weighted))
        return false;
    if (!s->cnt[e] && !(s->cnt[e] = vn__calloc(PARTS, sizeof **s->cnt)))
        return false;
    if (weighted && !s->w[e] && !(s->w[e] = vn__calloc(PARTS, sizeof **s->w)))
        return false;
    return true;
}

bool vn__sketch_add(vn__qsketch *s, double a, double w, bool weighted)
{
    if (a == 0.0) {
        s->zeros++;
        if (weighted)
            vn__ksum_add(&s->wzeros, w);
        s->n++;
        return true;
    }
    uint64_t u;
    memcpy(&u, &a, sizeof u);
    const unsigned e = (unsigned)(u >> 52), part = (unsigned)(u >> (52 - VN_SKETCH_BITS)) & (PARTS - 1);
    if ((!s->cnt || !s->cnt[e] || (weighted && (!s->w || !s->w[e]))) && !binade(s, e, weighted))
        return false;
    s->cnt[e][part]++;
    if (weighted)
        vn__ksum_add(&s->w[e][part], w);
    s->n++;
    return true;
}

bool vn__sketch_merge(vn__qsketch *a, const vn__qsketch *b, bool weighted)
{
    a->zeros += b->zeros;
    vn__ksum_merge(&a->wzeros, &b->wzeros);
    a->n += b->n;
    for (unsigned e = 0; b->cnt && e < EXPS; e++) {
        if (!b->cnt[e])
            continue;
        if (!binade(a, e, weighted))
            return false;
        for (unsigned p = 0; p < PARTS; p++) {
            a->cnt[e][p] += b->cnt[e][p];
            if (weighted && b->w && b->w[e])
                vn__ksum_merge(&a->w[e][p], &b->w[e][p]);
        }
    }
    return true;
}

void vn__sketch_free(vn__qsketch *s)
{
    for (unsigned e = 0; e < EXPS; e++) {
        if (s->cnt)
            vn__free(s->cnt[e]);
        if (s->w)
            vn__free(s->w[e]);
    }
    vn__free(s->cnt);
    vn__free(s->w);
    memset(s, 0, sizeof *s);
}

/* The midpoint of bucket (e, p): halfway between its two bounds, which are doubles. */
static double midpoint(unsigned e, unsigned p)
{
    const uint64_t lo = ((uint64_t)e << 52) | ((uint64_t)p << (52 - VN_SKETCH_BITS));
    const uint64_t hi = lo + (1ull << (52 - VN_SKETCH_BITS));
    double a, b;
    memcpy(&a, &lo, sizeof a);
    memcpy(&b, &hi, sizeof b);
    return a + (b - a) / 2;
}

/* A walk over the buckets in value order: the zeros, then (e, p) ascending. */
typedef struct walk {
    const vn__qsketch *s;
    bool weighted;
    long e;       /* -1: the zeros bucket */
    unsigned p;
    double c;     /* the current bucket's count (or weight) */
    double before; /* count (or weight) of the buckets before it */
} walk;

static double bucket_mass(const walk *w)
{
    if (w->e < 0)
        return w->weighted ? vn__ksum_get(&w->s->wzeros) : (double)w->s->zeros;
    const unsigned e = (unsigned)w->e;
    if (!w->s->cnt || !w->s->cnt[e])
        return 0;
    return w->weighted ? (w->s->w && w->s->w[e] ? vn__ksum_get(&w->s->w[e][w->p]) : 0)
                       : (double)w->s->cnt[e][w->p];
}

/* Moves to the next non-empty bucket; false past the last. */
static bool next_bucket(walk *w)
{
    for (;;) {
        if (w->e < 0) {
            w->e = 0;
            w->p = 0;
        } else if (++w->p == PARTS) {
            w->p = 0;
            if (++w->e >= (long)EXPS)
                return false;
        }
        if (w->e >= 0 && (!w->s->cnt || !w->s->cnt[w->e])) {
            w->p = PARTS - 1; /* skip the empty binade */
            continue;
        }
        const double c = bucket_mass(w);
        if (c > 0) {
            w->c = c;
            return true;
        }
    }
}

static double value_of(const walk *w, double max)
{
    const double v = w->e < 0 ? 0.0 : midpoint((unsigned)w->e, w->p);
    return v > max ? max : v;
}

/* Advances w to the bucket holding position t: the first whose cumulative mass reaches
 * t (unweighted: t = rank + 1, ranks from 0). */
static void seek(walk *w, double t)
{
    while (w->before + w->c < t) {
        w->before += w->c;
        if (!next_bucket(w))
            return;
    }
}

void vn__sketch_quantiles(const vn__qsketch *s, bool weighted, double max, const double *qs,
                          size_t nq, double *out, double *rank_err)
{
    /* the total mass: the row count, or (weighted) the bucket weights in value order */
    double W = (double)s->n;
    if (weighted) {
        walk t = {s, true, -1, 0, 0, 0};
        t.c = bucket_mass(&t);
        vn__ksum k = {0, 0};
        if (t.c > 0 || next_bucket(&t)) {
            vn__ksum_add(&k, t.c);
            while (next_bucket(&t))
                vn__ksum_add(&k, t.c);
        }
        W = vn__ksum_get(&k);
    }
    double worst = 0;
    for (size_t j = 0; j < nq; j++) {
        walk w = {s, weighted, -1, 0, 0, 0};
        w.c = bucket_mass(&w);
        if (w.c == 0)
            next_bucket(&w);
        if (!weighted) { /* type 7 on the order statistics' buckets */
            const double last = (double)(s->n - 1), h = last * qs[j];
            const size_t lo = h >= last ? s->n - 1 : (size_t)floor(h);
            seek(&w, (double)lo + 1);
            /* the largest order statistic is the exact maximum, which is known */
            const double a = lo == s->n - 1 ? max : value_of(&w, max);
            worst = fmax(worst, w.c / W);
            double b = a;
            if (h < last) {
                seek(&w, (double)lo + 2);
                b = lo + 1 == s->n - 1 ? max : value_of(&w, max);
                worst = fmax(worst, w.c / W);
            }
            out[j] = qs[j] == 0.5 ? vn__median_numpy(a, b, s->n % 2 == 0)
                                  : vn__lerp_numpy(a, b, h >= last ? 1.0 : h - floor(h));
            continue;
        }
        /* the averaged inverted CDF: the first bucket whose cumulative weight reaches
         * q·W, or the midpoint with the next when it lands exactly on it */
        const double target = qs[j] * W;
        seek(&w, target);
        const double a = qs[j] >= 1.0 ? max : value_of(&w, max);
        worst = fmax(worst, w.c / W);
        out[j] = a;
        walk nx = w;
        if (w.before + w.c == target && next_bucket(&nx)) {
            out[j] = vn__lerp_numpy(a, value_of(&nx, max), 0.5);
            worst = fmax(worst, nx.c / W);
        }
    }
    *rank_err = worst;
}

size_t vn__sketch_nbuckets(const vn__qsketch *s)
{
    size_t n = s->zeros > 0;
    for (unsigned e = 0; s->cnt && e < EXPS; e++)
        for (unsigned p = 0; s->cnt[e] && p < PARTS; p++)
            n += s->cnt[e][p] > 0;
    return n;
}

void vn__sketch_each(const vn__qsketch *s, void (*put)(void *ctx, uint64_t key, uint64_t count,
                                                      double ws, double wc),
                     void *ctx)
{
    if (s->zeros)
        put(ctx, 0, s->zeros, s->wzeros.s, s->wzeros.c);
    for (unsigned e = 0; s->cnt && e < EXPS; e++)
        for (unsigned p = 0; s->cnt[e] && p < PARTS; p++)
            if (s->cnt[e][p]) {
                const vn__ksum k = s->w && s->w[e] ? s->w[e][p] : (vn__ksum){0, 0};
                put(ctx, (uint64_t)e * PARTS + p + 1, s->cnt[e][p], k.s, k.c);
            }
}

bool vn__sketch_put(vn__qsketch *s, uint64_t key, uint64_t count, double ws, double wc,
                    bool weighted)
{
    if (count == 0 || key > (uint64_t)EXPS * PARTS)
        return false;
    const vn__ksum k = {ws, wc};
    if (key == 0) {
        s->zeros += count;
        if (weighted)
            vn__ksum_merge(&s->wzeros, &k);
        s->n += count;
        return true;
    }
    const unsigned e = (unsigned)((key - 1) / PARTS), p = (unsigned)((key - 1) % PARTS);
    if (!binade(s, e, weighted))
        return false;
    s->cnt[e][p] += count;
    if (weighted)
        vn__ksum_merge(&s->w[e][p], &k);
    s->n += count;
    return true;
}
