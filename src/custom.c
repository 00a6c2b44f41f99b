/*
 * custom.c — custom metrics as instances of the metric list: expressions
 * ("cost[lower,unit=USD]=sum(abs(e) * price) / sum(y * price)", compiled by expr.c)
 * and metrics implemented in C (vn_metric_def).
 *
 * A custom metric plugs into the same machinery as the built-ins: the plan gives it
 * slots (eval.c's make_plan), the blocks of each slice fold into them (acc.c's
 * vn__acc_fold: an expression's sums are lanes of compensated sums exactly like the
 * built-in sums; a C metric's state goes through its callbacks), states merge in row
 * order, and this file turns a slice's state into the value or a reasoned NaN. So the
 * rest of the library — slices, intervals, comparisons, gates, outputs — sees one more
 * vn__mspec.
 *
 * An expression's aggregations read: sum(x) = Σ w·x, mean(x) = Σ w·x / W (W the same
 * compensated Σ w the built-in means divide by), wmean(x, v) = Σ (w·v)·x / Σ w·v,
 * quantile(x, q) by the library's quantile rules over the stored rows (type 7
 * unweighted; the averaged inverted CDF with the row weights when weighted).
 */
#include "eval.h"
#include "kernels.h"

#include <string.h>

#define MAX_COLUMNS 16     /* input columns of a C metric */
#define MAX_STATE 65536    /* bytes of a C metric's state */

void vn__custom_free(vn__umetric *um)
{
    if (!um)
        return;
    vn__expr_free(um->expr);
    vn__free(um->name);
    vn__free(um->unit);
    vn__free(um->summary);
    vn__free(um->definition);
    vn__free(um->col);
    vn__free(um);
}

/* A metric name: letters, digits, '_', '.', '-' (as the spec's ids), not starting with
 * '-' or '.'. */
static bool name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char((unsigned char)s[i]))
            return false;
    return true;
}

static bool builtin(const char *name, size_t len)
{
    char buf[VN_KEY_MAX];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, name, len);
    buf[len] = '\0';
    return vn_metric_find(buf) != NULL;
}

vn_status vn__custom_check_defs(const vn_metric_def *defs, size_t ndefs, char *errbuf,
                                size_t errlen)
{
    VN_RETURN_IF(ndefs && !defs, VN_ERR_USAGE, "custom_count > 0 needs custom");
    for (size_t i = 0; i < ndefs; i++) {
        const vn_metric_def *d = &defs[i];
        const char *name = d->name ? d->name : "";
        const size_t len = strlen(name);
        VN_RETURN_IF(!valid_name(name, len) || len >= VN_KEY_MAX, VN_ERR_USAGE,
                     "custom metric %zu: the name \"%.60s\" is not valid (letters, digits, '_', "
                     "'.', '-'; at most %d characters)", i, name, VN_KEY_MAX - 1);
        VN_RETURN_IF(builtin(name, len), VN_ERR_USAGE,
                     "custom metric %s: the name of a built-in metric; choose another", name);
        for (size_t j = 0; j < i; j++)
            VN_RETURN_IF(defs[j].name && strcmp(defs[j].name, name) == 0, VN_ERR_USAGE,
                         "custom metric %s is defined twice", name);
        VN_RETURN_IF(!d->block || !d->merge || !d->finish, VN_ERR_USAGE,
                     "custom metric %s needs block, merge and finish callbacks", name);
        VN_RETURN_IF(d->state_size == 0 || d->state_size > MAX_STATE, VN_ERR_USAGE,
                     "custom metric %s: state_size must be 1 to %d bytes", name, MAX_STATE);
        VN_RETURN_IF((unsigned)d->direction > VN_NO_DIRECTION, VN_ERR_USAGE,
                     "custom metric %s: invalid direction", name);
        VN_RETURN_IF(d->ncolumns > MAX_COLUMNS || (d->ncolumns && !d->columns), VN_ERR_USAGE,
                     "custom metric %s: at most %d columns, named in columns", name, MAX_COLUMNS);
        for (size_t k = 0; k < d->ncolumns; k++)
            VN_RETURN_IF(!d->columns[k] || !*d->columns[k], VN_ERR_USAGE,
                         "custom metric %s: column %zu has no name", name, k);
    }
    return VN_OK;
}

/* The metric's strings and info (name, unit and definition of len bytes each). */
static vn_status make_info(vn__umetric *um, const char *name, size_t nlen, const char *unit,
                           size_t ulen, const char *summary, const char *def, size_t dlen,
                           vn_direction dir)
{
    um->name = vn__strndup(name, nlen);
    um->unit = vn__strndup(unit, ulen);
    um->summary = vn__strdup(summary);
    um->definition = vn__strndup(def, dlen);
    if (!um->name || !um->unit || !um->summary || !um->definition)
        return VN_ERR_NOMEM;
    um->info = (vn_metric_info){um->name, "", "", dir, um->unit, um->summary, um->definition};
    return VN_OK;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\n' ||
                    (*s)[*len - 1] == '\r'))
        (*len)--;
}

