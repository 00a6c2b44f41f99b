/*
 * slices.c — worst-slice discovery (`vernier slices`): candidate slices from the values
 * and the quantile bins of columns, each compared with the rest of the rows on one
 * metric; the writers are in slices_out.c.
 *
 * The metric is θ = f(m), m the weighted mean of a per-row term t (vn__row_term) and f
 * the identity or, for rmse and rmsle, the square root. A set of rows is then a few sums
 * (struct sums): the value's numerator exactly as acc.c sums it, so that a slice's value
 * is the value `vernier eval --by` reports for it; Σw over the rows whose term counts;
 * and Σw², Σw²u, Σw²u² of the shifted term u = t − K, K the mean term of all rows, for
 * the variance Σw²(t − m)² = Σw²u² − 2dΣw²u + d²Σw² with d = m − K (the shift keeps d
 * small for every slice, so the subtraction loses next to nothing; every sum is
 * compensated).
 *
 * The file is read once into memory: per row its weight, numerator parts and term, and
 * per candidate column the row's value (or bin). The cells of all rows, of every column
 * and at depth 2 of every pair of columns are then filled by passes over the rows, each
 * adding every row, in row order, into the cells of a few columns or pairs at once. The
 * rest of a slice is the total minus the cell (compensated sums subtract without losing
 * digits).
 *
 * Speed (bench/slices.py; docs/slices.md): the numeric columns are binned by radix
 * selection, not sorted; a row's addends are made once per pass and added to its cells
 * as lanes the compiler vectorises; with --threads the passes run on a pool while the
 * reading thread hands the cells of its rows to workers that parse and intern them.
 * Threads change only which thread does which pass or column: every cell gets the same
 * additions in the same order, so the results are the same bits for any thread count.
 *
 * The test of a slice S against other rows O (the rest; at depth 2 also each parent's
 * other rows): d = h(θ_S) − h(θ_O), h = |·| for metrics whose ideal is 0 (as
 * compare.c), se² = se²_S + se²_O with se² = n/(n−1)·Σw²(t − m)²/W² — the analytic
 * interval of docs/intervals.md, times f'(m) = 1/(2√m) for a root (the delta method).
 * S and O share no row, so the two estimates are independent. The interval is d ± z·se,
 * the p-value 2Φ(−|d|/se). A depth-2 slice C = A∧B must beat the rest and the rows of A
 * outside C and of B outside C: its p-value is the largest of the three, the
 * intersection-union test of "worse than the rest and than both parents" (Berger & Hsu
 * 1996). The family of every tested candidate is adjusted by Holm (1979, vn__holm) or
 * Benjamini & Hochberg (1995).
 */
#include "csv.h"
#include "eval.h"
#include "kernels.h"
#include "numparse.h"
#include "stats.h"

#include <float.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NONE UINT32_MAX

enum { USE = 1, BAD = 2 }; /* a row's flags: its term counts; it makes the metric undefined */

/* A set of rows. */
typedef struct sums {
    uint64_t n;      /* rows (weight > 0) */
    uint64_t nuse;   /* rows whose term counts (all but y = 0 in mape, mpe; not under eps) */
    uint64_t nbad;   /* rows that make the metric undefined (y = 0, outside a domain) */
    vn__ksum W;      /* Σw over the rows that count */
    vn__ksum A, B;   /* the value's numerator parts, summed as acc.c sums them */
    vn__ksum L;      /* Σw·|t|: the loss */
    vn__ksum V0, V1, V2; /* Σw², Σw²u, Σw²u² */
} sums;

typedef struct column {
    char *name;
    size_t idx;         /* in the file */
    bool numeric;       /* every cell so far is a finite number */
    bool capped;        /* more distinct values than max_values: no longer interned */
    bool bad_utf8;
    double *num;        /* the numbers, while numeric */
    uint32_t *id;       /* per row: the value's index, then the candidate within the column */
    size_t cap;         /* rows num and id have room for */
    char *arena;        /* distinct values, NUL-terminated, at voff[k] */
    size_t alen, acap;
    size_t *voff, nvals, vcap;
    uint32_t *table;    /* open addressing: value index + 1, 0 = empty */
    size_t tcap;
    double *cuts;       /* numeric: upper bin edges, ascending; the last is the maximum */
    size_t ncuts;
    char **bins;        /* bin k as "(lo, hi]" */
    size_t first, ncand; /* its depth-1 candidates */
    char note[300];
} column;

typedef struct cand {
    vn_slice pub;
    sums s;
    size_t parent[2];   /* depth 2: indices of the depth-1 candidates */
    char *label;
    char note[200];
} cand;

struct vn_slices {
    vn_slices_info info;
    vn__mspec ms;
    vn__mspec *list;    /* the parsed metric (owns a custom metric's expression) */
    size_t nlist;
    const vn__prog *term; /* a custom metric mean(x): the row program of w·x */
    vn__names xnames;   /* its input columns */
    size_t *xcol;
    double *xv;
    const double **xp;
    vn__opts opts;
    bool pct, root, absdiff;
    double alpha, z;
    uint64_t minc;      /* max(min_count, 2) */
    /* rows */
    size_t n, cap;
    double *w, *a, *b, *t;
    uint8_t *fl;
    bool ones, plain;   /* every weight is 1; and every row's term counts (row_kinds) */
    struct feed *feed;  /* the worker threads taking the cells while reading, or NULL */
    double K;
    sums total;
    size_t threads;
    /* columns and candidates */
    column *cols;
    size_t ncols;
    vn_slices_column *pubcols;
    cand *c;
    size_t nc, ccap, nfind;
    char **notes;
    size_t nnotes;
    char *source, *ycol, *pcol, *wcol;
};

/* ---- sums ---- */

static void ksum_sub(vn__ksum *a, const vn__ksum *b)
{
    vn__ksum_add(a, -b->s);
    a->c -= b->c;
}

/* out = a − b (b's rows are a subset of a's). */
static void sums_sub(sums *out, const sums *a, const sums *b)
{
    *out = *a;
    out->n -= b->n;
    out->nuse -= b->nuse;
    out->nbad -= b->nbad;
    vn__ksum *o[] = {&out->W, &out->A, &out->B, &out->L, &out->V0, &out->V1, &out->V2};
    const vn__ksum *s[] = {&b->W, &b->A, &b->B, &b->L, &b->V0, &b->V1, &b->V2};
    for (size_t k = 0; k < sizeof o / sizeof o[0]; k++)
        ksum_sub(o[k], s[k]);
}

/* ---- the passes over the rows ----
 * The sums of a set of rows are, over the rows whose term counts and in row order, the
 * compensated additions (vn__ksum_add) W += w, A += a, B += b, L += w·|t|, V0 += w²,
 * V1 += w²u and V2 += w²u·u with u = t − K; n counts its rows, nuse those whose term
 * counts, nbad those that make the metric undefined. Every set is filled by one pass
 * over the rows in row order, and no two passes fill the same cell, so the sums do not
 * depend on the number of threads, which only decide which pass runs where. */

/* A cell while a pass fills it: the sums as lanes of one array, so that the compiler
 * runs a row's compensated additions two (or more) at a time. Three cache lines
 * (cells_alloc aligns them): no access straddles two, and the cells of two passes,
 * which may run on two threads, never share one. */
typedef struct cell {
    double s[8], c[8];
    uint64_t n, nuse, nbad, pad[5];
} cell;

enum { LINE = 64 };

/* n zeroed cells aligned to a cache line; *raw is what to free. */
static cell *cells_alloc(size_t n, void **raw)
{
    *raw = n <= (SIZE_MAX - LINE) / sizeof(cell) ? vn__calloc(n * sizeof(cell) + LINE, 1) : NULL;
    if (!*raw)
        return NULL;
    const uintptr_t p = (uintptr_t)*raw;
    return (cell *)(p + (LINE - p % LINE) % LINE);
}

/* The lanes: A, B, L, V1, V2 and, unless every weight is 1 (x->ones), W and V0. */
enum { L_A, L_B, L_L, L_V1, L_V2, L_W, L_V0 };

/* Every weight is 1 (x->ones): W and Σw² of a set are then its count nuse, which is
 * what adding nuse ones gives exactly ({nuse, 0}: cell_sums), and the passes skip those
 * lanes. Every row's term counts besides (x->plain): nuse = n and nbad = 0, and the
 * passes count n in lane W (ones, exactly: n < 2^53), no integer counter. */
static void row_kinds(vn_slices *x)
{
    bool ones = true, plain = true;
    for (size_t i = 0; i < x->n; i++) {
        ones &= x->w[i] == 1.0;
        plain &= x->fl[i] == USE;
    }
    x->ones = ones;
    x->plain = ones && plain;
}

/* What row i adds to the lanes of its cells: a, b, w·|t|, w²u, w²u·u and (nl = 8) w,
 * w². A row whose term does not count adds zeros instead of nothing: adding 0.0 to a
 * compensated sum leaves it as it was (its s is never −0.0, and its c is NaN as soon as
 * its s is infinite), so every lane gets exactly the additions above. */
static inline void row_lanes(const vn_slices *x, size_t i, unsigned use, double *r, unsigned nl,
                             bool plain)
{
    const double w = nl == 6 ? 1.0 : x->w[i], ww = w * w, u = x->t[i] - x->K;
    r[L_A] = x->a[i]; /* 0 when unused */
    r[L_B] = x->b[i];
    r[L_L] = w * fabs(x->t[i]);
    r[L_V1] = use ? ww * u : 0.0;
    r[L_V2] = use ? (ww * u) * u : 0.0;
    r[L_W] = plain ? 1.0 : nl == 6 || !use ? 0.0 : w; /* plain: the count n, exactly */
    if (nl == 8) {
        r[L_V0] = use ? ww : 0.0;
        r[7] = 0.0;
    }
}

/* Adds a row (its lanes r and flags f) to a cell; nl and plain are constants in each
 * caller. */
static inline void cell_add(cell *restrict a, const double *restrict r, unsigned f, unsigned nl,
                            bool plain)
{
    if (!plain) { /* plain: lane W counts the rows */
        a->n++;
        a->nuse += f & USE;
        a->nbad += (f & BAD) >> 1;
    }
    for (unsigned k = 0; k < nl; k++) { /* vn__ksum_add, lane by lane */
        const double t = a->s[k] + r[k];
        const double bp = t - a->s[k];
        a->c[k] += (a->s[k] - (t - bp)) + (r[k] - bp);
        a->s[k] = t;
    }
}

