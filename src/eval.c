/*
 * eval.c — the evaluation: slices, block accumulation on a small thread pool, reading
 * a CSV file into it, and finishing into a result.
 *
 * Every row goes to the overall slice and, when slicing, to its own slice. A slice
 * buffers its rows; each full block of VN_BLOCK_ROWS rows of the slice's own sequence
 * is folded into a fresh state (in parallel across blocks and slices), and block states
 * are merged into the slice's state in block order. The partial block at the end is
 * folded at finish. So the result depends only on each slice's row sequence — not on
 * thread count, not on how rows arrived. Slices that need stored rows (order
 * statistics, ranks, row order) keep their buffer whole; the others drop folded rows.
 */
#include "eval.h"
#include "csv.h"
#include "csvpar.h"
#include "hash.h"
#include "kernels.h"
#include "numparse.h"
#include "plots.h"
#include "series.h"
#include "sketch.h"
#include "state.h"
#include "timesort.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct slice {
    char *key; /* by values, each NUL-terminated, concatenated */
    size_t keylen;
    uint64_t hash;
    double *y, *p, *w;
    double **x; /* the input columns custom metrics read (nx of them), like y */
    size_t len, cap, done;
    /* When the plan needs |e| but not the rows themselves (ae_mode): |e| of the slice's
     * rows, and their weights when weighted, a multiset (only quantiles read it): a row's
     * is noted when its block is folded, on the pool, while the row is in the cache
     * (note_pending adds the pending rows' for readers mid-stream). y, p, w then hold
     * only rows not yet folded (and folded ones until room is wanted: fold). 8 bytes a
     * row instead of 24. */
    double *ae, *aw;
    size_t an, acap;
    size_t ae_skip; /* the first ae_skip rows of [done, len) have their |e| noted already
                       (note_pending): a row's |e| is noted when its block is folded */
    vn__qsketch qsk; /* --quantiles sketch: the sketch of |e| instead */
    vn__acc *acc;
} slice;

struct vn_eval {
    vn__mspec *ms;
    size_t nms;
    vn__names cols; /* the input columns custom metrics read */
    vn__plan plan;
    vn__opts opts;
    uint64_t min_count;
    int threads;
    vn__ci_cfg ci;
    size_t by_count;
    char **by_names;
    slice *slices; /* [0] is the overall slice */
    size_t nslices, slices_cap;
    uint32_t *table; /* open addressing: slice index, 0 = empty (overall never hashed) */
    size_t table_cap;
    uint64_t rows_seen, rows_zero_weight, rows_missing, rows_read;
    bool weighted; /* weights were given: weighted quantile rules apply, even if all are 1 */
    bool binary;   /* VN_TASK_BINARY: every y must be 0 or 1 */
    char *source, *ycol, *pcol, *wcol;
    char data_hash[17];
    bool auto_block; /* a time column and no block size: moving blocks of ceil(n^(1/3)) */
    bool plots;      /* vn_eval_keep_plots: the report's summaries are built at finish */
    bool series;     /* the by columns name series: the overall mase/rmsse/mda are pooled */
    bool numeric_slices; /* slices listed by the number in their first by value */
    vn__train *train;    /* training series for the naive scale: vn_eval_train_csv or */
    bool train_arrays;   /* vn_eval_train_series (the two do not mix) */
    bool sketch;     /* VN_QUANTILES_SKETCH */
    /* With by columns, every row of the overall slice is also in exactly one other slice,
     * so in ae_mode the overall slice keeps no |e| of its own (8 bytes a row): its |e| are
     * the other slices' put together when needed (derive_overall). Weighted rows, rows
     * without slice ids and absorbed states end that: the copy is made then and kept. */
    bool derived_ae;
    size_t *cnt;     /* scatter_sliced: rows per slice of an update */
    size_t cnt_cap;
    vn__worst_heap worst;
    bool failed;
    char err[512];
};

void vn_eval_config_init(vn_eval_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->threads = 1;
    cfg->resamples = 2000;
}

void vn_csv_config_init(vn_csv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->header = 1;
}

const char *vn_eval_errmsg(const vn_eval *ev) { return ev ? ev->err : ""; }

static void free_slice(slice *s, size_t nx)
{
    vn__free(s->key);
    vn__free(s->y);
    vn__free(s->p);
    vn__free(s->w);
    vn__free(s->ae);
    vn__free(s->aw);
    vn__sketch_free(&s->qsk);
    for (size_t k = 0; s->x && k < nx; k++)
        vn__free(s->x[k]);
    vn__free(s->x);
    vn__free(s->acc);
}

void vn_eval_free(vn_eval *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->nslices; i++)
        free_slice(&ev->slices[i], ev->cols.n);
    for (size_t i = 0; i < ev->by_count; i++)
        vn__free(ev->by_names[i]);
    vn__free(ev->by_names);
    vn__free(ev->slices);
    vn__free(ev->table);
    vn__mspecs_free(ev->ms, ev->nms);
    vn__names_free(&ev->cols);
    vn__free(ev->plan.slots);
    vn__free(ev->source);
    vn__free(ev->ycol);
    vn__free(ev->pcol);
    vn__free(ev->wcol);
    vn__free(ev->cnt);
    vn__train_free(ev->train);
    vn__free(ev);
}

/* Appends a fresh slice; its state is allocated now so that finish cannot fail on it. */
static vn_status add_slice(vn_eval *ev, const char *key, size_t keylen, uint64_t hash)
{
    if (!vn__grow((void **)&ev->slices, &ev->slices_cap, ev->nslices + 1, sizeof(slice)))
        return VN_ERR_NOMEM;
    slice *s = &ev->slices[ev->nslices];
    memset(s, 0, sizeof *s);
    s->acc = vn__malloc(vn__acc_size(&ev->plan));
    s->key = key ? vn__strndup(key, keylen) : NULL;
    s->x = ev->cols.n ? vn__calloc(ev->cols.n, sizeof *s->x) : NULL;
    if (!s->acc || (key && !s->key) || (ev->cols.n && !s->x)) {
        free_slice(s, ev->cols.n);
        return VN_ERR_NOMEM;
    }
    vn__acc_init(s->acc, &ev->plan);
    s->keylen = keylen;
    s->hash = hash;
    ev->nslices++;
    return VN_OK;
}

/* Builds the plan: the union of needs, one slot per distinct parameterised loss, and the
 * slots of custom metrics (theirs alone, consecutive; a C metric's state at its offset). */
static vn_status make_plan(vn_eval *ev)
{
    size_t nslots = ev->nms, custom_end = 0;
    for (size_t i = 0; i < ev->nms; i++)
        nslots += ev->ms[i].um ? vn__custom_nslots(ev->ms[i].um) : 0;
    ev->plan.slots = vn__calloc(nslots ? nslots : 1, sizeof(vn__slot));
    if (!ev->plan.slots)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < ev->nms; i++) {
        vn__mspec *m = &ev->ms[i];
        ev->plan.needs |= m->needs;
        if (m->um) {
            m->slot = (int)ev->plan.nslots;
            vn__custom_slots(m->um, ev->plan.slots + ev->plan.nslots);
            ev->plan.nslots += vn__custom_nslots(m->um);
            if (m->um->def) {
                m->um->state_off = custom_end;
                custom_end += (m->um->def->state_size + 15) / 16 * 16;
            }
            continue;
        }
        if (!(m->needs & NEED_SLOT))
            continue;
        vn__slot sl = {SLOT_TWEEDIE, m->param[0], NULL, NULL};
        if (m->kind == MK_HUBER)
            sl.kind = SLOT_HUBER;
        else if (m->kind == MK_PSEUDO_HUBER)
            sl.kind = SLOT_PSEUDO_HUBER;
        else if (m->kind == MK_POISSON)
            sl.param = 1.0;
        else if (m->kind == MK_GAMMA)
            sl.param = 2.0;
        size_t k = 0;
        while (k < ev->plan.nslots &&
               !(ev->plan.slots[k].kind == sl.kind && ev->plan.slots[k].param == sl.param))
            k++;
        if (k == ev->plan.nslots)
            ev->plan.slots[ev->plan.nslots++] = sl;
        m->slot = (int)k;
    }
    return VN_OK;
}

vn_status vn_eval_new(const vn_eval_config *cfg, vn_eval **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    vn_eval_config def;
    if (!cfg) {
        vn_eval_config_init(&def);
        cfg = &def;
    }
    VN_RETURN_IF(cfg->by_count && !cfg->by_names, VN_ERR_USAGE, "by_count > 0 needs by_names");
    VN_RETURN_IF(cfg->threads < 0 || cfg->threads > 256, VN_ERR_USAGE,
                 "threads must be 0 (auto) to 256, not %d", cfg->threads);
    VN_RETURN_IF(cfg->ci_level != 0 && !(cfg->ci_level > 0 && cfg->ci_level < 1), VN_ERR_USAGE,
                 "the confidence level must be between 0 and 1 (e.g. 0.95), not %g",
                 cfg->ci_level);
    VN_RETURN_IF(cfg->ci_level > 0 && cfg->resamples == 0, VN_ERR_USAGE,
                 "resamples must be at least 1");
    VN_RETURN_IF((unsigned)cfg->ci_method > VN_CI_ANALYTIC, VN_ERR_USAGE, "invalid ci_method");
    VN_RETURN_IF((cfg->series || cfg->numeric_slices) && !cfg->by_count, VN_ERR_USAGE,
                 "series and numeric_slices need by columns (the series or the horizon)");
    VN_RETURN_IF((unsigned)cfg->zero_policy > VN_ZERO_EPS ||
                     (unsigned)cfg->r2_constant > VN_R2_SKLEARN,
                 VN_ERR_USAGE, "invalid zero_policy or r2_constant");
    VN_RETURN_IF((unsigned)cfg->task > VN_TASK_BINARY, VN_ERR_USAGE, "invalid task");
    VN_RETURN_IF((unsigned)cfg->quantiles > VN_QUANTILES_SKETCH, VN_ERR_USAGE,
                 "invalid quantiles mode");
    vn_eval *ev = vn__calloc(1, sizeof *ev);
    VN_RETURN_IF(!ev, VN_ERR_NOMEM, "out of memory"); /* the CLI prints errbuf */
    ev->series = cfg->series != 0;
    ev->numeric_slices = cfg->numeric_slices != 0;
    ev->binary = cfg->task == VN_TASK_BINARY;
    ev->sketch = cfg->quantiles == VN_QUANTILES_SKETCH;
    const char *list = cfg->metrics && *cfg->metrics ? cfg->metrics
                                                     : vn_task_default_metrics(cfg->task);
    vn_status st = vn__metrics_parse_ex(list, cfg->custom, cfg->custom_count, &ev->cols,
                                        &ev->ms, &ev->nms, errbuf, errlen);
    if (st == VN_OK)
        st = make_plan(ev);
    ev->opts.zero = cfg->zero_policy;
    ev->opts.r2c = cfg->r2_constant;
    ev->min_count = cfg->min_count;
    ev->threads = cfg->threads;
    if (ev->threads == 0) {
        const long c = sysconf(_SC_NPROCESSORS_ONLN);
        ev->threads = c < 1 ? 1 : c > 64 ? 64 : (int)c;
    }
    ev->ci = (vn__ci_cfg){cfg->ci_level, cfg->ci_method, cfg->resamples, cfg->seed,
                          cfg->block_size, ev->threads};
    if (ev->ci.level > 0)
        ev->plan.needs |= NEED_STORE; /* resamples and per-row terms need the rows */
    if (st == VN_OK && cfg->by_count) {
        ev->by_names = vn__calloc(cfg->by_count, sizeof(char *));
        st = ev->by_names ? VN_OK : VN_ERR_NOMEM;
        for (size_t i = 0; st == VN_OK && i < cfg->by_count; i++) {
            ev->by_count++;
            ev->by_names[i] = vn__strdup(cfg->by_names[i] ? cfg->by_names[i] : "");
            st = ev->by_names[i] ? VN_OK : VN_ERR_NOMEM;
        }
    }
    ev->derived_ae = ev->by_count > 0;
    if (st == VN_OK)
        st = add_slice(ev, NULL, 0, 0);
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_eval_free(ev);
        return st;
    }
    *out = ev;
    return VN_OK;
}

