/*
 * boot.c — the metrics on bootstrap resamples and jackknife subsets from row
 * multiplicities, without gathering the rows.
 *
 * A resample is a multiset of the slice's rows: row i taken c_i times (ci.c counts the
 * very draws of its generator). Most metrics are functions of weighted sums of per-row
 * terms (Σw·e, Σw·e², Σw·|e|/|y|, ...), of order statistics of |e| and of extremes. On a
 * resample these are Σ c_i·t_i, the order statistics of |e| with row i repeated c_i
 * times, and extremes over the rows with c_i > 0. This module computes them for a batch
 * of resamples in one pass over per-row terms computed once per slice, fills the state
 * (vn__acc) the gathered resample would have, and lets vn__metric_value finish every
 * metric exactly as for a slice. A resample then costs a multiply-add per row and term
 * instead of a full evaluation of gathered rows.
 *
 * Not done here (vn__counter_has says so; the caller gathers the rows for them): metrics
 * that read the rows' order (mda, mase, rmsse), their ranks (spearman_rho, kendall_tau)
 * or a reference computed from the resample before summing (d2_*, nrmse:norm=iqr).
 *
 * Exact sums. Each term t_i is split once into h_i + l_i, h_i = t_i rounded to a multiple
 * of u = 2^⌈log2(n·max|t|)⌉·2^-50 and l_i = t_i − h_i, exactly ("ExtractScalar": Rump,
 * Ogita & Oishi 2008, Accurate floating-point summation part I, SIAM J. Sci. Comput.
 * 31(1), lemma 3.3). Every c_i·h_i and every partial sum of them is an integer multiple of
 * u below 2^53·u, so Σ c_i·h_i is exact in double arithmetic, in any order. Only the
 * remainders l_i (|l_i| <= u/2, about 2^-30 of the largest term for a million rows) are
 * rounded: c_i·l_i summed in LANES lanes, each lane merged every FLUSH rows into a
 * compensated sum (vn__ksum). The error is thus a few roundings of the remainders'
 * sum: far below one rounding of the total (the compensated sums of acc.c are within
 * about one) whenever the terms span less than ~2^30 in magnitude, and at worst that
 * of the small terms summed FLUSH/LANES at a time and merged with compensation.
 *
 * Centred moments come from sums around the slice's weighted means (the pivots):
 * Σc·w·(y − ȳ)² = Σc·w·d² − (Σc·w·d)²/W with d = y − ȳ_slice, the corrected two-pass
 * formula of acc.c with the slice's mean for the first pass. When the correction
 * cancels more than one bit (a resample whose mean is far from the slice's, possible
 * only with few rows), the resample is flagged and the caller evaluates it from its
 * gathered rows.
 *
 * Order statistics of |e|: rows are sorted by |e| once and cut into buckets of BUCKET
 * consecutive ranks; the fold counts each resample's multiplicities per bucket, so a
 * quantile is found by a scan of the bucket counts and a walk through one bucket. The
 * unweighted rule is numpy's linear one over the repeated rows, the weighted one the
 * averaged inverted CDF of select.c with cumulative weights c_i·w_i.
 */
#include "eval.h"
#include "kernels.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* Rows per tile: the terms of CH rows are split into their two parts once per batch
 * and stay in the L1 cache while every resample of the batch is folded over them. */
#define CH 128
/* Independent accumulators per sum (lane j takes rows j, j + LANES, ...): they keep the
 * adder's pipeline full and let the compiler use vector instructions. */
#define LANES 8
/* Rows between flushes of the remainders' lanes into compensated sums (a multiple of
 * CH). */
#define FLUSH 4096
/* Ranks per bucket of the |e| order. */
#define BUCKET 1024

/* The sums a resample's state is made of: fields of vn__acc, and the sums around the
 * pivots that its centred moments are made of. F_SLOT + k is the plan's slot k. */
enum {
    F_W, F_POS, F_NEG, F_E2, F_WY, F_WP, F_DY, F_DY2, F_DP, F_DP2, F_DYP, F_DE, F_DE2,
    F_AY, F_APE_EPS, F_PE_EPS, F_APE_NZ, F_PE_NZ, F_W_NZ, F_SMAPE, F_MSLE, F_LOGCOSH,
    F_SLOT
};

/* What the metrics read besides sums. */
enum {
    X_YEXT = 1u << 0,  /* the smallest and largest y */
    X_PEXT = 1u << 1,  /* the smallest and largest yhat */
    X_AE = 1u << 2,    /* the order of |e| (max_error, quantiles) */
    X_QUANT = 1u << 3, /* quantiles of |e| */
    X_ZERO = 1u << 4,  /* the rows with y = 0 (mape, mpe under --zero nan|skip) */
    X_MSLE = 1u << 5,  /* the rows outside log1p's domain */
};

static bool fold_fast(void);

/* Rows (ascending) where an indicator holds; its count on a resample is the sum of
 * their multiplicities. */
typedef struct rowlist {
    uint32_t *row;
    size_t n;
} rowlist;

struct vn__counter {
    const vn__plan *plan;
    const vn__mspec *ms;
    size_t nms;
    const vn__opts *o;
    const double *qs;
    size_t nq;
    const vn__rowset *rows;
    size_t n;
    bool unit;       /* every weight is 1: W is the number of rows */
    bool *has;       /* metric m is evaluated here */
    unsigned extras;
    size_t nf;       /* F_SLOT + the plan's slots */
    int *term_of;    /* field -> term, or -1 */
    size_t nterms;
    double *t;       /* nterms x n per-row values */
    double *magic;   /* per term: 1.5·2^52·u, so that (t + magic) − magic rounds t to u */
    double pivot_y, pivot_p, pivot_e;
    rowlist zero, msle_bad, *slot_bad; /* slot_bad[k]: rows outside slot k's domain */
    uint32_t *ae_row;   /* rows by |e| ascending */
    double *ae;         /* |e| in that order */
    uint32_t *bucket;   /* per row: its rank in that order / BUCKET */
    size_t nbuckets;
    uint32_t *y_row, *p_row; /* rows by y, by yhat */
    bool fast;               /* fold with AVX2 */
};

/* What one resample accumulates in the fold: per term the lanes of the exact sum of the
 * h parts and the compensated sum of the l parts; per bucket of the |e| order the
 * multiplicities (and, for weighted quantiles, the weights in two parts). */
