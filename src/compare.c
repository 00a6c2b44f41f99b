/*
 * compare.c — champion vs challenger: two predictions of the same rows, evaluated with one
 * plan, and for each metric the paired difference with an interval, a p-value and a
 * verdict; the Diebold–Mariano test on per-row loss differentials; Holm's adjustment;
 * the primary / guard decision.
 *
 * The two models are two evaluations (eval.c) fed the same rows, so every value is the
 * value `vernier eval` reports. The paired bootstrap evaluates both models on resample r
 * of slice s with the very same row indices (vn__boot_theta's generator is keyed by seed,
 * slice and r only), so the differences keep the row-level correlation between the
 * models that makes a paired test powerful. The analytic path is the delta method on
 * per-row terms: for θ = f(weighted mean of t), the difference h(θ_B) − h(θ_A) has the
 * influence h'(θ_B) f'(μ_B) (t_B − μ_B) − h'(θ_A) f'(μ_A) (t_A − μ_A) per row.
 *
 * Sources: Efron & Tibshirani (1993) ch. 13–16 (percentile intervals, bootstrap tests);
 * Diebold & Mariano (1995); Harvey, Leybourne & Newbold (1997); Holm (1979).
 */
#include "compare.h"
#include "csv.h"
#include "stats.h"
#include "timesort.h"

#include <stdlib.h>
#include <string.h>

struct vn_compare {
    vn_eval *ev[2];
    size_t nby;
    double level;
    vn_ci_method method;
    uint32_t resamples;
    uint64_t seed;
    size_t block;
    int horizon, no_adjust;
    char primary[VN_KEY_MAX];
    size_t nguards;
    vn__guard *guards;
    size_t nlosses;
    vn__loss *losses;
    /* rows held back for a time sort (vn_compare_csv_read with a time column) */
    bool buffering, auto_block;
    vn__tsort ts;
    vn__xbuf tx;      /* their input columns */
    bool weighted, sliced;
    /* input accounting */
    char *source, *ycol, *pacol, *pbcol, *wcol, *cand_source, *time_col;
    uint64_t rows_read, rows_missing;
    char hash[17];
    bool failed;
    char err[512];
};