static vn_status fail(vn_eval *ev, vn_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static vn_status fail(vn_eval *ev, vn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(ev->err, sizeof ev->err, fmt, ap);
    va_end(ap);
    ev->failed = true;
    return st;
}

static vn_status table_insert(vn_eval *ev, uint32_t idx)
{
    if (2 * (ev->nslices + 1) > ev->table_cap) {
        const size_t cap = ev->table_cap ? 2 * ev->table_cap : 64;
        uint32_t *t = vn__calloc(cap, sizeof *t);
        if (!t)
            return VN_ERR_NOMEM;
        for (size_t i = 1; i < ev->nslices; i++) {
            size_t h = ev->slices[i].hash & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = (uint32_t)i;
        }
        vn__free(ev->table);
        ev->table = t;
        ev->table_cap = cap;
        return VN_OK; /* the rehash inserted idx too (it is < nslices) */
    }
    size_t h = ev->slices[idx].hash & (ev->table_cap - 1);
    while (ev->table[h])
        h = (h + 1) & (ev->table_cap - 1);
    ev->table[h] = idx;
    return VN_OK;
}

/* Looks up or creates the slice of a joined key; *idx is the internal index (≥ 1). */
static vn_status intern(vn_eval *ev, const char *key, size_t keylen, uint32_t *idx)
{
    const uint64_t h = vn__fnv1a(key, keylen);
    if (ev->table_cap) {
        for (size_t i = h & (ev->table_cap - 1); ev->table[i]; i = (i + 1) & (ev->table_cap - 1)) {
            const slice *s = &ev->slices[ev->table[i]];
            if (s->hash == h && s->keylen == keylen && memcmp(s->key, key, keylen) == 0) {
                *idx = ev->table[i];
                return VN_OK;
            }
        }
    }
    if (ev->nslices > UINT32_MAX - 1)
        return fail(ev, VN_ERR_DATA, "too many slices");
    VN_TRY(add_slice(ev, key, keylen, h));
    *idx = (uint32_t)(ev->nslices - 1);
    const vn_status st = table_insert(ev, *idx);
    if (st != VN_OK) {
        ev->nslices--;
        free_slice(&ev->slices[ev->nslices], ev->cols.n);
    }
    return st;
}

/* Joins by values into buf (each followed by a NUL). */
static vn_status join_key(vn_eval *ev, const char *const *values, const size_t *lens,
                          char **buf, size_t *cap, size_t *len)
{
    *len = 0;
    for (size_t c = 0; c < ev->by_count; c++) {
        const size_t n = lens ? lens[c] : strlen(values[c]);
        if (memchr(values[c], '\0', n))
            return fail(ev, VN_ERR_DATA, "slice value contains a NUL byte");
        if (!vn__grow((void **)buf, cap, *len + n + 1, 1))
            return VN_ERR_NOMEM;
        memcpy(*buf + *len, values[c], n);
        (*buf)[*len + n] = '\0';
        *len += n + 1;
    }
    return VN_OK;
}

vn_status vn_eval_slice(vn_eval *ev, const char *const *values, const size_t *lens, uint32_t *id)
{
    if (ev->failed)
        return VN_ERR_USAGE;
    if (ev->by_count == 0)
        return fail(ev, VN_ERR_USAGE, "vn_eval_slice: the evaluation has no by columns");
    char *buf = NULL;
    size_t cap = 0, len = 0;
    uint32_t idx = 0;
    vn_status st = join_key(ev, values, lens, &buf, &cap, &len);
    if (st == VN_OK)
        st = intern(ev, buf, len, &idx);
    vn__free(buf);
    if (st == VN_OK)
        *id = idx - 1;
    return st;
}

/* Drops slice s's folded rows from its buffers (a plan that keeps no rows): the rows
 * not yet folded move to the front (see fold). */
static void drop_folded(vn_eval *ev, slice *s)
{
    const size_t rest = s->len - s->done;
    memmove(s->y, s->y + s->done, rest * sizeof(double));
    memmove(s->p, s->p + s->done, rest * sizeof(double));
    if (ev->weighted) /* else they need not be written (scatter_sliced) */
        memmove(s->w, s->w + s->done, rest * sizeof(double));
    for (size_t k = 0; k < ev->cols.n; k++)
        memmove(s->x[k], s->x[k] + s->done, rest * sizeof(double));
    s->len = rest;
    s->done = 0;
}

/* Room for need rows in every array of slice s. */
static bool reserve(vn_eval *ev, slice *s, size_t need)
{
    if (need <= s->cap)
        return true;
    if (s->done && !(ev->plan.needs & NEED_STORE)) { /* the folded rows make room first */
        need -= s->done;
        drop_folded(ev, s);
        if (need <= s->cap)
            return true;
    }
    size_t c1 = s->cap, c2 = s->cap, c3 = s->cap;
    if (!vn__grow((void **)&s->y, &c1, need, sizeof(double)) ||
        !vn__grow((void **)&s->p, &c2, need, sizeof(double)) ||
        !vn__grow((void **)&s->w, &c3, need, sizeof(double)))
        return false;
    for (size_t k = 0; k < ev->cols.n; k++) {
        size_t ck = s->cap;
        if (!vn__grow((void **)&s->x[k], &ck, need, sizeof(double)))
            return false;
        c1 = ck < c1 ? ck : c1;
    }
    /* capacities grow in lockstep; keep the smallest as the shared capacity */
    s->cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    return true;
}

/* The plan keeps |e| (and weights) rather than rows: only quantiles of |e| read stored
 * data. (Intervals, plots and comparisons set NEED_STORE before the first row.) */
static bool ae_mode(const vn_eval *ev)
{
    return (ev->plan.needs & (NEED_AE | NEED_STORE)) == NEED_AE && !ev->sketch;
}

/* The same plan with --quantiles sketch: |e| goes into each slice's sketch. (Weights are
 * always summed in it, so rows given with and without weights mix as they do elsewhere.) */
static bool sketch_mode(const vn_eval *ev)
{
    return (ev->plan.needs & (NEED_AE | NEED_STORE)) == NEED_AE && ev->sketch;
}

/* Room for `more` further |e| entries of slice s, and their weights once the evaluation
 * is weighted (earlier rows then get weight 1: they were given without weights). */
static bool ae_reserve_w(vn_eval *ev, slice *s, size_t more, bool want_w)
{
    if ((ev->weighted || want_w) && !s->aw) {
        size_t c = 0;
        if (!vn__grow((void **)&s->aw, &c, s->acap > s->an ? s->acap : s->an + 1, sizeof(double)))
            return false;
        for (size_t i = 0; i < s->an; i++)
            s->aw[i] = 1.0;
        s->acap = c < s->acap ? c : s->acap;
    }
    const size_t need = s->an + more;
    if (need <= s->acap)
        return true;
    size_t c1 = s->acap, c2 = s->acap;
    if (!vn__grow((void **)&s->ae, &c1, need, sizeof(double)) ||
        (s->aw && !vn__grow((void **)&s->aw, &c2, need, sizeof(double))))
        return false;
    s->acap = s->aw && c2 < c1 ? c2 : c1;
    return true;
}

static bool ae_reserve(vn_eval *ev, slice *s, size_t more) { return ae_reserve_w(ev, s, more, false); }

/* Whether slice s stores |e| (each row's when its block is folded). */
static bool keeps_ae(const vn_eval *ev, const slice *s)
{
    return ae_mode(ev) && !(ev->derived_ae && s == ev->slices);
}

/* n more entries in slice s's |e| store: room made, their weights (when the store keeps
 * weights) w[0..n), or 1 when w is NULL; *at is where their |e| go (the caller writes
 * them). */
static bool ae_append(vn_eval *ev, slice *s, size_t n, const double *w, double **at)
{
    if (!ae_reserve(ev, s, n))
        return false;
    *at = s->ae ? s->ae + s->an : NULL; /* (no store yet when n is 0) */
    for (size_t i = 0; s->aw && i < n; i++)
        s->aw[s->an + i] = w ? w[i] : 1.0;
    s->an += n;
    return true;
}

/* The weights of slice s's buffered rows from row `from` on: NULL (all 1) when the
 * evaluation is unweighted, whose buffers need not hold weights (scatter_sliced). */
static const double *buffered_w(const vn_eval *ev, const slice *s, size_t from)
{
    return ev->weighted ? s->w + from : NULL;
}

/* Notes the |e| of slice s's pending rows (buffered, their block not yet folded) that
 * have none yet, so that its store holds every row's while rows are pending: for the
 * readers of a store mid-stream (derive_overall, the state writer, a merge). Folding
 * them later skips them (ae_skip). */
static bool note_pending(vn_eval *ev, slice *s)
{
    const size_t from = s->done + s->ae_skip, m = s->len - from;
    double *ae;
    if (!keeps_ae(ev, s) || m == 0)
        return true;
    if (!ae_append(ev, s, m, buffered_w(ev, s, from), &ae))
        return false;
    (void)vn__abs_errors(ae, s->y + from, s->p + from, m); /* (buffered rows: finite) */
    s->ae_skip = s->len - s->done;
    return true;
}

/* Ends derived_ae: the overall slice's |e| (and weights) become the other slices', in
 * slice order — a multiset, which is all its quantiles read. With free_parts, each
 * slice's arrays are released as they are taken (at finish, after their quantiles), so
 * the |e| are held about once. */
static bool derive_overall(vn_eval *ev, bool free_parts)
{
    if (!ev->derived_ae)
        return true;
    ev->derived_ae = false;
    if (!ae_mode(ev))
        return true;
    slice *all = &ev->slices[0];
    for (size_t i = 1; i < ev->nslices; i++) {
        slice *s = &ev->slices[i];
        if (!note_pending(ev, s) || (s->an && !ae_reserve_w(ev, all, s->an, s->aw != NULL)))
            return false;
        if (s->an)
            memcpy(all->ae + all->an, s->ae, s->an * sizeof(double));
        for (size_t k = 0; all->aw && k < s->an; k++)
            all->aw[all->an + k] = s->aw ? s->aw[k] : 1.0;
        all->an += s->an;
        if (free_parts) {
            vn__free(s->ae);
            vn__free(s->aw);
            s->ae = s->aw = NULL;
            s->an = s->acap = 0;
        }
    }
    all->ae_skip = all->len - all->done; /* its pending rows are the slices': noted */
    return true;
}

/* Appends one row to slice s: y, p, w and the input columns x[0..nx) (i-th element,
 * stride from strides, all 1 when NULL); in sketch_mode its |e| goes into the sketch
 * (in ae_mode its |e| is noted when its block is folded). */
static bool push(vn_eval *ev, slice *s, double y, double p, double w, const double *const *x,
                 const ptrdiff_t *strides, size_t i)
{
    const size_t nx = ev->cols.n;
    if (s->len == s->cap && !reserve(ev, s, s->len + 1))
        return false;
    if (sketch_mode(ev) && !vn__sketch_add(&s->qsk, fabs(p - y), w, true))
        return false;
    s->y[s->len] = y;
    s->p[s->len] = p;
    s->w[s->len] = w;
    for (size_t k = 0; k < nx; k++)
        s->x[k][s->len] = x[k][(ptrdiff_t)i * (strides ? strides[k] : 1)];
    s->len++;
    return true;
}

/* ---- block jobs on a small thread pool ---- */

/* A block to fold: rows [off, off + n) of y, p, w (and the input columns x), either a
 * slice's buffered rows (buffered: the slice's `done` moves past them) or a caller's
 * arrays (folded without being copied). */
typedef struct job {
    slice *s;
    const double *y, *p, *w;
    const double *const *x;
    size_t off, n;
    bool buffered;
    double *ae; /* NULL, or where the |e| of rows off + ae_from .. off + n go, in order */
    size_t ae_from;
    bool check; /* y and p not yet known finite: the job checks them first */
    bool bad;   /* (out) check found a value that is not finite; nothing was folded */
} job;

typedef struct pool {
    const vn__plan *plan;
    job *jobs;
    unsigned char *states; /* a state of acc_size bytes per job */
    size_t acc_size;
} pool;

/* ---- a parallel loop: fn(ctx, i) for every i in [0, n), each once ---- */

typedef struct par {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next;
} par;

static void *par_loop(void *arg)
{
    par *p = arg;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
        p->fn(p->ctx, i);
    return NULL;
}

/* Runs fn(ctx, i) for i in [0, n) on up to `threads` threads, the caller's among them,
 * each taking the next i as it finishes one: whatever fn computes for i must not depend
 * on which thread runs it. */
static void parallel(size_t n, int threads, void (*fn)(void *, size_t), void *ctx)
{
    par p = {fn, ctx, n, 0};
    atomic_init(&p.next, 0);
    pthread_t tid[64];
    size_t nt = 0;
    const size_t want = (size_t)threads < n ? (size_t)threads : n;
    for (; nt + 1 < want && nt < 64; nt++)
        if (pthread_create(&tid[nt], NULL, par_loop, &p) != 0)
            break; /* fewer threads: the same result, later */
    par_loop(&p);
    for (size_t i = 0; i < nt; i++)
        pthread_join(tid[i], NULL);
}

/* Whether y and p [0, n) are all finite. */
static bool rows_finite(const double *y, const double *p, size_t n)
{
    return vn__all_finite(y, n) && vn__all_finite(p, n);
}

/* Folds job j's rows into its own state (parallel: the state does not depend on the
 * thread). */
static void fold_job(void *ctx, size_t j)
{
    pool *pl = ctx;
    job *jb = &pl->jobs[j];
    vn__acc *a = (vn__acc *)(pl->states + j * pl->acc_size);
    vn__acc_init(a, pl->plan);
    const double *y = jb->y + jb->off, *p = jb->p + jb->off;
    /* |e| first, which says on the way whether the rows' differences are finite: when
     * they are, so are the rows, and the check's own pass is saved (jobs that check are
     * fold_direct's, whose |e| start at the block's first row: ae_from 0) */
    const bool diffs_finite =
        jb->ae && vn__abs_errors(jb->ae, y + jb->ae_from, p + jb->ae_from, jb->n - jb->ae_from);
    if (jb->check && !(diffs_finite && jb->ae_from == 0) && !rows_finite(y, p, jb->n)) {
        jb->bad = true; /* the evaluation is spent: the caller fails it */
        return;
    }
    vn__acc_fold(a, pl->plan, jb->y, jb->p, jb->w, jb->x, jb->off, jb->n);
}

/* Folds jobs[0..njobs) (blocks in each slice's row order) on the pool and merges their
 * states into their slices in that order. */
static vn_status run_fold(vn_eval *ev, job *jobs, size_t njobs)
{
    pool pl = {.plan = &ev->plan, .jobs = jobs, .acc_size = vn__acc_size(&ev->plan)};
    pl.states = vn__malloc(njobs * pl.acc_size);
    if (!pl.states)
        return VN_ERR_NOMEM;
    parallel(njobs, ev->threads, fold_job, &pl);
    for (size_t j = 0; j < njobs; j++) {
        slice *s = jobs[j].s;
        vn__acc_merge(s->acc, (const vn__acc *)(pl.states + j * pl.acc_size), &ev->plan);
        if (jobs[j].buffered)
            s->done = jobs[j].off + jobs[j].n;
    }
    vn__free(pl.states);
    return VN_OK;
}

/* Folds every complete block of every slice (and, when final, the partial ones). */
static vn_status fold(vn_eval *ev, bool final)
{
    size_t njobs = 0;
    for (size_t i = 0; i < ev->nslices; i++) {
        const size_t pending = ev->slices[i].len - ev->slices[i].done;
        njobs += pending / VN_BLOCK_ROWS + (final && pending % VN_BLOCK_ROWS != 0);
    }
    if (njobs == 0)
        return VN_OK;
    job *jobs = vn__malloc(njobs * sizeof *jobs);
    if (!jobs)
        return VN_ERR_NOMEM;
    size_t j = 0;
    for (size_t i = 0; i < ev->nslices; i++) {
        slice *s = &ev->slices[i];
        const size_t pending = s->len - s->done;
        const size_t take = final ? pending : pending / VN_BLOCK_ROWS * VN_BLOCK_ROWS;
        /* the rows taken that have no |e| yet (all but the first `skip`): their jobs
         * write them, the row done + skip + k's to ae[k] */
        const size_t skip = s->ae_skip < take ? s->ae_skip : take;
        double *ae = NULL;
        if (take > skip && keeps_ae(ev, s) &&
            !ae_append(ev, s, take - skip, buffered_w(ev, s, s->done + skip), &ae)) {
            vn__free(jobs);
            return VN_ERR_NOMEM;
        }
        s->ae_skip -= skip;
        for (size_t at = 0; at < take; at += VN_BLOCK_ROWS) {
            const size_t n = take - at < VN_BLOCK_ROWS ? take - at : VN_BLOCK_ROWS;
            const size_t from = at >= skip ? 0 : skip - at < n ? skip - at : n;
            /* unweighted: every buffered weight is 1 (NULL: the kernels skip them) */
            jobs[j++] = (job){s, s->y, s->p, ev->weighted ? s->w : NULL,
                              (const double *const *)s->x, s->done + at, n, true,
                              ae && from < n ? ae + (at + from - skip) : NULL, from, false, false};
        }
    }
    const vn_status st = run_fold(ev, jobs, njobs);
    vn__free(jobs);
    /* A plan that keeps no rows drops the folded ones: all of them when none is left
     * (nothing to move; a finished slice holds no rows), else when room is wanted
     * (reserve), so that the rest of a partial block is not moved after every fold. */
    for (size_t i = 0; st == VN_OK && !(ev->plan.needs & NEED_STORE) && i < ev->nslices; i++)
        if (ev->slices[i].done == ev->slices[i].len)
            ev->slices[i].len = ev->slices[i].done = 0;
    return st;
}

/* Appends rows [0, m) of y and p, weight 1, to the buffer of slice s. */
static bool buffer_rows(vn_eval *ev, slice *s, const double *y, const double *p, size_t m)
{
    if (m == 0)
        return true; /* (the buffer may not exist yet: no memcpy to NULL) */
    if (!reserve(ev, s, s->len + m))
        return false;
    memcpy(s->y + s->len, y, m * sizeof(double));
    memcpy(s->p + s->len, p, m * sizeof(double));
    for (size_t i = 0; i < m; i++)
        s->w[s->len + i] = 1.0;
    s->len += m;
    return true;
}

/* Unweighted rows y, p [0, n) noted in slice s's sketch (sketch_mode), as push() notes
 * one row; the bulk appenders below bypass push(). */
static bool note_sketch(vn_eval *ev, slice *s, const double *y, const double *p, size_t n)
{
    for (size_t i = 0; sketch_mode(ev) && i < n; i++)
        if (!vn__sketch_add(&s->qsk, fabs(p[i] - y[i]), 1.0, true))
            return false;
    return true;
}

/* Unweighted rows y, p [0, n) into slice s of a plan that keeps no rows: |e| noted
 * (ae_mode), the pending block topped up and folded, then every whole block folded
 * straight from the caller's arrays (no copy), the rest buffered. The blocks are those
 * of the row-by-row path: positions in the slice's row sequence. When the slice keeps
 * |e|, a block's job writes its rows' |e| into their places (the store is a multiset:
 * only its quantiles are read), on the pool, after folding them.
 *
 * With check, the rows are not yet known finite: each job checks its own block first,
 * on the pool, while the rows come into the cache (the rows outside whole blocks are
 * checked here). *ok is then the number of leading rows taken before the first block
 * with a value that is not finite (n when there is none); when *ok < n the evaluation
 * holds more than those rows and must be failed: the caller's row loop names the row. */
static bool fold_direct(vn_eval *ev, slice *s, const double *y, const double *p, size_t n,
                        bool check, size_t *ok)
{
    *ok = n;
    const bool fuse = keeps_ae(ev, s);
    size_t at = 0;
    if (s->len > s->done) { /* the partial block first */
        at = VN_BLOCK_ROWS - (s->len - s->done);
        at = at < n ? at : n;
    }
    const size_t tail = at + (n - at) / VN_BLOCK_ROWS * VN_BLOCK_ROWS;
    if (check && !rows_finite(y, p, at)) {
        *ok = 0;
        return true;
    }
    if (check && !rows_finite(y + tail, p + tail, n - tail))
        n = tail, *ok = tail; /* the whole blocks before them still go */
    if (!note_sketch(ev, s, y, p, n))
        return false;
    ev->rows_seen += n;
    if (at > 0 && (!buffer_rows(ev, s, y, p, at) || fold(ev, false) != VN_OK))
        return false;
    const size_t first = at; /* the whole blocks' first row */
    double *ae = NULL;       /* fuse: row first + i's |e| goes to ae[i] */
    if (fuse && !ae_append(ev, s, tail - first, NULL, &ae))
        return false;
    enum { BATCH_BLOCKS = 128 };
    job jobs[BATCH_BLOCKS];
    while (n - at >= VN_BLOCK_ROWS) {
        size_t nj = 0;
        for (; nj < BATCH_BLOCKS && n - at >= VN_BLOCK_ROWS; nj++, at += VN_BLOCK_ROWS)
            jobs[nj] = (job){s, y + at, p + at, NULL, NULL, 0, VN_BLOCK_ROWS, false,
                             fuse ? ae + (at - first) : NULL, 0, check, false};
        if (run_fold(ev, jobs, nj) != VN_OK)
            return false;
        for (size_t j = 0; j < nj; j++)
            if (jobs[j].bad) {
                *ok = (size_t)(jobs[j].y - y);
                ev->rows_seen -= n - *ok; /* the row loop counts them again */
                return true;
            }
    }
    return buffer_rows(ev, s, y + at, p + at, n - at); /* (their |e| when folded) */
}

/* The rows of r (checked: finite, ids in range; no input columns) appended to their
 * by-slices as push() would append them one by one, with each slice's room made once:
 * a count per slice, then one pass that writes y, p, w. */
static bool scatter_sliced(vn_eval *ev, const vn_rows *r)
{
    const size_t ns = ev->nslices - 1;
    if (!vn__grow((void **)&ev->cnt, &ev->cnt_cap, ns, sizeof *ev->cnt))
        return false;
    memset(ev->cnt, 0, ns * sizeof *ev->cnt);
    for (size_t i = 0; i < r->n; i++)
        ev->cnt[r->slice[i]] += !r->w || r->w[i] != 0.0;
    for (size_t k = 0; k < ns; k++) {
        slice *s = &ev->slices[k + 1];
        const size_t m = ev->cnt[k];
        if (m && !reserve(ev, s, s->len + m))
            return false;
    }
    /* an unweighted plan that keeps no rows folds its buffers without weights: none are
     * written (the buffered rows get theirs if it becomes weighted: become_weighted) */
    const bool keep_w = r->w || ev->weighted || (ev->plan.needs & NEED_STORE);
    for (size_t i = 0; i < r->n; i++) {
        const double w = r->w ? r->w[i] : 1.0;
        if (w == 0.0)
            continue;
        slice *s = &ev->slices[r->slice[i] + 1];
        const double y = r->y[i], p = r->yhat[i];
        s->y[s->len] = y;
        s->p[s->len] = p;
        if (keep_w)
            s->w[s->len] = w;
        s->len++;
    }
    return true;
}

/* Sliced rows from memory — contiguous, no input columns, no plots — checked in one pass
 * first. The overall slice takes them straight from the caller's arrays when they are
 * unweighted and the plan keeps no rows (fold_direct), else through its buffer; each
 * slice through its own buffer. Returns false, having done nothing, when a row is bad
 * (the row loop then names it); true when it took them (ev->failed on VN_ERR_NOMEM). */
static bool append_sliced(vn_eval *ev, const vn_rows *r)
{
    if (!r->slice || r->y_stride != 1 || r->yhat_stride != 1 || (r->w && r->w_stride != 1) ||
        ev->plots || ev->cols.n)
        return false;
    const size_t ns = ev->nslices - 1;
    size_t zero = 0;
    bool ok = vn__all_finite(r->y, r->n) && vn__all_finite(r->yhat, r->n);
    for (size_t i = 0; i < r->n; i++)
        ok &= r->slice[i] < ns;
    for (size_t i = 0; r->w && i < r->n; i++) {
        ok &= (r->w[i] >= 0.0) & isfinite(r->w[i]);
        zero += r->w[i] == 0.0;
    }
    if (!ok)
        return false;
    slice *all = &ev->slices[0];
    size_t taken; /* all: the rows are checked */
    if (!r->w && !(ev->plan.needs & NEED_STORE)) {
        if (!fold_direct(ev, all, r->y, r->yhat, r->n, false, &taken)) {
            fail(ev, VN_ERR_NOMEM, "out of memory");
            return true;
        }
        all = NULL; /* done */
    } else {
        ev->rows_seen += r->n;
    }
    ev->rows_zero_weight += zero;
    if (!sketch_mode(ev) && !scatter_sliced(ev, r))
        goto nomem;
    for (size_t i = 0; (all || sketch_mode(ev)) && i < r->n; i++) {
        const double w = r->w ? r->w[i] : 1.0;
        if (w == 0.0)
            continue;
        if ((all && !push(ev, all, r->y[i], r->yhat[i], w, NULL, NULL, i)) ||
            (sketch_mode(ev) &&
             !push(ev, &ev->slices[r->slice[i] + 1], r->y[i], r->yhat[i], w, NULL, NULL, i)))
            goto nomem;
    }
    if (fold(ev, false) != VN_OK)
        goto nomem;
    return true;

nomem:
    fail(ev, VN_ERR_NOMEM, "out of memory");
    return true;
}

/* The common case of rows from memory — contiguous, unweighted, unsliced: straight
 * from the caller's arrays when the plan keeps no rows (fold_direct: every block a job
 * that checks its rows are finite and folds them), else appended a chunk at a time with
 * memcpy instead of row by row, and folded after each chunk (the blocks are the same:
 * they are positions in the slice's row sequence); such a chunk is checked (finite
 * values) just before it is taken, while its rows are in the cache. Returns false,
 * having done nothing, when the rows are not such; true when it took the rows before
 * the block or chunk that holds the first bad one, or all rows (*taken says how many:
 * the row loop takes the rest, and names the bad row), or ev->failed (VN_ERR_NOMEM). */
static bool append_plain(vn_eval *ev, const vn_rows *r, const double *const *x,
                         const ptrdiff_t *strides, size_t *taken)
{
    if (r->w || r->slice || r->y_stride != 1 || r->yhat_stride != 1 || ev->plots)
        return false;
    for (size_t k = 0; k < ev->cols.n; k++)
        if (strides && strides[k] != 1)
            return false;
    slice *s = &ev->slices[0];
    if (!(ev->plan.needs & NEED_STORE) && ev->cols.n == 0) {
        if (!fold_direct(ev, s, r->y, r->yhat, r->n, true, taken))
            goto nomem;
        return true;
    }
    enum { CHUNK = 1 << 16 }; /* 16 blocks: work for every thread, 1 MB of each column */
    if (r->n > CHUNK && keeps_ae(ev, s) && !ae_reserve(ev, s, r->n)) /* |e| room at once */
        goto nomem;
    size_t at = 0;
    for (; at < r->n; at += CHUNK) {
        const size_t m = r->n - at < CHUNK ? r->n - at : CHUNK;
        bool finite = vn__all_finite(r->y + at, m) && vn__all_finite(r->yhat + at, m);
        for (size_t k = 0; finite && k < ev->cols.n; k++)
            finite = vn__all_finite(x[k] + at, m);
        if (!finite)
            break;
        if (!reserve(ev, s, s->len + m) || !note_sketch(ev, s, r->y + at, r->yhat + at, m))
            goto nomem;
        memcpy(s->y + s->len, r->y + at, m * sizeof(double));
        memcpy(s->p + s->len, r->yhat + at, m * sizeof(double));
        for (size_t i = 0; i < m; i++)
            s->w[s->len + i] = 1.0;
        for (size_t k = 0; k < ev->cols.n; k++)
            memcpy(s->x[k] + s->len, x[k] + at, m * sizeof(double));
        s->len += m;
        ev->rows_seen += m;
        if (fold(ev, false) != VN_OK)
            goto nomem;
    }
    *taken = at < r->n ? at : r->n;
    return true;

nomem:
    fail(ev, VN_ERR_NOMEM, "out of memory");
    return true;
}

size_t vn_eval_column_count(const vn_eval *ev) { return ev->cols.n; }

const char *vn_eval_column_name(const vn_eval *ev, size_t i)
{
    return i < ev->cols.n ? ev->cols.name[i] : NULL;
}

const char *vn_eval_column_use(const vn_eval *ev, size_t i)
{
    return i < ev->cols.n ? ev->cols.use[i] : NULL;
}

/* From here on the evaluation is weighted: the rows buffered so far, whose weights an
 * unweighted evaluation need not write (scatter_sliced), get weight 1. */
static void become_weighted(vn_eval *ev)
{
    if (ev->weighted)
        return;
    ev->weighted = true;
    for (size_t i = 0; i < ev->nslices; i++) {
        slice *s = &ev->slices[i];
        for (size_t j = s->done; j < s->len; j++)
            s->w[j] = 1.0;
    }
}

vn_status vn_eval_update(vn_eval *ev, const vn_rows *r)
{
    return vn_eval_update_columns(ev, r, NULL, NULL);
}

vn_status vn_eval_update_columns(vn_eval *ev, const vn_rows *r, const double *const *x,
                                 const ptrdiff_t *strides)
{
    if (ev->failed)
        return fail(ev, VN_ERR_USAGE, "the evaluation already failed: %s", ev->err);
    if (!r || (r->n && (!r->y || !r->yhat)))
        return fail(ev, VN_ERR_USAGE, "vn_eval_update: y and yhat are required");
    if (ev->cols.n && r->n && !x)
        return fail(ev, VN_ERR_USAGE, "the metrics read %zu input column%s (\"%s\"%s): pass them "
                    "with vn_eval_update_columns", ev->cols.n, ev->cols.n > 1 ? "s" : "",
                    ev->cols.name[0], ev->cols.n > 1 ? ", ..." : "");
    for (size_t k = 0; x && k < ev->cols.n; k++)
        if (!x[k] && r->n)
            return fail(ev, VN_ERR_USAGE, "vn_eval_update_columns: column \"%s\" is NULL",
                        ev->cols.name[k]);
    if (r->slice && ev->by_count == 0)
        return fail(ev, VN_ERR_USAGE, "vn_eval_update: slice ids given but no by columns");
    for (size_t i = 0; ev->binary && i < r->n; i++) {
        const double y = r->y[(ptrdiff_t)i * r->y_stride];
        if (y != 0.0 && y != 1.0)
            return fail(ev, VN_ERR_DATA, "row %llu: y is %g; a binary label must be 0 or 1",
                        (unsigned long long)(ev->rows_seen + i + 1), y);
    }
    if (r->n && (r->w || !r->slice) && !derive_overall(ev, false))
        return fail(ev, VN_ERR_NOMEM, "out of memory");
    if (r->w)
        become_weighted(ev);
    size_t taken = 0; /* rows append_plain took; the row loop takes the rest */
    if (append_plain(ev, r, x, strides, &taken) ? ev->failed || taken == r->n
                                                : append_sliced(ev, r))
        return ev->failed ? VN_ERR_NOMEM : VN_OK;
    for (size_t i = taken; i < r->n; i++) {
        const uint64_t row = ev->rows_seen + 1;
        const double y = r->y[(ptrdiff_t)i * r->y_stride], p = r->yhat[(ptrdiff_t)i * r->yhat_stride];
        const double w = r->w ? r->w[(ptrdiff_t)i * r->w_stride] : 1.0;
        if (!isfinite(y) || !isfinite(p))
            return fail(ev, VN_ERR_DATA, "row %llu: %s is not finite (%g)",
                        (unsigned long long)row, isfinite(y) ? "yhat" : "y", isfinite(y) ? p : y);
        if (!(w >= 0.0) || !isfinite(w))
            return fail(ev, VN_ERR_DATA, "row %llu: weight %g is %s", (unsigned long long)row, w,
                        isfinite(w) ? "negative" : "not finite");
        if (r->slice && r->slice[i] >= ev->nslices - 1)
            return fail(ev, VN_ERR_USAGE, "row %llu: unknown slice id %u",
                        (unsigned long long)row, r->slice[i]);
        for (size_t k = 0; k < ev->cols.n; k++) {
            const double v = x[k][(ptrdiff_t)i * (strides ? strides[k] : 1)];
            if (!isfinite(v))
                return fail(ev, VN_ERR_DATA, "row %llu: column \"%s\" is not finite (%g)",
                            (unsigned long long)row, ev->cols.name[k], v);
        }
        ev->rows_seen++;
        if (w == 0.0) {
            ev->rows_zero_weight++;
            continue;
        }
        if (ev->plots)
            vn__worst_push(&ev->worst,
                           &(vn__worst){row, r->slice ? r->slice[i] + 1 : 0, y, p, w});
        if (!push(ev, &ev->slices[0], y, p, w, x, strides, i) ||
            (r->slice && !push(ev, &ev->slices[r->slice[i] + 1], y, p, w, x, strides, i)))
            return fail(ev, VN_ERR_NOMEM, "out of memory");
    }
    if (fold(ev, false) != VN_OK)
        return fail(ev, VN_ERR_NOMEM, "out of memory");
    return VN_OK;
}

/* ---- reading a CSV file ---- */

/* The reader helpers of csv.c with this evaluation's error buffer. */
static vn_status find_column(vn_eval *ev, const vn__csv *r, const char *spec, const char *role,
                             size_t *col)
{
    const vn_status st = vn__csv_find_column(r, spec, role, col, ev->err, sizeof ev->err);
    ev->failed = ev->failed || st != VN_OK;
    return st;
}

static int number(vn_eval *ev, const vn__csv *r, size_t col, const char *role,
                  const char *colname, vn_missing missing, double *out)
{
    const int k = vn__csv_number(r, col, role, colname, missing, out, ev->err, sizeof ev->err);
    ev->failed = ev->failed || k < 0;
    return k;
}

enum { BATCH = 1 << 16 };

typedef struct batch {
    double y[BATCH], p[BATCH], w[BATCH];
    uint32_t id[BATCH];
    size_t n;
    double *x;        /* the input columns: column k at x + k * BATCH */
    const double **xp; /* their starts */
} batch;

static vn_status flush(vn_eval *ev, batch *b, bool weighted, bool sliced)
{
    const vn_rows rows = {b->n, b->y, 1, b->p, 1, weighted ? b->w : NULL, 1, sliced ? b->id : NULL};
    b->n = 0;
    return vn_eval_update_columns(ev, &rows, b->xp, NULL);
}

vn_status vn__eval_find_inputs(const vn_eval *ev, const vn__csv *r, size_t *xcol, char *errbuf,
                               size_t errlen)
{
    for (size_t k = 0; k < ev->cols.n; k++) {
        const vn_status st = vn__csv_find_column(r, ev->cols.name[k], "input", &xcol[k], errbuf,
                                                 errlen);
        if (st == VN_OK)
            continue;
        const size_t n = errbuf && errlen ? strlen(errbuf) : 0;
        if (n < errlen)
            vn__fmt(errbuf + n, errlen - n, "; %s", ev->cols.use[k]);
        return st;
    }
    return VN_OK;
}

static vn_status find_inputs(vn_eval *ev, const vn__csv *r, size_t *xcol)
{
    const vn_status st = vn__eval_find_inputs(ev, r, xcol, ev->err, sizeof ev->err);
    ev->failed = ev->failed || st != VN_OK;
    return st;
}

static vn_status set_input_names(vn_eval *ev, const char *path, const vn__csv *r,
                                 const size_t *cols, bool weighted)
{
    ev->source = vn__strdup(path);
    const char *names[3];
    for (int i = 0; i < 3; i++) {
        const char *n = i < 2 || weighted ? vn__csv_colname(r, cols[i]) : NULL;
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", cols[i] + 1);
        names[i] = i == 2 && !weighted ? NULL : n ? n : idx;
        char *copy = names[i] ? vn__strdup(names[i]) : NULL;
        if (names[i] && !copy)
            return VN_ERR_NOMEM;
        *(i == 0 ? &ev->ycol : i == 1 ? &ev->pcol : &ev->wcol) = copy;
    }
    return ev->source ? VN_OK : VN_ERR_NOMEM;
}

/* ---- the parallel reader's chunks into the evaluation ---- */

typedef struct par_ctx {
    vn_eval *ev;
    bool weighted;
    uint32_t *map; /* a chunk's local slice keys -> slice ids */
    size_t mapcap;
    uint32_t *ids;
    size_t idcap;
} par_ctx;

static vn_status par_sink(void *arg, const vn__par_chunk *c)
{
    par_ctx *pc = arg;
    vn_eval *ev = pc->ev;
    ev->rows_read += c->records;
    ev->rows_missing += c->missing;
    if (c->n == 0)
        return VN_OK;
    if (ev->by_count) {
        if (!vn__grow((void **)&pc->map, &pc->mapcap, c->nkeys, sizeof *pc->map) ||
            !vn__grow((void **)&pc->ids, &pc->idcap, c->n, sizeof *pc->ids))
            return VN_ERR_NOMEM;
        for (size_t i = 0; i < c->nkeys; i++) {
            uint32_t idx = 0;
            VN_TRY(intern(ev, c->keys[i], c->keylen[i], &idx));
            pc->map[i] = idx - 1;
        }
        for (size_t i = 0; i < c->n; i++)
            pc->ids[i] = pc->map[c->key[i]];
    }
    const size_t base = pc->weighted ? 3 : 2;
    const vn_rows rows = {c->n, c->col[0], 1, c->col[1], 1, pc->weighted ? c->col[2] : NULL, 1,
                          ev->by_count ? pc->ids : NULL};
    return vn_eval_update_columns(ev, &rows, c->col + base, NULL);
}

/* Reads what it can of a plain file on several threads (csvpar.c), then leaves the
 * reader r positioned where the rest (nothing, or from the first chunk outside the
 * common case) is to be read sequentially. */
static vn_status read_parallel(vn_eval *ev, vn__csv *r, const char *path, const vn_csv_config *cfg,
                               const size_t *cols, bool weighted, const size_t *bycol,
                               const size_t *xcol)
{
    uint64_t start = 0, line = 0;
    if (cfg->time || strcmp(path, "-") == 0 || !vn__csv_data_start(r, &start, &line) ||
        2 + weighted + ev->cols.n > VN_PAR_MAX_NUM)
        return VN_OK;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return VN_OK; /* a FIFO, a device: opening it again could block or steal bytes */
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return VN_OK; /* the sequential reader, which has it open, goes on */
    vn__par_spec sp = {.fd = fd, .start = start, .line = line, .ncols = vn__csv_ncols(r),
                       .delim = cfg->delimiter ? cfg->delimiter : vn__csv_default_delimiter(path),
                       .max_field = cfg->max_field ? cfg->max_field : (size_t)1 << 20,
                       .missing = cfg->missing, .weight = weighted ? 2 : -1,
                       .binary = ev->binary,
                       .nkey = ev->by_count, .key = bycol, .threads = ev->threads};
    vn__hash h;
    vn__hash_init(&h);
    vn_status st = VN_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < start) {
        close(fd);
        return VN_OK;
    }
    sp.size = (uint64_t)sb.st_size;
    if (cfg->hash) { /* the header's bytes, then the chunks' */
        unsigned char buf[4096];
        for (uint64_t at = 0; at < start && st == VN_OK;) {
            const size_t want = start - at < sizeof buf ? (size_t)(start - at) : sizeof buf;
            const ssize_t got = pread(fd, buf, want, (off_t)at);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                close(fd);
                return VN_OK;
            }
            vn__hash_update(&h, buf, (size_t)got);
            at += (uint64_t)got;
        }
        sp.hash = &h;
    }
    sp.nnum = 0;
    for (int i = 0; i < (weighted ? 3 : 2); i++)
        sp.num[sp.nnum++] = cols[i];
    for (size_t k = 0; k < ev->cols.n; k++)
        sp.num[sp.nnum++] = xcol[k];
    par_ctx pc = {ev, weighted, NULL, 0, NULL, 0};
    vn__par_end end;
    /* The chunks' rows are folded on the pool too (--threads), while the other readers
     * parse: the hand-over, which runs one chunk at a time, stays short. */
    st = vn__par_read(&sp, par_sink, &pc, &end, ev->err, sizeof ev->err);
    close(fd);
    vn__free(pc.map);
    vn__free(pc.ids);
    if (st == VN_ERR_IO) {
        char msg[300];
        vn__fmt(msg, sizeof msg, "%s", ev->err);
        return fail(ev, st, "%s: %s", vn__csv_name(r), msg);
    }
    if (st != VN_OK)
        return ev->failed ? st : fail(ev, st, "%s", st == VN_ERR_NOMEM ? "out of memory" : vn_strerror(st));
    st = vn__csv_seek(r, end.offset, end.line, &end.hash, ev->rows_read);
    if (st != VN_OK)
        return fail(ev, st, "%s", vn__csv_errmsg(r));
    return VN_OK;
}