typedef struct tally {
    double *hi;     /* nterms x LANES */
    double *lol;    /* nterms x LANES, flushed into lo */
    vn__ksum *lo;   /* nterms */
    uint32_t *cnt;  /* nbuckets */
    double *wh, *wl; /* nbuckets */
    uint64_t total; /* Σ multiplicities */
} tally;

/* ---- which metrics, which sums ---- */

/* Marks what metric ms reads in need[] (fields) and *x (extras); false when its value
 * cannot be had from multiplicities (see the file comment). */
static bool metric_needs(const vn__mspec *ms, const vn__opts *o, bool *need, unsigned *x)
{
    switch (ms->kind) {
    case MK_COUNT:
        return true;
    case MK_WEIGHT_SUM:
        need[F_W] = true;
        return true;
    case MK_MEAN_ERROR:
    case MK_MAE:
    case MK_PINBALL:
        need[F_W] = need[F_POS] = need[F_NEG] = true;
        return true;
    case MK_MSE:
    case MK_RMSE:
        need[F_W] = need[F_E2] = true;
        return true;
    case MK_MAX_ERROR:
        *x |= X_AE;
        return true;
    case MK_MEDAE:
    case MK_AEQ:
        need[F_W] = true;
        *x |= X_AE | X_QUANT;
        return true;
    case MK_MAPE:
    case MK_MPE: {
        const bool ape = ms->kind == MK_MAPE;
        need[F_W] = true;
        if (o->zero == VN_ZERO_EPS) {
            need[ape ? F_APE_EPS : F_PE_EPS] = true;
        } else {
            need[ape ? F_APE_NZ : F_PE_NZ] = need[F_W_NZ] = true;
            *x |= X_ZERO;
        }
        return true;
    }
    case MK_SMAPE:
        need[F_W] = need[F_SMAPE] = true;
        return true;
    case MK_WMAPE:
        need[F_POS] = need[F_NEG] = need[F_AY] = true;
        return true;
    case MK_MSLE:
    case MK_RMSLE:
        need[F_W] = need[F_MSLE] = true;
        *x |= X_MSLE;
        return true;
    case MK_R2:
    case MK_ADJ_R2:
        need[F_W] = need[F_E2] = need[F_DY] = need[F_DY2] = true;
        *x |= X_YEXT;
        return true;
    case MK_EXPVAR:
        need[F_W] = need[F_DE] = need[F_DE2] = need[F_DY] = need[F_DY2] = true;
        *x |= X_YEXT;
        return true;
    case MK_HUBER:
    case MK_PSEUDO_HUBER:
    case MK_POISSON:
    case MK_GAMMA:
    case MK_TWEEDIE:
        need[F_W] = need[F_SLOT + (size_t)ms->slot] = true;
        return true;
    case MK_LOG_COSH:
        need[F_W] = need[F_LOGCOSH] = true;
        return true;
    case MK_PEARSON:
        need[F_W] = need[F_DY] = need[F_DY2] = need[F_DP] = need[F_DP2] = need[F_DYP] = true;
        *x |= X_YEXT | X_PEXT;
        return true;
    case MK_CCC:
        need[F_W] = need[F_WY] = need[F_WP] = need[F_DY] = need[F_DY2] = true;
        need[F_DP] = need[F_DP2] = need[F_DYP] = true;
        return true;
    case MK_NRMSE:
        need[F_W] = need[F_E2] = true;
        switch ((int)ms->param[0]) {
        case 0: need[F_WY] = true; return true;
        case 1: *x |= X_YEXT; return true;
        case 2: need[F_DY] = need[F_DY2] = true; return true;
        default: return false; /* iqr: quantiles of y */
        }
    case MK_EXPR: { /* sums of per-row terms, unless a quantile needs the rows */
        const vn__expr *ex = ms->um->expr;
        if (ex->quantile)
            return false;
        need[F_W] = true;
        for (size_t k = 0; k < ex->nsums; k++)
            need[F_SLOT + (size_t)ms->slot + k] = true;
        return true;
    }
    default: /* d2_*, spearman_rho, kendall_tau, mda, mase, rmsse, metrics in C */
        return false;
    }
}

/* The terms of an expression's slot k on every row (its row program, as acc.c folds it);
 * rows where the term is not finite add 0 and are listed in c->slot_bad[k]. */
static vn_status expr_terms(vn__counter *c, size_t k, double *t)
{
    const vn__rowset *r = c->rows;
    const vn__xrows xr = {r->y, r->p, r->w, r->x};
    vn__prog_run(c->plan->slots[k].prog, &xr, 0, c->n, t);
    rowlist *l = &c->slot_bad[k];
    for (size_t i = 0; i < c->n; i++)
        l->n += !isfinite(t[i]);
    l->row = vn__malloc((l->n ? l->n : 1) * sizeof *l->row);
    if (!l->row)
        return VN_ERR_NOMEM;
    for (size_t i = 0, j = 0; i < c->n; i++)
        if (!isfinite(t[i])) {
            l->row[j++] = (uint32_t)i;
            t[i] = 0.0;
        }
    return VN_OK;
}

/* The per-row value of field f, exactly as acc.c's fold computes the row's addend. */
static double term_at(const vn__counter *c, size_t f, double y, double p, double w)
{
    const double e = p - y, we = w * e;
    const double dy = y - c->pivot_y, dp = p - c->pivot_p, de = (p - y) - c->pivot_e;
    const double ay = fabs(y), den = ay > DBL_EPSILON ? ay : DBL_EPSILON;
    switch (f) {
    case F_W: return w;
    case F_POS: return e > 0.0 ? we : 0.0;
    case F_NEG: return e < 0.0 ? -we : 0.0;
    case F_E2: return we * e;
    case F_WY: return w * y;
    case F_WP: return w * p;
    case F_DY: return w * dy;
    case F_DY2: return (w * dy) * dy;
    case F_DP: return w * dp;
    case F_DP2: return (w * dp) * dp;
    case F_DYP: return (w * dy) * dp;
    case F_DE: return w * de;
    case F_DE2: return (w * de) * de;
    case F_AY: return w * ay;
    case F_APE_EPS: return w * (fabs(e) / den);
    case F_PE_EPS: return w * (e / (y < 0.0 ? -den : den));
    case F_APE_NZ: return w * (y == 0.0 ? 0.0 : fabs(e) / ay);
    case F_PE_NZ: return y == 0.0 ? 0.0 : w * (e / y);
    case F_W_NZ: return y == 0.0 ? 0.0 : w;
    case F_SMAPE: {
        const double d = ay + fabs(p);
        return d > 0.0 ? w * (2.0 * fabs(p - y) / d) : 0.0;
    }
    case F_MSLE: {
        if (y <= -1.0 || p <= -1.0)
            return 0.0;
        const double d = log1p(y) - log1p(p);
        return w * (d * d);
    }
    case F_LOGCOSH: return w * vn__log_cosh(p - y);
    default: {
        const vn__slot *sl = &c->plan->slots[f - F_SLOT];
        if (sl->kind == SLOT_HUBER)
            return w * vn__huber(p - y, sl->param);
        if (sl->kind == SLOT_PSEUDO_HUBER)
            return w * vn__pseudo_huber(p - y, sl->param);
        bool bad = false;
        const double d = vn__tweedie_dev(y, p, sl->param, &bad);
        return bad ? 0.0 : w * d;
    }
    }
}