/* The options of a definition, "lower", "higher", "none", "unit=TEXT", comma-separated. */
static vn_status parse_options(const char *name, size_t nlen, const char *s, size_t len,
                               vn_direction *dir, const char **unit, size_t *ulen, char *errbuf,
                               size_t errlen)
{
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        const char *o = s + i;
        size_t olen = j - i;
        trim(&o, &olen);
        if (olen == 5 && memcmp(o, "lower", 5) == 0) {
            *dir = VN_LOWER_IS_BETTER;
        } else if (olen == 6 && memcmp(o, "higher", 6) == 0) {
            *dir = VN_HIGHER_IS_BETTER;
        } else if (olen == 4 && memcmp(o, "none", 4) == 0) {
            *dir = VN_NO_DIRECTION;
        } else if (olen >= 5 && memcmp(o, "unit=", 5) == 0) {
            *unit = o + 5;
            *ulen = olen - 5;
            trim(unit, ulen);
        } else {
            VN_RETURN_IF(true, VN_ERR_USAGE,
                         "metric %.*s: unknown option \"%.*s\" (options: lower, higher, none, "
                         "unit=TEXT)", (int)nlen, name, (int)(olen > 40 ? 40 : olen), o);
        }
        i = j + 1;
    }
    return VN_OK;
}

/* An expression definition "name[options]=expression". */
static vn_status parse_definition(const char *s, size_t len, size_t nlen, vn__names *cols,
                                  vn__mspec *ms, char *errbuf, size_t errlen)
{
    const char *name = s;
    VN_RETURN_IF(nlen >= VN_KEY_MAX, VN_ERR_USAGE, "metric name \"%.40s...\" is too long (at most %d characters)",
                 name, VN_KEY_MAX - 1);
    VN_RETURN_IF(!valid_name(name, nlen), VN_ERR_USAGE,
                 "metric name \"%.*s\" is not valid (letters, digits, '_', '.', '-')", (int)nlen, name);
    VN_RETURN_IF(builtin(name, nlen), VN_ERR_USAGE,
                 "metric name \"%.*s\" is a built-in metric; give the expression another name",
                 (int)nlen, name);
    size_t i = nlen;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    vn_direction dir = VN_LOWER_IS_BETTER;
    const char *unit = "";
    size_t ulen = 0;
    if (i < len && s[i] == '[') {
        const char *close = memchr(s + i, ']', len - i);
        VN_RETURN_IF(!close, VN_ERR_USAGE, "metric %.*s: the options have no closing \"]\"",
                     (int)nlen, name);
        VN_TRY(parse_options(name, nlen, s + i + 1, (size_t)(close - s - i - 1), &dir, &unit, &ulen,
                             errbuf, errlen));
        i = (size_t)(close - s) + 1;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
    }
    VN_RETURN_IF(i >= len || s[i] != '=', VN_ERR_USAGE,
                 "metric %.*s: expected \"=\" and the expression after the name", (int)nlen, name);
    const char *src = s + i + 1;
    size_t slen = len - i - 1;
    trim(&src, &slen);
    vn__umetric *um = vn__calloc(1, sizeof *um);
    if (!um)
        return VN_ERR_NOMEM;
    char err[512], who[VN_KEY_MAX];
    vn__fmt(who, sizeof who, "%.*s", (int)nlen, name);
    vn_status st = vn__expr_compile(src, slen, who, cols, &um->expr, err, sizeof err);
    if (st == VN_ERR_DATA)
        vn__fmt(errbuf, errlen, "metric %.*s: %s", (int)nlen, name, err);
    if (st == VN_OK)
        st = make_info(um, name, nlen, unit, ulen, "custom metric (expression)", src, slen, dir);
    if (st != VN_OK) {
        vn__custom_free(um);
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        return st;
    }
    memcpy(ms->key, name, nlen);
    ms->key[nlen] = '\0';
    ms->info = &um->info;
    ms->kind = MK_EXPR;
    ms->um = um;
    ms->needs = (um->expr->nsums ? NEED_SLOT : 0u) | (um->expr->quantile ? NEED_STORE : 0u);
    return VN_OK;
}