static vn_status fail(vn_compare *c, vn_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static vn_status fail(vn_compare *c, vn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->failed = true;
    return st;
}

const char *vn_verdict_name(vn_verdict v)
{
    switch (v) {
    case VN_VERDICT_SAME: return "no_difference";
    case VN_VERDICT_BETTER: return "better";
    case VN_VERDICT_WORSE: return "worse";
    default: return "untested";
    }
}

void vn_compare_config_init(vn_compare_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    vn_eval_config_init(&cfg->eval);
    cfg->horizon = 1;
}

void vn_compare_csv_init(vn_compare_csv *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    vn_csv_config_init(&cfg->csv);
}

const char *vn_compare_errmsg(const vn_compare *c) { return c ? c->err : ""; }

vn_status vn_compare_keep_plots(vn_compare *c)
{
    for (int k = 0; k < 2; k++)
        VN_TRY(vn_eval_keep_plots(c->ev[k]));
    return VN_OK;
}

void vn_compare_free(vn_compare *c)
{
    if (!c)
        return;
    vn_eval_free(c->ev[0]);
    vn_eval_free(c->ev[1]);
    vn__tsort_free(&c->ts);
    vn__xbuf_free(&c->tx);
    void *owned[] = {c->guards, c->losses, c->source, c->ycol, c->pacol, c->pbcol,
                     c->wcol, c->cand_source, c->time_col};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        vn__free(owned[i]);
    vn__free(c);
}

/* ---- configuration ---- */

/* The metric list the user gave, parsed: its custom metrics are named by their key. */
typedef struct base_list {
    vn__mspec *ms;
    size_t n;
} base_list;

/* The canonical key of one metric spec ("p95_abs_error" -> "abs_error_quantile:q=0.95"),
 * or the name of a custom metric of the list. */
static vn_status canonical_key(const char *spec, const base_list *base, char *key, char *errbuf,
                               size_t errlen)
{
    for (size_t i = 0; i < base->n; i++)
        if (base->ms[i].um && strcmp(base->ms[i].key, spec) == 0) {
            memcpy(key, base->ms[i].key, VN_KEY_MAX);
            return VN_OK;
        }
    vn__mspec *ms = NULL;
    size_t n = 0;
    VN_TRY(vn__metrics_parse(spec, &ms, &n, errbuf, errlen));
    vn_status st = VN_OK;
    if (n != 1 || ms[0].um)
        st = VN_ERR_USAGE;
    else
        memcpy(key, ms[0].key, VN_KEY_MAX);
    vn__mspecs_free(ms, n);
    VN_RETURN_IF(st != VN_OK, st, "\"%s\" must name one metric (define custom metrics in the "
                                  "metric list and name them here)", spec);
    return VN_OK;
}

/* A custom metric of the list has this key (its name: it is in the list already). */
static bool listed(const base_list *base, const char *key)
{
    for (size_t i = 0; i < base->n; i++)
        if (base->ms[i].um && strcmp(base->ms[i].key, key) == 0)
            return true;
    return false;
}

/* Splits "metric[:MARGIN[%]]": the margin is a last ':' part that reads as a number. */
static vn_status parse_guard(const char *spec, const base_list *base, vn__guard *g, char *errbuf,
                             size_t errlen)
{
    memset(g, 0, sizeof *g);
    char buf[VN_KEY_MAX * 2];
    VN_RETURN_IF(strlen(spec) >= sizeof buf, VN_ERR_USAGE, "guard \"%.40s...\" is too long", spec);
    strcpy(buf, spec);
    char *colon = strrchr(buf, ':');
    if (colon && !strchr(colon, '=')) {
        char *end = NULL;
        const double v = strtod(colon + 1, &end);
        const bool pct = end && *end == '%' && end[1] == '\0';
        VN_RETURN_IF(end == colon + 1 || (*end && !pct) || !isfinite(v) || v < 0, VN_ERR_USAGE,
                     "guard \"%s\": the margin after ':' must be a non-negative number, "
                     "optionally with %% (e.g. mean_error:0.5 or mae:2%%)", spec);
        g->has_margin = 1;
        g->relative = pct;
        g->margin = v;
        *colon = '\0';
    }
    return canonical_key(buf, base, g->key, errbuf, errlen);
}

static vn_status parse_losses(vn_compare *c, const char *list, char *errbuf, size_t errlen)
{
    const char *s = list && *list ? list : "squared,absolute";
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    c->losses = vn__calloc(cap, sizeof *c->losses);
    if (!c->losses)
        return VN_ERR_NOMEM;
    for (const char *p = s; *p;) {
        const size_t len = strcspn(p, ",");
        char tok[48];
        VN_RETURN_IF(len == 0 || len >= sizeof tok, VN_ERR_USAGE,
                     "DM loss list \"%s\": empty or overlong item", s);
        memcpy(tok, p, len);
        tok[len] = '\0';
        vn__loss *l = &c->losses[c->nlosses++];
        if (strcmp(tok, "squared") == 0) {
            l->kind = LOSS_SQUARED;
        } else if (strcmp(tok, "absolute") == 0) {
            l->kind = LOSS_ABSOLUTE;
        } else if (strncmp(tok, "pinball", 7) == 0 && (tok[7] == '\0' || tok[7] == ':')) {
            l->kind = LOSS_PINBALL;
            l->q = 0.5;
            if (tok[7] == ':') {
                char *end = NULL;
                VN_RETURN_IF(strncmp(tok + 8, "q=", 2) != 0, VN_ERR_USAGE,
                             "DM loss \"%s\": write pinball:q=0.9", tok);
                l->q = strtod(tok + 10, &end);
                VN_RETURN_IF(end == tok + 10 || *end || !(l->q > 0 && l->q < 1), VN_ERR_USAGE,
                             "DM loss \"%s\": q must be in (0, 1)", tok);
            }
        } else {
            VN_RETURN_IF(true, VN_ERR_USAGE,
                         "unknown DM loss \"%s\" (squared, absolute or pinball:q=Q)", tok);
        }
        if (l->kind == LOSS_PINBALL)
            vn__fmt(l->name, sizeof l->name, "pinball:q=%g", l->q);
        else
            vn__fmt(l->name, sizeof l->name, "%s", tok);
        p += len + (p[len] == ',');
    }
    return VN_OK;
}

/* Index of the metric with this canonical key in the plan. */
static bool find_metric(const vn_compare *c, const char *key, size_t *m)
{
    vn__eval_view v;
    vn__eval_get_view(c->ev[0], &v);
    for (size_t i = 0; i < v.nms; i++)
        if (strcmp(v.ms[i].key, key) == 0) {
            *m = i;
            return true;
        }
    return false;
}

static bool testable(const vn__mspec *ms)
{
    return ms->kind != MK_COUNT && ms->kind != MK_WEIGHT_SUM && ms->kind != MK_MAX_ERROR;
}

vn_status vn_compare_new(const vn_compare_config *cfg, vn_compare **out, char *errbuf,
                         size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    vn_compare_config def;
    if (!cfg) {
        vn_compare_config_init(&def);
        cfg = &def;
    }
    const double level = cfg->eval.ci_level == 0 ? 0.95 : cfg->eval.ci_level;
    VN_RETURN_IF(!(level > 0 && level < 1), VN_ERR_USAGE,
                 "the test level must be between 0 and 1 (e.g. 0.95), not %g", level);
    VN_RETURN_IF(cfg->eval.ci_method == VN_CI_BCA, VN_ERR_USAGE,
                 "compare uses percentile intervals of paired differences: the methods are "
                 "auto, percentile (bootstrap) and analytic");
    VN_RETURN_IF(cfg->horizon < 0, VN_ERR_USAGE, "the DM horizon must be at least 1");
    VN_RETURN_IF(cfg->guard_count && !cfg->guards, VN_ERR_USAGE, "guard_count > 0 needs guards");
    vn_compare *c = vn__calloc(1, sizeof *c);
    if (!c)
        return VN_ERR_NOMEM;
    c->level = level;
    c->method = cfg->eval.ci_method;
    c->resamples = cfg->eval.resamples ? cfg->eval.resamples : 2000;
    c->seed = cfg->eval.seed;
    c->block = cfg->eval.block_size;
    c->horizon = cfg->horizon ? cfg->horizon : 1;
    c->no_adjust = cfg->no_adjust != 0;
    c->nby = cfg->eval.by_count;
    base_list bl = {NULL, 0};
    vn__names cols = {0};
    vn_status st = vn__metrics_parse_ex(cfg->eval.metrics, cfg->eval.custom, cfg->eval.custom_count,
                                        &cols, &bl.ms, &bl.n, errbuf, errlen);
    vn__names_free(&cols);
    if (st == VN_OK)
        st = parse_losses(c, cfg->dm_losses, errbuf, errlen);
    if (st == VN_OK && cfg->guard_count) {
        c->guards = vn__calloc(cfg->guard_count, sizeof *c->guards);
        st = c->guards ? VN_OK : VN_ERR_NOMEM;
    }
    for (size_t i = 0; st == VN_OK && i < cfg->guard_count; i++, c->nguards++)
        st = parse_guard(cfg->guards[i], &bl, &c->guards[i], errbuf, errlen);
    if (st == VN_OK && cfg->primary)
        st = canonical_key(cfg->primary, &bl, c->primary, errbuf, errlen);
    /* the metric list: the user's (or the default) plus the primary and the guards that
     * are not in it (custom metrics always are) */
    const char *base = cfg->eval.metrics && *cfg->eval.metrics ? cfg->eval.metrics
                                                                : vn_default_metrics();
    size_t len = strlen(base) + 1;
    len += strlen(c->primary) + 1;
    for (size_t i = 0; i < c->nguards; i++)
        len += strlen(c->guards[i].key) + 1;
    char *list = st == VN_OK ? vn__malloc(len + 1) : NULL;
    if (st == VN_OK && !list)
        st = VN_ERR_NOMEM;
    if (st == VN_OK) {
        strcpy(list, base);
        if (*c->primary && !listed(&bl, c->primary))
            strcat(strcat(list, ","), c->primary);
        for (size_t i = 0; i < c->nguards; i++)
            if (!listed(&bl, c->guards[i].key))
                strcat(strcat(list, ","), c->guards[i].key);
        vn_eval_config ec = cfg->eval;
        ec.metrics = list;
        ec.ci_level = 0; /* per-model intervals are not part of a comparison */
        for (int k = 0; st == VN_OK && k < 2; k++)
            st = vn_eval_new(&ec, &c->ev[k], errbuf, errlen);
        for (int k = 0; st == VN_OK && k < 2; k++)
            vn__eval_keep_rows(c->ev[k]);
    }
    vn__free(list);
    vn__mspecs_free(bl.ms, bl.n);
    /* resolve the primary (default: the first testable metric) and the guards */
    vn__eval_view v = {0};
    if (st == VN_OK)
        vn__eval_get_view(c->ev[0], &v);
    if (st == VN_OK && !*c->primary) {
        /* a metric with a direction first: "0 is ideal" metrics make poor deciders */
        for (int pass = 0; pass < 2 && !*c->primary; pass++)
            for (size_t i = 0; i < v.nms && !*c->primary; i++)
                if (testable(&v.ms[i]) && (pass || v.ms[i].info->direction != VN_NO_DIRECTION))
                    memcpy(c->primary, v.ms[i].key, VN_KEY_MAX);
        if (!*c->primary) {
            vn__fmt(errbuf, errlen, "no metric of the list can be tested (count, weight_sum "
                                    "and max_error cannot): add one, e.g. -m mae");
            st = VN_ERR_USAGE;
        }
    }
    size_t pm = 0;
    if (st == VN_OK && find_metric(c, c->primary, &pm) && !testable(&v.ms[pm])) {
        vn__fmt(errbuf, errlen, "the primary metric %s cannot be tested: choose another",
                c->primary);
        st = VN_ERR_USAGE;
    }
    for (size_t i = 0; st == VN_OK && i < c->nguards; i++)
        if (find_metric(c, c->guards[i].key, &c->guards[i].m) && !testable(&v.ms[c->guards[i].m])) {
            vn__fmt(errbuf, errlen, "the guard metric %s cannot be tested: choose another",
                    c->guards[i].key);
            st = VN_ERR_USAGE;
        }
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_compare_free(c);
        return st;
    }
    *out = c;
    return VN_OK;
}