/* The body of vn_eval_csv once the file is open. */
static vn_status read_rows(vn_eval *ev, vn__csv *r, const char *path, const vn_csv_config *cfg, batch *b,
                           const char **byv, size_t *byl, vn__tsort *ts, vn__xbuf *tx,
                           size_t *xcol, double *xv)
{
    const bool weighted = cfg->weight != NULL;
    size_t cols[3], *bycol = NULL;
    VN_TRY(find_column(ev, r, cfg->y, "y", &cols[0]));
    VN_TRY(find_column(ev, r, cfg->yhat, "prediction", &cols[1]));
    if (weighted)
        VN_TRY(find_column(ev, r, cfg->weight, "weight", &cols[2]));
    size_t tcol = 0;
    if (cfg->time)
        VN_TRY(find_column(ev, r, cfg->time, "time", &tcol));
    VN_TRY(find_inputs(ev, r, xcol));
    if (ev->by_count) {
        bycol = vn__malloc(ev->by_count * sizeof *bycol);
        if (!bycol)
            return VN_ERR_NOMEM;
    }
    vn_status st = VN_OK;
    for (size_t c = 0; st == VN_OK && c < ev->by_count; c++)
        st = find_column(ev, r, cfg->by[c],
                         ev->series ? "series" : ev->numeric_slices && c == 0 ? "horizon" : "by",
                         &bycol[c]);
    if (st == VN_OK)
        st = set_input_names(ev, cfg->y ? vn__csv_name(r) : "", r, cols, weighted);
    if (st == VN_OK)
        st = read_parallel(ev, r, path, cfg, cols, weighted, bycol, xcol);
    const char *roles[3] = {"y", "prediction", "weight"};
    char *key = NULL;
    size_t keycap = 0;
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            fail(ev, st, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        ev->rows_read++;
        double v[3] = {0, 0, 1};
        int ok = 1;
        for (int i = 0; i < (weighted ? 3 : 2) && ok == 1; i++) {
            const char *cn = vn__csv_colname(r, cols[i]) ? vn__csv_colname(r, cols[i]) : "";
            ok = number(ev, r, cols[i], roles[i], cn, cfg->missing, &v[i]);
        }
        for (size_t k = 0; k < ev->cols.n && ok == 1; k++)
            ok = number(ev, r, xcol[k], "input", ev->cols.name[k], cfg->missing, &xv[k]);
        if (ok < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if (ok == 0) {
            ev->rows_missing++;
            continue;
        }
        if (ev->binary && v[0] != 0.0 && v[0] != 1.0) {
            size_t fl;
            const char *f = vn__csv_field(r, cols[0], &fl);
            st = fail(ev, VN_ERR_DATA,
                      "%s:%llu:%llu: y column \"%s\": \"%.*s\" is not a binary label (0 or 1)",
                      vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, cols[0]),
                      (unsigned long long)vn__csv_field_col(r, cols[0]), ev->ycol,
                      fl > 40 ? 40 : (int)fl, f);
            break;
        }
        if (v[2] < 0.0) {
            st = fail(ev, VN_ERR_DATA, "%s:%llu:%llu: weight column \"%s\": negative weight %g",
                      vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, cols[2]),
                      (unsigned long long)vn__csv_field_col(r, cols[2]), ev->wcol, v[2]);
            break;
        }
        if (ev->by_count) {
            for (size_t c = 0; c < ev->by_count; c++) {
                byv[c] = vn__csv_field(r, bycol[c], &byl[c]);
                if (!vn__utf8_valid((const unsigned char *)byv[c], byl[c])) {
                    st = fail(ev, VN_ERR_DATA, "%s:%llu:%llu: by column \"%s\": not valid UTF-8",
                              vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, bycol[c]),
                              (unsigned long long)vn__csv_field_col(r, bycol[c]), cfg->by[c]);
                    break;
                }
            }
            size_t keylen = 0;
            uint32_t idx = 0;
            if (st == VN_OK)
                st = join_key(ev, byv, byl, &key, &keycap, &keylen);
            if (st == VN_OK)
                st = intern(ev, key, keylen, &idx);
            b->id[b->n] = idx - 1;
        }
        uint32_t sid = ev->by_count ? b->id[b->n] : 0;
        if (st == VN_OK && cfg->time) {
            size_t tl;
            const char *tv = vn__csv_field(r, tcol, &tl);
            const double row[VN_TS_COLS] = {v[0], v[1], v[2], 0};
            if (tl == 0)
                st = fail(ev, VN_ERR_DATA, "%s:%llu:%llu: time column \"%s\": missing value (empty cell)",
                          vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, tcol),
                          (unsigned long long)vn__csv_field_col(r, tcol), cfg->time);
            else if (vn__tsort_add(ts, row, sid, tv, tl) != VN_OK || vn__xbuf_add(tx, xv) != VN_OK)
                st = VN_ERR_NOMEM;
            continue;
        }
        b->y[b->n] = v[0];
        b->p[b->n] = v[1];
        b->w[b->n] = v[2];
        for (size_t k = 0; k < ev->cols.n; k++)
            b->x[k * BATCH + b->n] = xv[k];
        if (st == VN_OK && ++b->n == BATCH)
            st = flush(ev, b, weighted, ev->by_count > 0);
    }
    if (st == VN_OK && cfg->time) { /* the rows, in time order */
        size_t *idx = NULL;
        st = vn__tsort_order(ts, &idx);
        for (size_t k = 0; st == VN_OK && k < ts->n; k++) {
            b->y[b->n] = ts->v[0][idx[k]];
            b->p[b->n] = ts->v[1][idx[k]];
            b->w[b->n] = ts->v[2][idx[k]];
            b->id[b->n] = ts->sid[idx[k]];
            for (size_t c = 0; c < ev->cols.n; c++)
                b->x[c * BATCH + b->n] = tx->v[idx[k] * ev->cols.n + c];
            if (++b->n == BATCH)
                st = flush(ev, b, weighted, ev->by_count > 0);
        }
        vn__free(idx);
        ev->auto_block = ev->ci.block == 0;
    }
    if (st == VN_OK && ev->rows_read == 0)
        st = fail(ev, VN_ERR_DATA, "%s: no data rows%s", vn__csv_name(r),
                  cfg->header ? " after the header" : "");
    if (st == VN_OK && b->n)
        st = flush(ev, b, weighted, ev->by_count > 0);
    if (st == VN_OK && cfg->hash)
        snprintf(ev->data_hash, sizeof ev->data_hash, "%016llx",
                 (unsigned long long)vn__csv_hash(r));
    vn__free(key);
    vn__free(bycol);
    if (st == VN_ERR_NOMEM && !ev->failed)
        fail(ev, st, "out of memory");
    return st;
}