/* The splitting constant of a term whose values are at most m in magnitude on n rows:
 * 1.5·2^52·u with u the power of two >= n·m·2^-50 (see the file comment: then
 * |t| <= 2^50·u, so t + magic lies in [2^52·u, 2^53·u) where doubles are spaced u). 0 when
 * the sums could overflow: the caller then leaves the slice to the gathered path. */
static double magic_for(double m, size_t n)
{
    const double x = (double)n * m;
    if (!isfinite(x) || x > 0x1p1000)
        return 0.0;
    int ex = 0;
    frexp(x, &ex); /* x < 2^ex */
    return ldexp(1.5, (ex - 50 < -1074 ? -1074 : ex - 50) + 52);
}

/* Rows with the indicator of field-less counts: y = 0, log1p outside its domain, a
 * slot's deviance outside its domain. which: 0 zero, 1 msle, 2 + k slot k. */
static vn_status make_list(const vn__counter *c, size_t which, rowlist *l)
{
    const vn__rowset *r = c->rows;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++) {
            bool hit;
            if (which == 0) {
                hit = r->y[i] == 0.0;
            } else if (which == 1) {
                hit = r->y[i] <= -1.0 || r->p[i] <= -1.0;
            } else {
                hit = false;
                vn__tweedie_dev(r->y[i], r->p[i], c->plan->slots[which - 2].param, &hit);
            }
            if (hit && pass == 1)
                l->row[k] = (uint32_t)i;
            k += hit;
        }
        if (pass == 0) {
            l->n = k;
            l->row = vn__malloc((k ? k : 1) * sizeof *l->row);
            if (!l->row)
                return VN_ERR_NOMEM;
        }
    }
    return VN_OK;
}

/* A key's bits made unsigned-comparable: a double's sign bit flipped when positive, all
 * bits flipped when negative (finite keys; -0.0 comes just before +0.0). */
static uint64_t sort_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | (1ull << 63);
}

/* Rows sorted by key[i] (ties by row), into row[0..n); key_sorted (may be NULL) receives
 * the keys in that order. A least-significant-digit radix sort on the keys' 64 bits,
 * RADIX_BITS at a time: stable, so ties stay in row order; a few times faster than a
 * comparison sort on a million rows. */
#define RADIX_BITS 11

static vn_status order_rows(const double *key, size_t n, uint32_t *row, double *key_sorted)
{
    typedef struct item {
        uint64_t bits;
        uint32_t row;
    } item;
    item *a = vn__malloc(n * sizeof *a), *b = vn__malloc(n * sizeof *b);
    size_t *at = vn__malloc(((size_t)1 << RADIX_BITS) * sizeof *at);
    if (!a || !b || !at) {
        vn__free(a);
        vn__free(b);
        vn__free(at);
        return VN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (item){sort_bits(key[i]), (uint32_t)i};
    const uint64_t mask = ((uint64_t)1 << RADIX_BITS) - 1;
    for (unsigned shift = 0; shift < 64; shift += RADIX_BITS) {
        memset(at, 0, ((size_t)1 << RADIX_BITS) * sizeof *at);
        for (size_t i = 0; i < n; i++)
            at[(a[i].bits >> shift) & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) { /* counts -> first positions */
            const size_t k = at[d];
            at[d] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++)
            b[at[(a[i].bits >> shift) & mask]++] = a[i];
        item *const t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++) {
        row[i] = a[i].row;
        if (key_sorted)
            key_sorted[i] = key[a[i].row];
    }
    vn__free(a);
    vn__free(b);
    vn__free(at);
    return VN_OK;
}

/* The order of |e| and its buckets. */
static vn_status make_ae_order(vn__counter *c)
{
    const size_t n = c->n;
    double *ae = vn__malloc(n * sizeof *ae);
    c->ae_row = vn__malloc(n * sizeof *c->ae_row);
    c->ae = vn__malloc(n * sizeof *c->ae);
    c->bucket = vn__malloc(n * sizeof *c->bucket);
    vn_status st = ae && c->ae_row && c->ae && c->bucket ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK) {
        for (size_t i = 0; i < n; i++)
            ae[i] = fabs(c->rows->p[i] - c->rows->y[i]);
        st = order_rows(ae, n, c->ae_row, c->ae);
    }
    if (st == VN_OK) {
        for (size_t k = 0; k < n; k++)
            c->bucket[c->ae_row[k]] = (uint32_t)(k / BUCKET);
        c->nbuckets = (n + BUCKET - 1) / BUCKET;
    }
    vn__free(ae);
    return st;
}

/* The slice's weighted mean of x (the pivot of centred sums; any value near the mean
 * would do, this one keeps the corrections small). */
static double mean_of(const double *x, const double *w, size_t n)
{
    vn__ksum s = {0, 0}, W = {0, 0};
    for (size_t i = 0; i < n; i++) {
        vn__ksum_add(&s, w[i] * x[i]);
        vn__ksum_add(&W, w[i]);
    }
    return vn__ksum_get(&s) / vn__ksum_get(&W);
}

/* The terms of the needed fields and their splitting constants; *usable false when a
 * term or a sum of them is not finite (the gathered path then says what overflows). */