/* The sums of a filled cell. */
static void cell_sums(const vn_slices *x, const cell *a, sums *s)
{
    s->n = x->plain ? (uint64_t)a->s[L_W] : a->n;
    s->nuse = x->plain ? s->n : a->nuse;
    s->nbad = a->nbad;
    vn__ksum *to[] = {&s->A, &s->B, &s->L, &s->V1, &s->V2, &s->W, &s->V0};
    for (size_t k = 0; k < sizeof to / sizeof to[0]; k++)
        *to[k] = (vn__ksum){a->s[k], a->c[k]};
    if (x->ones)
        s->W = s->V0 = (vn__ksum){(double)s->nuse, 0.0};
}

/* What a pass fills: row i goes to cell ia[i] (ib NULL: depth 1; ia NULL too: cell 0,
 * all rows) or to cell ia[i]·nb + ib[i] of a pair of columns; NONE in either skips the
 * row. */
typedef struct target {
    const uint32_t *ia, *ib;
    size_t nb;
    cell *cells;
} target;

enum { ROW_BLOCK = 256 };

/* One pass over the rows for targets g[0..ng): a block of rows at a time, its lanes
 * made once (row_lanes), then added target by target, so that a target's cells stay
 * cached. nl (6 or 8 lanes) and plain are constants in each of fold's calls (inlined
 * there) so that the compiler pairs the lanes and drops what is not needed. */
static inline __attribute__((always_inline)) void
fold_nl(const vn_slices *x, const target *g, size_t ng, const unsigned nl, const bool plain)
{
    const uint8_t *fl = x->fl;
    double r[ROW_BLOCK][8];
    for (size_t i0 = 0; i0 < x->n; i0 += ROW_BLOCK) {
        const size_t m = x->n - i0 < ROW_BLOCK ? x->n - i0 : ROW_BLOCK;
        const uint8_t *f = fl + i0;
        for (size_t k = 0; k < m; k++)
            row_lanes(x, i0 + k, f[k] & USE, r[k], nl, plain);
        for (size_t j = 0; j < ng; j++) {
            const uint32_t *ia = g[j].ia ? g[j].ia + i0 : NULL, *ib = g[j].ib ? g[j].ib + i0 : NULL;
            const size_t nb = g[j].nb;
            cell *cells = g[j].cells;
            if (!g[j].ia) {
                for (size_t k = 0; k < m; k++)
                    cell_add(cells, r[k], f[k], nl, plain);
            } else if (!ib) {
                for (size_t k = 0; k < m; k++)
                    if (ia[k] != NONE)
                        cell_add(&cells[ia[k]], r[k], f[k], nl, plain);
            } else {
                for (size_t k = 0; k < m; k++)
                    if (ia[k] != NONE && ib[k] != NONE)
                        cell_add(&cells[(size_t)ia[k] * nb + ib[k]], r[k], f[k], nl, plain);
            }
        }
    }
}

static void fold(const vn_slices *x, const target *g, size_t ng)
{
    if (x->plain)
        fold_nl(x, g, ng, 6, true);
    else if (x->ones)
        fold_nl(x, g, ng, 6, false);
    else
        fold_nl(x, g, ng, 8, false);
}

/* ---- a small thread pool: tasks taken in turn by up to `threads` threads ---- */

enum { MAX_THREADS = 64 };

typedef struct pool {
    void (*run)(void *ctx, size_t task, size_t worker);
    void *ctx;
    size_t ntasks;
    atomic_size_t next;
} pool;

typedef struct worker_arg {
    pool *pl;
    size_t id;
} worker_arg;

static void *work(void *arg)
{
    const worker_arg *a = arg;
    for (;;) {
        const size_t t = atomic_fetch_add(&a->pl->next, 1);
        if (t >= a->pl->ntasks)
            return NULL;
        a->pl->run(a->pl->ctx, t, a->id);
    }
}

/* Runs tasks 0 .. ntasks−1 on `workers` threads (the caller's is worker 0; a worker's
 * id < workers, for scratch space). A task writes only its own outputs and allocates
 * nothing, so the results do not depend on the threads; a thread that cannot be
 * started leaves its share to the others. */
static void run_pool(size_t workers, size_t ntasks, void (*run)(void *, size_t, size_t), void *ctx)
{
    pool pl = {run, ctx, ntasks, 0};
    atomic_init(&pl.next, 0);
    pthread_t tid[MAX_THREADS];
    worker_arg arg[MAX_THREADS];
    size_t nt = 0;
    for (; nt + 1 < workers && nt + 1 < MAX_THREADS && nt + 1 < ntasks; nt++) {
        arg[nt + 1] = (worker_arg){&pl, nt + 1};
        if (pthread_create(&tid[nt], NULL, work, &arg[nt + 1]) != 0)
            break;
    }
    arg[0] = (worker_arg){&pl, 0};
    work(&arg[0]);
    for (size_t i = 0; i < nt; i++)
        pthread_join(tid[i], NULL);
}

/* Workers for ntasks tasks. */
static size_t workers_for(const vn_slices *x, size_t ntasks)
{
    const size_t w = x->threads < ntasks ? x->threads : ntasks;
    return w < 1 ? 1 : w > MAX_THREADS ? MAX_THREADS : w;
}

/* ---- the metric ---- */

static const char supported[] =
    "mean_error, mae, mse, rmse, mape, mpe, smape, msle, rmsle, huber, pseudo_huber, "
    "log_cosh, pinball, poisson_deviance, gamma_deviance, tweedie_deviance";

static bool is_supported(vn__kind k)
{
    switch (k) {
    case MK_MEAN_ERROR: case MK_MAE: case MK_MSE: case MK_RMSE: case MK_MAPE: case MK_MPE:
    case MK_SMAPE: case MK_MSLE: case MK_RMSLE: case MK_HUBER: case MK_PSEUDO_HUBER:
    case MK_LOG_COSH: case MK_PINBALL: case MK_POISSON: case MK_GAMMA: case MK_TWEEDIE:
        return true;
    default:
        return false;
    }
}

/* The numerator parts of one row (weight w > 0) as acc.c sums them, and whether the row
 * makes the metric undefined. Mirrors vn__acc_block and vn__metric_value term by term:
 * that is what makes a slice's value bit-identical to `vernier eval`'s. */
static void row_parts(const vn__mspec *ms, const vn__opts *o, double y, double p, double w,
                      double *a, double *b, bool *bad)
{
    const double e = p - y, we = w * e;
    *a = *b = 0.0;
    *bad = false;
    switch (ms->kind) {
    case MK_MEAN_ERROR: *a = we; break;
    case MK_MAE:
    case MK_PINBALL: /* Σw·e⁺ and Σw·e⁻ */
        *a = e > 0.0 ? we : 0.0;
        *b = e < 0.0 ? -we : 0.0;
        break;
    case MK_MSE: case MK_RMSE: *a = we * e; break;
    case MK_MAPE:
    case MK_MPE: {
        const double ay = fabs(y);
        const bool mape = ms->kind == MK_MAPE;
        if (o->zero == VN_ZERO_EPS) {
            const double den = ay > DBL_EPSILON ? ay : DBL_EPSILON;
            *a = mape ? w * (fabs(e) / den) : w * (e / (y < 0.0 ? -den : den));
        } else if (y != 0.0) {
            *a = mape ? w * (fabs(e) / ay) : w * (e / y);
        } else {
            *bad = o->zero == VN_ZERO_NAN;
        }
        break;
    }
    case MK_SMAPE: {
        const double d = fabs(y) + fabs(p);
        *a = d > 0.0 ? w * (2.0 * fabs(e) / d) : 0.0;
        break;
    }
    case MK_MSLE:
    case MK_RMSLE:
        if (y <= -1.0 || p <= -1.0) {
            *bad = true;
        } else {
            const double d = log1p(y) - log1p(p);
            *a = w * (d * d);
        }
        break;
    case MK_HUBER: *a = w * vn__huber(e, ms->param[0]); break;
    case MK_PSEUDO_HUBER: *a = w * vn__pseudo_huber(e, ms->param[0]); break;
    case MK_LOG_COSH: *a = w * vn__log_cosh(e); break;
    case MK_POISSON:
    case MK_GAMMA:
    case MK_TWEEDIE: {
        const double pw = ms->kind == MK_POISSON ? 1.0 : ms->kind == MK_GAMMA ? 2.0 : ms->param[0];
        const double d = vn__tweedie_dev(y, p, pw, bad);
        *a = *bad ? 0.0 : w * d;
        break;
    }
    default: break;
    }
}

/* The metric on a set of rows, *v (NaN when undefined, with the reason returned), and
 * its standard error *se (NaN when fewer than 2 rows count). */
static vn_reason estimate(const vn_slices *x, const sums *s, double *v, double *se)
{
    *v = *se = NAN;
    if (s->n == 0)
        return VN_REASON_NO_ROWS;
    if (s->nbad)
        return x->ms.kind == MK_MAPE || x->ms.kind == MK_MPE ? VN_REASON_ZERO_ACTUAL
                                                              : VN_REASON_DOMAIN;
    if (s->nuse == 0)
        return VN_REASON_ZERO_ACTUAL; /* --zero skip and every y = 0 */
    const double W = vn__ksum_get(&s->W), A = vn__ksum_get(&s->A), B = vn__ksum_get(&s->B);
    const double q = x->ms.param[0];
    vn__ksum ab = s->A; /* mae: Σw·e⁺ + Σw·e⁻ rounded once, as metrics.c */
    vn__ksum_merge(&ab, &s->B);
    const double num = x->ms.kind == MK_MAE       ? vn__ksum_get(&ab)
                       : x->ms.kind == MK_PINBALL ? q * B + (1.0 - q) * A
                                                  : A;
    const double m = x->pct ? 100.0 * num / W : num / W;
    if (!isfinite(m))
        return VN_REASON_OVERFLOW;
    *v = x->root ? sqrt(m) : m;
    if (s->nuse >= 2) {
        const double d = m - x->K;
        const double ss = vn__ksum_get(&s->V2) - 2.0 * d * vn__ksum_get(&s->V1) +
                          d * d * vn__ksum_get(&s->V0);
        const double nn = (double)s->nuse;
        double e = sqrt(nn / (nn - 1.0) * fmax(ss, 0.0)) / W;
        if (x->root)
            e = e == 0.0 ? 0.0 : e / (2.0 * *v);
        *se = e;
    }
    return VN_REASON_NONE;
}

/* One line on why the metric is undefined on a set of rows. */
static void why(const vn_slices *x, vn_reason r, const sums *s, char *buf, size_t len)
{
    const char *id = x->ms.info->id;
    switch (r) {
    case VN_REASON_ZERO_ACTUAL:
        vn__fmt(buf, len, "%s is undefined: %llu rows have y = 0", id,
                (unsigned long long)(s->nbad ? s->nbad : s->n));
        break;
    case VN_REASON_DOMAIN:
        vn__fmt(buf, len, "%s is undefined: %llu rows are outside its domain", id,
                (unsigned long long)s->nbad);
        break;
    case VN_REASON_OVERFLOW: vn__fmt(buf, len, "%s overflows binary64", id); break;
    default: vn__fmt(buf, len, "%s is undefined (%s)", id, vn_reason_name(r)); break;
    }
}

