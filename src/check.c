/*
 * check.c — `vernier check`: a spec's data is read once into the columns the spec needs,
 * evaluated per metric group (metrics sharing columns and interval settings) and per
 * slice definition, and every gate is applied to every slice it names.
 *
 * A slice definition partitions (by, bins) or selects (filter) rows; each (group,
 * definition) pair is one evaluation fed from memory through vn_eval_update, so the
 * values are exactly `vernier eval`'s. The forecasting keys act as `vernier eval`'s
 * options do: with data.series the overall (and each filter's) evaluation is keyed by
 * series so that mase, rmsse and mda are pooled over them; data.horizon is a `by`
 * definition the loader adds, in numeric order; data.train is read by every evaluation
 * holding mase or rmsse (vn_eval_train_csv reads the file itself). Baselines come from
 * the run store (values by slice label and metric key) or from a baseline predictions
 * file evaluated the same way. "Dummy" gates compare with the best constant model: the
 * weighted mean, the weighted median and, for quantile losses, the weighted q-quantile
 * of y in the slice, each evaluated as a prediction; the best of them is the reference.
 */
#include "check.h"
#include "csv.h"
#include "kernels.h"
#include "numparse.h"
#include "timesort.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the columns a spec reads ---- */

enum { USE_STRICT = 1, USE_LOOSE = 2, USE_TEXT = 4, USE_WEIGHT = 8 };

typedef struct column {
    const char *name;
    unsigned use;
    size_t idx;       /* in the file */
    double *v;        /* numbers (strict: y, predictions, weights; loose: NaN if not a number) */
    size_t *off, *len;/* text, into the table's arena */
    const char *why;  /* who reads it, for a missing column's message, or NULL */
} column;

typedef struct table {
    column *cols;
    size_t ncols;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
    size_t *order;    /* time order when data.time is set, else NULL */
    uint64_t rows_read, rows_missing;
} table;

static void table_free(table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        vn__free(t->cols[c].v);
        vn__free(t->cols[c].off);
        vn__free(t->cols[c].len);
    }
    vn__free(t->cols);
    vn__free(t->arena);
    vn__free(t->order);
    memset(t, 0, sizeof *t);
}

static vn_status need(table *t, const char *name, unsigned use)
{
    if (!name)
        return VN_OK;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c].name, name) == 0) {
            t->cols[c].use |= use;
            return VN_OK;
        }
    column *nc = vn__realloc(t->cols, (t->ncols + 1) * sizeof *nc);
    if (!nc)
        return VN_ERR_NOMEM;
    t->cols = nc;
    t->cols[t->ncols++] = (column){name, use, 0, NULL, NULL, NULL, NULL};
    return VN_OK;
}

static const column *col_of(const table *t, const char *name)
{
    for (size_t c = 0; name && c < t->ncols; c++)
        if (strcmp(t->cols[c].name, name) == 0)
            return &t->cols[c];
    return NULL;
}

static const char *text_at(const table *t, const column *c, size_t i, size_t *len)
{
    *len = c->len[i];
    return t->arena + c->off[i];
}

/* Doubles every column's row capacity (all columns share t->cap). */
static bool grow_rows(table *t)
{
    const size_t cap = t->cap ? 2 * t->cap : 1024;
    for (size_t c = 0; c < t->ncols; c++) {
        column *col = &t->cols[c];
        if (col->use & (USE_STRICT | USE_LOOSE)) {
            double *v = vn__realloc(col->v, cap * sizeof *v);
            if (!v)
                return false;
            col->v = v;
        }
        if (col->use & USE_TEXT) {
            size_t *o = vn__realloc(col->off, cap * sizeof *o);
            if (o)
                col->off = o;
            size_t *l = o ? vn__realloc(col->len, cap * sizeof *l) : NULL;
            if (!l)
                return false;
            col->len = l;
        }
    }
    t->cap = cap;
    return true;
}

/* Reads the columns t asks for from path. */
static vn_status read_table(table *t, const vn__spec *sp, const char *path, char *errbuf,
                            size_t errlen)
{
    vn__csv_opts o = {sp->data.delimiter, sp->data.header, 0, 0};
    if (!o.delim)
        o.delim = vn__csv_default_delimiter(path);
    vn__csv *r = NULL;
    VN_TRY(vn__csv_open(path, &o, &r, errbuf, errlen));
    vn_status st = VN_OK;
    for (size_t c = 0; st == VN_OK && c < t->ncols; c++) {
        st = vn__csv_find_column(r, t->cols[c].name, "spec", &t->cols[c].idx, errbuf, errlen);
        if (st != VN_OK && t->cols[c].why && errbuf && errlen) {
            const size_t n = strlen(errbuf);
            vn__fmt(errbuf + n, errlen - n, "; %s", t->cols[c].why);
        }
    }
    double *strict = vn__malloc((t->ncols ? t->ncols : 1) * sizeof *strict);
    if (st == VN_OK && !strict)
        st = VN_ERR_NOMEM;
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            vn__fmt(errbuf, errlen, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        t->rows_read++;
        int ok = 1;
        for (size_t c = 0; ok == 1 && c < t->ncols; c++) {
            const column *col = &t->cols[c];
            if (!(col->use & USE_STRICT))
                continue;
            ok = vn__csv_number(r, col->idx, col->use & USE_WEIGHT ? "weight" : "spec", col->name,
                                sp->data.missing, &strict[c], errbuf, errlen);
            if (ok == 1 && (col->use & USE_WEIGHT) && strict[c] < 0) {
                vn__fmt(errbuf, errlen, "%s:%llu:%llu: weight column \"%s\": negative weight %g",
                        vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, col->idx),
                        (unsigned long long)vn__csv_field_col(r, col->idx), col->name, strict[c]);
                ok = -1;
            }
        }
        if (ok < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if (ok == 0) {
            t->rows_missing++;
            continue;
        }
        if (t->n == t->cap && !grow_rows(t)) {
            st = VN_ERR_NOMEM;
            break;
        }
        for (size_t c = 0; st == VN_OK && c < t->ncols; c++) {
            column *col = &t->cols[c];
            size_t len;
            const char *f = vn__csv_field(r, col->idx, &len);
            if (col->use & USE_STRICT) {
                col->v[t->n] = strict[c];
            } else if (col->use & USE_LOOSE) {
                double x;
                col->v[t->n] = vn__parse_double(f, len, &x) == VN__NUM_OK ? x : NAN;
            }
            if (col->use & USE_TEXT) {
                if (t->alen + len + 1 > t->acap &&
                    !vn__grow((void **)&t->arena, &t->acap, t->alen + len + 1, 1)) {
                    st = VN_ERR_NOMEM;
                    break;
                }
                memcpy(t->arena + t->alen, f, len);
                t->arena[t->alen + len] = '\0';
                col->off[t->n] = t->alen;
                col->len[t->n] = len;
                t->alen += len + 1;
            }
        }
        t->n += st == VN_OK;
    }
    if (st == VN_OK && t->n == 0)
        st = (vn__fmt(errbuf, errlen, "%s: no data rows", vn__csv_name(r)), VN_ERR_DATA);
    if (st == VN_ERR_NOMEM)
        vn__fmt(errbuf, errlen, "out of memory");
    vn__free(strict);
    vn__csv_free(r);
    return st;
}