vn_status vn_eval_csv(vn_eval *ev, const char *path, const vn_csv_config *cfg)
{
    if (ev->failed)
        return fail(ev, VN_ERR_USAGE, "the evaluation already failed: %s", ev->err);
    if (!path || !cfg || !cfg->y || !cfg->yhat)
        return fail(ev, VN_ERR_USAGE, "vn_eval_csv: a path and the y and yhat columns are required");
    if (ev->by_count && !cfg->by)
        return fail(ev, VN_ERR_USAGE, "vn_eval_csv: the evaluation has by columns; cfg->by names them");
    if (cfg->delimiter == '"' || cfg->delimiter == '\n' || cfg->delimiter == '\r')
        return fail(ev, VN_ERR_USAGE, "the delimiter cannot be a quote or a line break");
    if (ev->source)
        return fail(ev, VN_ERR_USAGE, "vn_eval_csv: one file per evaluation");
    vn__csv_opts o = {cfg->delimiter, cfg->header ? 1 : 0, cfg->max_field, cfg->hash != 0};
    if (!o.delim)
        o.delim = vn__csv_default_delimiter(path);
    vn__csv *r = NULL;
    vn_status st = vn__csv_open(path, &o, &r, ev->err, sizeof ev->err);
    if (st != VN_OK) {
        ev->failed = true;
        return st;
    }
    batch *b = vn__malloc(sizeof *b);
    const char **byv = ev->by_count ? vn__calloc(ev->by_count, sizeof *byv) : NULL;
    size_t *byl = ev->by_count ? vn__calloc(ev->by_count, sizeof *byl) : NULL;
    const size_t nx = ev->cols.n;
    double *x = nx ? vn__malloc(nx * BATCH * sizeof *x) : NULL, *xv = vn__calloc(nx + 1, sizeof *xv);
    const double **xp = nx ? vn__malloc(nx * sizeof *xp) : NULL;
    size_t *xcol = vn__calloc(nx + 1, sizeof *xcol);
    if (!b || (ev->by_count && (!byv || !byl)) || (nx && (!x || !xp)) || !xv || !xcol)
        st = fail(ev, VN_ERR_NOMEM, "out of memory");
    else {
        b->n = 0;
        b->x = x;
        b->xp = xp;
        for (size_t k = 0; k < nx; k++)
            xp[k] = x + k * BATCH;
        vn__tsort ts = {0};
        vn__xbuf tx = {NULL, nx, 0, 0};
        st = read_rows(ev, r, path, cfg, b, byv, byl, &ts, &tx, xcol, xv);
        vn__tsort_free(&ts);
        vn__xbuf_free(&tx);
    }
    vn__free(b);
    vn__free(byv);
    vn__free(byl);
    vn__free(x);
    vn__free(xp);
    vn__free(xv);
    vn__free(xcol);
    vn__csv_free(r);
    if (st != VN_OK)
        ev->failed = true;
    if (st == VN_ERR_NOMEM && !ev->err[0]) /* some NOMEM returns above carry no message */
        vn__fmt(ev->err, sizeof ev->err, "out of memory");
    return st;
}