vn_status vn_compare_slice(vn_compare *c, const char *const *values, const size_t *lens,
                           uint32_t *id)
{
    if (c->failed)
        return VN_ERR_USAGE;
    uint32_t id2 = 0;
    vn_status st = vn_eval_slice(c->ev[0], values, lens, id);
    if (st == VN_OK)
        st = vn_eval_slice(c->ev[1], values, lens, &id2);
    if (st != VN_OK)
        return fail(c, st, "%s", vn_eval_errmsg(c->ev[0])[0] ? vn_eval_errmsg(c->ev[0])
                                                             : vn_eval_errmsg(c->ev[1]));
    if (*id != id2)
        return fail(c, VN_ERR_INTERNAL, "slice ids diverged between the models");
    return VN_OK;
}

/* ---- rows ---- */

size_t vn_compare_column_count(const vn_compare *c) { return vn_eval_column_count(c->ev[0]); }

const char *vn_compare_column_name(const vn_compare *c, size_t i)
{
    return vn_eval_column_name(c->ev[0], i);
}

const char *vn_compare_column_use(const vn_compare *c, size_t i)
{
    return vn_eval_column_use(c->ev[0], i);
}

/* Feeds rows (and the metrics' input columns x) to both evaluations. */
static vn_status feed(vn_compare *c, const vn_rows *rows, const double *pb, ptrdiff_t stride,
                      const double *const *x, const ptrdiff_t *xs)
{
    for (size_t i = 0; i < rows->n; i++) {
        const double v = pb[(ptrdiff_t)i * stride];
        if (!isfinite(v))
            return fail(c, VN_ERR_DATA, "row %zu of this batch: the candidate's prediction is "
                                        "not finite (%g)", i + 1, v);
    }
    vn_rows rb = *rows;
    rb.yhat = pb;
    rb.yhat_stride = stride;
    for (int k = 0; k < 2; k++) {
        const vn_status st = vn_eval_update_columns(c->ev[k], k ? &rb : rows, x, xs);
        if (st != VN_OK)
            return fail(c, st, "%s", vn_eval_errmsg(c->ev[k]));
    }
    c->weighted = c->weighted || rows->w;
    return VN_OK;
}

vn_status vn_compare_update_columns(vn_compare *c, const vn_rows *rows, const double *candidate,
                                    ptrdiff_t stride, const double *const *cols,
                                    const ptrdiff_t *strides)
{
    if (c->failed)
        return fail(c, VN_ERR_USAGE, "the comparison already failed: %s", c->err);
    if (!rows || (rows->n && !candidate))
        return fail(c, VN_ERR_USAGE, "vn_compare_update: rows and the candidate are required");
    return feed(c, rows, candidate, stride, cols, strides);
}

vn_status vn_compare_update(vn_compare *c, const vn_rows *rows, const double *candidate,
                            ptrdiff_t stride)
{
    return vn_compare_update_columns(c, rows, candidate, stride, NULL, NULL);
}

/* ---- CSV input ---- */

/* The candidate file of a join: key -> prediction, with the line for messages. */
typedef struct join_entry {
    uint64_t hash, line, col;
    size_t off, len;
    double v;
    int state; /* 0 empty slot, 1 a value, 2 a missing value (skip policy), 3 used */
} join_entry;

typedef struct join_map {
    join_entry *e;
    size_t cap, count;
    char *arena;
    size_t alen, acap;
} join_map;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1; /* never 0 */
}

static join_entry *join_find(join_map *m, const char *k, size_t len, uint64_t h)
{
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        join_entry *e = &m->e[i];
        if (e->state == 0 || (e->hash == h && e->len == len && memcmp(m->arena + e->off, k, len) == 0))
            return e;
    }
}

static bool join_grow(join_map *m)
{
    const size_t ncap = m->cap ? 2 * m->cap : 1024;
    join_entry *old = m->e;
    const size_t ocap = m->cap;
    m->e = vn__calloc(ncap, sizeof *m->e);
    if (!m->e) {
        m->e = old;
        return false;
    }
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].state)
            *join_find(m, m->arena + old[i].off, old[i].len, old[i].hash) = old[i];
    vn__free(old);
    return true;
}

static vn_status csv_open(vn_compare *c, const char *path, const vn_csv_config *cc, vn__csv **r)
{
    vn__csv_opts o = {cc->delimiter, cc->header ? 1 : 0, cc->max_field, cc->hash != 0};
    if (!o.delim)
        o.delim = vn__csv_default_delimiter(path);
    const vn_status st = vn__csv_open(path, &o, r, c->err, sizeof c->err);
    c->failed = c->failed || st != VN_OK;
    return st;
}

static vn_status column(vn_compare *c, const vn__csv *r, const char *spec, const char *role,
                        size_t *col)
{
    const vn_status st = vn__csv_find_column(r, spec, role, col, c->err, sizeof c->err);
    c->failed = c->failed || st != VN_OK;
    return st;
}

static int cell(vn_compare *c, const vn__csv *r, size_t col, const char *role, vn_missing missing,
                double *out)
{
    const char *name = vn__csv_colname(r, col) ? vn__csv_colname(r, col) : "";
    const int k = vn__csv_number(r, col, role, name, missing, out, c->err, sizeof c->err);
    c->failed = c->failed || k < 0;
    return k;
}

/* Reads the candidate file of a join into m. */
static vn_status read_join(vn_compare *c, const vn_compare_csv *cfg, join_map *m)
{
    vn__csv *r = NULL;
    VN_TRY(csv_open(c, cfg->candidate_path, &cfg->csv, &r));
    size_t kc = 0, pc = 0;
    vn_status st = column(c, r, cfg->key, "key", &kc);
    if (st == VN_OK)
        st = column(c, r, cfg->candidate, "candidate", &pc);
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            fail(c, st, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        size_t klen;
        const char *k = vn__csv_field(r, kc, &klen);
        double v = 0;
        const int ok = cell(c, r, pc, "candidate", cfg->csv.missing, &v);
        if (ok < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if ((m->count + 1) * 2 > m->cap && !join_grow(m)) {
            st = fail(c, VN_ERR_NOMEM, "out of memory");
            break;
        }
        const uint64_t h = fnv(k, klen);
        join_entry *e = join_find(m, k, klen, h);
        if (e->state) {
            st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: key column \"%s\": \"%.*s\" appears twice "
                      "(first on line %llu); join keys must be unique", vn__csv_name(r),
                      (unsigned long long)vn__csv_field_line(r, kc),
                      (unsigned long long)vn__csv_field_col(r, kc), cfg->key,
                      klen > 60 ? 60 : (int)klen, k, (unsigned long long)e->line);
            break;
        }
        if (m->alen + klen + 1 > m->acap) {
            size_t cap = m->acap;
            if (!vn__grow((void **)&m->arena, &cap, m->alen + klen + 1, 1)) {
                st = fail(c, VN_ERR_NOMEM, "out of memory");
                break;
            }
            m->acap = cap;
        }
        memcpy(m->arena + m->alen, k, klen);
        *e = (join_entry){h, vn__csv_field_line(r, kc), vn__csv_field_col(r, kc), m->alen, klen, v,
                          ok == 1 ? 1 : 2};
        m->alen += klen;
        m->count++;
    }
    if (st == VN_OK && m->count == 0)
        st = fail(c, VN_ERR_DATA, "%s: no data rows", vn__csv_name(r));
    if (st == VN_OK)
        c->cand_source = vn__strdup(cfg->candidate_path);
    if (st == VN_OK && !c->cand_source)
        st = fail(c, VN_ERR_NOMEM, "out of memory");
    vn__csv_free(r);
    return st;
}