/* Puts the rows in the time column's order (t->order). */
static vn_status time_order(table *t, const char *time)
{
    const column *c = col_of(t, time);
    vn__tsort ts = {0};
    vn_status st = VN_OK;
    for (size_t i = 0; st == VN_OK && i < t->n; i++) {
        size_t len;
        const char *s = text_at(t, c, i, &len);
        const double v[VN_TS_COLS] = {0, 0, 0, 0};
        st = vn__tsort_add(&ts, v, 0, s, len ? len : 0);
    }
    if (st == VN_OK)
        st = vn__tsort_order(&ts, &t->order);
    vn__tsort_free(&ts);
    return st;
}

/* ---- metric groups and evaluations ---- */

typedef struct group {
    const char *y, *p, *w;
    const vn__spec_metric *unc; /* interval settings, or NULL */
    char *list;
    bool scaled;                /* holds mase or rmsse: data.train gives their scale */
} group;

typedef struct ctx {
    const vn__spec *sp;
    const vn_check_config *cfg;
    table t;
    group *groups;
    size_t ngroups;
    size_t *group_of; /* per spec metric */
    char (*keys)[VN_KEY_MAX]; /* canonical key per spec metric */
    vn__names xcols;  /* the input columns of expression metrics */
    double *qparam;   /* per spec metric: its quantile level q (pinball, ...), else -1 */
    bool *scaled;     /* per spec metric: mase or rmsse (a training file scales it) */
    char series_why[512], horizon_why[512]; /* who reads these columns, for messages */
    bool *needed;     /* ngroups x (1 + nslices): some gate reads this evaluation */
    vn_result **res;  /* ngroups x (1 + nslices): [0] overall, [1 + d] slice definition d */
    char **bins;      /* per slice definition: its bin labels "[a, b)", 32 bytes each */
} ctx;