vn_status vn__custom_parse(const char *s, size_t len, const vn_metric_def *defs, size_t ndefs,
                           vn__names *cols, vn__mspec *ms, bool *matched, char *errbuf,
                           size_t errlen)
{
    *matched = false;
    size_t nlen = 0;
    while (nlen < len && name_char((unsigned char)s[nlen]))
        nlen++;
    size_t i = nlen;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (nlen > 0 && i < len && (s[i] == '=' || s[i] == '[')) {
        *matched = true;
        for (size_t k = 0; k < ndefs; k++)
            VN_RETURN_IF(strlen(defs[k].name) == nlen && memcmp(defs[k].name, s, nlen) == 0,
                         VN_ERR_USAGE, "metric name \"%.*s\" is a custom metric of the C API; "
                         "give the expression another name", (int)nlen, s);
        return parse_definition(s, len, nlen, cols, ms, errbuf, errlen);
    }
    const vn_metric_def *d = NULL;
    for (size_t k = 0; k < ndefs && !d; k++)
        if (strlen(defs[k].name) == nlen && memcmp(defs[k].name, s, nlen) == 0)
            d = &defs[k];
    if (!d)
        return VN_OK;
    *matched = true;
    VN_RETURN_IF(nlen != len, VN_ERR_USAGE, "custom metric %s takes no parameters", d->name);
    vn__umetric *um = vn__calloc(1, sizeof *um);
    vn_status st = um ? VN_OK : VN_ERR_NOMEM;
    if (st == VN_OK) {
        um->def = d;
        um->col = vn__calloc(d->ncolumns ? d->ncolumns : 1, sizeof *um->col);
        st = um->col ? VN_OK : VN_ERR_NOMEM;
    }
    char use[VN_KEY_MAX + 32];
    vn__fmt(use, sizeof use, "custom metric %s reads it", d->name);
    for (size_t k = 0; st == VN_OK && k < d->ncolumns; k++)
        st = vn__names_intern(cols, d->columns[k], strlen(d->columns[k]), use, &um->col[k]);
    const char *unit = d->unit ? d->unit : "";
    const char *def = "a metric implemented in C (vn_metric_def)";
    if (st == VN_OK)
        st = make_info(um, d->name, nlen, unit, strlen(unit), d->summary ? d->summary : "custom metric",
                       def, strlen(def), d->direction);
    if (st != VN_OK) {
        vn__custom_free(um);
        VN_RETURN_IF(true, st, "out of memory");
    }
    memcpy(ms->key, d->name, nlen);
    ms->key[nlen] = '\0';
    ms->info = &um->info;
    ms->kind = MK_CUSTOM;
    ms->um = um;
    ms->needs = NEED_SLOT;
    return VN_OK;
}

/* ---- the plan ---- */

size_t vn__custom_nslots(const vn__umetric *um) { return um->expr ? um->expr->nsums : 1; }

void vn__custom_slots(const vn__umetric *um, vn__slot *slots)
{
    if (!um->expr) {
        slots[0] = (vn__slot){SLOT_CUSTOM, 0.0, NULL, um};
        return;
    }
    for (size_t k = 0; k < um->expr->naggs; k++) {
        const vn__agg *g = &um->expr->aggs[k];
        if (g->kind == VN_AGG_QUANTILE)
            continue;
        slots[g->slot] = (vn__slot){SLOT_EXPR, 0.0, &g->term, NULL};
        if (g->kind == VN_AGG_WMEAN)
            slots[g->slot + 1] = (vn__slot){SLOT_EXPR, 0.0, &g->den, NULL};
    }
}

const vn__prog *vn__custom_mean_term(const vn__mspec *ms, bool *root)
{
    const vn__expr *x = ms->kind == MK_EXPR ? ms->um->expr : NULL;
    if (!x || x->naggs != 1 || x->aggs[0].kind != VN_AGG_MEAN || !vn__expr_root_of_agg(x, root))
        return NULL;
    return &x->aggs[0].term;
}

/* ---- values ---- */

/* Quantile q of aggregation g's per-row values over the stored rows; *bad counts the
 * values that are not finite (the quantile is then not computed). */
static vn_status quantile_of(const vn__agg *g, const vn__rowset *r, double *out, uint64_t *bad)
{
    const size_t n = r->n;
    double *x = vn__malloc(n * sizeof *x), *w = r->weighted ? vn__malloc(n * sizeof *w) : NULL;
    if (!x || (r->weighted && !w)) {
        vn__free(x);
        vn__free(w);
        return VN_ERR_NOMEM;
    }
    const vn__xrows xr = {r->y, r->p, r->w, r->x};
    vn__prog_run(&g->term, &xr, 0, n, x);
    *bad = 0;
    for (size_t i = 0; i < n; i++)
        *bad += !isfinite(x[i]);
    vn_status st = VN_OK;
    if (*bad == 0 && w) {
        memcpy(w, r->w, n * sizeof *w);
        st = vn__quantiles_weighted(x, w, n, &g->q, 1, out);
    } else if (*bad == 0) {
        vn__quantiles_type7(x, n, &g->q, 1, out);
    }
    vn__free(x);
    vn__free(w);
    return st;
}

/* The value of aggregation g (of metric ms) on a slice into *out, or VN_OK with v
 * undefined. */