enum { BATCH = 1 << 14 };

typedef struct batch {
    double v[4][BATCH]; /* y, baseline, candidate, weight */
    uint32_t sid[BATCH];
    size_t n;
    double *x;          /* the metrics' input columns: column k at x + k * BATCH */
    const double **xp;  /* their starts */
} batch;

/* A batch for nx input columns; NULL when out of memory. */
static batch *batch_new(size_t nx)
{
    batch *b = vn__malloc(sizeof *b);
    double *x = vn__malloc((nx ? nx : 1) * BATCH * sizeof *x);
    const double **xp = vn__malloc((nx ? nx : 1) * sizeof *xp);
    if (!b || !x || !xp) {
        vn__free(b);
        vn__free(x);
        vn__free(xp);
        return NULL;
    }
    for (size_t k = 0; k < nx; k++)
        xp[k] = x + k * BATCH;
    b->n = 0;
    b->x = x;
    b->xp = xp;
    return b;
}

static void batch_free(batch *b)
{
    if (b) {
        vn__free(b->x);
        vn__free(b->xp);
    }
    vn__free(b);
}

static vn_status flush(vn_compare *c, batch *b)
{
    const vn_rows rows = {b->n, b->v[0], 1, b->v[1], 1, c->weighted ? b->v[3] : NULL, 1,
                          c->sliced ? b->sid : NULL};
    const vn_status st = feed(c, &rows, b->v[2], 1, b->xp, NULL);
    b->n = 0;
    return st;
}

static vn_status set_names(vn_compare *c, const char *path, const vn__csv *r, const size_t *cols,
                           const vn_compare_csv *cfg)
{
    char **to[] = {&c->ycol, &c->pacol, &c->pbcol, &c->wcol};
    for (int i = 0; i < 4; i++) {
        if (i == 3 && !cfg->csv.weight)
            continue;
        char idx[24];
        const char *name = i == 2 && cfg->candidate_path ? cfg->candidate : vn__csv_colname(r, cols[i]);
        snprintf(idx, sizeof idx, "%zu", cols[i] + 1);
        *to[i] = vn__strdup(name ? name : idx);
        if (!*to[i])
            return VN_ERR_NOMEM;
    }
    c->source = vn__strdup(path);
    if (cfg->time)
        c->time_col = vn__strdup(cfg->time);
    return c->source && (!cfg->time || c->time_col) ? VN_OK : VN_ERR_NOMEM;
}

/* The body of vn_compare_csv_read once the base file is open. */
static vn_status read_base(vn_compare *c, vn__csv *r, const vn_compare_csv *cfg, join_map *m,
                           batch *b, const char **byv, size_t *byl, size_t *xcol, double *xv)
{
    const bool join = cfg->candidate_path != NULL, weighted = cfg->csv.weight != NULL;
    size_t cols[4] = {0, 0, 0, 0}, kc = 0, tc = 0, *bycol = NULL;
    VN_TRY(column(c, r, cfg->csv.y, "y", &cols[0]));
    VN_TRY(column(c, r, cfg->csv.yhat, "baseline", &cols[1]));
    if (!join)
        VN_TRY(column(c, r, cfg->candidate, "candidate", &cols[2]));
    else
        VN_TRY(column(c, r, cfg->key, "key", &kc));
    if (weighted)
        VN_TRY(column(c, r, cfg->csv.weight, "weight", &cols[3]));
    if (cfg->time)
        VN_TRY(column(c, r, cfg->time, "time", &tc));
    const size_t nx = vn_compare_column_count(c);
    if (vn__eval_find_inputs(c->ev[0], r, xcol, c->err, sizeof c->err) != VN_OK)
        return fail(c, VN_ERR_DATA, "%s", c->err);
    if (c->nby && !(bycol = vn__malloc(c->nby * sizeof *bycol)))
        return fail(c, VN_ERR_NOMEM, "out of memory");
    vn_status st = VN_OK;
    for (size_t k = 0; st == VN_OK && k < c->nby; k++)
        st = column(c, r, cfg->csv.by[k], "by", &bycol[k]);
    if (st == VN_OK && set_names(c, vn__csv_name(r), r, cols, cfg) != VN_OK)
        st = fail(c, VN_ERR_NOMEM, "out of memory");
    static const char *const roles[4] = {"y", "baseline", "candidate", "weight"};
    c->weighted = weighted;
    c->sliced = c->nby > 0;
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            fail(c, st, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        c->rows_read++;
        double v[4] = {0, 0, 0, 1};
        int ok = 1;
        for (int i = 0; i < 4 && ok == 1; i++)
            if ((i != 2 || !join) && (i != 3 || weighted))
                ok = cell(c, r, cols[i], roles[i], cfg->csv.missing, &v[i]);
        if (ok == 1 && join) {
            size_t klen;
            const char *k = vn__csv_field(r, kc, &klen);
            join_entry *e = m->cap ? join_find(m, k, klen, fnv(k, klen)) : NULL;
            if (!e || e->state == 0) {
                st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: key \"%.*s\" has no row in %s",
                          vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, kc),
                          (unsigned long long)vn__csv_field_col(r, kc),
                          klen > 60 ? 60 : (int)klen, k, cfg->candidate_path);
                break;
            }
            if (e->state == 3) {
                st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: key \"%.*s\" appears twice; join keys "
                          "must be unique", vn__csv_name(r),
                          (unsigned long long)vn__csv_field_line(r, kc),
                          (unsigned long long)vn__csv_field_col(r, kc),
                          klen > 60 ? 60 : (int)klen, k);
                break;
            }
            ok = e->state == 1 ? 1 : 0;
            v[2] = e->v;
            e->state = 3;
        }
        for (size_t k = 0; k < nx && ok == 1; k++)
            ok = cell(c, r, xcol[k], "input", cfg->csv.missing, &xv[k]);
        if (ok < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if (ok == 0) {
            c->rows_missing++;
            continue;
        }
        if (v[3] < 0.0) {
            st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: weight column \"%s\": negative weight %g",
                      vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, cols[3]),
                      (unsigned long long)vn__csv_field_col(r, cols[3]), cfg->csv.weight, v[3]);
            break;
        }
        uint32_t sid = 0;
        for (size_t k = 0; k < c->nby; k++) {
            byv[k] = vn__csv_field(r, bycol[k], &byl[k]);
            if (!vn__utf8_valid((const unsigned char *)byv[k], byl[k])) {
                st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: by column \"%s\": not valid UTF-8",
                          vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, bycol[k]),
                          (unsigned long long)vn__csv_field_col(r, bycol[k]), cfg->csv.by[k]);
                break;
            }
        }
        if (st == VN_OK && c->nby)
            st = vn_compare_slice(c, byv, byl, &sid);
        if (st != VN_OK)
            break;
        if (cfg->time) {
            size_t tl;
            const char *ts = vn__csv_field(r, tc, &tl);
            if (tl == 0) {
                st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: time column \"%s\": missing value "
                          "(empty cell)", vn__csv_name(r),
                          (unsigned long long)vn__csv_field_line(r, tc),
                          (unsigned long long)vn__csv_field_col(r, tc), cfg->time);
                break;
            }
            if (vn__tsort_add(&c->ts, v, sid, ts, tl) != VN_OK || vn__xbuf_add(&c->tx, xv) != VN_OK)
                st = fail(c, VN_ERR_NOMEM, "out of memory");
            continue;
        }
        for (int i = 0; i < 4; i++)
            b->v[i][b->n] = v[i];
        for (size_t k = 0; k < nx; k++)
            b->x[k * BATCH + b->n] = xv[k];
        b->sid[b->n] = sid;
        if (++b->n == BATCH)
            st = flush(c, b);
    }
    if (st == VN_OK && c->rows_read == 0)
        st = fail(c, VN_ERR_DATA, "%s: no data rows%s", vn__csv_name(r),
                  cfg->csv.header ? " after the header" : "");
    if (st == VN_OK && b->n)
        st = flush(c, b);
    for (size_t i = 0; st == VN_OK && join && i < m->cap; i++)
        if (m->e[i].state == 1 || m->e[i].state == 2)
            st = fail(c, VN_ERR_DATA, "%s:%llu:%llu: key \"%.*s\" has no row in %s",
                      cfg->candidate_path, (unsigned long long)m->e[i].line,
                      (unsigned long long)m->e[i].col,
                      m->e[i].len > 60 ? 60 : (int)m->e[i].len, m->arena + m->e[i].off,
                      vn__csv_name(r));
    if (st == VN_OK && cfg->csv.hash)
        snprintf(c->hash, sizeof c->hash, "%016llx", (unsigned long long)vn__csv_hash(r));
    vn__free(bycol);
    return st;
}