static bool same_unc(const vn__spec_metric *a, const vn__spec_metric *b)
{
    if (!a || !b)
        return a == b;
    return a->ci_level == b->ci_level && a->ci_method == b->ci_method &&
           a->resamples == b->resamples && a->seed == b->seed;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static vn_status make_groups(ctx *x, char *errbuf, size_t errlen)
{
    const vn__spec *sp = x->sp;
    x->group_of = vn__calloc(sp->nmetrics ? sp->nmetrics : 1, sizeof *x->group_of);
    x->groups = vn__calloc(sp->nmetrics ? sp->nmetrics : 1, sizeof *x->groups);
    x->keys = vn__calloc(sp->nmetrics ? sp->nmetrics : 1, sizeof *x->keys);
    x->qparam = vn__calloc(sp->nmetrics ? sp->nmetrics : 1, sizeof *x->qparam);
    x->scaled = vn__calloc(sp->nmetrics ? sp->nmetrics : 1, sizeof *x->scaled);
    if (!x->group_of || !x->groups || !x->keys || !x->qparam || !x->scaled)
        return VN_ERR_NOMEM;
    for (size_t m = 0; m < sp->nmetrics; m++) {
        const vn__spec_metric *sm = &sp->metrics[m];
        vn__mspec *ms = NULL;
        size_t nms = 0;
        VN_TRY(vn__metrics_parse_ex(sm->list, NULL, 0, &x->xcols, &ms, &nms, errbuf, errlen));
        memcpy(x->keys[m], ms[0].key, VN_KEY_MAX);
        const vn__kind k = ms[0].kind;
        x->qparam[m] = k == MK_PINBALL || k == MK_D2_PINBALL || k == MK_AEQ ? ms[0].param[0] : -1.0;
        x->scaled[m] = k == MK_MASE || k == MK_RMSSE;
        vn__mspecs_free(ms, nms);
        const group want = {sm->y ? sm->y : sp->data.y,
                            sm->prediction ? sm->prediction : sp->data.prediction,
                            sm->weight ? sm->weight : sp->data.weight,
                            sm->has_uncertainty ? sm : NULL, NULL, false};
        size_t g = 0;
        while (g < x->ngroups &&
               !(same_str(x->groups[g].y, want.y) && same_str(x->groups[g].p, want.p) &&
                 same_str(x->groups[g].w, want.w) && same_unc(x->groups[g].unc, want.unc)))
            g++;
        if (g == x->ngroups) {
            x->groups[g] = want;
            x->ngroups++;
        }
        group *gr = &x->groups[g];
        gr->scaled = gr->scaled || x->scaled[m];
        size_t old = gr->list ? strlen(gr->list) : 0;
        char *l = vn__realloc(gr->list, old + strlen(sm->list) + 2);
        if (!l)
            return VN_ERR_NOMEM;
        gr->list = l;
        if (old)
            l[old++] = ',';
        strcpy(l + old, sm->list);
        x->group_of[m] = g;
    }
    for (size_t i = 0; i < x->xcols.n; i++) { /* read like the y column */
        VN_TRY(need(&x->t, x->xcols.name[i], USE_STRICT));
        for (size_t c = 0; c < x->t.ncols; c++)
            if (!x->t.cols[c].why && strcmp(x->t.cols[c].name, x->xcols.name[i]) == 0)
                x->t.cols[c].why = x->xcols.use[i];
    }
    return VN_OK;
}

/* The slice of row i under definition d (NULL: overall): false when the row is not in
 * it; otherwise vals/lens hold the by values (bins: the bin's label). */
static bool row_slice(const ctx *x, const vn__spec_slice *d, size_t i, const char **vals,
                      size_t *lens)
{
    if (!d)
        return true;
    const table *t = &x->t;
    switch (d->kind) {
    case VN__SLICE_BY:
        for (size_t k = 0; k < d->nby; k++)
            vals[k] = text_at(t, col_of(t, d->by[k]), i, &lens[k]);
        return true;
    case VN__SLICE_BINS: {
        const double v = col_of(t, d->column)->v[i];
        const char *labels = x->bins[d - x->sp->slices];
        for (size_t b = 0; b + 1 < d->nedges; b++) {
            const bool last = b + 2 == d->nedges;
            if (v >= d->edges[b] && (v < d->edges[b + 1] || (last && v == d->edges[b + 1]))) {
                vals[0] = labels + 32 * b;
                lens[0] = strlen(vals[0]);
                return true;
            }
        }
        return false;
    }
    case VN__SLICE_FILTER: {
        const column *c = col_of(t, d->column);
        if (d->op >= VN__OP_LT) {
            const double v = c->v[i];
            switch (d->op) {
            case VN__OP_LT: return v < d->number;
            case VN__OP_LE: return v <= d->number;
            case VN__OP_GT: return v > d->number;
            default: return v >= d->number;
            }
        }
        size_t len;
        const char *s = text_at(t, c, i, &len);
        bool in = false;
        for (size_t k = 0; k < d->nvalues && !in; k++)
            in = strlen(d->values[k]) == len && memcmp(d->values[k], s, len) == 0;
        return d->op == VN__OP_NE || d->op == VN__OP_NOT_IN ? !in : in;
    }
    }
    return false;
}

enum { FEED = 4096 };

/* Feeds group g's rows of definition d (NULL: overall) into ev. pool: ev's slices are
 * the series of data.series (d is then NULL or a filter: the loader allows no other).
 * With pconst, row i's prediction is pconst[slice of i in d] (a constant model); with
 * sid, the slice of each row in d is recorded (UINT32_MAX when the row is not in the
 * definition). */
static vn_status feed(const ctx *x, vn_eval *ev, const group *g, const vn__spec_slice *d,
                      bool pool, const double *pconst, uint32_t *sid)
{
    const table *t = &x->t;
    const column *cy = col_of(t, g->y), *cp = col_of(t, g->p), *cw = col_of(t, g->w);
    const column *cs = pool ? col_of(t, x->sp->data.series) : NULL;
    const bool sliced = d && d->kind != VN__SLICE_FILTER;
    double y[FEED], p[FEED], w[FEED];
    uint32_t ids[FEED];
    const char *vals[16];
    size_t lens[16], nb = 0;
    /* the input columns of expression metrics, FEED rows each */
    const size_t nx = vn_eval_column_count(ev);
    double *xb = vn__malloc((nx ? nx : 1) * FEED * sizeof *xb);
    const double **xp = vn__malloc((nx ? nx : 1) * sizeof *xp);
    const column **xc = vn__malloc((nx ? nx : 1) * sizeof *xc);
    vn_status st = xb && xp && xc ? VN_OK : VN_ERR_NOMEM;
    for (size_t c = 0; st == VN_OK && c < nx; c++) {
        xp[c] = xb + c * FEED;
        xc[c] = col_of(t, vn_eval_column_name(ev, c));
    }
    for (size_t k = 0; st == VN_OK && k < t->n; k++) {
        const size_t i = t->order ? t->order[k] : k;
        if (sid)
            sid[i] = UINT32_MAX;
        if (!row_slice(x, d, i, vals, lens))
            continue;
        uint32_t id = 0, series = 0;
        if (sliced && (st = vn_eval_slice(ev, vals, lens, &id)) != VN_OK)
            break;
        if (pool) {
            vals[0] = text_at(t, cs, i, &lens[0]);
            if ((st = vn_eval_slice(ev, vals, lens, &series)) != VN_OK)
                break;
        }
        if (sid)
            sid[i] = id;
        y[nb] = cy->v[i];
        p[nb] = pconst ? pconst[id] : cp->v[i];
        w[nb] = cw ? cw->v[i] : 1.0;
        for (size_t c = 0; c < nx; c++)
            xb[c * FEED + nb] = xc[c]->v[i];
        ids[nb++] = pool ? series : id;
        if (nb == FEED || k + 1 == t->n) {
            const vn_rows rows = {nb, y, 1, p, 1, cw ? w : NULL, 1, sliced || pool ? ids : NULL};
            st = vn_eval_update_columns(ev, &rows, xp, NULL);
            nb = 0;
        }
    }
    if (st == VN_OK && nb) {
        const vn_rows rows = {nb, y, 1, p, 1, cw ? w : NULL, 1, sliced || pool ? ids : NULL};
        st = vn_eval_update_columns(ev, &rows, xp, NULL);
    }
    vn__free(xb);
    vn__free(xp);
    vn__free(xc);
    return st;
}

/* Reads data.train into ev for the scale of mase and rmsse, as `vernier eval --train`
 * does: column y of the training file (the evaluation's y), in data.time order, per
 * series of data.series when ev pools over them, with the data's delimiter, header and
 * missing policy. A failure names the spec's key: "vernier.yaml:7:10: data.train: ...". */
static vn_status read_train(const ctx *x, vn_eval *ev, const group *g, bool pool,
                            char *errbuf, size_t errlen)
{
    const vn__spec *sp = x->sp;
    const char *by[1] = {sp->data.series};
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.delimiter = sp->data.delimiter;
    cc.header = sp->data.header;
    cc.missing = sp->data.missing;
    cc.y = g->y;
    cc.time = sp->data.time;
    cc.by = pool ? by : NULL;
    const vn_status st = vn_eval_train_csv(ev, sp->data.train, &cc);
    if (st != VN_OK)
        vn__fmt(errbuf, errlen, "%s:%u:%u: data.train: %s", sp->name,
                (unsigned)sp->data.train_loc.line, (unsigned)sp->data.train_loc.col,
                vn_eval_errmsg(ev));
    return st;
}

/* Evaluates metrics (list) of group g over definition d. forecast: as `vernier eval
 * --series/--train` would, the overall (or filtered) values of mase, rmsse and mda pooled
 * over the series of data.series, and the scale of mase and rmsse from data.train when
 * the list holds one of them (scaled); false for a probe that only counts rows. */
static vn_status evaluate(const ctx *x, const group *g, const char *list, const vn__spec_slice *d,
                          bool forecast, bool scaled, const double *pconst, uint32_t *sid,
                          vn_result **out, char *errbuf, size_t errlen)
{
    const vn__spec *sp = x->sp;
    const bool pool = forecast && sp->data.series && !(d && d->kind != VN__SLICE_FILTER);
    const bool train = forecast && scaled && sp->data.train;
    vn_eval_config ec;
    vn_eval_config_init(&ec);
    ec.metrics = list;
    ec.zero_policy = sp->data.zero;
    ec.r2_constant = sp->data.r2c;
    ec.task = sp->data.task;
    ec.threads = x->cfg->threads;
    const char *binname[1] = {d ? d->id : NULL};
    const char *series[1] = {sp->data.series};
    if (d && d->kind == VN__SLICE_BY) {
        ec.by_count = d->nby;
        ec.by_names = (const char *const *)d->by;
        ec.numeric_slices = d->numeric;
    } else if (d && d->kind == VN__SLICE_BINS) {
        ec.by_count = 1;
        ec.by_names = binname;
    } else if (pool) {
        ec.by_count = 1;
        ec.by_names = series;
        ec.series = 1;
    }
    if (g->unc && !pconst) {
        ec.ci_level = g->unc->ci_level;
        ec.ci_method = g->unc->ci_method;
        ec.resamples = g->unc->resamples;
        ec.seed = g->unc->seed;
        ec.block_size = 0;
    }
    vn_eval *ev = NULL;
    VN_TRY(vn_eval_new(&ec, &ev, errbuf, errlen));
    vn_status st = feed(x, ev, g, d, pool, pconst, sid);
    if (st == VN_OK && train && (st = read_train(x, ev, g, pool, errbuf, errlen)) != VN_OK) {
        vn_eval_free(ev);
        return st;
    }
    if (st == VN_OK)
        st = vn_eval_finish(ev, out);
    if (st != VN_OK)
        vn__fmt(errbuf, errlen, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    return st;
}

/* ---- baselines ---- */

typedef struct base_value {
    char *slice, *key;
    double value;
} base_value;

typedef struct baseline {
    base_value *v;
    size_t n, cap;
    bool missing;     /* the baseline could not be had (on_missing applies) */
    char why[300];
} baseline;

static void baseline_free(baseline *b)
{
    for (size_t i = 0; i < b->n; i++) {
        vn__free(b->v[i].slice);
        vn__free(b->v[i].key);
    }
    vn__free(b->v);
}

static vn_status base_add(baseline *b, const char *slice, const char *key, double value)
{
    if (b->n == b->cap && !vn__grow((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v))
        return VN_ERR_NOMEM;
    base_value *v = &b->v[b->n];
    v->slice = vn__strdup(slice);
    v->key = vn__strdup(key);
    v->value = value;
    if (!v->slice || !v->key) {
        vn__free(v->slice);
        vn__free(v->key);
        return VN_ERR_NOMEM;
    }
    b->n++;
    return VN_OK;
}

static bool base_find(const baseline *b, const char *slice, const char *key, double *out)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->v[i].slice, slice) == 0 && strcmp(b->v[i].key, key) == 0) {
            *out = b->v[i].value;
            return true;
        }
    return false;
}