typedef struct contrast {
    double vs, vo, diff, se, p;
    vn_reason rs, ro;
} contrast;

/* Slice rows s against other rows o. */
static void compare_sets(const vn_slices *x, const sums *s, const sums *o, contrast *k)
{
    double ses, seo;
    k->rs = estimate(x, s, &k->vs, &ses);
    k->ro = estimate(x, o, &k->vo, &seo);
    k->diff = x->absdiff ? fabs(k->vs) - fabs(k->vo) : k->vs - k->vo;
    k->se = hypot(ses, seo);
    if (!isfinite(k->diff) || !isfinite(k->se))
        k->p = NAN;
    else if (k->se > 0.0)
        k->p = erfc(fabs(k->diff) / k->se / M_SQRT2);
    else
        k->p = k->diff == 0.0 ? 1.0 : 0.0;
}

/* ---- reading ---- */

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The column stops interning its values (too many, or not UTF-8). */
static void stop_interning(column *c)
{
    vn__free(c->table);
    vn__free(c->arena);
    vn__free(c->voff);
    c->table = NULL;
    c->arena = NULL;
    c->voff = NULL;
    c->tcap = c->nvals = c->vcap = c->alen = c->acap = 0;
    c->capped = true;
    if (!c->numeric) {
        vn__free(c->id);
        c->id = NULL;
    }
}

static vn_status rehash(column *c, size_t cap)
{
    uint32_t *t = vn__calloc(cap, sizeof *t);
    if (!t)
        return VN_ERR_NOMEM;
    for (size_t k = 0; k < c->nvals; k++) {
        const char *v = c->arena + c->voff[k];
        size_t h = (size_t)fnv1a(v, strlen(v)) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)k + 1;
    }
    vn__free(c->table);
    c->table = t;
    c->tcap = cap;
    return VN_OK;
}

/* The index of value f[0..len) in column c, added when new (*id = NONE when the column
 * just went over max_values). */
static vn_status intern(column *c, const char *f, size_t len, size_t max_values, uint32_t *id)
{
    if (!c->table)
        VN_TRY(rehash(c, 64));
    size_t h = (size_t)fnv1a(f, len) & (c->tcap - 1);
    for (; c->table[h]; h = (h + 1) & (c->tcap - 1)) {
        const size_t k = c->table[h] - 1; /* value k's length: up to the next one's NUL */
        const size_t end = k + 1 < c->nvals ? c->voff[k + 1] : c->alen;
        if (end - c->voff[k] - 1 == len && memcmp(c->arena + c->voff[k], f, len) == 0) {
            *id = (uint32_t)k;
            return VN_OK;
        }
    }
    if (c->nvals == max_values) {
        *id = NONE;
        return VN_OK;
    }
    if (!vn__grow((void **)&c->arena, &c->acap, c->alen + len + 1, 1) ||
        !vn__grow((void **)&c->voff, &c->vcap, c->nvals + 1, sizeof *c->voff))
        return VN_ERR_NOMEM;
    memcpy(c->arena + c->alen, f, len);
    c->arena[c->alen + len] = '\0';
    c->voff[c->nvals] = c->alen;
    c->alen += len + 1;
    c->table[h] = (uint32_t)c->nvals + 1;
    *id = (uint32_t)c->nvals++;
    if (2 * c->nvals > c->tcap)
        VN_TRY(rehash(c, 2 * c->tcap));
    return VN_OK;
}

/* Room for one more row in the per-row arrays (the columns' are take_cells'). */
static vn_status grow_rows(vn_slices *x)
{
    if (x->n < x->cap)
        return VN_OK;
    const size_t cap = x->cap ? 2 * x->cap : 1024;
    double **d[] = {&x->w, &x->a, &x->b, &x->t};
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++) {
        double *p = vn__realloc(*d[k], cap * sizeof *p);
        if (!p)
            return VN_ERR_NOMEM;
        *d[k] = p;
    }
    uint8_t *f = vn__realloc(x->fl, cap);
    if (!f)
        return VN_ERR_NOMEM;
    x->fl = f;
    x->cap = cap;
    return VN_OK;
}

/* Room for rows 0 .. need − 1 in column c's arrays (those not dropped). */
static vn_status grow_column(column *c, size_t need)
{
    if (need <= c->cap)
        return VN_OK;
    size_t cap = c->cap ? 2 * c->cap : 1024;
    cap = cap < need ? need : cap;
    if (c->num) {
        double *p = vn__realloc(c->num, cap * sizeof *p);
        if (!p)
            return VN_ERR_NOMEM;
        c->num = p;
    }
    if (c->id) {
        uint32_t *p = vn__realloc(c->id, cap * sizeof *p);
        if (!p)
            return VN_ERR_NOMEM;
        c->id = p;
    }
    c->cap = cap;
    return VN_OK;
}

/* Where a cell is, for a note: the record it is read from (r), or a location kept with
 * a batch. */
typedef struct where {
    const vn__csv *r;
    const char *file;
    uint64_t line, col;
} where;

/* Takes row i's cell f[0..len) of column c (room for it made). */
static vn_status take_cell(vn_slices *x, column *c, size_t i, const char *f, size_t len,
                           const where *at)
{
    if (c->num) {
        double v;
        if (vn__parse_double(f, len, &v) == VN__NUM_OK) {
            c->num[i] = v;
        } else {
            c->numeric = false;
            vn__free(c->num);
            c->num = NULL;
            if (c->capped) {
                vn__free(c->id);
                c->id = NULL;
            }
        }
    }
    if (c->capped)
        return VN_OK;
    const size_t before = c->nvals;
    uint32_t id;
    VN_TRY(intern(c, f, len, x->info.max_values, &id));
    if (id == NONE) { /* a numeric column is binned all the same */
        stop_interning(c);
        return VN_OK;
    }
    if (c->nvals > before && !vn__utf8_valid((const unsigned char *)f, len)) {
        const vn__csv *r = at->r;
        vn__fmt(c->note, sizeof c->note, "%s:%llu:%llu: not valid UTF-8: left out",
                r ? vn__csv_name(r) : at->file,
                (unsigned long long)(r ? vn__csv_field_line(r, c->idx) : at->line),
                (unsigned long long)(r ? vn__csv_field_col(r, c->idx) : at->col));
        c->bad_utf8 = true;
        c->numeric = false;
        vn__free(c->num);
        c->num = NULL;
        stop_interning(c);
        return VN_OK;
    }
    c->id[i] = id;
    return VN_OK;
}

/* ---- the candidate cells while reading ----
 * With one thread a row's candidate cells are taken as the row is read. With more, the
 * reading thread copies them into a batch and hands full batches to worker threads,
 * each taking the cells of its own columns (column j to worker j mod workers), batch
 * after batch, while the next batch is read: parsing the numbers and interning the
 * values is about half the reading. Every column still takes its cells one by one in
 * row order, so its state (numeric, capped, its values and their ids) ends up the same.
 * The workers allocate (a column's arrays, its values) through the hook, as the
 * bootstrap's do. */

enum { BATCH_ROWS = 4096 };

/* The location of a cell that is not ASCII (it might not be UTF-8). */
typedef struct cell_loc {
    size_t cell;
    uint64_t line, col;
} cell_loc;

typedef struct batch {
    size_t first, rows;  /* rows first .. first + rows − 1 */
    char *bytes;         /* the cells, row by row */
    size_t nbytes, cap;
    uint32_t *off, *len; /* cell k·ncols + j: bytes[off .. off + len) */
    cell_loc *loc;       /* the cells that are not ASCII, in order */
    size_t nloc, loccap;
} batch;

typedef struct feed feed;

typedef struct feed_arg {
    feed *f;
    size_t id;
} feed_arg;

struct feed {
    vn_slices *x;
    char *file;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    pthread_t tid[MAX_THREADS];
    feed_arg arg[MAX_THREADS];
    const char **src;     /* the reader's: a row's cells */
    size_t *slen;
    size_t workers;       /* started */
    batch b[2];
    int fill;             /* the batch the reader fills */
    const batch *work;    /* the batch the workers take */
    unsigned long handed; /* batches handed over */
    size_t busy;          /* workers still taking `work` */
    bool quit;
    vn_status st;         /* the first failure of a worker */
};

/* Worker w's share of batch b. */
static vn_status take_batch(feed *f, const batch *b, size_t w)
{
    vn_slices *x = f->x;
    const size_t nc = x->ncols;
    for (size_t j = w; j < nc; j += f->workers) {
        column *c = &x->cols[j];
        VN_TRY(grow_column(c, b->first + b->rows));
        size_t l = 0; /* the next non-ASCII cell of the column */
        for (size_t k = 0; k < b->rows; k++) {
            const size_t at_cell = k * nc + j;
            where at = {NULL, f->file, 0, 0};
            while (l < b->nloc && b->loc[l].cell < at_cell)
                l++;
            if (l < b->nloc && b->loc[l].cell == at_cell)
                at = (where){NULL, f->file, b->loc[l].line, b->loc[l].col};
            VN_TRY(take_cell(x, c, b->first + k, b->bytes + b->off[at_cell], b->len[at_cell], &at));
        }
    }
    return VN_OK;
}

static void *feed_work(void *arg)
{
    const feed_arg *a = arg;
    feed *f = a->f;
    unsigned long seen = 0;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->quit && f->handed == seen)
            pthread_cond_wait(&f->go, &f->mu);
        if (f->handed == seen)
            break; /* quit, and nothing new */
        seen = f->handed;
        const batch *b = f->work;
        const bool failed = f->st != VN_OK;
        pthread_mutex_unlock(&f->mu);
        const vn_status st = failed ? VN_OK : take_batch(f, b, a->id);
        pthread_mutex_lock(&f->mu);
        if (st != VN_OK && f->st == VN_OK)
            f->st = st;
        if (--f->busy == 0)
            pthread_cond_signal(&f->done);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Waits until the workers are done with the batch they have; their status. */
static vn_status feed_wait(feed *f)
{
    pthread_mutex_lock(&f->mu);
    while (f->busy)
        pthread_cond_wait(&f->done, &f->mu);
    const vn_status st = f->st;
    pthread_mutex_unlock(&f->mu);
    return st;
}

/* Hands the filled batch to the workers (once they are done with the other one) and
 * starts filling the other. */