vn_status vn_compare_csv_read(vn_compare *c, const char *path, const vn_compare_csv *cfg)
{
    if (c->failed)
        return fail(c, VN_ERR_USAGE, "the comparison already failed: %s", c->err);
    if (!path || !cfg || !cfg->csv.y || !cfg->csv.yhat || !cfg->candidate)
        return fail(c, VN_ERR_USAGE, "vn_compare_csv_read: a path, the y, baseline and candidate "
                                     "columns are required");
    if (cfg->candidate_path && !cfg->key)
        return fail(c, VN_ERR_USAGE, "a candidate file is joined on a key column: name it (--key)");
    if (c->nby && !cfg->csv.by)
        return fail(c, VN_ERR_USAGE, "the comparison has by columns; cfg->csv.by names them");
    if (c->source)
        return fail(c, VN_ERR_USAGE, "vn_compare_csv_read: one input per comparison");
    join_map m = {0};
    vn__csv *r = NULL;
    const size_t nx = vn_compare_column_count(c);
    batch *b = batch_new(nx);
    const char **byv = c->nby ? vn__calloc(c->nby, sizeof *byv) : NULL;
    size_t *byl = c->nby ? vn__calloc(c->nby, sizeof *byl) : NULL;
    size_t *xcol = vn__calloc(nx + 1, sizeof *xcol);
    double *xv = vn__calloc(nx + 1, sizeof *xv);
    vn_status st = b && (!c->nby || (byv && byl)) && xcol && xv ? VN_OK
                                                                : fail(c, VN_ERR_NOMEM, "out of memory");
    c->tx.nx = nx;
    if (st == VN_OK && cfg->candidate_path)
        st = read_join(c, cfg, &m);
    if (st == VN_OK)
        st = csv_open(c, path, &cfg->csv, &r);
    if (st == VN_OK) {
        b->n = 0;
        c->buffering = cfg->time != NULL;
        c->auto_block = cfg->time != NULL && c->block == 0;
        st = read_base(c, r, cfg, &m, b, byv, byl, xcol, xv);
    }
    vn__csv_free(r);
    vn__free(m.e);
    vn__free(m.arena);
    batch_free(b);
    vn__free(byv);
    vn__free(byl);
    vn__free(xcol);
    vn__free(xv);
    if (st != VN_OK)
        c->failed = true;
    return st;
}

/* ---- the time sort ---- */

static vn_status feed_sorted(vn_compare *c)
{
    size_t *idx = NULL;
    const size_t nx = c->tx.nx;
    batch *b = batch_new(nx);
    vn_status st = b ? vn__tsort_order(&c->ts, &idx) : VN_ERR_NOMEM;
    if (st != VN_OK)
        st = fail(c, VN_ERR_NOMEM, "out of memory");
    if (st == VN_OK) {
        b->n = 0;
        for (size_t k = 0; st == VN_OK && k < c->ts.n; k++) {
            for (int i = 0; i < 4; i++)
                b->v[i][b->n] = c->ts.v[i][idx[k]];
            b->sid[b->n] = c->ts.sid[idx[k]];
            for (size_t j = 0; j < nx; j++)
                b->x[j * BATCH + b->n] = c->tx.v[idx[k] * nx + j];
            if (++b->n == BATCH)
                st = flush(c, b);
        }
        if (st == VN_OK && b->n)
            st = flush(c, b);
    }
    vn__tsort_free(&c->ts);
    vn__xbuf_free(&c->tx);
    vn__free(idx);
    batch_free(b);
    return st;
}

/* ---- the paired tests ---- */

/* h(θ): the value whose difference is reported — |θ| for metrics whose ideal is 0. */
static double hval(const vn__mspec *ms, double x)
{
    return ms->info->direction == VN_NO_DIRECTION ? fabs(x) : x;
}

static double hslope(const vn__mspec *ms, double x)
{
    return ms->info->direction == VN_NO_DIRECTION ? (x > 0) - (x < 0) : 1.0;
}

/* The delta-method standard error of the paired difference of metric ms between rows ra
 * (baseline) and rb (candidate), whose values are a and b; false if there is none. */