static vn_status make_terms(vn__counter *c, const bool *need, bool *usable)
{
    const vn__rowset *r = c->rows;
    const size_t n = c->n;
    c->term_of = vn__malloc(c->nf * sizeof *c->term_of);
    if (!c->term_of)
        return VN_ERR_NOMEM;
    for (size_t f = 0; f < c->nf; f++) {
        /* with unit weights W and W_nz are counts, not sums */
        const bool derived = c->unit && (f == F_W || f == F_W_NZ);
        c->term_of[f] = need[f] && !derived ? (int)c->nterms++ : -1;
    }
    c->t = vn__malloc((c->nterms ? c->nterms : 1) * n * sizeof *c->t);
    c->magic = vn__malloc((c->nterms ? c->nterms : 1) * sizeof *c->magic);
    if (!c->t || !c->magic)
        return VN_ERR_NOMEM;
    if (need[F_DY] || need[F_DYP])
        c->pivot_y = mean_of(r->y, r->w, n);
    if (need[F_DP])
        c->pivot_p = mean_of(r->p, r->w, n);
    if (need[F_DE]) {
        vn__ksum s = {0, 0}, W = {0, 0};
        for (size_t i = 0; i < n; i++) {
            vn__ksum_add(&s, r->w[i] * (r->p[i] - r->y[i]));
            vn__ksum_add(&W, r->w[i]);
        }
        c->pivot_e = vn__ksum_get(&s) / vn__ksum_get(&W);
    }
    for (size_t f = 0; f < c->nf; f++) {
        if (c->term_of[f] < 0)
            continue;
        double *t = c->t + (size_t)c->term_of[f] * n, m = 0.0;
        const bool expr = f >= F_SLOT && c->plan->slots[f - F_SLOT].kind == SLOT_EXPR;
        if (expr)
            VN_TRY(expr_terms(c, f - F_SLOT, t));
        for (size_t i = 0; i < n; i++) {
            if (!expr)
                t[i] = term_at(c, f, r->y[i], r->p[i], r->w[i]);
            m = fabs(t[i]) > m || isnan(t[i]) ? fabs(t[i]) : m;
        }
        c->magic[c->term_of[f]] = magic_for(m, n);
        *usable = *usable && c->magic[c->term_of[f]] > 0.0;
    }
    /* POS and NEG share one grid, so that Σw·e = POS − NEG is exact in its high part */
    if (c->term_of[F_POS] >= 0) {
        const int a = c->term_of[F_POS], b = c->term_of[F_NEG];
        const double m = fmax(c->magic[a], c->magic[b]);
        c->magic[a] = c->magic[b] = m;
    }
    return VN_OK;
}

void vn__counter_free(vn__counter *c)
{
    if (!c)
        return;
    vn__free(c->has);
    vn__free(c->term_of);
    vn__free(c->t);
    vn__free(c->magic);
    vn__free(c->zero.row);
    vn__free(c->msle_bad.row);
    if (c->slot_bad)
        for (size_t k = 0; k < c->plan->nslots; k++)
            vn__free(c->slot_bad[k].row);
    vn__free(c->slot_bad);
    vn__free(c->ae_row);
    vn__free(c->ae);
    vn__free(c->bucket);
    vn__free(c->y_row);
    vn__free(c->p_row);
    vn__free(c);
}

vn_status vn__counter_new(const vn__plan *plan, const vn__mspec *ms, size_t nms,
                          const vn__opts *o, const double *qs, size_t nq,
                          const vn__rowset *rows, vn__counter **out)
{
    *out = NULL;
    if (rows->n == 0 || rows->n > UINT32_MAX || nms == 0)
        return VN_OK;
    vn__counter *c = vn__calloc(1, sizeof *c);
    if (!c)
        return VN_ERR_NOMEM;
    *c = (vn__counter){.plan = plan, .ms = ms, .nms = nms, .o = o, .qs = qs, .nq = nq,
                       .rows = rows, .n = rows->n, .unit = true, .nf = F_SLOT + plan->nslots,
                       .fast = fold_fast()};
    bool *need = vn__calloc(c->nf, sizeof *need);
    c->has = vn__calloc(nms, sizeof *c->has);
    c->slot_bad = vn__calloc(plan->nslots ? plan->nslots : 1, sizeof *c->slot_bad);
    vn_status st = need && c->has && c->slot_bad ? VN_OK : VN_ERR_NOMEM;
    bool any = false, usable = true;
    for (size_t m = 0; st == VN_OK && m < nms; m++) {
        c->has[m] = metric_needs(&ms[m], o, need, &c->extras);
        any = any || c->has[m];
    }
    for (size_t i = 0; i < c->n && c->unit; i++)
        c->unit = rows->w[i] == 1.0;
    if (st == VN_OK && any)
        st = make_terms(c, need, &usable);
    if (st == VN_OK && any && usable) {
        if (c->extras & X_ZERO)
            st = make_list(c, 0, &c->zero);
        if (st == VN_OK && (c->extras & X_MSLE))
            st = make_list(c, 1, &c->msle_bad);
        for (size_t k = 0; st == VN_OK && k < plan->nslots; k++)
            if (need[F_SLOT + k] && plan->slots[k].kind == SLOT_TWEEDIE)
                st = make_list(c, 2 + k, &c->slot_bad[k]);
        if (st == VN_OK && (c->extras & X_AE))
            st = make_ae_order(c);
        if (st == VN_OK && (c->extras & X_YEXT)) {
            c->y_row = vn__malloc(c->n * sizeof *c->y_row);
            st = c->y_row ? order_rows(rows->y, c->n, c->y_row, NULL) : VN_ERR_NOMEM;
        }
        if (st == VN_OK && (c->extras & X_PEXT)) {
            c->p_row = vn__malloc(c->n * sizeof *c->p_row);
            st = c->p_row ? order_rows(rows->p, c->n, c->p_row, NULL) : VN_ERR_NOMEM;
        }
    }
    vn__free(need);
    if (st != VN_OK || !any || !usable) {
        vn__counter_free(c);
        return st;
    }
    *out = c;
    return VN_OK;
}

bool vn__counter_has(const vn__counter *c, size_t m) { return c && c->has[m]; }

/* ---- the fold ---- */

/* The two parts of a tile's terms: h = t rounded to a multiple of u (magic = 1.5·2^52·u,
 * see magic_for) and l = t − h, both exact. */