/* ---- finishing ---- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t vn__quantile_levels(const vn__mspec *ms, size_t nms, double *q)
{
    size_t n = 0;
    for (size_t i = 0; i < nms; i++) {
        const double l = ms[i].kind == MK_MEDAE ? 0.5 : ms[i].kind == MK_AEQ ? ms[i].param[0] : NAN;
        bool seen = isnan(l);
        for (size_t j = 0; j < n && !seen; j++)
            seen = q[j] == l;
        if (!seen)
            q[n++] = l;
    }
    qsort(q, n, sizeof *q, cmp_double);
    return n;
}

/* Quantiles of |e| at the levels qs for a row set (x and w scratch of n). */
static vn_status abs_error_quantiles(const double *y, const double *p, const double *w, size_t n,
                                     bool weighted, const double *qs, size_t nq, double *qv)
{
    if (nq == 0 || n == 0)
        return VN_OK;
    double *ae = vn__malloc(n * sizeof *ae), *wc = weighted ? vn__malloc(n * sizeof *wc) : NULL;
    vn_status st = ae && (!weighted || wc) ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK) {
        for (size_t i = 0; i < n; i++)
            ae[i] = fabs(p[i] - y[i]);
        if (weighted) {
            memcpy(wc, w, n * sizeof *wc);
            st = vn__quantiles_weighted(ae, wc, n, qs, nq, qv);
        } else {
            vn__quantiles_type7(ae, n, qs, nq, qv);
        }
    }
    vn__free(ae);
    vn__free(wc);
    return st;
}