static bool paired_se(const vn__mspec *ms, const vn__opts *o, const vn__rowset *ra,
                      const vn__rowset *rb, double a, double b, double *se)
{
    const size_t n = ra->n;
    vn__ksum ss = {0, 0}, W = {0, 0};
    size_t used = 0;
    if (ms->kind == MK_R2) {
        vn__ksum WY = {0, 0}, A = {0, 0}, B = {0, 0}, S = {0, 0};
        for (size_t i = 0; i < n; i++) {
            vn__ksum_add(&W, ra->w[i]);
            vn__ksum_add(&WY, ra->w[i] * ra->y[i]);
        }
        const double w = vn__ksum_get(&W), ybar = vn__ksum_get(&WY) / w;
        for (size_t i = 0; i < n; i++) {
            const double ea = ra->p[i] - ra->y[i], eb = rb->p[i] - ra->y[i], d = ra->y[i] - ybar;
            vn__ksum_add(&A, ra->w[i] * ea * ea);
            vn__ksum_add(&B, ra->w[i] * eb * eb);
            vn__ksum_add(&S, ra->w[i] * d * d);
        }
        const double ma = vn__ksum_get(&A) / w, mb = vn__ksum_get(&B) / w, s = vn__ksum_get(&S) / w;
        if (n < 2 || !(s > 0))
            return false;
        for (size_t i = 0; i < n; i++) {
            const double ea = ra->p[i] - ra->y[i], eb = rb->p[i] - ra->y[i], d = ra->y[i] - ybar;
            const double u = ((ea * ea - ma) - (eb * eb - mb)) / s - (ma - mb) / (s * s) * (d * d - s);
            vn__ksum_add(&ss, ra->w[i] * ra->w[i] * u * u);
        }
        *se = sqrt((double)n / (double)(n - 1) * vn__ksum_get(&ss)) / w;
        return true;
    }
    double x;
    bool use;
    if (!vn__row_term(ms, o, 0.0, 0.0, &x, &use))
        return false;
    const bool root = ms->kind == MK_RMSE || ms->kind == MK_RMSLE;
    if (root && (a <= 0 || b <= 0))
        return false;
    const double mua = root ? a * a : a, mub = root ? b * b : b;
    const double ga = hslope(ms, a) * (root ? 0.5 / a : 1.0);
    const double gb = hslope(ms, b) * (root ? 0.5 / b : 1.0);
    for (size_t i = 0; i < n; i++) {
        double ta, tb;
        vn__row_term(ms, o, ra->y[i], ra->p[i], &ta, &use);
        vn__row_term(ms, o, ra->y[i], rb->p[i], &tb, &use);
        if (!use)
            continue;
        const double u = ra->w[i] * (gb * (tb - mub) - ga * (ta - mua));
        vn__ksum_add(&ss, u * u);
        vn__ksum_add(&W, ra->w[i]);
        used++;
    }
    if (used < 2)
        return false;
    *se = sqrt((double)used / (double)(used - 1) * vn__ksum_get(&ss)) / vn__ksum_get(&W);
    return true;
}

/* Per-slice work: which metrics take which test. */
enum { T_NONE, T_ANALYTIC, T_BOOT };

static vn_status boot_slice(const vn_compare *c, vn_comparison *r, size_t s, const int *how,
                            const vn__rowset *ra, const vn__rowset *rb)
{
    vn__eval_view v;
    vn__eval_get_view(c->ev[0], &v);
    size_t k = 0;
    for (size_t m = 0; m < v.nms; m++)
        k += how[m] == T_BOOT;
    if (k == 0)
        return VN_OK;
    const size_t R = c->resamples;
    vn__mspec *sub = vn__malloc(k * sizeof *sub);
    size_t *map = vn__malloc(k * sizeof *map);
    double *qs = vn__malloc(k * sizeof *qs);
    double *ta = vn__malloc(R * k * sizeof *ta), *tb = vn__malloc(R * k * sizeof *tb);
    double *d = vn__malloc(R * sizeof *d);
    vn_status st = sub && map && qs && ta && tb && d ? VN_OK : VN_ERR_NOMEM;
    size_t j = 0;
    for (size_t m = 0; st == VN_OK && m < v.nms; m++)
        if (how[m] == T_BOOT) {
            sub[j] = v.ms[m];
            map[j++] = m;
        }
    const size_t nq = st == VN_OK ? vn__quantile_levels(sub, k, qs) : 0;
    for (int model = 0; st == VN_OK && model < 2; model++)
        st = vn__boot_theta(v.plan, sub, k, v.opts, qs, nq, model ? rb : ra, c->seed, s,
                            c->auto_block ? vn__auto_block(ra->n) : c->block, R, v.threads,
                            model ? tb : ta);
    const double alpha = 1.0 - c->level;
    for (j = 0; st == VN_OK && j < k; j++) {
        const vn__mspec *ms = &sub[j];
        vn_diff *cell = &r->cells[s * r->nms + map[j]];
        size_t n = 0, le = 0, ge = 0;
        for (size_t i = 0; i < R; i++) {
            const double a = ta[i * k + j], b = tb[i * k + j];
            if (!isfinite(a) || !isfinite(b))
                continue;
            const double x = hval(ms, b) - hval(ms, a);
            d[n++] = x;
            le += x <= 0;
            ge += x >= 0;
        }
        if (n == 0) {
            cell->note = "no resample defines the metric for both models";
            continue;
        }
        cell->lo = vn__sample_quantile(d, n, alpha / 2.0);
        cell->hi = vn__sample_quantile(d, n, 1.0 - alpha / 2.0);
        if (isnan(cell->lo) || isnan(cell->hi))
            st = VN_ERR_NOMEM;
        const double tail = (double)(1 + (le < ge ? le : ge)) / (double)(n + 1);
        cell->p = fmin(1.0, 2.0 * tail);
        cell->method = "bootstrap";
        r->boot_used = true;
    }
    vn__free(sub);
    vn__free(map);
    vn__free(qs);
    vn__free(ta);
    vn__free(tb);
    vn__free(d);
    return st;
}

/* Fills the cells of slice s (values, differences, tests before adjustment). */
static vn_status compare_slice(const vn_compare *c, vn_comparison *r, size_t s)
{
    vn__eval_view v;
    vn__eval_get_view(c->ev[0], &v);
    vn__rowset ra, rb;
    vn__eval_slice_rows(c->ev[0], s, &ra);
    vn__eval_slice_rows(c->ev[1], s, &rb);
    int *how = vn__calloc(v.nms, sizeof *how);
    if (!how)
        return VN_ERR_NOMEM;
    const double z = vn__norm_ppf(1.0 - (1.0 - c->level) / 2.0);
    for (size_t m = 0; m < v.nms; m++) {
        const vn__mspec *ms = &v.ms[m];
        vn_diff *cell = &r->cells[s * r->nms + m];
        vn_value va, vb;
        vn_result_get(r->res[0], s, m, &va);
        vn_result_get(r->res[1], s, m, &vb);
        *cell = (vn_diff){va.value, vb.value, NAN, NAN, NAN, NAN, NAN, NAN,
                          VN_VERDICT_UNTESTED, "", ""};
        if (isfinite(va.value) && isfinite(vb.value)) {
            cell->diff = hval(ms, vb.value) - hval(ms, va.value);
            cell->rel = va.value != 0 && testable(ms) ? cell->diff / fabs(va.value) : NAN;
        }
        if (ms->kind == MK_COUNT || ms->kind == MK_WEIGHT_SUM) {
            cell->note = "the same rows for both models";
        } else if (va.reason == VN_REASON_MIN_COUNT) {
            cell->note = "the slice has fewer rows than --min-count";
        } else if (!isfinite(va.value) || !isfinite(vb.value)) {
            cell->note = !isfinite(va.value) && !isfinite(vb.value)
                             ? "undefined for both models"
                             : !isfinite(va.value) ? "undefined for the baseline"
                                                   : "undefined for the candidate";
        } else if (ms->kind == MK_MAX_ERROR) {
            cell->note = "no valid test for a sample maximum";
        } else {
            double se;
            const bool big = ra.n >= 5000;
            const bool an = (c->method == VN_CI_ANALYTIC || (c->method == VN_CI_AUTO && big)) &&
                            paired_se(ms, v.opts, &ra, &rb, va.value, vb.value, &se);
            if (an) {
                how[m] = T_ANALYTIC;
                cell->lo = cell->diff - z * se;
                cell->hi = cell->diff + z * se;
                cell->p = se > 0 ? erfc(fabs(cell->diff) / se / M_SQRT2) : cell->diff == 0 ? 1.0 : 0.0;
                cell->method = "analytic";
            } else if (c->method == VN_CI_ANALYTIC) {
                cell->note = "no analytic test for this metric";
            } else {
                how[m] = T_BOOT;
            }
        }
    }
    const vn_status st = boot_slice(c, r, s, how, &ra, &rb);
    vn__free(how);
    return st;
}