static void split(const double *restrict t, double magic, double *restrict h,
                  double *restrict l)
{
    for (size_t j = 0; j < CH; j++) {
        h[j] = (t[j] + magic) - magic;
        l[j] = t[j] - h[j];
    }
}

/* A tile's multiplicities as doubles; returns their sum. */
static unsigned to_double(const uint8_t *restrict c, double *restrict d)
{
    unsigned sum = 0;
    for (size_t j = 0; j < CH; j++) {
        d[j] = c[j];
        sum += c[j];
    }
    return sum;
}

/* hi[j] += Σ cd·h and lo[j] += Σ cd·l over the rows j, j + LANES, ... of a tile (m rows, a
 * multiple of LANES). cd·h and the sums of hi are exact (see the file comment).
 * m is not a constant and the function is not inlined: knowing the trip count, GCC
 * vectorises the loop over rows as an in-order (strict) reduction instead of the lanes,
 * several times slower. */
__attribute__((noinline)) static void fold_portable(const double *restrict cd,
                                                    const double *restrict h,
                                                    const double *restrict l, size_t m,
                                                    double *restrict hi, double *restrict lo)
{
    double sh[LANES], sl[LANES];
    for (size_t j = 0; j < LANES; j++) {
        sh[j] = hi[j];
        sl[j] = lo[j];
    }
    for (size_t i = 0; i < m; i += LANES)
#pragma GCC unroll 8
        for (size_t j = 0; j < LANES; j++) {
            sh[j] += cd[i + j] * h[i + j];
            sl[j] += cd[i + j] * l[i + j];
        }
    for (size_t j = 0; j < LANES; j++) {
        hi[j] = sh[j];
        lo[j] = sl[j];
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_FOLD_AVX2 1
/* The same fold with AVX2 instructions (four doubles each), used when the processor has
 * them: the same eight lanes, each summed in the same order, so the results are bit for
 * bit those of fold_portable, about twice as fast. Written with GCC's vector extension:
 * the compiler's own AVX2 code for the portable loop spills the accumulators. */
typedef double dvec4 __attribute__((vector_size(32)));
_Static_assert(LANES == 8, "fold_avx2 holds the lanes in two vectors of four");

__attribute__((target("avx2"), noinline)) static void fold_avx2(const double *cd,
                                                               const double *h,
                                                               const double *l, size_t m,
                                                               double *hi, double *lo)
{
    dvec4 h0, h1, l0, l1;
    memcpy(&h0, hi, sizeof h0);
    memcpy(&h1, hi + 4, sizeof h1);
    memcpy(&l0, lo, sizeof l0);
    memcpy(&l1, lo + 4, sizeof l1);
    for (size_t i = 0; i < m; i += LANES) {
        dvec4 c0, c1, a0, a1, b0, b1;
        memcpy(&c0, cd + i, sizeof c0);
        memcpy(&c1, cd + i + 4, sizeof c1);
        memcpy(&a0, h + i, sizeof a0);
        memcpy(&a1, h + i + 4, sizeof a1);
        memcpy(&b0, l + i, sizeof b0);
        memcpy(&b1, l + i + 4, sizeof b1);
        h0 += c0 * a0;
        h1 += c1 * a1;
        l0 += c0 * b0;
        l1 += c1 * b1;
    }
    memcpy(hi, &h0, sizeof h0);
    memcpy(hi + 4, &h1, sizeof h1);
    memcpy(lo, &l0, sizeof l0);
    memcpy(lo + 4, &l1, sizeof l1);
}
#endif

/* Whether fold can use fold_avx2: the processor has AVX2 and VERNIER_PORTABLE is not
 * set in the environment (tests set it to check that both folds give the same bits). */
static bool fold_fast(void)
{
#ifdef HAVE_FOLD_AVX2
    const char *portable = getenv("VERNIER_PORTABLE");
    return !(portable && *portable) && __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

static void fold(bool fast, const double *cd, const double *h, const double *l, size_t m,
                 double *hi, double *lo)
{
#ifdef HAVE_FOLD_AVX2
    if (fast) {
        fold_avx2(cd, h, l, m, hi, lo);
        return;
    }
#endif
    (void)fast;
    fold_portable(cd, h, l, m, hi, lo);
}

/* Moves the lanes of the remainders into their compensated sums (every FLUSH rows: a
 * lane then adds at most FLUSH / LANES remainders in plain arithmetic). */
static void flush(size_t nterms, tally *t)
{
    for (size_t k = 0; k < nterms; k++)
        for (size_t j = 0; j < LANES; j++) {
            vn__ksum_add(&t->lo[k], t->lol[k * LANES + j]);
            t->lol[k * LANES + j] = 0.0;
        }
}

/* Scratch of a fold: one tile of split terms, the multiplicities as doubles, and a
 * partial last tile's terms and multiplicities padded with zeros. */
typedef struct tile {
    double *h, *l; /* nterms x CH */
    double cd[CH], t[CH];
    uint8_t c[CH];
} tile;

/* Folds rows [from, to) of B resamples (multiplicities cnt[b][row]) into tl[0..B). */
static void fold_rows(const vn__counter *c, const uint8_t *const *cnt, size_t B, size_t from,
                      size_t to, tile *tb, tally *tl)
{
    const bool quant = c->extras & X_QUANT;
    /* weighted quantiles: the weights per bucket too, in the weight term's two parts */
    const int wt = quant && c->rows->weighted && !c->unit ? c->term_of[F_W] : -1;
    for (size_t a = from; a < to; a += CH) {
        const size_t m = to - a < CH ? to - a : CH;
        const size_t mp = (m + LANES - 1) / LANES * LANES; /* rows folded, padding included */
        for (size_t k = 0; k < c->nterms; k++) {
            const double *t = c->t + k * c->n + a;
            if (m < CH) {
                memcpy(tb->t, t, m * sizeof *t);
                memset(tb->t + m, 0, (CH - m) * sizeof *t);
                t = tb->t;
            }
            split(t, c->magic[k], tb->h + k * CH, tb->l + k * CH);
        }
        const uint32_t *bk = quant ? c->bucket + a : NULL;
        for (size_t b = 0; b < B; b++) {
            const uint8_t *cb = cnt[b] + a;
            if (m < CH) {
                memcpy(tb->c, cb, m);
                memset(tb->c + m, 0, CH - m);
                cb = tb->c;
            }
            tl[b].total += to_double(cb, tb->cd);
            for (size_t k = 0; k < c->nterms; k++)
                fold(c->fast, tb->cd, tb->h + k * CH, tb->l + k * CH, mp,
                     tl[b].hi + k * LANES, tl[b].lol + k * LANES);
            if ((a - from + m) % FLUSH == 0 || a + m == to)
                flush(c->nterms, &tl[b]);
            if (!quant)
                continue;
            for (size_t j = 0; j < m; j++) /* counted per bucket of the |e| order */
                tl[b].cnt[bk[j]] += cb[j];
            if (wt >= 0) {
                const double *wh = tb->h + (size_t)wt * CH, *wl = tb->l + (size_t)wt * CH;
                for (size_t j = 0; j < m; j++) {
                    tl[b].wh[bk[j]] += tb->cd[j] * wh[j];
                    tl[b].wl[bk[j]] += tb->cd[j] * wl[j];
                }
            }
        }
    }
}

/* ---- from sums to a state ---- */

/* The two parts of w under the splitting of the weight term (unit weights: 1 + 0). */
static void split_weight(const vn__counter *c, size_t row, double *h, double *l)
{
    if (c->term_of[F_W] < 0) {
        *h = 1.0;
        *l = 0.0;
        return;
    }
    const double s = c->magic[c->term_of[F_W]], w = c->rows->w[row];
    *h = (w + s) - s;
    *l = w - *h;
}

/* The rank (in the |e| order) of the first row at or after rank k that is drawn. */
static size_t next_drawn(const vn__counter *c, const uint8_t *cnt, size_t k)
{
    while (cnt[c->ae_row[k]] == 0)
        k++;
    return k;
}

/* The rank of the last row drawn (the largest |e|). */
static size_t last_drawn(const vn__counter *c, const uint8_t *cnt)
{
    size_t k = c->n - 1;
    while (cnt[c->ae_row[k]] == 0)
        k--;
    return k;
}

/* Value k (0-based, k < N) of the resample's |e| in ascending order; *rank receives the
 * rank of its row and *end the position just after that row's copies. */
static double ae_value(const vn__counter *c, const tally *tl, const uint8_t *cnt, uint64_t k,
                       size_t *rank, uint64_t *end)
{
    uint64_t before = 0;
    size_t b = 0;
    while (before + tl->cnt[b] <= k)
        before += tl->cnt[b++];
    size_t r = b * BUCKET;
    for (;; r++) {
        const unsigned m = cnt[c->ae_row[r]];
        if (before + m > k)
            break;
        before += m;
    }
    *rank = r;
    *end = before + cnt[c->ae_row[r]];
    return c->ae[r];
}

/* Unweighted quantile q of the resample's |e|: vn__quantiles_type7 over the rows
 * repeated, i.e. numpy's linear rule (np.median's arithmetic at q = 0.5). */
static double quantile_type7(const vn__counter *c, const tally *tl, const uint8_t *cnt,
                             uint64_t N, double q)
{
    const double last = (double)(N - 1), h = last * q;
    double a, b, t;
    size_t r;
    uint64_t end;
    if (h >= last) {
        a = b = ae_value(c, tl, cnt, N - 1, &r, &end);
        t = h - (-1.0);
    } else {
        const double fl = floor(h);
        const uint64_t lo = (uint64_t)fl;
        a = ae_value(c, tl, cnt, lo, &r, &end);
        b = lo + 1 < end ? a : c->ae[next_drawn(c, cnt, r + 1)];
        t = h - fl;
    }
    if (q == 0.5)
        return vn__median_numpy(a, b, N % 2 == 0);
    return vn__lerp_numpy(a, b, t);
}

/* Weighted quantile q: the averaged inverted CDF of vn__quantiles_weighted over the rows
 * repeated: the first value whose cumulative weight C reaches t = q·W; the midpoint
 * with the next value when C == t exactly. Cumulative weights are kept in the two
 * parts of the weight term (exact high part). */
static double quantile_weighted(const vn__counter *c, const tally *tl, const uint8_t *cnt,
                                double W, double q)
{
    const size_t n = c->n;
    if (q <= 0.0)
        return c->ae[next_drawn(c, cnt, 0)];
    if (q >= 1.0)
        return c->ae[last_drawn(c, cnt)];
    const double t = q * W;
    const bool unit = c->term_of[F_W] < 0;
    /* the walk starts at the first bucket whose cumulative weight (through it) reaches t,
     * with the weight before it in H + L */
    double H = 0.0, L = 0.0;
    size_t b = 0;
    for (; b + 1 < c->nbuckets; b++) {
        const double bh = unit ? (double)tl->cnt[b] : tl->wh[b];
        const double bl = unit ? 0.0 : tl->wl[b];
        if ((H + bh) + (L + bl) >= t)
            break;
        H += bh;
        L += bl;
    }
    for (size_t r = b * BUCKET; r < n; r++) {
        const unsigned k = cnt[c->ae_row[r]];
        if (k == 0)
            continue;
        double wh, wl;
        split_weight(c, c->ae_row[r], &wh, &wl);
        for (unsigned j = 1; j <= k; j++) {
            H += wh;
            L += wl;
            const double C = H + L;
            if (C < t)
                continue;
            if (C == t && j == k) { /* the midpoint with the next drawn value, if any */
                size_t s = r + 1;
                while (s < n && cnt[c->ae_row[s]] == 0)
                    s++;
                return s < n ? vn__lerp_numpy(c->ae[r], c->ae[s], 0.5) : c->ae[r];
            }
            return c->ae[r]; /* (a midpoint with its own copy is itself) */
        }
    }
    return c->ae[last_drawn(c, cnt)]; /* t above the rounded total: the largest, as select.c */
}

/* The sum of field f: exact high part and the remainder, or 0. */
static vn__ksum field(const vn__counter *c, const double (*sum)[2], size_t f)
{
    const int k = c->term_of[f];
    return k < 0 ? (vn__ksum){0, 0} : (vn__ksum){sum[k][0], sum[k][1]};
}

static double field_value(const vn__counter *c, const double (*sum)[2], size_t f)
{
    const vn__ksum s = field(c, sum, f);
    return vn__ksum_get(&s);
}

static uint64_t list_count(const rowlist *l, const uint8_t *cnt)
{
    uint64_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        k += cnt[l->row[i]];
    return k;
}

/* A centred sum of squares Σc·w(x − x̄)² from the sums around the pivot d = x − pivot:
 * Σc·w·d² − (Σc·w·d)²/W. *ok turns false when the correction cancels more than one
 * bit of Σc·w·d² (the resample's mean is far from the slice's). */
static double centred(double s2, double s1, double W, bool *ok)
{
    const double corr = s1 * s1 / W;
    *ok = *ok && corr <= 0.5 * s2;
    return fmax(s2 - corr, 0.0);
}

/* The smallest and largest key of the drawn rows, by the rows' order of that key. */
static void extremes(const uint32_t *order, const double *key, const uint8_t *cnt, size_t n,
                     double *lo, double *hi)
{
    size_t a = 0, b = n - 1;
    while (cnt[order[a]] == 0)
        a++;
    while (cnt[order[b]] == 0)
        b--;
    *lo = key[order[a]];
    *hi = key[order[b]];
}

/* Scratch of finishing one resample. */
typedef struct finish_buf {
    vn__acc *acc;
    double *qv;
} finish_buf;

/* The metrics of one resample (N rows, multiplicities cnt) from its sums and tally:
 * out[m] for the metrics this module has. *ok false: a centred moment lost accuracy, the
 * caller evaluates the resample from its rows. */
static vn_status finish(const vn__counter *c, const double (*sum)[2], const tally *tl,
                        const uint8_t *cnt, uint64_t N, finish_buf *fb, double *out, bool *ok)
{
    vn__acc *a = fb->acc;
    const vn__rowset *r = c->rows;
    vn__acc_init(a, c->plan);
    a->n = N;
    a->W = c->unit ? (vn__ksum){(double)N, 0.0} : field(c, sum, F_W);
    a->POS = field(c, sum, F_POS);
    a->NEG = field(c, sum, F_NEG);
    /* Σw·e = POS − NEG: the high parts share one grid, their difference is exact */
    a->E = (vn__ksum){a->POS.s - a->NEG.s, a->POS.c - a->NEG.c};
    a->E2 = field(c, sum, F_E2);
    a->WY = field(c, sum, F_WY);
    a->WP = field(c, sum, F_WP);
    a->AY = field(c, sum, F_AY);
    a->ape_eps = field(c, sum, F_APE_EPS);
    a->pe_eps = field(c, sum, F_PE_EPS);
    a->ape_nz = field(c, sum, F_APE_NZ);
    a->pe_nz = field(c, sum, F_PE_NZ);
    a->n_zero = list_count(&c->zero, cnt);
    a->w_nz = c->unit ? (vn__ksum){(double)(N - a->n_zero), 0.0} : field(c, sum, F_W_NZ);
    a->smape = field(c, sum, F_SMAPE);
    a->msle = field(c, sum, F_MSLE);
    a->n_msle_bad = list_count(&c->msle_bad, cnt);
    a->logcosh = field(c, sum, F_LOGCOSH);
    for (size_t k = 0; k < c->plan->nslots; k++) {
        a->slot[k].s = field(c, sum, F_SLOT + k);
        a->slot[k].bad = list_count(&c->slot_bad[k], cnt);
    }
    const double W = vn__ksum_get(&a->W);
    if (N > 0 && c->term_of[F_DY2] >= 0)
        a->Syy = centred(field_value(c, sum, F_DY2), field_value(c, sum, F_DY), W, ok);
    if (N > 0 && c->term_of[F_DP2] >= 0)
        a->Spp = centred(field_value(c, sum, F_DP2), field_value(c, sum, F_DP), W, ok);
    if (N > 0 && c->term_of[F_DE2] >= 0)
        a->See = centred(field_value(c, sum, F_DE2), field_value(c, sum, F_DE), W, ok);
    if (N > 0 && c->term_of[F_DYP] >= 0) /* accurate once Syy and Spp are */
        a->Syp = field_value(c, sum, F_DYP) -
                 field_value(c, sum, F_DY) * field_value(c, sum, F_DP) / W;
    if (N > 0 && (c->extras & X_YEXT))
        extremes(c->y_row, r->y, cnt, c->n, &a->ymin, &a->ymax);
    if (N > 0 && (c->extras & X_PEXT))
        extremes(c->p_row, r->p, cnt, c->n, &a->pmin, &a->pmax);
    if (N > 0 && (c->extras & X_AE)) {
        /* vn__metric_value reads emin and emax only as max_error = max(emax, −emin) */
        a->emax = c->ae[last_drawn(c, cnt)];
        a->emin = -a->emax;
    }
    /* (the levels may be those of metrics evaluated elsewhere: then none is read here) */
    for (size_t j = 0; j < c->nq; j++)
        fb->qv[j] = N == 0 || !(c->extras & X_QUANT) ? 0.0
                    : r->weighted ? quantile_weighted(c, tl, cnt, W, c->qs[j])
                                  : quantile_type7(c, tl, cnt, N, c->qs[j]);
    const vn__rowset qrows = {NULL, NULL, NULL, (size_t)N, r->weighted, c->nq, c->qs, fb->qv,
                              NULL, 0, NULL, NULL, false, NULL, 0, 0, 0.0};
    for (size_t m = 0; m < c->nms; m++) {
        if (!c->has[m])
            continue;
        char msg[VN_MSG_LEN];
        vn_value v;
        VN_TRY(vn__metric_value(&c->ms[m], a, &qrows, c->o, &v, msg, sizeof msg));
        out[m] = v.value;
    }
    return VN_OK;
}

/* ---- batches of resamples, jackknife subsets ---- */

/* Scratch of B tallies, a tile and a finishing buffer, in a few blocks. */
typedef struct work {
    tally *tl;
    double *hi, *lol, *wh, *wl, (*sum)[2];
    vn__ksum *lo;
    uint32_t *cnt;
    tile tb;
    finish_buf fb;
} work;

static void work_free(work *w)
{
    vn__free(w->tl);
    vn__free(w->hi);
    vn__free(w->lol);
    vn__free(w->lo);
    vn__free(w->cnt);
    vn__free(w->wh);
    vn__free(w->wl);
    vn__free(w->sum);
    vn__free(w->tb.h);
    vn__free(w->tb.l);
    vn__free(w->fb.acc);
    vn__free(w->fb.qv);
}

static vn_status work_new(const vn__counter *c, size_t B, work *w)
{
    memset(w, 0, sizeof *w);
    const size_t K = c->nterms ? c->nterms : 1, NB = c->nbuckets ? c->nbuckets : 1;
    const bool wq = c->rows->weighted && !c->unit && (c->extras & X_QUANT);
    w->tl = vn__malloc(B * sizeof *w->tl);
    w->hi = vn__malloc(B * K * LANES * sizeof *w->hi);
    w->lol = vn__malloc(B * K * LANES * sizeof *w->lol);
    w->lo = vn__malloc(B * K * sizeof *w->lo);
    w->cnt = vn__malloc(B * NB * sizeof *w->cnt);
    w->wh = wq ? vn__malloc(B * NB * sizeof *w->wh) : NULL;
    w->wl = wq ? vn__malloc(B * NB * sizeof *w->wl) : NULL;
    w->sum = vn__malloc(K * sizeof *w->sum);
    w->tb.h = vn__malloc(K * CH * sizeof *w->tb.h);
    w->tb.l = vn__malloc(K * CH * sizeof *w->tb.l);
    w->fb.acc = vn__malloc(vn__acc_size(c->plan));
    w->fb.qv = vn__malloc((c->nq ? c->nq : 1) * sizeof *w->fb.qv);
    if (!w->tl || !w->hi || !w->lol || !w->lo || !w->cnt || (wq && (!w->wh || !w->wl)) || !w->sum ||
        !w->tb.h || !w->tb.l || !w->fb.acc || !w->fb.qv) {
        work_free(w);
        return VN_ERR_NOMEM;
    }
    for (size_t b = 0; b < B; b++)
        w->tl[b] = (tally){w->hi + b * K * LANES, w->lol + b * K * LANES, w->lo + b * K,
                           w->cnt + b * NB,
                           wq ? w->wh + b * NB : NULL, wq ? w->wl + b * NB : NULL, 0};
    return VN_OK;
}

static void tally_clear(const vn__counter *c, tally *t)
{
    const size_t K = c->nterms, NB = c->nbuckets;
    t->total = 0;
    memset(t->hi, 0, K * LANES * sizeof *t->hi);
    memset(t->lol, 0, K * LANES * sizeof *t->lol);
    memset(t->lo, 0, K * sizeof *t->lo);
    if (c->extras & X_QUANT)
        memset(t->cnt, 0, NB * sizeof *t->cnt);
    if (t->wh) {
        memset(t->wh, 0, NB * sizeof *t->wh);
        memset(t->wl, 0, NB * sizeof *t->wl);
    }
}

/* The sums of a tally: the lanes of the high part (exact, so in any order) and the
 * remainder. */
static void tally_sums(const vn__counter *c, const tally *t, double (*sum)[2])
{
    for (size_t k = 0; k < c->nterms; k++) {
        double h = 0.0;
        for (size_t j = 0; j < LANES; j++)
            h += t->hi[k * LANES + j];
        sum[k][0] = h;
        sum[k][1] = vn__ksum_get(&t->lo[k]);
    }
}

vn_status vn__counter_eval(const vn__counter *c, const uint8_t *const *cnt, size_t B,
                           double *theta, bool *ok)
{
    work w;
    VN_TRY(work_new(c, B, &w));
    for (size_t b = 0; b < B; b++)
        tally_clear(c, &w.tl[b]);
    fold_rows(c, cnt, B, 0, c->n, &w.tb, w.tl);
    vn_status st = VN_OK;
    for (size_t b = 0; st == VN_OK && b < B; b++) {
        tally_sums(c, &w.tl[b], w.sum);
        /* a row drawn more than 255 times wrapped around: multiplicities short of n */
        ok[b] = w.tl[b].total == c->n;
        if (!ok[b])
            continue;
        st = finish(c, (const double(*)[2])w.sum, &w.tl[b], cnt[b], c->n, &w.fb,
                    theta + b * c->nms, &ok[b]);
    }
    work_free(&w);
    return st;
}

vn_status vn__counter_jack(const vn__counter *c, size_t G, double *jack, bool *ok)
{
    const size_t n = c->n, K = c->nterms, NB = c->nbuckets;
    uint8_t *ones = vn__malloc(n);
    work w;
    vn_status st = ones ? work_new(c, 2, &w) : VN_ERR_NOMEM;
    if (st != VN_OK) {
        vn__free(ones);
        return st;
    }
    memset(ones, 1, n);
    const uint8_t *const one[1] = {ones};
    tally *all = &w.tl[0], *grp = &w.tl[1];
    tally_clear(c, all);
    fold_rows(c, one, 1, 0, n, &w.tb, all);
    double(*sum_all)[2] = vn__malloc((K ? K : 1) * sizeof *sum_all);
    st = sum_all ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK)
        tally_sums(c, all, sum_all);
    for (size_t g = 0; st == VN_OK && g < G; g++) {
        /* the rows [lo, hi) left out: their own sums subtracted from all rows' (the high
         * parts are exact, so is their difference) */
        const size_t lo = g * n / G, hi = (g + 1) * n / G;
        tally_clear(c, grp);
        fold_rows(c, one, 1, lo, hi, &w.tb, grp);
        tally_sums(c, grp, w.sum);
        for (size_t k = 0; k < K; k++) {
            w.sum[k][0] = sum_all[k][0] - w.sum[k][0];
            w.sum[k][1] = sum_all[k][1] - w.sum[k][1];
        }
        for (size_t b = 0; (c->extras & X_QUANT) && b < NB; b++) {
            grp->cnt[b] = all->cnt[b] - grp->cnt[b];
            if (grp->wh) {
                grp->wh[b] = all->wh[b] - grp->wh[b];
                grp->wl[b] = all->wl[b] - grp->wl[b];
            }
        }
        memset(ones + lo, 0, hi - lo);
        ok[g] = true;
        st = finish(c, (const double(*)[2])w.sum, grp, ones, n - (hi - lo), &w.fb,
                    jack + g * c->nms, &ok[g]);
        memset(ones + lo, 1, hi - lo);
    }
    vn__free(sum_all);
    vn__free(ones);
    work_free(&w);
    return st;
}