vn_status vn__eval_rows(const vn__plan *plan, const vn__mspec *ms, size_t nms, const vn__opts *o,
                        const double *qs, size_t nq, const double *y, const double *p,
                        const double *w, const double *const *x, size_t nx, size_t n,
                        bool weighted, double *out)
{
    const size_t sz = vn__acc_size(plan);
    vn__acc *all = vn__malloc(sz), *blk = vn__malloc(sz);
    double *qv = vn__calloc(nq ? nq : 1, sizeof *qv);
    vn_status st = all && blk && qv ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK) {
        vn__acc_init(all, plan);
        for (size_t at = 0; at < n; at += VN_BLOCK_ROWS) {
            const size_t k = n - at < VN_BLOCK_ROWS ? n - at : VN_BLOCK_ROWS;
            vn__acc_init(blk, plan);
            vn__acc_fold(blk, plan, y, p, w, x, at, k);
            vn__acc_merge(all, blk, plan);
        }
        st = abs_error_quantiles(y, p, w, n, weighted, qs, nq, qv);
    }
    vn__bincache bc = {0};
    const vn__rowset rows = {y, p, w, n, weighted, nq, qs, qv, x, nx, &bc, NULL, false, NULL, 0, 0, 0.0};
    for (size_t m = 0; st == VN_OK && m < nms; m++) {
        char msg[VN_MSG_LEN];
        vn_value v;
        st = vn__metric_value(&ms[m], all, &rows, o, &v, msg, sizeof msg);
        out[m] = v.value;
    }
    vn__bincache_clear(&bc);
    vn__free(all);
    vn__free(blk);
    vn__free(qv);
    return st;
}

/* The overall slice's quantiles qs[0..nq) into qv while its |e| are the slices'
 * (derived_ae), read where they are, with the heavy-tail note's sum (rows: n, top_k,
 * top_sq): the same values as on their concatenation. False when the radix passes do
 * not take them: the caller then puts them together (derive_overall). */
static bool derived_quantiles(vn_eval *ev, const double *qs, size_t nq, double *qv,
                              vn__rowset *rows)
{
    const size_t ns = ev->nslices - 1;
    vn__span *sp = vn__malloc((ns ? ns : 1) * sizeof *sp);
    if (!sp)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < ns; i++) {
        sp[i] = (vn__span){ev->slices[i + 1].ae, ev->slices[i + 1].an};
        n += sp[i].n;
    }
    const size_t k = vn__tail_k(n);
    double t;
    const bool ok = k && vn__quantiles_type7_spans(sp, ns, n, qs, nq, qv, n - k, &t,
                                                   &rows->top_sq, ev->threads);
    vn__free(sp);
    if (ok) {
        rows->n = n;
        rows->top_k = k;
    }
    return ok;
}

/* The quantiles qs[0..nq) of slice s's |e| store (ae_mode) into qv and, unweighted, the
 * heavy-tail note's sum of the largest squares into *top_k, *top_sq (top_k 0: the slice
 * is too small for the note); the store is permuted (at finish: the handle is spent).
 * threads: for the halves of a large store. */
static vn_status ae_quantiles(vn_eval *ev, slice *s, const double *qs, size_t nq, double *qv,
                              size_t *top_k, double *top_sq, int threads)
{
    *top_k = 0;
    if (ev->weighted && !s->aw && !ae_reserve(ev, s, 0))
        return VN_ERR_NOMEM;
    if (ev->weighted)
        return vn__quantiles_weighted(s->ae, s->aw, s->an, qs, nq, qv);
    if ((*top_k = vn__tail_k(s->an)) != 0) {
        double t; /* the sum from the same passes */
        vn__quantiles_type7_and(s->ae, s->an, qs, nq, qv, s->an - *top_k, &t, top_sq, threads);
    } else {
        vn__quantiles_type7(s->ae, s->an, qs, nq, qv);
    }
    return VN_OK;
}

/* The slices' quantiles computed ahead of finish_slice, a slice a task on the pool. */
typedef struct pre_q {
    vn_eval *ev;
    const double *qs;
    size_t nq;
    struct pre_task { size_t an, i; } *order; /* the slices to do, the largest first */
    size_t n;
    struct pre_slice { /* by slice index */
        bool done;
        vn_status st;
        size_t top_k;
        double top_sq;
    } *per;
    double *qv; /* nq a slice, by slice index */
} pre_q;

static void pre_q_free(pre_q *pq)
{
    vn__free(pq->order);
    vn__free(pq->per);
    vn__free(pq->qv);
    *pq = (pre_q){0};
}

static void pre_q_one(void *ctx, size_t j)
{
    pre_q *pq = ctx;
    const size_t i = pq->order[j].i;
    struct pre_slice *r = &pq->per[i];
    /* several slices: one thread each (the pool runs them side by side) */
    r->st = ae_quantiles(pq->ev, &pq->ev->slices[i], pq->qs, pq->nq, pq->qv + i * pq->nq,
                         &r->top_k, &r->top_sq, pq->n == 1 ? pq->ev->threads : 1);
}