/* Every value of a set of results into b, by slice label and metric key. */
static vn_status base_from_results(baseline *b, const ctx *x, vn_result **res)
{
    char label[512];
    for (size_t g = 0; g < x->ngroups; g++)
        for (size_t d = 0; d <= x->sp->nslices; d++) {
            const vn_result *r = res[g * (1 + x->sp->nslices) + d];
            if (!r)
                continue; /* no gate reads it */
            const vn__spec_slice *def = d ? &x->sp->slices[d - 1] : NULL;
            const bool filter = def && def->kind == VN__SLICE_FILTER;
            for (size_t s = d && !filter ? 1 : 0; s < (d && !filter ? vn_result_slice_count(r) : 1); s++) {
                const char *lab = filter ? def->id : vn__slice_label(r, s, label, sizeof label);
                for (size_t m = 0; m < vn_result_metric_count(r); m++) {
                    vn_value v;
                    vn_result_get(r, s, m, &v);
                    VN_TRY(base_add(b, lab, vn_result_metric_key(r, m), v.value));
                }
            }
        }
    return VN_OK;
}

/* Evaluates every (group, slice definition) some gate reads (x->needed). */
static vn_status evaluate_all(const ctx *x, vn_result **res, char *errbuf, size_t errlen)
{
    for (size_t g = 0; g < x->ngroups; g++)
        for (size_t d = 0; d <= x->sp->nslices; d++)
            if (x->needed[g * (1 + x->sp->nslices) + d])
                VN_TRY(evaluate(x, &x->groups[g], x->groups[g].list, d ? &x->sp->slices[d - 1] : NULL,
                                true, x->groups[g].scaled, NULL, NULL,
                                &res[g * (1 + x->sp->nslices) + d], errbuf, errlen));
    return VN_OK;
}

static vn_status load_table(ctx *x, table *t, const char *path, char *errbuf, size_t errlen);

static vn_status load_baseline(ctx *x, baseline *b, vn_check *out, char *errbuf, size_t errlen)
{
    const vn__spec *sp = x->sp;
    if (sp->baseline.kind == VN__BASE_RUN) {
        const char *path = x->cfg->store ? x->cfg->store : sp->baseline.store;
        const char *env = getenv("VERNIER_STORE");
        const char *file = path && *path ? path : env && *env ? env : ".vernier/runs.db";
        if (access(file, F_OK) != 0) { /* a check never creates a store */
            b->missing = true;
            vn__fmt(b->why, sizeof b->why, "no run store at %s", file);
            return VN_OK;
        }
        vn_store *st = NULL;
        vn_runs *runs = NULL;
        vn_run_values *vals = NULL;
        char err[512];
        vn_status s = vn_store_open(path, &st, err, sizeof err);
        if (s == VN_OK)
            s = vn_store_get(st, sp->baseline.run, &runs);
        if (s == VN_OK)
            s = vn_store_values(st, vn_runs_at(runs, 0)->id, &vals);
        if (s == VN_OK) {
            vn__fmt(out->baseline, sizeof out->baseline, "run %s (%s) in %s",
                     vn_runs_at(runs, 0)->id, sp->baseline.run, vn_store_path(st));
            for (size_t i = 0; s == VN_OK && i < vn_run_values_count(vals); i++) {
                const vn_run_value *v = vn_run_values_at(vals, i);
                s = base_add(b, v->slice, v->metric, v->value);
            }
        } else if (s != VN_ERR_NOMEM) {
            b->missing = true;
            vn__fmt(b->why, sizeof b->why, "%s", st ? vn_store_errmsg(st) : err);
            s = VN_OK;
        }
        vn_run_values_free(vals);
        vn_runs_free(runs);
        vn_store_close(st);
        if (s == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        return s;
    }
    if (sp->baseline.kind != VN__BASE_FILE)
        return VN_OK;
    /* a baseline predictions file: the same columns, evaluated the same way */
    table t = {0};
    vn_status st = VN_OK;
    for (size_t c = 0; st == VN_OK && c < x->t.ncols; c++)
        st = need(&t, x->t.cols[c].name, x->t.cols[c].use);
    char err[512];
    if (st == VN_OK)
        st = load_table(x, &t, sp->baseline.file, err, sizeof err);
    if (st == VN_ERR_IO) {
        b->missing = true;
        vn__fmt(b->why, sizeof b->why, "%s", err);
        table_free(&t);
        return VN_OK;
    }
    if (st != VN_OK) {
        vn__fmt(errbuf, errlen, "%s", err);
        table_free(&t);
        return st;
    }
    vn__fmt(out->baseline, sizeof out->baseline, "%s", sp->baseline.file);
    const size_t nres = x->ngroups * (1 + sp->nslices);
    vn_result **res = vn__calloc(nres, sizeof *res);
    ctx bx = *x;
    bx.t = t;
    st = res ? evaluate_all(&bx, res, errbuf, errlen) : VN_ERR_NOMEM;
    if (st == VN_OK)
        st = base_from_results(b, &bx, res);
    for (size_t i = 0; res && i < nres; i++)
        vn_result_free(res[i]);
    vn__free(res);
    table_free(&t);
    return st;
}

static vn_status load_table(ctx *x, table *t, const char *path, char *errbuf, size_t errlen)
{
    VN_TRY(read_table(t, x->sp, path, errbuf, errlen));
    if (x->sp->data.time)
        VN_TRY(time_order(t, x->sp->data.time));
    return VN_OK;
}

/* ---- the best constant model ---- */

static int cmp_pair(const void *a, const void *b)
{
    const double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return (x > y) - (x < y);
}

/* The q-quantile of pairs (y, w)[0..n) (sorted in place): numpy's linear rule when
 * unweighted (as scikit-learn's DummyRegressor), else the smallest y whose cumulative
 * weight reaches q·W. */
static double wquantile(double *pairs, size_t n, double q, bool weighted)
{
    if (!weighted) {
        for (size_t i = 0; i < n; i++)
            pairs[i] = pairs[2 * i];
        double out = NAN;
        if (n)
            vn__quantiles_type7(pairs, n, &q, 1, &out);
        return out;
    }
    qsort(pairs, n, 2 * sizeof(double), cmp_pair);
    double W = 0;
    for (size_t i = 0; i < n; i++)
        W += pairs[2 * i + 1];
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += pairs[2 * i + 1];
        if (acc >= q * W)
            return pairs[2 * i];
    }
    return n ? pairs[2 * (n - 1)] : NAN;
}