static vn_status feed_hand(feed *f)
{
    VN_TRY(feed_wait(f));
    pthread_mutex_lock(&f->mu);
    f->work = &f->b[f->fill];
    f->busy = f->workers;
    f->handed++;
    pthread_cond_broadcast(&f->go);
    pthread_mutex_unlock(&f->mu);
    f->fill ^= 1;
    batch *b = &f->b[f->fill];
    b->rows = b->nbytes = b->nloc = 0;
    return VN_OK;
}

/* Stops the workers (after the batch they have) and frees the feed. */
static void feed_free(feed *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->quit = true;
    pthread_cond_broadcast(&f->go);
    pthread_mutex_unlock(&f->mu);
    for (size_t k = 0; k < f->workers; k++)
        pthread_join(f->tid[k], NULL);
    pthread_cond_destroy(&f->go);
    pthread_cond_destroy(&f->done);
    pthread_mutex_destroy(&f->mu);
    void *owned[] = {f->b[0].bytes, f->b[0].off, f->b[0].len, f->b[0].loc,
                     f->b[1].bytes, f->b[1].off, f->b[1].len, f->b[1].loc,
                     f->src, f->slen, f->file, f};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        vn__free(owned[k]);
}

/* Starts up to `workers` worker threads for the cells, before the first row; with
 * none started the cells are taken as they are read (x->feed stays NULL). */
static vn_status feed_new(vn_slices *x, const char *file, size_t workers)
{
    feed *f = vn__calloc(1, sizeof *f);
    if (!f)
        return VN_ERR_NOMEM;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->go, NULL);
    pthread_cond_init(&f->done, NULL);
    f->x = x;
    f->file = vn__strdup(file);
    f->src = vn__malloc(x->ncols * sizeof *f->src);
    f->slen = vn__malloc(x->ncols * sizeof *f->slen);
    bool ok = f->file && f->src && f->slen;
    for (int k = 0; k < 2; k++) {
        f->b[k].off = vn__malloc(BATCH_ROWS * x->ncols * sizeof *f->b[k].off);
        f->b[k].len = vn__malloc(BATCH_ROWS * x->ncols * sizeof *f->b[k].len);
        ok = ok && f->b[k].off && f->b[k].len;
    }
    if (!ok) {
        feed_free(f);
        return VN_ERR_NOMEM;
    }
    for (size_t k = 0; k < workers && k < MAX_THREADS; k++) {
        f->arg[k] = (feed_arg){f, k};
        if (pthread_create(&f->tid[k], NULL, feed_work, &f->arg[k]) != 0)
            break;
        f->workers++;
    }
    if (f->workers)
        x->feed = f;
    else
        feed_free(f);
    return VN_OK;
}

/* Takes the candidate cells of row x->n here (r: from the record; its location for a
 * note). */
static vn_status take_row(vn_slices *x, const vn__csv *r)
{
    const where at = {r, NULL, 0, 0};
    for (size_t j = 0; j < x->ncols; j++) {
        column *c = &x->cols[j];
        size_t len;
        const char *s = vn__csv_field(r, c->idx, &len);
        VN_TRY(grow_column(c, x->n + 1));
        VN_TRY(take_cell(x, c, x->n, s, len, &at));
    }
    return VN_OK;
}

/* Takes the candidate cells of row x->n, or copies them into the batch for the
 * workers. */
static vn_status take_cells(vn_slices *x, const vn__csv *r)
{
    feed *f = x->feed;
    const size_t nc = x->ncols;
    if (!f)
        return take_row(x, r);
    /* The record's cells usually lie in order in one span of the reader's buffer: then
     * it is copied at once (with what lies between), else cell by cell. */
    const char **src = f->src;
    size_t *slen = f->slen, total = 0;
    bool span = true;
    for (size_t j = 0; j < nc; j++) {
        src[j] = vn__csv_field(r, x->cols[j].idx, &slen[j]);
        span = span && (j == 0 || (uintptr_t)src[j] >= (uintptr_t)src[j - 1] + slen[j - 1]);
        total += slen[j];
    }
    const size_t all = span ? (uintptr_t)src[nc - 1] + slen[nc - 1] - (uintptr_t)src[0] : 0;
    span = span && all <= 2 * total + 64;
    const size_t got = span ? all : total;
    batch *b = &f->b[f->fill];
    if (got > UINT32_MAX - b->nbytes) { /* past 32-bit offsets: a new batch */
        if (b->rows)
            VN_TRY(feed_hand(f));
        b = &f->b[f->fill];
        if (got > UINT32_MAX) { /* a record of 4 GiB: here, once the workers are idle */
            VN_TRY(feed_wait(f));
            return take_row(x, r);
        }
    }
    if (b->rows == 0)
        b->first = x->n;
    uint32_t *off = b->off + b->rows * nc, *len = b->len + b->rows * nc;
    if (!vn__grow((void **)&b->bytes, &b->cap, b->nbytes + got + 1, 1))
        return VN_ERR_NOMEM;
    char *to = b->bytes + b->nbytes;
    if (span) {
        memcpy(to, src[0], all);
        for (size_t j = 0; j < nc; j++)
            off[j] = (uint32_t)(b->nbytes + ((uintptr_t)src[j] - (uintptr_t)src[0]));
    } else {
        for (size_t j = 0, at = 0; j < nc; j++) {
            memcpy(to + at, src[j], slen[j]);
            off[j] = (uint32_t)(b->nbytes + at);
            at += slen[j];
        }
    }
    for (size_t j = 0; j < nc; j++)
        len[j] = (uint32_t)slen[j];
    uint64_t any = 0, w8;
    size_t k = 0;
    for (; k + 8 <= got; k += 8) {
        memcpy(&w8, to + k, 8);
        any |= w8;
    }
    for (; k < got; k++)
        any |= (unsigned char)to[k];
    for (size_t j = 0; (any & 0x8080808080808080u) && j < nc; j++) {
        /* a cell that is not ASCII: where it is, in case it is not UTF-8 either */
        bool ascii = true;
        for (size_t i = 0; i < len[j]; i++)
            ascii = ascii && (unsigned char)b->bytes[off[j] + i] < 0x80;
        if (ascii)
            continue;
        const size_t idx = x->cols[j].idx;
        if (!vn__grow((void **)&b->loc, &b->loccap, b->nloc + 1, sizeof *b->loc))
            return VN_ERR_NOMEM;
        b->loc[b->nloc++] = (cell_loc){b->rows * nc + j, vn__csv_field_line(r, idx),
                                       vn__csv_field_col(r, idx)};
    }
    b->nbytes += got;
    b->rows++;
    return b->rows == BATCH_ROWS ? feed_hand(f) : VN_OK;
}

/* After the last row: the workers take the last batch and stop. */
static vn_status cells_done(vn_slices *x)
{
    feed *f = x->feed;
    if (!f)
        return VN_OK;
    vn_status st = f->b[f->fill].rows ? feed_hand(f) : VN_OK;
    if (st == VN_OK)
        st = feed_wait(f);
    feed_free(f);
    x->feed = NULL;
    return st;
}

/* The candidate columns: as named, or every column but y, yhat and weight. */
static vn_status choose_columns(vn_slices *x, const vn__csv *r, const vn_slices_config *cfg,
                                const size_t skip[3], char *errbuf, size_t errlen)
{
    const size_t nf = vn__csv_ncols(r);
    const size_t want = cfg->column_count ? cfg->column_count : nf;
    x->cols = vn__calloc(want ? want : 1, sizeof *x->cols);
    if (!x->cols)
        return VN_ERR_NOMEM;
    for (size_t k = 0; k < want; k++) {
        size_t idx = k;
        if (cfg->column_count)
            VN_TRY(vn__csv_find_column(r, cfg->columns[k], "slice", &idx, errbuf, errlen));
        else if (idx == skip[0] || idx == skip[1] || idx == skip[2])
            continue;
        bool dup = false;
        for (size_t j = 0; j < x->ncols; j++)
            dup = dup || x->cols[j].idx == idx;
        if (dup)
            continue;
        column *c = &x->cols[x->ncols++];
        c->idx = idx;
        c->numeric = true;
        char num[24];
        vn__fmt(num, sizeof num, "%zu", idx + 1);
        c->name = vn__strdup(vn__csv_colname(r, idx) ? vn__csv_colname(r, idx) : num);
        if (!c->name)
            return VN_ERR_NOMEM;
        /* placeholders until the first row: grow_column sizes what is not NULL */
        c->num = vn__malloc(sizeof *c->num);
        c->id = vn__malloc(sizeof *c->id);
        if (!c->num || !c->id)
            return VN_ERR_NOMEM;
    }
    return VN_OK;
}

