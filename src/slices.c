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
 * per candidate column the row's value (or bin). Each column, and at depth 2 each pair of
 * columns, is then one pass over the rows, adding every row into its cell. The rest of a
 * slice is the total minus the cell (compensated sums subtract without losing digits).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    vn__opts opts;
    bool pct, root, absdiff;
    double alpha, z;
    uint64_t minc;      /* max(min_count, 2) */
    /* rows */
    size_t n, cap;
    double *w, *a, *b, *t;
    uint8_t *fl;
    double K;
    sums total;
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

static inline void sums_add(sums *s, const vn_slices *x, size_t i)
{
    s->n++;
    if (!(x->fl[i] & USE)) {
        s->nbad += (x->fl[i] & BAD) != 0;
        return;
    }
    const double w = x->w[i], ww = w * w, u = x->t[i] - x->K;
    s->nuse++;
    vn__ksum_add(&s->W, w);
    vn__ksum_add(&s->A, x->a[i]);
    vn__ksum_add(&s->B, x->b[i]);
    vn__ksum_add(&s->L, w * fabs(x->t[i]));
    vn__ksum_add(&s->V0, ww);
    vn__ksum_add(&s->V1, ww * u);
    vn__ksum_add(&s->V2, (ww * u) * u);
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
    const double num = x->ms.kind == MK_MAE ? A + B : x->ms.kind == MK_PINBALL ? q * B + (1.0 - q) * A : A;
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
        const char *v = c->arena + c->voff[c->table[h] - 1];
        if (strlen(v) == len && memcmp(v, f, len) == 0) {
            *id = c->table[h] - 1;
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

/* Room for one more row in every per-row array. */
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
    for (size_t j = 0; j < x->ncols; j++) {
        column *c = &x->cols[j];
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
    }
    x->cap = cap;
    return VN_OK;
}

/* Takes row x->n's cell of column c (the record r's field). */
static vn_status take_cell(vn_slices *x, column *c, const vn__csv *r, size_t max_values)
{
    size_t len;
    const char *f = vn__csv_field(r, c->idx, &len);
    const size_t i = x->n;
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
    VN_TRY(intern(c, f, len, max_values, &id));
    if (id == NONE) { /* a numeric column is binned all the same */
        stop_interning(c);
        return VN_OK;
    }
    if (c->nvals > before && !vn__utf8_valid((const unsigned char *)f, len)) {
        vn__fmt(c->note, sizeof c->note, "%s:%llu:%llu: not valid UTF-8: left out",
                vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, c->idx),
                (unsigned long long)vn__csv_field_col(r, c->idx));
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
        /* placeholders until the first row: grow_rows sizes what is not NULL */
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
        row_parts(&x->ms, &x->opts, v[0], v[1], v[2], &x->a[i], &x->b[i], &bad);
        vn__row_term(&x->ms, &x->opts, v[0], v[1], &term, &use);
        x->w[i] = v[2];
        x->t[i] = use && !bad ? term : 0.0;
        x->fl[i] = (uint8_t)((use && !bad ? USE : 0) | (bad ? BAD : 0));
        for (size_t j = 0; j < x->ncols; j++)
            VN_TRY(take_cell(x, &x->cols[j], r, cfg->max_values));
        x->n++;
    }
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

/* Quantile bins of a numeric column. The cut points are the column's quantiles at
 * k/B, k = 1..B (the smallest value with at least k·n/B rows at or below it: numpy's
 * "inverted_cdf"), equal ones merged; bin j holds cut[j−1] < x <= cut[j], the first
 * everything up to cut[0]. When every quantile is the maximum but the column is not
 * constant, the cut below the maximum is the largest smaller value. */
static vn_status make_bins(vn_slices *x, column *c, unsigned B)
{
    const size_t n = x->n;
    vn__pair *buf = vn__pair_alloc(n);
    c->cuts = vn__malloc(((size_t)B + 1) * sizeof *c->cuts);
    if (!buf || !c->cuts) {
        vn__free(buf);
        return VN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (vn__pair){c->num[i], 0.0};
    const vn__pair *s = vn__pair_sort(buf, buf + n, n);
    for (size_t k = 1; k <= B; k++) {
        const double v = s[(k * n + B - 1) / B - 1].a;
        if (c->ncuts == 0 || v > c->cuts[c->ncuts - 1])
            c->cuts[c->ncuts++] = v;
    }
    if (c->ncuts == 1 && s[0].a < s[n - 1].a) {
        size_t j = n - 1;
        while (s[j].a == s[n - 1].a)
            j--;
        c->cuts[0] = s[j].a;
        c->cuts[1] = s[n - 1].a;
        c->ncuts = 2;
    }
    vn__free(buf);
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = c->ncuts - 1; /* the first cut >= x */
        while (lo < hi) {
            const size_t mid = (lo + hi) / 2;
            if (c->cuts[mid] < c->num[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        c->id[i] = (uint32_t)lo;
    }
    return VN_OK;
}

/* Makes the depth-1 candidates of column j. */
static vn_status column_candidates(vn_slices *x, size_t j, unsigned B)
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
        stop_interning(c); /* the distinct values are not needed for bins */
        c->capped = false;
        VN_TRY(make_bins(x, c, B));
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

/* One pass over the rows: row i goes to cell ia[i] (times nb, plus ib[i] for pairs);
 * NONE skips the row. */
static void accumulate(const vn_slices *x, const uint32_t *ia, const uint32_t *ma,
                       const uint32_t *ib, const uint32_t *mb, size_t nb, sums *cells)
{
    for (size_t i = 0; i < x->n; i++) {
        const uint32_t ka = ma ? ma[ia[i]] : ia[i];
        if (ka == NONE)
            continue;
        size_t cell = ka;
        if (ib) {
            const uint32_t kb = mb[ib[i]];
            if (kb == NONE)
                continue;
            cell = (size_t)ka * nb + kb;
        }
        sums_add(&cells[cell], x, i);
    }
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

/* Depth 2: every pair of candidates from two different columns, both with at least
 * minc rows; conjunctions with fewer rows are counted, not listed. */
static vn_status pairs(vn_slices *x)
{
    const size_t n1 = x->nc;
    uint32_t *map = vn__malloc((n1 ? n1 : 1) * sizeof *map); /* candidate -> eligible index */
    if (!map)
        return VN_ERR_NOMEM;
    vn_status st = VN_OK;
    for (size_t ja = 0; st == VN_OK && ja < x->ncols; ja++)
        for (size_t jb = ja + 1; st == VN_OK && jb < x->ncols; jb++) {
            const column *ca = &x->cols[ja], *cb = &x->cols[jb];
            size_t na = 0, nb = 0;
            for (size_t k = 0; k < ca->ncand; k++)
                map[ca->first + k] = x->c[ca->first + k].s.n >= x->minc ? (uint32_t)na++ : NONE;
            for (size_t k = 0; k < cb->ncand; k++)
                map[cb->first + k] = x->c[cb->first + k].s.n >= x->minc ? (uint32_t)nb++ : NONE;
            if (na == 0 || nb == 0)
                continue;
            sums *cells = vn__calloc(na * nb, sizeof *cells);
            if (!cells) {
                st = VN_ERR_NOMEM;
                break;
            }
            accumulate(x, ca->id, map + ca->first, cb->id, map + cb->first, nb, cells);
            for (size_t ka = 0; st == VN_OK && ka < ca->ncand; ka++)
                for (size_t kb = 0; st == VN_OK && kb < cb->ncand; kb++) {
                    const size_t pa = ca->first + ka, pb = cb->first + kb;
                    if (map[pa] == NONE || map[pb] == NONE)
                        continue;
                    const sums *s = &cells[(size_t)map[pa] * nb + map[pb]];
                    if (s->n < x->minc) {
                        x->info.small_pairs += s->n > 0;
                        continue;
                    }
                    cand *cd = new_cand(x);
                    if (!cd) {
                        st = VN_ERR_NOMEM;
                        break;
                    }
                    const cand *a = &x->c[pa], *b = &x->c[pb];
                    cd->s = *s;
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
                    if (!cd->label) {
                        st = VN_ERR_NOMEM;
                        break;
                    }
                    assess(x, cd);
                }
            vn__free(cells);
        }
    vn__free(map);
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
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **l = vn__realloc(x->notes, (x->nnotes + 1) * sizeof *l);
    if (!l)
        return VN_ERR_NOMEM;
    x->notes = l;
    l[x->nnotes] = vn__strdup(buf);
    if (!l[x->nnotes])
        return VN_ERR_NOMEM;
    x->nnotes++;
    return VN_OK;
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
}

void vn_slices_free(vn_slices *x)
{
    if (!x)
        return;
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
                     x->source, x->ycol, x->pcol, x->wcol};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        vn__free(owned[k]);
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
    VN_RETURN_IF(cfg->csv.delimiter == '"' || cfg->csv.delimiter == '\n' || cfg->csv.delimiter == '\r',
                 VN_ERR_USAGE, "the delimiter cannot be a quote or a line break");
    vn__mspec *ms = NULL;
    size_t nms = 0;
    VN_TRY(vn__metrics_parse(cfg->metric ? cfg->metric : "mae", &ms, &nms, errbuf, errlen));
    const bool one = nms == 1, ok = one && is_supported(ms[0].kind);
    if (ok)
        x->ms = ms[0];
    const char *id = one ? ms[0].info->id : "";
    vn__free(ms);
    VN_RETURN_IF(!one, VN_ERR_USAGE, "slices takes one metric, not \"%s\"", cfg->metric);
    VN_RETURN_IF(!ok, VN_ERR_USAGE,
                 "slices cannot use %s: it is not a weighted mean of a per-row term; supported: %s",
                 id, supported);
    x->opts.zero = cfg->zero_policy;
    x->pct = x->ms.kind == MK_MAPE || x->ms.kind == MK_MPE || x->ms.kind == MK_SMAPE;
    x->root = x->ms.kind == MK_RMSE || x->ms.kind == MK_RMSLE;
    x->absdiff = x->ms.info->direction == VN_NO_DIRECTION;
    x->alpha = 1.0 - cfg->level;
    x->z = vn__norm_ppf(1.0 - x->alpha / 2.0);
    x->minc = cfg->min_count > 2 ? cfg->min_count : 2;
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
    for (size_t i = 0; i < x->n; i++)
        sums_add(&x->total, x, i);
    double se;
    estimate(x, &x->total, &x->info.value, &se);
    x->info.rows = x->total.n;
    /* depth 1: one pass per column */
    for (size_t j = 0; j < x->ncols; j++) {
        VN_TRY(column_candidates(x, j, cfg->bins));
        column *c = &x->cols[j];
        if (c->ncand == 0) {
            vn__free(c->id);
            c->id = NULL;
            continue;
        }
        sums *cells = vn__calloc(c->ncand, sizeof *cells);
        if (!cells)
            return VN_ERR_NOMEM;
        accumulate(x, c->id, NULL, NULL, NULL, 0, cells);
        for (size_t k = 0; k < c->ncand; k++)
            x->c[c->first + k].s = cells[k];
        vn__free(cells);
    }
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