static int by_size_desc(const void *a, const void *b)
{
    const struct pre_task *x = a, *y = b;
    return x->an != y->an ? (x->an < y->an) - (x->an > y->an) : (x->i > y->i) - (x->i < y->i);
}

/* Computes on the pool the quantiles of every slice whose |e| store finish_slice would
 * read (ae_mode; not a derived overall slice, whose quantiles read the others' after),
 * the largest first. The values do not depend on the threads. Without memory for its
 * tables it does nothing: finish_slice then computes them itself. */
static void pre_quantiles(vn_eval *ev, const double *qs, size_t nq, pre_q *pq)
{
    const size_t ns = ev->nslices;
    *pq = (pre_q){.ev = ev, .qs = qs, .nq = nq};
    pq->order = vn__malloc(ns * sizeof *pq->order);
    pq->per = vn__calloc(ns, sizeof *pq->per);
    pq->qv = vn__malloc(ns * nq * sizeof *pq->qv);
    if (!pq->order || !pq->per || !pq->qv) {
        pre_q_free(pq);
        return;
    }
    for (size_t i = 0; i < ns; i++) {
        const slice *s = &ev->slices[i];
        if ((i == 0 && ev->derived_ae) || !s->an || (ev->min_count && s->acc->n < ev->min_count))
            continue;
        pq->order[pq->n++] = (struct pre_task){s->an, i};
        pq->per[i].done = true;
    }
    qsort(pq->order, pq->n, sizeof *pq->order, by_size_desc);
    parallel(pq->n, ev->threads, pre_q_one, pq);
}

/* Computes the metrics of slice s into the result (and the notes of the overall one);
 * pq: the quantiles computed ahead (pre_quantiles; none when pq->per is NULL). */
static vn_status finish_slice(vn_eval *ev, vn_result *res, size_t si, const double *qs, size_t nq,
                              double *qv, const pre_q *pq)
{
    slice *s = &ev->slices[si];
    vn__rowset rows = {s->y,  s->p, s->w, s->len, ev->weighted, nq, qs, qv,
                       (const double *const *)s->x, ev->cols.n, NULL, NULL, false, NULL, 0, 0, 0.0};
    const bool store = ev->plan.needs & NEED_STORE, ae = ae_mode(ev);
    const bool small = ev->min_count && s->acc->n < ev->min_count;
    bool derived = false; /* the overall quantiles from the slices' |e| where they are */
    if (ae && si == 0 && ev->derived_ae) {
        rows = (vn__rowset){NULL, NULL, NULL, 0, false, nq, qs, qv,
                            NULL, 0, NULL, NULL, false, NULL, 0, 0, 0.0};
        derived = nq && !small && derived_quantiles(ev, qs, nq, qv, &rows);
        if (!derived && !derive_overall(ev, true))
            return VN_ERR_NOMEM;
    }
    if (ae && !derived) { /* |e| alone was kept: quantiles in place (the handle is spent) */
        if (ev->weighted && !s->aw && s->an && !ae_reserve(ev, s, 0))
            return VN_ERR_NOMEM;
        rows = (vn__rowset){NULL, NULL, ev->weighted ? s->aw : NULL, s->an, ev->weighted, nq, qs, qv,
                            NULL, 0, NULL, s->ae, false, NULL, 0, 0, 0.0};
        if (nq && s->an && !small && pq->per && pq->per[si].done) { /* computed ahead */
            VN_TRY(pq->per[si].st);
            memcpy(qv, pq->qv + si * nq, nq * sizeof *qv);
            rows.top_k = pq->per[si].top_k;
            rows.top_sq = pq->per[si].top_sq;
        } else if (nq && s->an && !small) { /* a derived overall slice's fallback, or no
                                               memory to compute them ahead */
            VN_TRY(ae_quantiles(ev, s, qs, nq, qv, &rows.top_k, &rows.top_sq, ev->threads));
        }
    }
    double rank_err = NAN;
    if (sketch_mode(ev)) { /* the quantiles from the sketch; no rows for the notes */
        rows = (vn__rowset){NULL, NULL, NULL, 0, ev->weighted, nq, qs, qv, NULL, 0, NULL, NULL,
                            false, NULL, 0, 0, 0.0};
        if (nq && s->qsk.n && !small)
            vn__sketch_quantiles(&s->qsk, ev->weighted, fmax(s->acc->emax, -s->acc->emin), qs,
                                 nq, qv, &rank_err);
    }
    if (store && nq && s->len && !small)
        VN_TRY(abs_error_quantiles(s->y, s->p, s->w, s->len, ev->weighted, qs, nq, qv));
    if (ev->train) { /* the slice's training series; with no series, the one series */
        rows.train = true;
        const bool own = ev->series && s->key; /* the overall slice has no key */
        rows.ty = vn__train_find(ev->train, own ? s->key : "", own ? s->keylen : 0, &rows.tn);
    }
    vn__bincache bc = {0}; /* the binary metrics of this slice sort its rows once */
    rows.bin = &bc;
    for (size_t m = 0; m < ev->nms; m++) {
        vn_value *v = &res->values[si * ev->nms + m];
        char *msg = res->msgs + (si * ev->nms + m) * VN_MSG_LEN;
        const vn__kind k = ev->ms[m].kind;
        if (small && k != MK_COUNT && k != MK_WEIGHT_SUM) {
            vn__fmt(msg, VN_MSG_LEN, "the slice has %llu rows, fewer than --min-count %llu",
                    (unsigned long long)s->acc->n, (unsigned long long)ev->min_count);
            *v = (vn_value){NAN, VN_REASON_MIN_COUNT, msg, NAN, NAN, "", "", NAN};
            continue;
        }
        const vn_status st = vn__metric_value(&ev->ms[m], s->acc,
                                              store || ae || sketch_mode(ev) ? &rows : NULL,
                                              &ev->opts, v, msg, VN_MSG_LEN);
        if (st != VN_OK) {
            vn__bincache_clear(&bc);
            return st;
        }
    }
    rows.bin = NULL;
    vn__bincache_clear(&bc);
    if (ev->ci.level > 0 && !small && s->len) {
        vn__ci_cfg ci = ev->ci;
        if (ev->auto_block)
            ci.block = vn__auto_block(s->len);
        VN_TRY(vn__ci_slice(&ev->plan, ev->ms, ev->nms, &ev->opts, qs, nq, &rows, si, &ci,
                            &res->values[si * ev->nms]));
        if (ev->train)
            vn__series_no_ci(ev->ms, ev->nms, &res->values[si * ev->nms]);
    }
    if (si == 0 && nq && !isnan(rank_err))
        VN_TRY(vn__note_add(res, "quantile_sketch", si,
                            "Quantiles of |e| come from a mergeable sketch (--quantiles sketch): "
                            "each is within %.2g %% of the exact value, and at most %.3g of the "
                            "rows lie between it and the exact order statistic (rank error).",
                            100.0 * VN_SKETCH_REL_ERROR, rank_err));
    if (!small)
        VN_TRY(vn__notes_slice(res, si, s->acc, store || ae ? &rows : NULL,
                               (ev->plan.needs & NEED_MOM) != 0));
    if (!small && store && si == 0) /* crossing intervals and quantiles (interval.c) */
        VN_TRY(vn__xmetric_notes(res, si, ev->ms, ev->nms, &rows));
    return VN_OK;
}

/* Moves notes [from, nnotes) of res in front of the others, each group in its order. */
static vn_status notes_to_front(vn_result *res, size_t from)
{
    const size_t k = res->nnotes - from;
    if (k == 0 || from == 0)
        return VN_OK;
    vn_note *tmp = vn__malloc(k * sizeof *tmp);
    if (!tmp)
        return VN_ERR_NOMEM;
    memcpy(tmp, res->notes + from, k * sizeof *tmp);
    memmove(res->notes + k, res->notes, from * sizeof *tmp);
    memcpy(res->notes, tmp, k * sizeof *tmp);
    vn__free(tmp);
    return VN_OK;
}

/* Moves the plan, names and slice labels into a fresh result. */
static vn_status make_result(vn_eval *ev, vn_result **out)
{
    vn_result *res = vn__calloc(1, sizeof *res);
    if (!res)
        return VN_ERR_NOMEM;
    *out = res;
    res->nmetrics = ev->nms;
    /* custom metrics' infos live with the metric list: the result takes copies, in the
     * block of its metrics (result.c frees that block) */
    size_t size = (ev->nms ? ev->nms : 1) * sizeof *res->ms;
    size = (size + 15) / 16 * 16;
    for (size_t m = 0; m < ev->nms; m++)
        size += ev->ms[m].um ? vn__info_size(ev->ms[m].info) : 0;
    res->ms = vn__calloc(1, size);
    if (!res->ms)
        return VN_ERR_NOMEM;
    memcpy(res->ms, ev->ms, ev->nms * sizeof *res->ms);
    char *info = (char *)res->ms + ((ev->nms ? ev->nms : 1) * sizeof *res->ms + 15) / 16 * 16;
    for (size_t m = 0; m < ev->nms; m++) {
        if (!ev->ms[m].um)
            continue;
        res->ms[m].info = vn__info_copy(ev->ms[m].info, info);
        res->ms[m].um = NULL;
        info += vn__info_size(ev->ms[m].info);
    }
    res->by_count = ev->by_count;
    res->by_names = ev->by_names;
    ev->by_names = NULL;
    ev->by_count = 0;
    res->opts = ev->opts;
    res->min_count = ev->min_count;
    res->ci = ev->ci;
    if (ev->auto_block)
        res->ci.block = VN_BLOCK_AUTO;
    res->input = (vn_input_info){ev->source ? ev->source : vn__strdup(""),
                                 ev->ycol ? ev->ycol : vn__strdup(""),
                                 ev->pcol ? ev->pcol : vn__strdup(""),
                                 ev->wcol ? ev->wcol : vn__strdup(""),
                                 ev->source ? ev->rows_read : ev->rows_seen, ev->rows_missing,
                                 ev->rows_zero_weight, vn__strdup(ev->data_hash)};
    ev->source = ev->ycol = ev->pcol = ev->wcol = NULL;
    if (!res->input.source || !res->input.y || !res->input.yhat || !res->input.weight ||
        !res->input.data_hash)
        return VN_ERR_NOMEM;
    res->nslices = ev->nslices;
    res->slices = vn__calloc(ev->nslices, sizeof *res->slices);
    res->values = vn__calloc(ev->nslices * (ev->nms ? ev->nms : 1), sizeof *res->values);
    res->msgs = vn__calloc(ev->nslices * (ev->nms ? ev->nms : 1), VN_MSG_LEN);
    if (!res->slices || !res->values || !res->msgs)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < ev->nslices; i++) {
        const slice *s = &ev->slices[i];
        res->slices[i].rows = s->acc->n;
        if (i == 0)
            continue;
        res->slices[i].values = vn__calloc(res->by_count, sizeof(char *));
        if (!res->slices[i].values)
            return VN_ERR_NOMEM;
        const char *k = s->key;
        for (size_t c = 0; c < res->by_count; c++) {
            res->slices[i].values[c] = vn__strdup(k);
            if (!res->slices[i].values[c])
                return VN_ERR_NOMEM;
            k += strlen(k) + 1;
        }
    }
    return VN_OK;
}

static int by_number(const void *a, const void *b)
{
    const slice *x = a, *y = b;
    return vn__key_cmp_numeric(x->key, x->keylen, y->key, y->keylen);
}