/* The Diebold–Mariano tests of slice s. */
static vn_status dm_slice(const vn_compare *c, vn_comparison *r, size_t s)
{
    vn__rowset ra, rb;
    vn__eval_slice_rows(c->ev[0], s, &ra);
    vn__eval_slice_rows(c->ev[1], s, &rb);
    double *d = vn__malloc((ra.n ? ra.n : 1) * sizeof *d);
    if (!d)
        return VN_ERR_NOMEM;
    for (size_t l = 0; l < r->nlosses; l++) {
        const vn__loss *loss = &r->losses[l];
        vn_dm_info *out = &r->dm[s * r->nlosses + l];
        char *note = r->dm_notes + (s * r->nlosses + l) * VN_MSG_LEN;
        *out = (vn_dm_info){loss->name, ra.n, c->horizon, NAN, NAN, NAN, NAN, 0, ""};
        for (size_t i = 0; i < ra.n; i++) {
            const double ua = ra.y[i] - ra.p[i], ub = ra.y[i] - rb.p[i];
            switch (loss->kind) {
            case LOSS_SQUARED: d[i] = ua * ua - ub * ub; break;
            case LOSS_ABSOLUTE: d[i] = fabs(ua) - fabs(ub); break;
            case LOSS_PINBALL:
                d[i] = fmax(loss->q * ua, (loss->q - 1.0) * ua) -
                       fmax(loss->q * ub, (loss->q - 1.0) * ub);
                break;
            }
        }
        vn__dm dm;
        const vn_status st = vn__dm_test(d, ra.n, c->horizon, &dm, note, VN_MSG_LEN);
        if (st == VN_ERR_NOMEM) {
            vn__free(d);
            return st;
        }
        if (st != VN_OK) {
            out->note = note;
            continue;
        }
        out->mean = dm.mean;
        out->stat = dm.stat;
        out->stat_hln = dm.stat_hln;
        out->p = dm.p;
        out->bartlett = dm.bartlett;
    }
    vn__free(d);
    return VN_OK;
}

/* Holm's adjustment over every tested cell, then the verdicts. */
static vn_status adjust(vn_comparison *r)
{
    const size_t N = r->nslices * r->nms;
    double *p = vn__malloc((N ? N : 1) * sizeof *p), *adj = vn__malloc((N ? N : 1) * sizeof *adj);
    vn_status st = p && adj ? VN_OK : VN_ERR_NOMEM;
    for (size_t i = 0; st == VN_OK && i < N; i++) {
        p[i] = r->cells[i].p;
        r->ntests += isfinite(p[i]);
    }
    if (st == VN_OK && r->adjusted)
        st = vn__holm(p, N, adj);
    else if (st == VN_OK)
        memcpy(adj, p, N * sizeof *adj);
    const double alpha = 1.0 - r->level;
    for (size_t i = 0; st == VN_OK && i < N; i++) {
        vn_diff *cell = &r->cells[i];
        if (!isfinite(p[i]))
            continue;
        cell->p_adj = adj[i];
        const vn__mspec *ms = &r->res[0]->ms[i % r->nms];
        const bool better = ms->info->direction == VN_HIGHER_IS_BETTER ? cell->diff > 0 : cell->diff < 0;
        cell->verdict = adj[i] < alpha && cell->diff != 0
                            ? (better ? VN_VERDICT_BETTER : VN_VERDICT_WORSE)
                            : VN_VERDICT_SAME;
    }
    vn__free(p);
    vn__free(adj);
    return st;
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (p < 0.001)
        snprintf(buf, len, "p < 0.001");
    else
        snprintf(buf, len, "p = %.3g", p);
}

/* The guards and the decision, in plain words. */
static void decide(vn_comparison *r)
{
    const vn__mspec *ms = r->res[0]->ms;
    const vn_diff *pc = &r->cells[r->primary];
    const char *key = ms[r->primary].key;
    const char *padj = r->adjusted ? "Holm-adjusted " : "";
    char p[32];
    fmt_p(p, sizeof p, pc->p_adj);
    bool ok = pc->verdict == VN_VERDICT_BETTER;
    char why[512];
    if (pc->verdict == VN_VERDICT_BETTER || pc->verdict == VN_VERDICT_WORSE)
        vn__fmt(why, sizeof why, "%s is %s: %+.4g (%+.1f %%), %g %% CI [%.4g, %.4g], %s%s", key,
                pc->verdict == VN_VERDICT_BETTER ? "significantly better" : "significantly worse",
                pc->diff, 100.0 * pc->rel, 100.0 * r->level, pc->lo, pc->hi, padj, p);
    else if (pc->verdict == VN_VERDICT_SAME)
        vn__fmt(why, sizeof why, "%s shows no detectable difference: %+.4g (%+.1f %%), %g %% CI "
                "[%.4g, %.4g], %s%s", key, pc->diff, 100.0 * pc->rel, 100.0 * r->level, pc->lo,
                pc->hi, padj, p);
    else
        vn__fmt(why, sizeof why, "%s could not be tested: %s", key, pc->note);
    const char *failed = NULL;
    for (size_t g = 0; g < r->nguards; g++) {
        const vn__guard *cfg = &r->guard_cfg[g];
        const vn_diff *d = &r->cells[cfg->m];
        vn_guard_info *gi = &r->guards[g];
        char *msg = r->guard_msgs + g * VN_MSG_LEN;
        const bool higher = ms[cfg->m].info->direction == VN_HIGHER_IS_BETTER;
        *gi = (vn_guard_info){ms[cfg->m].key, cfg->has_margin, cfg->relative, cfg->margin, NAN,
                              NAN, 0, msg};
        if (d->verdict == VN_VERDICT_UNTESTED) {
            vn__fmt(msg, VN_MSG_LEN, "guard %s cannot be checked: %s", gi->metric, d->note);
        } else if (!cfg->has_margin) {
            gi->bound = higher ? -d->lo : d->hi;
            gi->passed = d->verdict != VN_VERDICT_WORSE;
            fmt_p(p, sizeof p, d->p_adj);
            vn__fmt(msg, VN_MSG_LEN, "guard %s %s: %+.4g (%s%s)", gi->metric,
                    gi->passed ? "holds (not significantly worse)" : "fails (significantly worse)",
                    d->diff, padj, p);
        } else {
            gi->limit = cfg->relative ? cfg->margin / 100.0 * fabs(d->baseline) : cfg->margin;
            gi->bound = higher ? -d->lo : d->hi;
            gi->passed = gi->bound <= gi->limit;
            vn__fmt(msg, VN_MSG_LEN, "guard %s %s: the worsening could be up to %.4g (upper "
                    "%g %% bound), %s the margin %.4g%s", gi->metric,
                    gi->passed ? "holds" : "fails", gi->bound, 100.0 * r->level,
                    gi->passed ? "within" : "beyond", gi->limit,
                    cfg->relative ? " (relative to the baseline)" : "");
        }
        if (!gi->passed && !failed)
            failed = msg;
    }
    r->wins = ok && !failed;
    if (r->wins)
        vn__fmt(r->summary, sizeof r->summary, "The candidate wins: %s%s.", why,
                r->nguards ? "; every guard holds" : "");
    else if (ok)
        vn__fmt(r->summary, sizeof r->summary, "The candidate does not win: %s, but %s.", why,
                failed);
    else
        vn__fmt(r->summary, sizeof r->summary, "The candidate does not win: %s.", why);
}