static vn_status read_rows(vn_slices *x, vn__csv *r, const vn_slices_config *cfg, char *errbuf,
                           size_t errlen)
{
    const vn_csv_config *cc = &cfg->csv;
    const bool weighted = cc->weight != NULL;
    size_t col[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    VN_TRY(vn__csv_find_column(r, cc->y, "y", &col[0], errbuf, errlen));
    VN_TRY(vn__csv_find_column(r, cc->yhat, "prediction", &col[1], errbuf, errlen));
    if (weighted)
        VN_TRY(vn__csv_find_column(r, cc->weight, "weight", &col[2], errbuf, errlen));
    const char *names[3];
    for (int k = 0; k < 3; k++) {
        char idx[24];
        vn__fmt(idx, sizeof idx, "%zu", col[k] + 1);
        names[k] = col[k] == SIZE_MAX ? "" : vn__csv_colname(r, col[k]) ? vn__csv_colname(r, col[k]) : idx;
        char *copy = vn__strdup(names[k]);
        if (!copy)
            return VN_ERR_NOMEM;
        *(k == 0 ? &x->ycol : k == 1 ? &x->pcol : &x->wcol) = copy;
    }
    VN_TRY(choose_columns(x, r, cfg, col, errbuf, errlen));
    if (x->threads > 1 && x->ncols)
        VN_TRY(feed_new(x, vn__csv_name(r), x->threads - 1 < x->ncols ? x->threads - 1 : x->ncols));
    for (size_t k = 0; k < x->xnames.n; k++) {
        const vn_status st = vn__csv_find_column(r, x->xnames.name[k], "input", &x->xcol[k], errbuf,
                                                 errlen);
        if (st != VN_OK && errbuf && errlen) {
            const size_t n = strlen(errbuf);
            vn__fmt(errbuf + n, errlen - n, "; %s", x->xnames.use[k]);
        }
        if (st != VN_OK)
            return st;
    }
    static const char *const roles[3] = {"y", "prediction", "weight"};
    const char *cn[3] = {x->ycol, x->pcol, x->wcol};
    for (int got = 1;;) {
        vn_status st = vn__csv_next(r, &got);
        VN_RETURN_IF(st != VN_OK, st, "%s", vn__csv_errmsg(r));
        if (!got)
            break;
        x->info.rows_read++;
        double v[3] = {0, 0, 1};
        int ok = 1;
        for (int k = 0; k < (weighted ? 3 : 2) && ok == 1; k++)
            ok = vn__csv_number(r, col[k], roles[k], cn[k], cc->missing, &v[k], errbuf, errlen);
        for (size_t k = 0; k < x->xnames.n && ok == 1; k++)
            ok = vn__csv_number(r, x->xcol[k], "input", x->xnames.name[k], cc->missing, &x->xv[k],
                                errbuf, errlen);
        if (ok < 0)
            return VN_ERR_DATA;
        if (ok == 0) {
            x->info.rows_missing++;
            continue;
        }
        VN_RETURN_IF(v[2] < 0.0, VN_ERR_DATA, "%s:%llu:%llu: weight column \"%s\": negative weight %g",
                     vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, col[2]),
                     (unsigned long long)vn__csv_field_col(r, col[2]), x->wcol, v[2]);
        if (v[2] == 0.0) {
            x->info.rows_zero_weight++;
            continue;
        }
        VN_TRY(grow_rows(x));
        const size_t i = x->n;
        bool bad, use;
        double term;
        if (x->term) { /* w·x as eval's fold computes it; the term x for the variance */
            const vn__xrows xr = {&v[0], &v[1], &v[2], x->xp};
            vn__prog_run(x->term, &xr, 0, 1, &x->a[i]);
            x->b[i] = 0.0;
            bad = !isfinite(x->a[i]);
            use = true;
            term = x->a[i] / v[2];
            x->a[i] = bad ? 0.0 : x->a[i];
        } else {
            row_parts(&x->ms, &x->opts, v[0], v[1], v[2], &x->a[i], &x->b[i], &bad);
            vn__row_term(&x->ms, &x->opts, v[0], v[1], &term, &use);
        }
        x->w[i] = v[2];
        x->t[i] = use && !bad ? term : 0.0;
        x->fl[i] = (uint8_t)((use && !bad ? USE : 0) | (bad ? BAD : 0));
        VN_TRY(take_cells(x, r));
        x->n++;
    }
    VN_TRY(cells_done(x));
    VN_RETURN_IF(x->info.rows_read == 0, VN_ERR_DATA, "%s: no data rows%s", vn__csv_name(r),
                 cc->header ? " after the header" : "");
    VN_RETURN_IF(x->n == 0, VN_ERR_DATA, "%s: no rows with a positive weight", vn__csv_name(r));
    return VN_OK;
}

/* ---- candidates ---- */

/* A formatted string through the allocation hook (labels hold column names and values
 * of any length); NULL when out of memory. */
static char *dup_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dup_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? vn__malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static cand *new_cand(vn_slices *x)
{
    if (!vn__grow((void **)&x->c, &x->ccap, x->nc + 1, sizeof *x->c))
        return NULL;
    cand *c = &x->c[x->nc++];
    memset(c, 0, sizeof *c);
    return c;
}

/* The value at position pos of num[0..n) sorted stably, given that it equals v. Only
 * a zero needs a look: -0.0 and +0.0 compare equal, and a stable sort keeps them in row
 * order, so the pos-th value is the (pos - #negatives)-th zero of the column. (The
 * sign shows in the labels: "x<=-0".) */
static double stable_at(const double *num, size_t n, size_t pos, double v)
{
    if (v != 0.0)
        return v;
    size_t r = pos;
    for (size_t i = 0; i < n; i++)
        r -= num[i] < 0.0;
    for (size_t i = 0; i < n; i++)
        if (num[i] == 0.0 && r-- == 0)
            return num[i];
    return v; /* not reached: pos holds a zero */
}

/* An order-preserving integer key of a number (not NaN): the sign bit set for a
 * positive one, every bit flipped for a negative one (−0.0 sorts just below +0.0). */