vn_status vn_eval_train_csv(vn_eval *ev, const char *path, const vn_csv_config *cfg)
{
    if (ev->failed)
        return fail(ev, VN_ERR_USAGE, "the evaluation already failed: %s", ev->err);
    if (!path || !cfg || !cfg->y)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_csv: a path and the y column are required");
    if (ev->series && !cfg->by)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_csv: the evaluation has series; cfg->by names them");
    if (ev->train && ev->train_arrays)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_csv: the evaluation has training series "
                                      "from vn_eval_train_series; the two do not mix");
    if (ev->train)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_csv: one training file per evaluation");
    const vn_status st = vn__train_read(path, cfg, ev->series ? ev->by_count : 0, &ev->train,
                                        ev->err, sizeof ev->err);
    ev->failed = st != VN_OK;
    return st;
}

vn_status vn_eval_train_series(vn_eval *ev, const char *const *by_values, const double *y,
                               size_t n, ptrdiff_t stride)
{
    if (ev->failed)
        return fail(ev, VN_ERR_USAGE, "the evaluation already failed: %s", ev->err);
    if (ev->train && !ev->train_arrays)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_series: the evaluation has a training file "
                                      "(vn_eval_train_csv); the two do not mix");
    if (n && !y)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_series: y is NULL");
    if (ev->series && !by_values)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_series: the evaluation has series; "
                                      "by_values names the series");
    if (!ev->series && by_values)
        return fail(ev, VN_ERR_USAGE, "vn_eval_train_series: the evaluation has no series "
                                      "(one training series): by_values must be NULL");
    char *key = NULL, name[128] = "";
    size_t cap = 0, len = 0;
    vn_status st = by_values ? join_key(ev, by_values, NULL, &key, &cap, &len) : VN_OK;
    for (size_t c = 0; by_values && c < ev->by_count; c++) { /* "a" or "a, 2" in messages */
        const size_t at = strlen(name);
        vn__fmt(name + at, sizeof name - at, "%s%s", c ? ", " : "", by_values[c]);
    }
    for (size_t i = 0; st == VN_OK && i < n; i++) {
        const double v = y[(ptrdiff_t)i * stride];
        if (!isfinite(v)) {
            vn__free(key);
            return fail(ev, VN_ERR_DATA, "vn_eval_train_series: %s%s%svalue %zu is not finite (%g)",
                        by_values ? "series \"" : "", name, by_values ? "\": " : "", i + 1, v);
        }
    }
    if (st == VN_OK)
        st = vn__train_add(&ev->train, key, len, y, n, stride);
    vn__free(key);
    ev->train_arrays = true;
    if (st == VN_ERR_USAGE)
        return by_values ? fail(ev, st, "vn_eval_train_series: series \"%s\" was given twice", name)
                         : fail(ev, st, "vn_eval_train_series: the evaluation has no series, so "
                                        "one training series only: it was given twice");
    if (st != VN_OK && !ev->failed)
        return fail(ev, st, "%s", st == VN_ERR_NOMEM ? "out of memory" : vn_strerror(st));
    return st;
}

vn_status vn_eval_finish(vn_eval *ev, vn_result **out)
{
    *out = NULL;
    if (ev->failed)
        return fail(ev, VN_ERR_USAGE, "the evaluation already failed: %s", ev->err);
    ev->failed = true; /* whatever happens next, the handle is spent */
    const size_t nms = ev->nms;
    if (fold(ev, true) != VN_OK) {
        vn__fmt(ev->err, sizeof ev->err, "out of memory");
        return VN_ERR_NOMEM;
    }
    if (ev->numeric_slices && ev->nslices > 2) /* the table is stale after this: spent */
        qsort(ev->slices + 1, ev->nslices - 1, sizeof *ev->slices, by_number);
    double *qs = vn__calloc(nms ? 2 * nms : 1, sizeof *qs);
    vn_result *res = NULL;
    vn_status st = qs ? make_result(ev, &res) : VN_ERR_NOMEM;
    const size_t nq = st == VN_OK ? vn__quantile_levels(ev->ms, ev->nms, qs) : 0;
    pre_q pq = {0};
    if (nq && ae_mode(ev))
        pre_quantiles(ev, qs, nq, &pq);
    if (st == VN_OK && ev->derived_ae && ae_mode(ev)) {
        /* the slices first, their |e| then read for the overall slice's (finish_slice);
         * the overall slice's notes are moved back in front of theirs */
        for (size_t i = 1; st == VN_OK && i < res->nslices; i++)
            st = finish_slice(ev, res, i, qs, nq, qs + nms, &pq);
        const size_t before = res->nnotes;
        if (st == VN_OK)
            st = finish_slice(ev, res, 0, qs, nq, qs + nms, &pq);
        if (st == VN_OK)
            st = notes_to_front(res, before);
    } else {
        for (size_t i = 0; st == VN_OK && i < res->nslices; i++)
            st = finish_slice(ev, res, i, qs, nq, qs + nms, &pq);
    }
    pre_q_free(&pq);
    vn__free(qs);
    if (st == VN_OK && ev->series && !(ev->min_count && ev->slices[0].acc->n < ev->min_count))
        st = vn__series_pool(res, ev->train != NULL);
    if (st == VN_OK && ev->plots) {
        const slice *all = &ev->slices[0];
        st = vn__plots_build(all->y, all->p, all->w, all->len, ev->weighted, &ev->worst,
                             &res->plots);
    }
    if (st != VN_OK) {
        vn_result_free(res);
        vn__fmt(ev->err, sizeof ev->err, "%s", st == VN_ERR_NOMEM ? "out of memory" : vn_strerror(st));
        return st;
    }
    *out = res;
    return VN_OK;
}

/* ---- for compare.c ---- */

void vn__eval_get_view(const vn_eval *ev, vn__eval_view *v)
{
    *v = (vn__eval_view){&ev->plan, ev->ms, ev->nms, &ev->opts, ev->weighted, ev->min_count,
                         ev->threads};
}

void vn__eval_keep_rows(vn_eval *ev) { ev->plan.needs |= NEED_STORE; }

vn_status vn_eval_keep_plots(vn_eval *ev)
{
    if (ev->failed || ev->rows_seen > 0)
        return fail(ev, VN_ERR_USAGE, "vn_eval_keep_plots: call it before the first row");
    ev->plan.needs |= NEED_STORE;
    ev->plots = true;
    return VN_OK;
}

void vn__eval_slice_rows(const vn_eval *ev, size_t s, vn__rowset *rows)
{
    const slice *sl = &ev->slices[s];
    *rows = (vn__rowset){sl->y,    sl->p, sl->w, sl->len, ev->weighted, 0,
                         NULL,     NULL,  (const double *const *)sl->x, ev->cols.n, NULL, NULL,
                         false,    NULL,  0,    0,     0.0};
}

vn_status vn__eval_set_input(vn_eval *ev, const char *source, const char *y, const char *yhat,
                             const char *weight, uint64_t rows_read, uint64_t rows_missing,
                             const char *data_hash)
{
    const char *in[4] = {source, y, yhat, weight};
    char **to[4] = {&ev->source, &ev->ycol, &ev->pcol, &ev->wcol};
    for (int i = 0; i < 4; i++) {
        vn__free(*to[i]);
        *to[i] = in[i] ? vn__strdup(in[i]) : NULL;
        if (in[i] && !*to[i])
            return VN_ERR_NOMEM;
    }
    ev->rows_read = rows_read;
    ev->rows_missing = rows_missing;
    vn__fmt(ev->data_hash, sizeof ev->data_hash, "%s", data_hash ? data_hash : "");
    return VN_OK;
}

/* ---- for state.c: the byte form and the merge of states ---- */

void vn__eval_get_meta(const vn_eval *ev, vn__eval_meta *m)
{
    *m = (vn__eval_meta){ev->ms, ev->nms, &ev->plan, ev->opts, ev->min_count, ev->ci,
                         ev->auto_block, ev->by_count, (const char *const *)ev->by_names,
                         ev->rows_seen, ev->rows_zero_weight, ev->rows_missing,
                         ev->rows_read, ev->weighted, ev->failed, ev->nslices, ev->cols.n,
                         (const char *const *)ev->cols.name};
}

vn_status vn__eval_derive(const vn_eval *ev)
{
    /* the |e| stores are caches: filling them changes no value (the overall's from the
     * slices' when derived_ae, each one's pending rows' from its buffers) */
    vn_eval *e = (vn_eval *)ev;
    if (!derive_overall(e, false))
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < e->nslices; i++)
        if (!note_pending(e, &e->slices[i]))
            return VN_ERR_NOMEM;
    return VN_OK;
}

void vn__eval_get_slice(const vn_eval *ev, size_t s, vn__eval_slice_view *v)
{
    const slice *sl = &ev->slices[s];
    const bool ae = ae_mode(ev);
    /* unweighted, the buffered rows' weights may be unwritten (scatter_sliced): none */
    const double *w = ev->weighted || (ev->plan.needs & NEED_STORE) ? sl->w : NULL;
    *v = (vn__eval_slice_view){sl->key, sl->keylen, sl->y, sl->p, w, sl->len, sl->done,
                               sl->acc, ae, sl->ae, sl->aw, sl->an,
                               sketch_mode(ev) ? &sl->qsk : NULL, (const double *const *)sl->x};
}

vn_status vn__eval_absorb(vn_eval *ev, const char *key, size_t keylen, const vn__acc *acc,
                          const double *y, const double *p, const double *w,
                          const double *const *x, size_t n, const vn__qsketch *qsk)
{
    if (fold(ev, true) != VN_OK || !derive_overall(ev, false))
        return fail(ev, VN_ERR_NOMEM, "out of memory");
    uint32_t idx = 0;
    if (key && intern(ev, key, keylen, &idx) != VN_OK)
        return fail(ev, VN_ERR_NOMEM, "out of memory");
    slice *s = &ev->slices[idx];
    if (ev->cols.n && n && (ev->plan.needs & NEED_STORE) && !x)
        return fail(ev, VN_ERR_INTERNAL, "rows absorbed without their input columns");
    if (ev->plan.needs & NEED_STORE)
        for (size_t i = 0; i < n; i++)
            if (!push(ev, s, y[i], p[i], w[i], x, NULL, i))
                return fail(ev, VN_ERR_NOMEM, "out of memory");
    if (ae_mode(ev) && n) {
        /* the weights are kept when given; whether they count is ev->weighted's to say
         * (a state's flag, set by its reader) */
        if (!ae_reserve_w(ev, s, n, w != NULL))
            return fail(ev, VN_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            s->ae[s->an + i] = y ? fabs(p[i] - y[i]) : p[i];
            if (s->aw)
                s->aw[s->an + i] = w ? w[i] : 1.0;
        }
        s->an += n;
    }
    if (qsk && sketch_mode(ev) && !vn__sketch_merge(&s->qsk, qsk, true))
        return fail(ev, VN_ERR_NOMEM, "out of memory");
    vn__acc_merge(s->acc, acc, &ev->plan);
    s->done = s->len; /* every row is in the state */
    return VN_OK;
}

void vn__eval_add_counts(vn_eval *ev, uint64_t seen, uint64_t zero, uint64_t missing,
                         uint64_t read, bool weighted)
{
    ev->rows_seen += seen;
    ev->rows_zero_weight += zero;
    ev->rows_missing += missing;
    ev->rows_read += read;
    if (weighted)
        become_weighted(ev);
}

vn_status vn__eval_fail(vn_eval *ev, vn_status st, const char *msg)
{
    return fail(ev, st, "%s", msg);
}

void vn__eval_set_auto_block(vn_eval *ev) { ev->auto_block = true; }