/* The best constant model's value of metric m on every slice of definition d (NULL:
 * overall), into *out (slice-indexed like the model's result). */
static vn_status dummy_values(const ctx *x, size_t m, const vn__spec_slice *d, double **out,
                              size_t *nout, char *errbuf, size_t errlen)
{
    const table *t = &x->t;
    const group *g = &x->groups[x->group_of[m]];
    const vn__spec_metric *sm = &x->sp->metrics[m];
    const bool sliced = d && d->kind != VN__SLICE_FILTER;
    const double q = x->qparam[m];
    const int ncand = q > 0 && q < 1 ? 3 : 2; /* mean, median, and the q-quantile */
    /* the slice of every row, from a cheap evaluation (count) of the same definition */
    uint32_t *sid = vn__malloc((t->n ? t->n : 1) * sizeof *sid);
    vn_result *probe = NULL;
    vn_status st = sid ? evaluate(x, g, "count", d, false, false, NULL, sid, &probe, errbuf, errlen)
                       : VN_ERR_NOMEM;
    const size_t ns = probe ? vn_result_slice_count(probe) : 0;
    vn_result_free(probe);
    double *best = NULL, *cst = NULL, *pairs = NULL;
    size_t *start = NULL, *order = NULL;
    if (st == VN_OK) {
        best = vn__malloc(ns * sizeof *best);
        cst = vn__calloc(3 * ns, sizeof *cst);
        pairs = vn__malloc((2 * t->n + 2) * sizeof *pairs);
        start = vn__calloc(ns + 2, sizeof *start);
        order = vn__malloc((t->n ? t->n : 1) * sizeof *order);
        st = best && cst && pairs && start && order ? VN_OK : VN_ERR_NOMEM;
    }
    /* the rows of each slice, by a counting sort, so that each is gathered once: after it,
     * slice s (as the result numbers it) holds order[start[s + 1] .. start[s + 2]) */
    for (size_t i = 0; st == VN_OK && i < t->n; i++)
        if (sid[i] != UINT32_MAX)
            start[(sliced ? sid[i] + 1 : 0) + 1]++;
    for (size_t s = 0; st == VN_OK && s < ns; s++)
        start[s + 1] += start[s];
    if (st == VN_OK)
        start[ns + 1] = start[ns];
    for (size_t i = t->n; st == VN_OK && i-- > 0;) /* backwards from each slice's end */
        if (sid[i] != UINT32_MAX)
            order[--start[(sliced ? sid[i] + 1 : 0) + 1]] = i;
    const column *cy = col_of(t, g->y), *cw = col_of(t, g->w);
    for (size_t s = 0; st == VN_OK && s < ns; s++) {
        best[s] = NAN;
        for (int cand = 0; cand < ncand; cand++) {
            size_t k = 0;
            double sw = 0, swy = 0;
            for (size_t j = start[s + 1]; j < start[s + 2]; j++) {
                const size_t i = order[j];
                const double w = cw ? cw->v[i] : 1.0;
                if (w <= 0)
                    continue;
                pairs[2 * k] = cy->v[i];
                pairs[2 * k + 1] = w;
                sw += w;
                swy += w * cy->v[i];
                k++;
            }
            cst[cand * ns + s] = cand == 0 ? (sw > 0 ? swy / sw : 0.0)
                                           : wquantile(pairs, k, cand == 1 ? 0.5 : q, cw != NULL);
        }
    }
    for (int cand = 0; st == VN_OK && cand < ncand; cand++) {
        vn_result *r = NULL;
        /* feed() indexes pconst by the eval's slice id (0-based among slices) */
        const double *c = cst + cand * ns;
        st = evaluate(x, g, sm->list, d, true, x->scaled[m], sliced ? c + 1 : c, NULL, &r,
                      errbuf, errlen);
        const vn_direction dir = sm->info->direction;
        for (size_t s = 0; st == VN_OK && s < ns && s < vn_result_slice_count(r); s++) {
            vn_value v;
            vn_result_get(r, s, 0, &v);
            const bool better = dir == VN_HIGHER_IS_BETTER ? v.value > best[s] : v.value < best[s];
            if (isfinite(v.value) && (isnan(best[s]) || better))
                best[s] = v.value;
        }
        vn_result_free(r);
    }
    vn__free(sid);
    vn__free(cst);
    vn__free(pairs);
    vn__free(start);
    vn__free(order);
    if (st != VN_OK) {
        vn__free(best);
        return st;
    }
    *out = best;
    *nout = ns;
    return VN_OK;
}

/* ---- applying gates ---- */