static inline uint64_t order_key(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

enum { MAX_BINS = 100, RADIX = 1 << 16 };

/* The values at positions pos[0..m) (ascending, m <= MAX_BINS) of num[0..n) sorted, into
 * out (where a zero is, either zero: stable_at decides). A radix selection: one pass
 * counts the values by the top 16 bits of their key, a second gathers the buckets that
 * hold a wanted position into v, and vn__select finishes inside each bucket. Scratch:
 * hist (RADIX counts), v (n values). */
static void order_stats(const double *num, size_t n, const size_t *pos, size_t m, double *out,
                        size_t *hist, double *v)
{
    memset(hist, 0, RADIX * sizeof *hist);
    for (size_t i = 0; i < n; i++)
        hist[order_key(num[i]) >> 48]++;
    size_t bucket[MAX_BINS], rank[MAX_BINS], slot[MAX_BINS]; /* per wanted position */
    size_t tb[MAX_BINS], off[MAX_BINS + 1], nt = 0;       /* per bucket gathered */
    off[0] = 0;
    for (size_t b = 0, below = 0, j = 0; b < RADIX && j < m; below += hist[b++])
        for (; j < m && pos[j] < below + hist[b]; j++) {
            if (nt == 0 || tb[nt - 1] != b) {
                tb[nt] = b;
                off[nt + 1] = off[nt] + hist[b];
                nt++;
            }
            bucket[j] = b;
            rank[j] = pos[j] - below;
            slot[j] = nt - 1;
        }
    size_t cur[MAX_BINS];
    memset(hist, 0, RADIX * sizeof *hist); /* now: bucket -> gathered slot + 1 */
    for (size_t t = 0; t < nt; t++) {
        hist[tb[t]] = t + 1;
        cur[t] = off[t];
    }
    for (size_t i = 0; i < n; i++) {
        const size_t t = hist[order_key(num[i]) >> 48];
        if (t)
            v[cur[t - 1]++] = num[i];
    }
    size_t start = 0; /* v[start..) of the current bucket is unplaced */
    for (size_t j = 0; j < m; j++) {
        const size_t lo = off[slot[j]], hi = off[slot[j] + 1], k = lo + rank[j];
        if (j == 0 || bucket[j] != bucket[j - 1])
            start = lo;
        if (k >= start) {
            vn__select(v, start, hi, k);
            start = k + 1;
        }
        out[j] = v[k];
    }
}

/* Quantile bins of a numeric column. The cut points are the column's quantiles at
 * k/B, k = 1..B (the smallest value with at least k·n/B rows at or below it: numpy's
 * "inverted_cdf"), equal ones merged; bin j holds cut[j−1] < x <= cut[j], the first
 * everything up to cut[0]. When every quantile is the maximum but the column is not
 * constant, the cut below the maximum is the largest smaller value. The order
 * statistics come from order_stats, not a sort; c->cuts has room for B + 1. Scratch:
 * hist, v as order_stats. Allocates nothing (it runs on the pool). */
static void make_bins(const vn_slices *x, column *c, unsigned B, size_t *hist, double *v)
{
    const size_t n = x->n;
    size_t pos[MAX_BINS];
    double val[MAX_BINS];
    for (size_t k = 1; k <= B; k++)
        pos[k - 1] = (k * n + B - 1) / B - 1; /* ascending; repeats when n < B */
    order_stats(c->num, n, pos, B, val, hist, v);
    for (size_t k = 0; k < B; k++) {
        const double cut = stable_at(c->num, n, pos[k], val[k]);
        if (c->ncuts == 0 || cut > c->cuts[c->ncuts - 1])
            c->cuts[c->ncuts++] = cut;
    }
    if (c->ncuts == 1) { /* every quantile is the maximum: the largest smaller value */
        const double max = c->cuts[0];
        double below = -INFINITY;
        size_t nbelow = 0;
        for (size_t i = 0; i < n; i++)
            if (c->num[i] < max) {
                below = c->num[i] > below ? c->num[i] : below;
                nbelow++;
            }
        if (nbelow) {
            c->cuts[0] = stable_at(c->num, n, nbelow - 1, below);
            c->cuts[1] = max;
            c->ncuts = 2;
        }
    }
    /* the bin of a value: the first cut >= it, i.e. the number of cuts below it (the
     * last cut is the maximum); counted without branches when there are few cuts */
    const double *cut = c->cuts;
    const size_t m = c->ncuts;
    if (m <= 16) {
        for (size_t i0 = 0; i0 < n; i0 += 512) { /* cut by cut over a block: vectorised */
            const size_t len = n - i0 < 512 ? n - i0 : 512;
            const double *xb = c->num + i0;
            uint32_t *kb = c->id + i0;
            for (size_t i = 0; i < len; i++)
                kb[i] = 0;
            for (size_t j = 0; j + 1 < m; j++) {
                const double cj = cut[j];
                for (size_t i = 0; i < len; i++)
                    kb[i] += cj < xb[i];
            }
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = m - 1;
        while (lo < hi) {
            const size_t mid = (lo + hi) / 2;
            if (cut[mid] < c->num[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        c->id[i] = (uint32_t)lo;
    }
}

typedef struct bin_job {
    const vn_slices *x;
    const size_t *cols;
    double **scratch;
    size_t **hist;
    unsigned B;
} bin_job;

static void bin_task(void *ctx, size_t t, size_t worker)
{
    const bin_job *b = ctx;
    make_bins(b->x, &b->x->cols[b->cols[t]], b->B, b->hist[worker], b->scratch[worker]);
}

/* Bins every numeric column, a column per task (their distinct values are not needed:
 * they are dropped first). */
static vn_status bin_columns(vn_slices *x, unsigned B)
{
    size_t *cols = vn__malloc((x->ncols ? x->ncols : 1) * sizeof *cols), nb = 0;
    if (!cols)
        return VN_ERR_NOMEM;
    vn_status st = VN_OK;
    for (size_t j = 0; st == VN_OK && j < x->ncols; j++) {
        column *c = &x->cols[j];
        if (!c->numeric)
            continue;
        stop_interning(c);
        c->capped = false;
        c->cuts = vn__malloc(((size_t)B + 1) * sizeof *c->cuts);
        st = c->cuts ? VN_OK : VN_ERR_NOMEM;
        cols[nb++] = j;
    }
    const size_t nw = workers_for(x, nb);
    double **scratch = st == VN_OK && nb ? vn__calloc(nw, sizeof *scratch) : NULL;
    size_t **hist = st == VN_OK && nb ? vn__calloc(nw, sizeof *hist) : NULL;
    if (st == VN_OK && nb && (!scratch || !hist))
        st = VN_ERR_NOMEM;
    for (size_t k = 0; st == VN_OK && nb && k < nw; k++) {
        scratch[k] = vn__malloc(x->n * sizeof **scratch);
        hist[k] = vn__malloc(RADIX * sizeof **hist);
        st = scratch[k] && hist[k] ? VN_OK : VN_ERR_NOMEM;
    }
    if (st == VN_OK && nb) {
        bin_job b = {x, cols, scratch, hist, B};
        run_pool(nw, nb, bin_task, &b);
    }
    for (size_t k = 0; k < nw; k++) {
        vn__free(scratch ? scratch[k] : NULL);
        vn__free(hist ? hist[k] : NULL);
    }
    vn__free(scratch);
    vn__free(hist);
    vn__free(cols);
    return st;
}

/* Makes the depth-1 candidates of column j (binned already when numeric). */
static vn_status column_candidates(vn_slices *x, size_t j)
{
    column *c = &x->cols[j];
    c->first = x->nc;
    if (c->bad_utf8)
        return VN_OK; /* the note says why */
    if (c->capped && !c->numeric) {
        vn__fmt(c->note, sizeof c->note,
                "more than %zu distinct values (an identifier, or free text?): left out",
                x->info.max_values);
        return VN_OK;
    }
    if (c->numeric) {
        vn__free(c->num);
        c->num = NULL;
        if (c->ncuts == 1) {
            vn__fmt(c->note, sizeof c->note, "one value: no slice to compare");
            return VN_OK;
        }
        c->bins = vn__calloc(c->ncuts, sizeof *c->bins);
        if (!c->bins)
            return VN_ERR_NOMEM;
        for (size_t k = 0; k < c->ncuts; k++) {
            char lo[40], hi[40], buf[200];
            vn_format_double(lo, sizeof lo, k ? c->cuts[k - 1] : 0.0);
            vn_format_double(hi, sizeof hi, c->cuts[k]);
            cand *cd = new_cand(x);
            if (!cd)
                return VN_ERR_NOMEM;
            vn_slice *p = &cd->pub;
            if (k == 0) {
                vn__fmt(buf, sizeof buf, "(-inf, %s]", hi);
                cd->label = dup_fmt("%s<=%s", c->name, hi);
            } else if (k + 1 == c->ncuts) {
                vn__fmt(buf, sizeof buf, "(%s, inf)", lo);
                cd->label = dup_fmt("%s>%s", c->name, lo);
            } else {
                vn__fmt(buf, sizeof buf, "(%s, %s]", lo, hi);
                cd->label = dup_fmt("%s<%s<=%s", lo, c->name, hi);
            }
            c->bins[k] = vn__strdup(buf);
            if (!cd->label || !c->bins[k])
                return VN_ERR_NOMEM;
            p->cond[0] = c->bins[k];
            p->bin_lo[0] = k ? c->cuts[k - 1] : -INFINITY;
            p->bin_hi[0] = k + 1 < c->ncuts ? c->cuts[k] : INFINITY;
        }
    } else {
        if (c->nvals == 1) {
            vn__fmt(c->note, sizeof c->note, "one value: no slice to compare");
            return VN_OK;
        }
        for (size_t k = 0; k < c->nvals; k++) {
            const char *v = c->arena + c->voff[k];
            cand *cd = new_cand(x);
            if (!cd)
                return VN_ERR_NOMEM;
            cd->label = dup_fmt("%s=%s", c->name, v);
            if (!cd->label)
                return VN_ERR_NOMEM;
            cd->pub.cond[0] = v;
            cd->pub.bin_lo[0] = cd->pub.bin_hi[0] = NAN;
        }
    }
    c->ncand = x->nc - c->first;
    for (size_t k = c->first; k < x->nc; k++) {
        x->c[k].pub.depth = 1;
        x->c[k].pub.column[0] = c->name;
        x->c[k].pub.bin_lo[1] = x->c[k].pub.bin_hi[1] = NAN;
    }
    return VN_OK;
}

/* The statistics of candidate c against the rest (and its parents): status
 * VN_SLICE_NOT_SIGNIFICANT when tested, until the adjustment. */
static void assess(vn_slices *x, cand *c)
{
    vn_slice *p = &c->pub;
    p->value = p->rest = p->diff = p->lo = p->hi = p->p = p->p_adj = NAN;
    p->parent_diff[0] = p->parent_diff[1] = p->parent_p[0] = p->parent_p[1] = NAN;
    p->rows = c->s.n;
    p->row_share = (double)c->s.n / (double)x->total.n;
    const double lt = vn__ksum_get(&x->total.L);
    p->loss_share = lt > 0.0 ? vn__ksum_get(&c->s.L) / lt : NAN;
    sums rest;
    sums_sub(&rest, &x->total, &c->s);
    contrast k;
    compare_sets(x, &c->s, &rest, &k);
    p->value = k.vs;
    p->rest = k.vo;
    p->status = VN_SLICE_TOO_FEW_ROWS;
    if (c->s.n < x->minc) {
        vn__fmt(c->note, sizeof c->note, "%llu rows, fewer than %llu",
                (unsigned long long)c->s.n, (unsigned long long)x->minc);
        return;
    }
    if (rest.n < x->minc) {
        vn__fmt(c->note, sizeof c->note, "the rest has %llu rows, fewer than %llu",
                (unsigned long long)rest.n, (unsigned long long)x->minc);
        return;
    }
    char w[120];
    p->status = VN_SLICE_UNDEFINED;
    if (k.rs || k.ro) {
        why(x, k.rs ? k.rs : k.ro, k.rs ? &c->s : &rest, w, sizeof w);
        vn__fmt(c->note, sizeof c->note, "on the %s: %s", k.rs ? "slice" : "rest", w);
        return;
    }
    p->status = VN_SLICE_TOO_FEW_ROWS;
    if (c->s.nuse < 2 || rest.nuse < 2) {
        vn__fmt(c->note, sizeof c->note, "fewer than 2 rows with y != 0 on the %s",
                c->s.nuse < 2 ? "slice" : "rest");
        return;
    }
    p->status = VN_SLICE_UNDEFINED;
    if (isnan(k.p)) {
        vn__fmt(c->note, sizeof c->note, "the variance of the difference overflows");
        return;
    }
    p->diff = k.diff;
    p->lo = k.diff - x->z * k.se;
    p->hi = k.diff + x->z * k.se;
    p->p = k.p;
    for (int j = 0; j < 2 && p->depth == 2; j++) {
        const cand *par = &x->c[c->parent[j]];
        sums other;
        sums_sub(&other, &par->s, &c->s);
        p->status = VN_SLICE_TOO_FEW_ROWS;
        if (other.n < x->minc || other.nuse < 2) {
            vn__fmt(c->note, sizeof c->note, "the rest of parent %s has %llu rows, fewer than %llu",
                    par->label, (unsigned long long)other.n, (unsigned long long)x->minc);
            return;
        }
        compare_sets(x, &c->s, &other, &k);
        p->status = VN_SLICE_UNDEFINED;
        if (k.ro || isnan(k.p)) {
            why(x, k.ro, &other, w, sizeof w);
            vn__fmt(c->note, sizeof c->note, "on the rest of parent %s: %s", par->label, w);
            return;
        }
        p->parent_diff[j] = k.diff;
        p->parent_p[j] = k.p;
        p->p = fmax(p->p, k.p);
    }
    p->status = VN_SLICE_NOT_SIGNIFICANT;
    x->info.tested++;
}

enum { PER_PASS = 8 }; /* targets per pass, at most: their rows' lanes are made once */

/* The passes over targets g[0..ng): as few as hold PER_PASS each, times the workers,
 * cut into near-equal runs so that the workers share them evenly. */
typedef struct passes {
    const vn_slices *x;
    const target *g;
    size_t ng, np;
} passes;

static void pass_task(void *ctx, size_t t, size_t worker)
{
    (void)worker;
    const passes *ps = ctx;
    const size_t first = t * ps->ng / ps->np, end = (t + 1) * ps->ng / ps->np;
    fold(ps->x, ps->g + first, end - first);
}

static void run_passes(const vn_slices *x, const target *g, size_t ng)
{
    const size_t w = workers_for(x, ng ? ng : 1), per = w * PER_PASS;
    passes ps = {x, g, ng, w * ((ng + per - 1) / per)};
    if (ng)
        run_pool(w, ps.np, pass_task, &ps);
}

/* Depth 1: the sums of all rows and the cells of every column's candidates. */
static vn_status singles(vn_slices *x)
{
    size_t ng = 1;
    for (size_t j = 0; j < x->ncols; j++) {
        column *c = &x->cols[j];
        if (c->ncand == 0) {
            vn__free(c->id);
            c->id = NULL;
        }
        ng += c->ncand > 0;
    }
    target *g = vn__malloc(ng * sizeof *g);
    void *raw = NULL;
    cell *mem = g ? cells_alloc(x->nc + 1, &raw) : NULL; /* the candidates', then all rows' */
    if (!mem) {
        vn__free(g);
        return VN_ERR_NOMEM;
    }
    g[0] = (target){NULL, NULL, 0, mem + x->nc};
    for (size_t j = 0, k = 1; j < x->ncols; j++)
        if (x->cols[j].ncand)
            g[k++] = (target){x->cols[j].id, NULL, 0, mem + x->cols[j].first};
    run_passes(x, g, ng);
    for (size_t i = 0; i < x->nc; i++)
        cell_sums(x, &mem[i], &x->c[i].s);
    cell_sums(x, &mem[x->nc], &x->total);
    vn__free(g);
    vn__free(raw);
    return VN_OK;
}

/* A pair of columns at depth 2: na × nb cells of their eligible candidates. */
typedef struct pair_job {
    size_t ja, jb, na, nb;
    cell *cells;
} pair_job;

/* Lists the conjunctions of pair pj (its cells filled) as candidates, in candidate
 * order; map gives each depth-1 candidate's eligible index (NONE: fewer than minc rows). */
static vn_status list_pair(vn_slices *x, const pair_job *pj, const uint32_t *map)
{
    const column *ca = &x->cols[pj->ja], *cb = &x->cols[pj->jb];
    for (size_t ka = 0; ka < ca->ncand; ka++)
        for (size_t kb = 0; kb < cb->ncand; kb++) {
            const size_t pa = ca->first + ka, pb = cb->first + kb;
            if (map[pa] == NONE || map[pb] == NONE)
                continue;
            sums s;
            cell_sums(x, &pj->cells[(size_t)map[pa] * pj->nb + map[pb]], &s);
            if (s.n < x->minc) {
                x->info.small_pairs += s.n > 0;
                continue;
            }
            cand *cd = new_cand(x);
            if (!cd)
                return VN_ERR_NOMEM;
            const cand *a = &x->c[pa], *b = &x->c[pb];
            cd->s = s;
            cd->parent[0] = pa;
            cd->parent[1] = pb;
            cd->pub.depth = 2;
            for (int k = 0; k < 2; k++) {
                const vn_slice *par = &(k ? b : a)->pub;
                cd->pub.column[k] = par->column[0];
                cd->pub.cond[k] = par->cond[0];
                cd->pub.bin_lo[k] = par->bin_lo[0];
                cd->pub.bin_hi[k] = par->bin_hi[0];
            }
            cd->label = dup_fmt("%s & %s", a->label, b->label);
            if (!cd->label)
                return VN_ERR_NOMEM;
            assess(x, cd);
        }
    return VN_OK;
}

/* Column j's rows get their candidates' eligible indexes (map). */
typedef struct remap_job {
    vn_slices *x;
    const uint32_t *map;
} remap_job;

static void remap_task(void *ctx, size_t j, size_t worker)
{
    (void)worker;
    const remap_job *r = ctx;
    column *c = &r->x->cols[j];
    const uint32_t *m = r->map + c->first;
    for (size_t i = 0; c->id && i < r->x->n; i++)
        c->id[i] = m[c->id[i]];
}

/* Cells held at once, at most (a larger pair alone excepted): 2^19 cells, 96 MB. */
#define CELL_BUDGET ((size_t)1 << 19)

/* Depth 2: every pair of candidates from two different columns, both with at least
 * minc rows; conjunctions with fewer rows are counted, not listed. The rows' ids become
 * eligible indexes (NONE for the others); the pairs of columns are filled in batches
 * of at most CELL_BUDGET cells, on the pool, and listed in order. */
static vn_status pairs(vn_slices *x)
{
    const size_t n1 = x->nc, nc = x->ncols;
    uint32_t *map = vn__malloc((n1 ? n1 : 1) * sizeof *map); /* candidate -> eligible index */
    size_t *ne = vn__calloc(nc ? nc : 1, sizeof *ne);
    pair_job *pj = vn__malloc((nc * nc / 2 + 1) * sizeof *pj);
    target *g = vn__malloc((nc * nc / 2 + 1) * sizeof *g);
    vn_status st = map && ne && pj && g ? VN_OK : VN_ERR_NOMEM;
    size_t npj = 0;
    for (size_t j = 0; st == VN_OK && j < nc; j++) {
        const column *c = &x->cols[j];
        for (size_t k = 0; k < c->ncand; k++)
            map[c->first + k] = x->c[c->first + k].s.n >= x->minc ? (uint32_t)ne[j]++ : NONE;
    }
    remap_job rj = {x, map};
    if (st == VN_OK)
        run_pool(workers_for(x, nc), nc, remap_task, &rj);
    for (size_t ja = 0; st == VN_OK && ja < nc; ja++)
        for (size_t jb = ja + 1; jb < nc; jb++)
            if (ne[ja] && ne[jb])
                pj[npj++] = (pair_job){ja, jb, ne[ja], ne[jb], NULL};
    for (size_t at = 0, end; st == VN_OK && at < npj; at = end) {
        size_t cells = 0;
        for (end = at; end < npj && (end == at || cells + pj[end].na * pj[end].nb <= CELL_BUDGET); end++)
            cells += pj[end].na * pj[end].nb;
        void *raw;
        cell *mem = cells_alloc(cells, &raw);
        if (!mem) {
            st = VN_ERR_NOMEM;
            break;
        }
        for (size_t k = at, off = 0; k < end; k++) {
            pj[k].cells = mem + off;
            off += pj[k].na * pj[k].nb;
            g[k - at] = (target){x->cols[pj[k].ja].id, x->cols[pj[k].jb].id, pj[k].nb, pj[k].cells};
        }
        run_passes(x, g, end - at);
        for (size_t k = at; st == VN_OK && k < end; k++)
            st = list_pair(x, &pj[k], map);
        vn__free(raw);
    }
    vn__free(map);
    vn__free(ne);
    vn__free(pj);
    vn__free(g);
    return st;
}

/* ---- multiplicity and order ---- */

typedef struct pval {
    double p;
    size_t i;
} pval;

static int cmp_pval(const void *pa, const void *pb)
{
    const pval *a = pa, *b = pb;
    return a->p < b->p ? -1 : a->p > b->p ? 1 : (a->i > b->i) - (a->i < b->i);
}

/* Benjamini–Hochberg step-up adjusted p-values (R's p.adjust(method = "BH")): with the m
 * non-NaN values sorted ascending, adj_(j) = min(1, min_{i >= j} (m / i) p_(i)). NaN
 * entries stay NaN; adj may be p itself. */
static vn_status bh_adjust(const double *p, size_t n, double *adj)
{
    pval *v = vn__malloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    if (!v)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p[i]))
            v[m++] = (pval){p[i], i};
    qsort(v, m, sizeof *v, cmp_pval);
    for (size_t i = 0; i < n; i++)
        adj[i] = NAN;
    double run = 1.0;
    for (size_t j = m; j-- > 0;) {
        const double a = (double)m / (double)(j + 1) * v[j].p;
        run = a < run ? a : run;
        adj[v[j].i] = run;
    }
    vn__free(v);
    return VN_OK;
}

/* Findings first (largest diff, then smallest p_adj), then the other tested candidates,
 * then the untested, each by diff (largest first); ties by label. */
static int group_of(const cand *c)
{
    switch (c->pub.status) {
    case VN_SLICE_WORSE: return 0;
    case VN_SLICE_BETTER:
    case VN_SLICE_NOT_SIGNIFICANT: return 1;
    default: return 2;
    }
}

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    const int ga = group_of(a), gb = group_of(b);
    if (ga != gb)
        return ga - gb;
    const double da = a->pub.diff, db = b->pub.diff;
    if (!isnan(da) || !isnan(db)) {
        if (isnan(da) || isnan(db))
            return isnan(da) ? 1 : -1;
        if (da != db)
            return da > db ? -1 : 1;
    }
    if (ga == 0 && a->pub.p_adj != b->pub.p_adj)
        return a->pub.p_adj < b->pub.p_adj ? -1 : 1;
    return strcmp(a->label, b->label);
}

static vn_status adjust(vn_slices *x, vn_adjust method)
{
    double *p = vn__malloc((x->nc ? x->nc : 1) * sizeof *p);
    if (!p)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < x->nc; i++)
        p[i] = x->c[i].pub.status == VN_SLICE_NOT_SIGNIFICANT ? x->c[i].pub.p : NAN;
    vn_status st = method == VN_ADJUST_BH ? bh_adjust(p, x->nc, p) : vn__holm(p, x->nc, p);
    for (size_t i = 0; st == VN_OK && i < x->nc; i++) {
        vn_slice *s = &x->c[i].pub;
        s->p_adj = p[i];
        if (s->status != VN_SLICE_NOT_SIGNIFICANT || !(s->p_adj < x->alpha))
            continue;
        const bool two = s->depth == 2;
        /* every supported metric is a loss, or signed with |.| compared: diff > 0 is worse */
        if (s->diff > 0 && (!two || (s->parent_diff[0] > 0 && s->parent_diff[1] > 0)))
            s->status = VN_SLICE_WORSE;
        else if (s->diff < 0 && (!two || (s->parent_diff[0] < 0 && s->parent_diff[1] < 0)))
            s->status = VN_SLICE_BETTER;
        x->info.worse += s->status == VN_SLICE_WORSE;
    }
    vn__free(p);
    return st;
}

/* ---- notes ---- */

static vn_status note(vn_slices *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static vn_status note(vn_slices *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const vn_status st = vn__lines_add(&x->notes, &x->nnotes, fmt, ap);
    va_end(ap);
    return st;
}

static vn_status make_notes(vn_slices *x, size_t top)
{
    const vn_slices_info *in = &x->info;
    const char *id = x->ms.info->id;
    if (x->ncols == 0)
        VN_TRY(note(x, "the file has no column besides the actual, prediction and weight "
                       "columns to slice by"));
    for (size_t j = 0; j < x->ncols; j++) {
        const column *c = &x->cols[j];
        if (*c->note)
            VN_TRY(note(x, "column \"%s\": %s", c->name, c->note));
        else if (c->ncand) {
            size_t big = 0;
            for (size_t k = 0; k < c->ncand; k++)
                big += x->c[c->first + k].s.n >= x->minc;
            if (big == 0)
                VN_TRY(note(x, "column \"%s\": none of its %zu %s has %llu rows: none tested", c->name,
                            c->ncand, c->numeric ? "bins" : "values", (unsigned long long)x->minc));
        }
    }
    if (isnan(in->value)) {
        char w[120];
        double v, se;
        why(x, estimate(x, &x->total, &v, &se), &x->total, w, sizeof w);
        VN_TRY(note(x, "on all rows, %s; a slice whose rest holds those rows cannot be "
                       "tested (use another metric%s)", w,
                    x->ms.kind == MK_MAPE || x->ms.kind == MK_MPE ? ", or --zero skip|eps" : ""));
    }
    size_t undef = 0;
    for (size_t i = 0; i < x->nc; i++)
        undef += x->c[i].pub.status == VN_SLICE_UNDEFINED;
    if (undef)
        VN_TRY(note(x, "%zu candidate slices were not tested: %s is undefined on them or on "
                       "their rest (--all lists them with the reason)", undef, id));
    if (in->small_pairs)
        VN_TRY(note(x, "%llu conjunctions have fewer than %llu rows: not tested",
                    (unsigned long long)in->small_pairs, (unsigned long long)x->minc));
    if (in->worse == 0)
        VN_TRY(note(x, "no slice is significantly worse than the rest (%zu tested, %s-adjusted "
                       "p < %g)", in->tested, in->adjust == VN_ADJUST_BH ? "BH" : "Holm",
                    x->alpha));
    else if (top && in->worse > top)
        VN_TRY(note(x, "%zu more slices are significantly worse: --top 0 lists them all",
                    in->worse - top));
    return VN_OK;
}

/* ---- the public face ---- */

const char *vn_slice_status_name(vn_slice_status s)
{
    static const char *const names[] = {"worse", "better", "not_significant", "too_few_rows",
                                        "undefined"};
    return (unsigned)s <= VN_SLICE_UNDEFINED ? names[s] : "?";
}

void vn_slices_config_init(vn_slices_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    vn_csv_config_init(&cfg->csv);
    cfg->depth = 1;
    cfg->bins = 5;
    cfg->min_count = 30;
    cfg->top = 10;
    cfg->adjust = VN_ADJUST_HOLM;
    cfg->level = 0.95;
    cfg->max_values = 1000;
    cfg->threads = 1;
}

void vn_slices_free(vn_slices *x)
{
    if (!x)
        return;
    feed_free(x->feed); /* after a failed read: the workers stop before the columns go */
    for (size_t j = 0; x->cols && j < x->ncols; j++) {
        column *c = &x->cols[j];
        void *owned[] = {c->name, c->num, c->id, c->arena, c->voff, c->table, c->cuts};
        for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
            vn__free(owned[k]);
        for (size_t k = 0; c->bins && k < c->ncuts; k++)
            vn__free(c->bins[k]);
        vn__free(c->bins);
    }
    for (size_t i = 0; i < x->nc; i++)
        vn__free(x->c[i].label);
    for (size_t i = 0; i < x->nnotes; i++)
        vn__free(x->notes[i]);
    void *owned[] = {x->w, x->a, x->b, x->t, x->fl, x->cols, x->pubcols, x->c, x->notes,
                     x->source, x->ycol, x->pcol, x->wcol, x->xcol, x->xv, x->xp};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        vn__free(owned[k]);
    vn__mspecs_free(x->list, x->nlist);
    vn__names_free(&x->xnames);
    vn__free(x);
}

static vn_status configure(vn_slices *x, const vn_slices_config *cfg, char *errbuf, size_t errlen)
{
    VN_RETURN_IF(!cfg->csv.y || !cfg->csv.yhat, VN_ERR_USAGE,
                 "the actual and prediction columns are required");
    VN_RETURN_IF(cfg->depth != 1 && cfg->depth != 2, VN_ERR_USAGE, "depth must be 1 or 2, not %d",
                 cfg->depth);
    VN_RETURN_IF(cfg->bins < 2 || cfg->bins > 100, VN_ERR_USAGE,
                 "bins must be between 2 and 100, not %u", cfg->bins);
    VN_RETURN_IF(!(cfg->level > 0.0 && cfg->level < 1.0), VN_ERR_USAGE,
                 "the level must lie between 0 and 1, not %g", cfg->level);
    VN_RETURN_IF(cfg->max_values < 2 || cfg->max_values > 1000000, VN_ERR_USAGE,
                 "max_values must be between 2 and 1000000, not %zu", cfg->max_values);
    VN_RETURN_IF((unsigned)cfg->adjust > VN_ADJUST_BH, VN_ERR_USAGE, "unknown adjustment");
    VN_RETURN_IF(cfg->threads < 0 || cfg->threads > 256, VN_ERR_USAGE,
                 "threads must be 0 (auto) to 256, not %d", cfg->threads);
    VN_RETURN_IF(cfg->csv.delimiter == '"' || cfg->csv.delimiter == '\n' || cfg->csv.delimiter == '\r',
                 VN_ERR_USAGE, "the delimiter cannot be a quote or a line break");
    VN_TRY(vn__metrics_parse_ex(cfg->metric ? cfg->metric : "mae", NULL, 0, &x->xnames, &x->list,
                                &x->nlist, errbuf, errlen));
    const vn__mspec *ms = x->list;
    const bool one = x->nlist == 1;
    bool root = false;
    /* a custom metric: an expression mean(x) or sqrt(mean(x)) of a loss (lower is better) */
    x->term = one ? vn__custom_mean_term(&ms[0], &root) : NULL;
    const bool ok = one && (is_supported(ms[0].kind) ||
                            (x->term && ms[0].info->direction != VN_HIGHER_IS_BETTER));
    if (ok)
        x->ms = ms[0];
    VN_RETURN_IF(!one, VN_ERR_USAGE, "slices takes one metric, not \"%s\"", cfg->metric);
    VN_RETURN_IF(!ok && ms[0].um, VN_ERR_USAGE,
                 "slices cannot use %s: the metric must be a weighted mean of a per-row loss, a "
                 "custom one written mean(x) or sqrt(mean(x)) (lower or no direction)",
                 ms[0].key);
    VN_RETURN_IF(!ok, VN_ERR_USAGE,
                 "slices cannot use %s: it is not a weighted mean of a per-row term; supported: %s "
                 "(and custom metrics mean(x), sqrt(mean(x)))",
                 ms[0].info->id, supported);
    const size_t nx = x->xnames.n;
    x->xcol = vn__calloc(nx + 1, sizeof *x->xcol);
    x->xv = vn__calloc(nx + 1, sizeof *x->xv);
    x->xp = vn__calloc(nx + 1, sizeof *x->xp);
    if (!x->xcol || !x->xv || !x->xp)
        return VN_ERR_NOMEM;
    for (size_t k = 0; k < nx; k++)
        x->xp[k] = &x->xv[k];
    x->opts.zero = cfg->zero_policy;
    x->pct = x->ms.kind == MK_MAPE || x->ms.kind == MK_MPE || x->ms.kind == MK_SMAPE;
    x->root = x->ms.kind == MK_RMSE || x->ms.kind == MK_RMSLE || root;
    x->absdiff = x->ms.info->direction == VN_NO_DIRECTION;
    x->alpha = 1.0 - cfg->level;
    x->z = vn__norm_ppf(1.0 - x->alpha / 2.0);
    x->minc = cfg->min_count > 2 ? cfg->min_count : 2;
    x->threads = (size_t)cfg->threads;
    if (x->threads == 0) {
        const long c = sysconf(_SC_NPROCESSORS_ONLN);
        x->threads = c < 1 ? 1 : (size_t)c;
    }
    vn_slices_info *in = &x->info;
    in->metric = x->ms.key;
    in->depth = cfg->depth;
    in->bins = cfg->bins;
    in->min_count = cfg->min_count;
    in->max_values = cfg->max_values;
    in->adjust = cfg->adjust;
    in->level = cfg->level;
    return VN_OK;
}

static vn_status search(vn_slices *x, const vn_slices_config *cfg)
{
    /* the shift K: the mean term of all rows */
    vn__ksum wt = {0, 0}, ws = {0, 0};
    for (size_t i = 0; i < x->n; i++)
        if (x->fl[i] & USE) {
            vn__ksum_add(&wt, x->w[i] * x->t[i]);
            vn__ksum_add(&ws, x->w[i]);
        }
    x->K = vn__ksum_get(&ws) > 0.0 ? vn__ksum_get(&wt) / vn__ksum_get(&ws) : 0.0;
    if (!isfinite(x->K))
        x->K = 0.0;
    row_kinds(x);
    /* depth 1: one pass over the rows for all rows and every column */
    VN_TRY(bin_columns(x, cfg->bins));
    for (size_t j = 0; j < x->ncols; j++)
        VN_TRY(column_candidates(x, j));
    VN_TRY(singles(x));
    double se;
    estimate(x, &x->total, &x->info.value, &se);
    x->info.rows = x->total.n;
    for (size_t i = 0; i < x->nc; i++)
        assess(x, &x->c[i]);
    if (cfg->depth == 2)
        VN_TRY(pairs(x));
    VN_TRY(adjust(x, cfg->adjust));
    VN_TRY(make_notes(x, cfg->top));
    if (x->nc)
        qsort(x->c, x->nc, sizeof *x->c, cmp_cand);
    x->nfind = cfg->top && x->info.worse > cfg->top ? cfg->top : x->info.worse;
    for (size_t i = 0; i < x->nc; i++) {
        cand *c = &x->c[i];
        c->pub.label = c->label;
        c->pub.note = c->note;
        c->pub.rank = i < x->nfind ? i + 1 : 0;
    }
    x->pubcols = vn__calloc(x->ncols ? x->ncols : 1, sizeof *x->pubcols);
    if (!x->pubcols)
        return VN_ERR_NOMEM;
    for (size_t j = 0; j < x->ncols; j++) {
        const column *c = &x->cols[j];
        const bool skipped = c->bad_utf8 || (c->capped && !c->numeric);
        x->pubcols[j] = (vn_slices_column){c->name, skipped ? "skipped" : c->numeric ? "numeric" : "categorical",
                                           c->ncand, c->note};
    }
    return VN_OK;
}

vn_status vn_slices_run(const char *path, const vn_slices_config *cfg, vn_slices **out,
                        char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    VN_RETURN_IF(!path || !cfg, VN_ERR_USAGE, "vn_slices_run: a path and a config are required");
    vn_slices *x = vn__calloc(1, sizeof *x);
    if (!x) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    vn_status st = configure(x, cfg, errbuf, errlen);
    vn__csv *r = NULL;
    if (st == VN_OK) {
        vn__csv_opts o = {cfg->csv.delimiter, cfg->csv.header ? 1 : 0, cfg->csv.max_field, 0};
        if (!o.delim)
            o.delim = vn__csv_default_delimiter(path);
        st = vn__csv_open(path, &o, &r, errbuf, errlen);
    }
    if (st == VN_OK) {
        x->source = vn__strdup(path);
        st = x->source ? read_rows(x, r, cfg, errbuf, errlen) : VN_ERR_NOMEM;
    }
    vn__csv_free(r);
    if (st == VN_OK)
        st = search(x, cfg);
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_slices_free(x);
        return st;
    }
    vn_slices_info *in = &x->info;
    in->source = x->source;
    in->y = x->ycol;
    in->yhat = x->pcol;
    in->weight = x->wcol;
    *out = x;
    return VN_OK;
}

const vn_slices_info *vn_slices_summary(const vn_slices *x) { return &x->info; }
size_t vn_slices_count(const vn_slices *x) { return x->nc; }
const vn_slice *vn_slices_at(const vn_slices *x, size_t i) { return i < x->nc ? &x->c[i].pub : NULL; }
size_t vn_slices_findings(const vn_slices *x) { return x->nfind; }
size_t vn_slices_column_count(const vn_slices *x) { return x->ncols; }

const vn_slices_column *vn_slices_column_at(const vn_slices *x, size_t i)
{
    return i < x->ncols ? &x->pubcols[i] : NULL;
}

size_t vn_slices_note_count(const vn_slices *x) { return x->nnotes; }
const char *vn_slices_note(const vn_slices *x, size_t i) { return i < x->nnotes ? x->notes[i] : NULL; }

vn_status vn_result_add_slice_findings(vn_result *res, const vn_slices *s, size_t max)
{
    const vn_slices_info *in = &s->info;
    const size_t k = vn_slices_findings(s) < max ? vn_slices_findings(s) : max;
    for (size_t i = 0; i < k; i++) {
        const vn_slice *f = vn_slices_at(s, i);
        char p[16];
        vn__format_p(p, sizeof p, f->p_adj);
        VN_TRY(vn__note_add(res, "worst_slice", 0,
                            "Worst slice #%zu: %s has %s %.4g against %.4g on the other rows "
                            "(%+.4g, %g %% CI [%.4g, %.4g], %s-adjusted p %s%s); it holds "
                            "%.1f %% of the rows and %.1f %% of the loss.",
                            f->rank, f->label, in->metric, f->value, f->rest, f->diff,
                            100.0 * in->level, f->lo, f->hi,
                            in->adjust == VN_ADJUST_BH ? "BH" : "Holm", p[0] == '<' ? "" : "= ",
                            p[0] == '<' ? "< 0.001" : p, 100.0 * f->row_share, 100.0 * f->loss_share));
    }
    return VN_OK;
}