void vn_comparison_free(vn_comparison *r)
{
    if (!r)
        return;
    vn_result_free(r->res[0]);
    vn_result_free(r->res[1]);
    void *owned[] = {r->cells, r->losses, r->dm, r->dm_notes, r->guard_cfg, r->guards,
                     r->guard_msgs, r->candidate_source, r->time_col};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        vn__free(owned[i]);
    vn__free(r);
}

static vn_status finish(vn_compare *c, vn_comparison *r)
{
    if (c->buffering)
        VN_TRY(feed_sorted(c));
    for (int k = 0; k < 2; k++)
        if (c->source)
            VN_TRY(vn__eval_set_input(c->ev[k], c->source, c->ycol, k ? c->pbcol : c->pacol,
                                      c->wcol, c->rows_read, c->rows_missing, c->hash));
    for (int k = 0; k < 2; k++)
        if (vn_eval_finish(c->ev[k], &r->res[k]) != VN_OK)
            return fail(c, VN_ERR_NOMEM, "%s", vn_eval_errmsg(c->ev[k]));
    r->nslices = vn_result_slice_count(r->res[0]);
    r->nms = vn_result_metric_count(r->res[0]);
    r->nlosses = c->nlosses;
    r->nguards = c->nguards;
    r->level = c->level;
    r->method = c->method;
    r->resamples = c->resamples;
    r->seed = c->seed;
    r->block = c->block;
    r->auto_block = c->auto_block;
    r->horizon = c->horizon;
    r->adjusted = !c->no_adjust;
    const size_t cells = r->nslices * r->nms, dms = r->nslices * r->nlosses;
    r->cells = vn__calloc(cells ? cells : 1, sizeof *r->cells);
    r->dm = vn__calloc(dms ? dms : 1, sizeof *r->dm);
    r->dm_notes = vn__calloc(dms ? dms : 1, VN_MSG_LEN);
    r->losses = vn__calloc(r->nlosses ? r->nlosses : 1, sizeof *r->losses);
    r->guard_cfg = vn__calloc(r->nguards ? r->nguards : 1, sizeof *r->guard_cfg);
    r->guards = vn__calloc(r->nguards ? r->nguards : 1, sizeof *r->guards);
    r->guard_msgs = vn__calloc(r->nguards ? r->nguards : 1, VN_MSG_LEN);
    if (!r->cells || !r->dm || !r->dm_notes || !r->losses || !r->guard_cfg || !r->guards ||
        !r->guard_msgs)
        return VN_ERR_NOMEM;
    memcpy(r->losses, c->losses, r->nlosses * sizeof *r->losses);
    if (r->nguards)
        memcpy(r->guard_cfg, c->guards, r->nguards * sizeof *r->guard_cfg);
    if (c->cand_source && !(r->candidate_source = vn__strdup(c->cand_source)))
        return VN_ERR_NOMEM;
    if (c->time_col && !(r->time_col = vn__strdup(c->time_col)))
        return VN_ERR_NOMEM;
    if (!find_metric(c, c->primary, &r->primary))
        return VN_ERR_INTERNAL;
    for (size_t s = 0; s < r->nslices; s++) {
        VN_TRY(compare_slice(c, r, s));
        VN_TRY(dm_slice(c, r, s));
    }
    VN_TRY(adjust(r));
    decide(r);
    return VN_OK;
}

vn_status vn_compare_finish(vn_compare *c, vn_comparison **out)
{
    *out = NULL;
    if (c->failed)
        return fail(c, VN_ERR_USAGE, "the comparison already failed: %s", c->err);
    vn_comparison *r = vn__calloc(1, sizeof *r);
    vn_status st = r ? finish(c, r) : VN_ERR_NOMEM;
    c->failed = true; /* the handle is spent */
    if (st != VN_OK) {
        vn_comparison_free(r);
        if (st == VN_ERR_NOMEM || !c->err[0])
            vn__fmt(c->err, sizeof c->err, "%s", st == VN_ERR_NOMEM ? "out of memory" : vn_strerror(st));
        return st;
    }
    *out = r;
    return VN_OK;
}

/* ---- reading a comparison ---- */

const vn_result *vn_comparison_model(const vn_comparison *r, int which)
{
    return r->res[which ? 1 : 0];
}

vn_status vn_comparison_get(const vn_comparison *r, size_t s, size_t m, vn_diff *out)
{
    if (s >= r->nslices || m >= r->nms)
        return VN_ERR_USAGE;
    *out = r->cells[s * r->nms + m];
    return VN_OK;
}

size_t vn_comparison_dm_count(const vn_comparison *r) { return r->nlosses; }

vn_status vn_comparison_dm(const vn_comparison *r, size_t s, size_t i, vn_dm_info *out)
{
    if (s >= r->nslices || i >= r->nlosses)
        return VN_ERR_USAGE;
    *out = r->dm[s * r->nlosses + i];
    return VN_OK;
}

size_t vn_comparison_guard_count(const vn_comparison *r) { return r->nguards; }

const vn_guard_info *vn_comparison_guard(const vn_comparison *r, size_t i)
{
    return i < r->nguards ? &r->guards[i] : NULL;
}

int vn_comparison_wins(const vn_comparison *r) { return r->wins; }

const char *vn_comparison_primary(const vn_comparison *r)
{
    return r->res[0]->ms[r->primary].key;
}

const char *vn_comparison_summary(const vn_comparison *r) { return r->summary; }