static vn__gate_row *new_row(vn_check *c)
{
    if (c->n == c->cap && !vn__grow((void **)&c->rows, &c->cap, c->n + 1, sizeof *c->rows))
        return NULL;
    vn__gate_row *r = &c->rows[c->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* The default name of a gate: "mae <= 5", "r2 ci_low >= 0.6", "mae vs baseline". */
static void gate_name(const vn__spec_gate *g, char *buf, size_t len)
{
    if (g->name) {
        vn__fmt(buf, len, "%s", g->name);
        return;
    }
    const char *on = g->on == VN__ON_VALUE ? "" : g->on == VN__ON_CI_LOW ? " ci_low" : " ci_high";
    if (g->vs == VN__VS_BASELINE)
        vn__fmt(buf, len, "%s vs baseline", g->metric);
    else if (g->vs == VN__VS_DUMMY)
        vn__fmt(buf, len, "%s beats the best constant model", g->metric);
    else if (g->has_min && g->has_max)
        vn__fmt(buf, len, "%s%s in [%g, %g]", g->metric, on, g->min, g->max);
    else if (g->has_min)
        vn__fmt(buf, len, "%s%s >= %g", g->metric, on, g->min);
    else
        vn__fmt(buf, len, "%s%s <= %g", g->metric, on, g->max);
}

typedef struct target {
    const vn_result *res;
    size_t s, m;
    const char *label;
    uint64_t rows, min_count;
    double dummy; /* NaN when not a dummy gate */
} target;

static void apply(vn__gate_row *row, const vn__spec_gate *g, const target *tg,
                  const baseline *b, const char *key, vn__on_missing on_missing)
{
    vn_gate_result *r = &row->r;
    gate_name(g, row->gate, sizeof row->gate);
    vn__fmt(row->slice, sizeof row->slice, "%s", tg->label);
    r->metric = g->metric;
    r->warn_only = g->severity == VN__SEV_WARN;
    r->line = g->loc.line;
    r->col = g->loc.col;
    r->rows = tg->rows;
    r->value = r->reference = NAN;
    r->lo = -INFINITY;
    r->hi = INFINITY;
    char *msg = row->msg;
    const size_t ml = sizeof row->msg;
    const vn_metric_info *info = vn_result_metric_info(tg->res, tg->m);
    if (tg->min_count && tg->rows < tg->min_count) {
        r->status = VN_GATE_SKIPPED;
        vn__fmt(msg, ml, "the slice has %llu rows, fewer than min_count %llu",
                 (unsigned long long)tg->rows, (unsigned long long)tg->min_count);
        return;
    }
    vn_value v;
    vn_result_get(tg->res, tg->s, tg->m, &v);
    if (v.reason != VN_REASON_NONE) {
        r->status = VN_GATE_ERROR;
        vn__fmt(msg, ml, "%s is undefined here (%s): %s", g->metric, vn_reason_name(v.reason),
                 v.message);
        return;
    }
    const double x = g->on == VN__ON_CI_LOW ? v.lo : g->on == VN__ON_CI_HIGH ? v.hi : v.value;
    if (isnan(x)) {
        r->status = VN_GATE_ERROR;
        vn__fmt(msg, ml, "%s has no interval here: %s", g->metric,
                 *v.ci_note ? v.ci_note : "none was computed");
        return;
    }
    r->value = x;
    const char *what = g->on == VN__ON_VALUE ? "" : g->on == VN__ON_CI_LOW ? " (lower bound)"
                                                                           : " (upper bound)";
    bool pass = true;
    if (g->vs == VN__VS_NONE) {
        r->lo = g->has_min ? g->min : -INFINITY;
        r->hi = g->has_max ? g->max : INFINITY;
        pass = x >= r->lo && x <= r->hi;
        if (g->has_min && g->has_max)
            vn__fmt(msg, ml, "%s%s = %.6g, %s [%g, %g]", g->metric, what, x,
                     pass ? "within" : "outside", g->min, g->max);
        else
            vn__fmt(msg, ml, "%s%s = %.6g, %s %s %g", g->metric, what, x,
                     pass ? "meets" : "violates", g->has_min ? ">=" : "<=",
                     g->has_min ? g->min : g->max);
    } else if (g->vs == VN__VS_DUMMY) {
        r->reference = tg->dummy;
        if (isnan(tg->dummy)) {
            r->status = VN_GATE_ERROR;
            vn__fmt(msg, ml, "the best constant model's %s is undefined here", g->metric);
            return;
        }
        const bool higher = info->direction == VN_HIGHER_IS_BETTER;
        pass = higher ? x > tg->dummy : x < tg->dummy;
        if (higher)
            r->lo = tg->dummy;
        else
            r->hi = tg->dummy;
        vn__fmt(msg, ml, "%s%s = %.6g, %s the best constant model's %.6g", g->metric, what, x,
                 pass ? (higher ? "above" : "below") : "does not beat", tg->dummy);
    } else {
        double base;
        if (b->missing || !base_find(b, tg->label, key, &base) || isnan(base)) {
            r->status = on_missing == VN__MISSING_SKIP   ? VN_GATE_SKIPPED
                        : on_missing == VN__MISSING_WARN ? VN_GATE_WARN
                                                         : VN_GATE_FAIL;
            if (b->missing)
                vn__fmt(msg, ml, "no baseline: %s", b->why);
            else
                vn__fmt(msg, ml, "the baseline has no value of %s for slice %s", key, tg->label);
            return;
        }
        r->reference = base;
        /* regression > 0 means worse, in the metric's own unit */
        const vn_direction dir = info->direction;
        const double reg = dir == VN_HIGHER_IS_BETTER ? base - x
                           : dir == VN_NO_DIRECTION   ? fabs(x) - fabs(base)
                                                      : x - base;
        /* the largest regression allowed (negative: an improvement is required) */
        double allow = INFINITY;
        if (g->has_max_regression)
            allow = g->max_regression_rel ? g->max_regression / 100.0 * fabs(base) : g->max_regression;
        if (g->has_min_improvement) {
            const double need_ = g->min_improvement_rel ? g->min_improvement / 100.0 * fabs(base)
                                                        : g->min_improvement;
            allow = fmin(allow, -need_);
        }
        pass = reg <= allow;
        if (dir == VN_HIGHER_IS_BETTER)
            r->lo = base - allow;
        else if (dir == VN_NO_DIRECTION) {
            r->hi = fabs(base) + allow;
            r->lo = -r->hi;
        } else
            r->hi = base + allow;
        vn__fmt(msg, ml, "%s%s = %.6g vs baseline %.6g: %s by %.6g (%+.2f %%), allowed %s %.6g",
                 g->metric, what, x, base, reg > 0 ? "worse" : "better", fabs(reg),
                 base != 0 ? 100.0 * reg / fabs(base) : 0.0,
                 allow >= 0 ? "worsening up to" : "must improve by", fabs(allow));
    }
    r->status = pass ? VN_GATE_PASS : r->warn_only ? VN_GATE_WARN : VN_GATE_FAIL;
}

/* The slice definitions gate g names, into defs (room for nslices + 1): -1 for the
 * overall slice, else the index in sp->slices. Returns their number. */
static size_t gate_defs(const vn__spec *sp, const vn__spec_gate *g, long *defs)
{
    size_t nd = 0;
    if (g->nslices == 0) {
        defs[nd++] = -1;
    } else if (g->nslices == 1 && strcmp(g->slices[0], "*") == 0) {
        defs[nd++] = -1;
        for (size_t d = 0; d < sp->nslices; d++)
            defs[nd++] = (long)d;
    } else {
        for (size_t k = 0; k < g->nslices; k++) {
            if (strcmp(g->slices[k], "overall") == 0) {
                defs[nd++] = -1;
                continue;
            }
            for (size_t d = 0; d < sp->nslices; d++)
                if (strcmp(sp->slices[d].id, g->slices[k]) == 0)
                    defs[nd++] = (long)d;
        }
    }
    return nd;
}

static vn_status apply_gate(ctx *x, vn_check *c, const vn__spec_gate *g, const baseline *b,
                            char *errbuf, size_t errlen)
{
    const vn__spec *sp = x->sp;
    const size_t gi = x->group_of[g->m];
    const char *key = x->keys[g->m];
    long *defs = vn__malloc((sp->nslices + 1) * sizeof *defs);
    if (!defs)
        return VN_ERR_NOMEM;
    const size_t nd = gate_defs(sp, g, defs);
    vn_status st = VN_OK;
    for (size_t k = 0; st == VN_OK && k < nd; k++) {
        const vn__spec_slice *def = defs[k] < 0 ? NULL : &sp->slices[defs[k]];
        const vn_result *res = x->res[gi * (1 + sp->nslices) + (size_t)(defs[k] + 1)];
        size_t m = 0;
        while (m < vn_result_metric_count(res) && strcmp(vn_result_metric_key(res, m), key) != 0)
            m++;
        double *dummy = NULL;
        size_t nd_ = 0;
        if (g->vs == VN__VS_DUMMY && (st = dummy_values(x, g->m, def, &dummy, &nd_, errbuf, errlen)) != VN_OK)
            break;
        const bool filter = def && def->kind == VN__SLICE_FILTER;
        const size_t s0 = def && !filter ? 1 : 0;
        const size_t s1 = def && !filter ? vn_result_slice_count(res) : 1;
        char label[512];
        for (size_t s = s0; st == VN_OK && s < s1; s++) {
            const target tg = {res, s, m,
                               !def ? "overall" : filter ? def->id
                                                         : vn__slice_label(res, s, label, sizeof label),
                               vn_result_slice_rows(res, s), def ? def->min_count : 0,
                               dummy && s < nd_ ? dummy[s] : NAN};
            vn__gate_row *row = new_row(c);
            if (!row)
                st = VN_ERR_NOMEM;
            else
                apply(row, g, &tg, b, key, sp->baseline.on_missing);
        }
        vn__free(dummy);
    }
    vn__free(defs);
    return st;
}

/* ---- the public face ---- */

const char *vn_gate_status_name(vn_gate_status s)
{
    static const char *const names[] = {"pass", "fail", "warn", "skipped", "error"};
    return (unsigned)s <= VN_GATE_ERROR ? names[s] : "?";
}

vn_status vn_spec_validate(const char *path, char *errbuf, size_t errlen)
{
    vn__spec *sp = NULL;
    const vn_status st = vn__spec_load(path ? path : "vernier.yaml", &sp, errbuf, errlen);
    vn__spec_free(sp);
    return st;
}

const char *vn_spec_template(void) { return vn__spec_template(); }

void vn_check_free(vn_check *c)
{
    if (!c)
        return;
    vn__spec_free(c->spec);
    vn__free(c->rows);
    vn__free(c);
}

static vn_status run(ctx *x, vn_check *c, char *errbuf, size_t errlen)
{
    const vn__spec *sp = x->sp;
    /* the columns: y, predictions and weights strictly; slice columns as asked */
    VN_TRY(need(&x->t, sp->data.y, USE_STRICT));
    VN_TRY(need(&x->t, sp->data.prediction, USE_STRICT));
    VN_TRY(need(&x->t, sp->data.weight, USE_STRICT | USE_WEIGHT));
    VN_TRY(need(&x->t, sp->data.time, USE_TEXT));
    VN_TRY(need(&x->t, sp->data.series, USE_TEXT));
    for (size_t m = 0; m < sp->nmetrics; m++) {
        VN_TRY(need(&x->t, sp->metrics[m].y, USE_STRICT));
        VN_TRY(need(&x->t, sp->metrics[m].prediction, USE_STRICT));
        VN_TRY(need(&x->t, sp->metrics[m].weight, USE_STRICT | USE_WEIGHT));
    }
    for (size_t d = 0; d < sp->nslices; d++) {
        const vn__spec_slice *s = &sp->slices[d];
        for (size_t k = 0; k < s->nby; k++)
            VN_TRY(need(&x->t, s->by[k], USE_TEXT));
        if (s->kind == VN__SLICE_BINS)
            VN_TRY(need(&x->t, s->column, USE_LOOSE));
        if (s->kind == VN__SLICE_FILTER)
            VN_TRY(need(&x->t, s->column, s->op >= VN__OP_LT ? USE_LOOSE : USE_TEXT));
    }
    VN_TRY(make_groups(x, errbuf, errlen));
    /* a missing forecasting column: say which key names it */
    vn__fmt(x->series_why, sizeof x->series_why, "the series column (data.series at %s:%u:%u)",
            sp->name, (unsigned)sp->data.series_loc.line, (unsigned)sp->data.series_loc.col);
    vn__fmt(x->horizon_why, sizeof x->horizon_why, "the horizon column (data.horizon at %s:%u:%u)",
            sp->name, (unsigned)sp->data.horizon_loc.line, (unsigned)sp->data.horizon_loc.col);
    for (size_t k = 0; k < x->t.ncols; k++) {
        column *col = &x->t.cols[k];
        if (!col->why && same_str(col->name, sp->data.series))
            col->why = x->series_why;
        if (!col->why && same_str(col->name, sp->data.horizon))
            col->why = x->horizon_why;
    }
    x->bins = vn__calloc(sp->nslices ? sp->nslices : 1, sizeof *x->bins);
    if (!x->bins)
        return VN_ERR_NOMEM;
    for (size_t d = 0; d < sp->nslices; d++) {
        const vn__spec_slice *s = &sp->slices[d];
        if (s->kind != VN__SLICE_BINS)
            continue;
        if (!(x->bins[d] = vn__malloc(32 * s->nedges)))
            return VN_ERR_NOMEM;
        for (size_t b = 0; b + 1 < s->nedges; b++)
            vn__fmt(x->bins[d] + 32 * b, 32, "[%g, %g%c", s->edges[b], s->edges[b + 1],
                    b + 2 == s->nedges ? ']' : ')');
    }
    const char *path = x->cfg->data ? x->cfg->data : sp->data.path;
    VN_TRY(load_table(x, &x->t, path, errbuf, errlen));
    c->rows_read = x->t.rows_read;
    c->rows_missing = x->t.rows_missing;
    const size_t nres = x->ngroups * (1 + sp->nslices);
    x->res = vn__calloc(nres, sizeof *x->res);
    x->needed = vn__calloc(nres, sizeof *x->needed);
    long *defs = vn__malloc((sp->nslices + 1) * sizeof *defs);
    if (!x->res || !x->needed || !defs) {
        vn__free(defs);
        return VN_ERR_NOMEM;
    }
    for (size_t g = 0; g < sp->ngates; g++) { /* only what some gate reads is evaluated */
        const size_t nd = gate_defs(sp, &sp->gates[g], defs);
        for (size_t k = 0; k < nd; k++)
            x->needed[x->group_of[sp->gates[g].m] * (1 + sp->nslices) + (size_t)(defs[k] + 1)] = true;
    }
    vn__free(defs);
    VN_TRY(evaluate_all(x, x->res, errbuf, errlen));
    baseline b = {0};
    vn_status st = load_baseline(x, &b, c, errbuf, errlen);
    for (size_t g = 0; st == VN_OK && g < sp->ngates; g++)
        st = apply_gate(x, c, &sp->gates[g], &b, errbuf, errlen);
    baseline_free(&b);
    return st;
}

vn_status vn_check_run(const vn_check_config *cfg, vn_check **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    vn_check_config def = {0};
    if (!cfg)
        cfg = &def;
    vn_check *c = vn__calloc(1, sizeof *c);
    if (!c)
        return VN_ERR_NOMEM;
    vn_status st = vn__spec_load(cfg->spec ? cfg->spec : "vernier.yaml", &c->spec, errbuf, errlen);
    ctx x = {.sp = c->spec, .cfg = cfg};
    if (st == VN_OK)
        st = run(&x, c, errbuf, errlen);
    if (x.res)
        for (size_t i = 0; i < x.ngroups * (1 + c->spec->nslices); i++)
            vn_result_free(x.res[i]);
    vn__free(x.res);
    for (size_t g = 0; g < x.ngroups; g++)
        vn__free(x.groups[g].list);
    vn__free(x.groups);
    vn__free(x.group_of);
    vn__free(x.keys);
    vn__names_free(&x.xcols);
    vn__free(x.qparam);
    vn__free(x.scaled);
    vn__free(x.needed);
    for (size_t d = 0; x.bins && d < c->spec->nslices; d++)
        vn__free(x.bins[d]);
    vn__free(x.bins);
    table_free(&x.t);
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_check_free(c);
        return st;
    }
    /* point the public views into their rows; the verdict */
    size_t applied = 0, failed = 0;
    for (size_t i = 0; i < c->n; i++) {
        vn__gate_row *r = &c->rows[i];
        r->r.gate = r->gate;
        r->r.slice = r->slice;
        r->r.message = r->msg;
        applied += r->r.status == VN_GATE_PASS || r->r.status == VN_GATE_FAIL ||
                   r->r.status == VN_GATE_WARN;
        failed += r->r.status == VN_GATE_FAIL || (r->r.status == VN_GATE_ERROR && !r->r.warn_only);
    }
    c->verdict = failed ? 1 : applied == 0 && c->n ? 5 : 0;
    *out = c;
    return VN_OK;
}

size_t vn_check_count(const vn_check *c) { return c->n; }

const vn_gate_result *vn_check_at(const vn_check *c, size_t i)
{
    return i < c->n ? &c->rows[i].r : NULL;
}

int vn_check_verdict(const vn_check *c) { return c->verdict; }
const char *vn_check_junit_path(const vn_check *c) { return c->spec->ci.junit; }
const char *vn_check_markdown_path(const vn_check *c) { return c->spec->ci.markdown; }
const char *vn_check_json_path(const vn_check *c) { return c->spec->ci.json; }
int vn_check_github(const vn_check *c) { return c->spec->ci.github; }

/* ---- a report on the data a check read ---- */

vn_status vn_check_evaluate(const vn_check *c, const vn_check_config *cfg, vn_result **out,
                            char *errbuf, size_t errlen)
{
    *out = NULL;
    const vn__spec *sp = c->spec;
    /* the metrics evaluated on the data's own columns, as one list */
    size_t len = 1;
    for (size_t m = 0; m < sp->nmetrics; m++)
        len += strlen(sp->metrics[m].list) + 1;
    char *list = vn__malloc(len);
    VN_RETURN_IF(!list, VN_ERR_NOMEM, "out of memory");
    list[0] = '\0';
    vn_eval_config ec;
    vn_eval_config_init(&ec);
    for (size_t m = 0; m < sp->nmetrics; m++) {
        const vn__spec_metric *sm = &sp->metrics[m];
        if (sm->y || sm->prediction || sm->weight)
            continue; /* its own columns: the gates table has it */
        strcat(*list ? strcat(list, ",") : list, sm->list);
        if (sm->has_uncertainty && ec.ci_level == 0) { /* the first interval asked for */
            ec.ci_level = sm->ci_level;
            ec.ci_method = sm->ci_method;
            ec.resamples = sm->resamples;
            ec.seed = sm->seed;
        }
    }
    ec.metrics = *list ? list : NULL;
    ec.zero_policy = sp->data.zero;
    ec.r2_constant = sp->data.r2c;
    ec.task = sp->data.task;
    ec.threads = cfg ? cfg->threads : 1;
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.delimiter = sp->data.delimiter;
    cc.header = sp->data.header;
    cc.missing = sp->data.missing;
    cc.y = sp->data.y;
    cc.yhat = sp->data.prediction;
    cc.weight = sp->data.weight;
    cc.time = sp->data.time;
    cc.hash = 1;
    /* the first `by` definition: with data.horizon that is "horizon", in numeric order */
    for (size_t d = 0; d < sp->nslices; d++)
        if (sp->slices[d].kind == VN__SLICE_BY) {
            ec.by_count = sp->slices[d].nby;
            ec.by_names = (const char *const *)sp->slices[d].by;
            ec.min_count = sp->slices[d].min_count;
            ec.numeric_slices = sp->slices[d].numeric;
            cc.by = ec.by_names;
            break;
        }
    const char *series[1] = {sp->data.series};
    if (sp->data.series) { /* no `by` definition then: one slice per series, as --series */
        ec.by_count = 1;
        ec.by_names = series;
        ec.series = 1;
        cc.by = series;
    }
    vn_eval *ev = NULL;
    vn_status st = vn_eval_new(&ec, &ev, errbuf, errlen);
    if (st == VN_OK)
        st = vn_eval_keep_plots(ev);
    if (st == VN_OK)
        st = vn_eval_csv(ev, cfg && cfg->data ? cfg->data : sp->data.path, &cc);
    bool train_failed = false; /* as in read_train: the message names the spec's key */
    if (st == VN_OK && sp->data.train) {
        st = vn_eval_train_csv(ev, sp->data.train, &cc);
        train_failed = st != VN_OK;
    }
    if (st == VN_OK)
        st = vn_eval_finish(ev, out);
    if (train_failed)
        vn__fmt(errbuf, errlen, "%s:%u:%u: data.train: %s", sp->name,
                (unsigned)sp->data.train_loc.line, (unsigned)sp->data.train_loc.col,
                vn_eval_errmsg(ev));
    else if (st != VN_OK && ev)
        vn__fmt(errbuf, errlen, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    vn__free(list);
    return st;
}