static vn_status agg_value(const vn__mspec *ms, const vn__agg *g, const vn__acc *a,
                           const vn__rowset *rows, double *out, vn_value *v, char *msg,
                           size_t len)
{
    const unsigned line = g->line, col = g->col;
    uint64_t bad = 0;
    const struct vn__slot_sum *s = NULL, *d = NULL;
    if (g->kind == VN_AGG_QUANTILE) {
        VN_TRY(quantile_of(g, rows, out, &bad));
    } else {
        s = &a->slot[(size_t)ms->slot + g->slot];
        d = g->kind == VN_AGG_WMEAN ? s + 1 : NULL;
        bad = s->bad > (d ? d->bad : 0) ? s->bad : d ? d->bad : 0;
    }
    if (bad)
        return vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                             "%llu rows give a value that is not finite inside %s at %u:%u "
                             "(a division by 0, log of 0, ...)",
                             (unsigned long long)bad, vn__agg_name(g->kind), line, col);
    if (g->kind == VN_AGG_SUM)
        *out = vn__ksum_get(&s->s);
    else if (g->kind == VN_AGG_MEAN) /* divided by the W every built-in mean divides by */
        *out = vn__ksum_get(&s->s) / vn__ksum_get(&a->W);
    else if (g->kind == VN_AGG_WMEAN && vn__ksum_get(&d->s) == 0.0)
        return vn__undefined(v, VN_REASON_ZERO_DENOMINATOR, msg, len,
                             "the weights of wmean at %u:%u sum to 0", line, col);
    else if (g->kind == VN_AGG_WMEAN)
        *out = vn__ksum_get(&s->s) / vn__ksum_get(&d->s);
    if (!isfinite(*out))
        return vn__undefined(v, VN_REASON_OVERFLOW, msg, len,
                             "%s at %u:%u is not finite in double precision",
                             vn__agg_name(g->kind), line, col);
    return VN_OK;
}

static vn_status expr_value(const vn__mspec *ms, const vn__acc *a, const vn__rowset *rows,
                            vn_value *v, char *msg, size_t len)
{
    const vn__expr *x = ms->um->expr;
    double agg[VN_EXPR_MAX_AGGS];
    for (size_t k = 0; k < x->naggs; k++) {
        VN_TRY(agg_value(ms, &x->aggs[k], a, rows, &agg[k], v, msg, len));
        if (v->reason != VN_REASON_NONE)
            return VN_OK;
    }
    v->reason = vn__expr_top(x, agg, &v->value, msg, len);
    if (v->reason != VN_REASON_NONE)
        v->value = NAN;
    return VN_OK;
}

vn_status vn__custom_value(const vn__mspec *ms, const vn__acc *a, const vn__rowset *rows,
                           vn_value *v, char *msg, size_t len)
{
    const vn__umetric *um = ms->um;
    if (um->expr)
        return expr_value(ms, a, rows, v, msg, len);
    vn_reason r = VN_REASON_DOMAIN;
    v->value = um->def->finish(vn__acc_state(a, um), &r, um->def->ud);
    if (isnan(v->value)) {
        v->reason = r == VN_REASON_NONE ? VN_REASON_DOMAIN : r;
        vn__fmt(msg, len, "%s is undefined on these rows", um->name);
    }
    return VN_OK;
}

/* ---- copies for results ---- */

size_t vn__info_size(const vn_metric_info *in)
{
    const char *s[] = {in->id, in->params, in->aliases, in->unit, in->summary, in->definition};
    size_t n = sizeof *in;
    for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        n += strlen(s[k]) + 1;
    return (n + 15) / 16 * 16;
}

const vn_metric_info *vn__info_copy(const vn_metric_info *in, void *mem)
{
    vn_metric_info *out = mem;
    char *p = (char *)(out + 1);
    const char *src[] = {in->id, in->params, in->aliases, in->unit, in->summary, in->definition};
    const char **dst[] = {&out->id, &out->params, &out->aliases, &out->unit, &out->summary,
                          &out->definition};
    out->direction = in->direction;
    for (size_t k = 0; k < sizeof src / sizeof src[0]; k++) {
        const size_t n = strlen(src[k]) + 1;
        memcpy(p, src[k], n);
        *dst[k] = p;
        p += n;
    }
    return out;
}

/* ---- input columns held back for a time sort ---- */

vn_status vn__xbuf_add(vn__xbuf *b, const double *row)
{
    if (b->nx == 0) {
        b->n++;
        return VN_OK;
    }
    if (!vn__grow((void **)&b->v, &b->cap, (b->n + 1) * b->nx, sizeof *b->v))
        return VN_ERR_NOMEM;
    memcpy(b->v + b->n * b->nx, row, b->nx * sizeof *row);
    b->n++;
    return VN_OK;
}

void vn__xbuf_free(vn__xbuf *b)
{
    vn__free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}
