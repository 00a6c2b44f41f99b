/*
 * interval.c — metrics over input columns besides y and yhat: prediction intervals
 * (coverage, interval_width, interval_score), quantile forecasts (wis, pinball over
 * quantile columns, quantile_coverage) and probabilistic forecasts (crps_ensemble,
 * crps_gaussian, log_score_gaussian).
 *
 * Their columns are parameters of the metric ("coverage:lo=p05:hi=p95:level=0.9",
 * "wis(median=q50, lo=[q05,q25], hi=[q95,q75], alpha=[0.1,0.5])",
 * "crps_ensemble:members=m1..m50"), interned into the metric list's names table like
 * the columns of custom expressions, so the CSV reader, the C API (vn_eval_column_*)
 * and Python feed them the same way. They read the slice's stored rows (NEED_STORE) at
 * finish: each is a weighted mean of a per-row score, summed with compensated sums, so
 * bootstrap intervals come from the gathered resamples like any stored-row metric.
 *
 * Crossing intervals (lo > hi) and quantile columns that are not monotone in their
 * level are scored as given and reported (in the metric's message and a note), never
 * reordered: a forecaster whose quantiles cross should see it.
 */
#include "eval.h"
#include "kernels.h"
#include "numparse.h"

#include <stdlib.h>
#include <string.h>

bool vn__xkind(vn__kind k)
{
    return k == MK_COVERAGE || k == MK_IWIDTH || k == MK_ISCORE || k == MK_WIS ||
           k == MK_QPINBALL || k == MK_QCOVERAGE || k == MK_CRPS_ENS || k == MK_CRPS_GAUSS ||
           k == MK_LOGS_GAUSS;
}

/* ---- parameters ---- */

bool vn__param_next(const char *s, size_t len, char sep, size_t *at, const char **item,
                    size_t *ilen)
{
    size_t i = *at;
    if (i >= len)
        return false;
    int depth = 0;
    bool quoted = false;
    size_t j = i;
    for (; j < len; j++) {
        const char c = s[j];
        if (quoted) {
            if (c == '\\' && j + 1 < len)
                j++;
            else if (c == '"')
                quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '[' || c == '(') {
            depth++;
        } else if ((c == ']' || c == ')') && depth > 0) {
            depth--;
        } else if (c == sep && depth == 0) {
            break;
        }
    }
    *item = s + i;
    *ilen = j - i;
    while (*ilen && (**item == ' ' || **item == '\t')) {
        (*item)++;
        (*ilen)--;
    }
    while (*ilen && ((*item)[*ilen - 1] == ' ' || (*item)[*ilen - 1] == '\t'))
        (*ilen)--;
    *at = j + 1;
    return true;
}

/* What a parameter holds. */
typedef enum { P_COL, P_COLS, P_NUM, P_NUMS, P_WORD } ptype;

typedef struct pdef {
    const char *name;
    ptype type;
} pdef;

/* The parameters of each kind. */
static const pdef *params_of(vn__kind k)
{
    static const pdef cov[] = {{"lo", P_COL},  {"hi", P_COL},  {"level", P_NUM},
                               {"bins", P_NUM}, {"bin", P_NUM}, {"mag", P_WORD},
                               {NULL, P_NUM}};
    static const pdef width[] = {{"lo", P_COL}, {"hi", P_COL}, {NULL, P_NUM}};
    static const pdef score[] = {{"lo", P_COL}, {"hi", P_COL}, {"alpha", P_NUM}, {NULL, P_NUM}};
    static const pdef wis[] = {{"median", P_COL}, {"lo", P_COLS}, {"hi", P_COLS},
                               {"alpha", P_NUMS}, {NULL, P_NUM}};
    static const pdef quant[] = {{"q", P_NUMS}, {"col", P_COLS}, {NULL, P_NUM}};
    static const pdef ens[] = {{"members", P_COLS}, {"estimator", P_WORD}, {NULL, P_NUM}};
    static const pdef gauss[] = {{"sigma", P_COL}, {"mu", P_COL}, {NULL, P_NUM}};
    switch (k) {
    case MK_COVERAGE: return cov;
    case MK_IWIDTH: return width;
    case MK_ISCORE: return score;
    case MK_WIS: return wis;
    case MK_QCOVERAGE:
    case MK_PINBALL:
    case MK_QPINBALL: return quant;
    case MK_CRPS_ENS: return ens;
    default: return gauss;
    }
}

/* A parsed parameter value: up to VN_MAX_XCOLS names or numbers. */
typedef struct pval {
    bool given;
    size_t n;
    const char *s[VN_MAX_XCOLS]; /* names: text and length (quotes still on) */
    size_t len[VN_MAX_XCOLS];
    double x[VN_MAX_XCOLS];
    /* a range "m1..m50" expands to generated names, kept here */
    char gen[VN_MAX_XCOLS][24];
} pval;

/* A column name of a parameter: the text, unquoted into buf when quoted. */
static vn_status unquote(const char *id, const char *s, size_t len, char *buf, size_t cap,
                         const char **out, size_t *olen, char *errbuf, size_t errlen)
{
    if (len == 0 || s[0] != '"') {
        VN_RETURN_IF(len == 0, VN_ERR_USAGE, "metric \"%s\": empty column name", id);
        *out = s;
        *olen = len;
        return VN_OK;
    }
    size_t n = 0;
    size_t i = 1;
    for (; i < len && s[i] != '"'; i++) {
        if (s[i] == '\\' && i + 1 < len)
            i++;
        if (n + 1 < cap)
            buf[n++] = s[i];
    }
    VN_RETURN_IF(i != len - 1 || n == 0, VN_ERR_USAGE,
                 "metric \"%s\": bad quoted column name %.*s", id, (int)len, s);
    *out = buf;
    *olen = n;
    return VN_OK;
}

/* Parses a whole number s[0..len) (digits only) into *v; false if it is not one. */
static bool whole(const char *s, size_t len, unsigned long *v)
{
    if (len == 0 || len > 9)
        return false;
    *v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (unsigned long)(s[i] - '0');
    }
    return true;
}

/* Adds one element (a name, a range "pre1..pre50", or a number) to pv. */
static vn_status add_element(const char *id, const char *pname, ptype t, const char *s,
                             size_t len, pval *pv, char *errbuf, size_t errlen)
{
    VN_RETURN_IF(len == 0, VN_ERR_USAGE, "metric \"%s\": %s has an empty element", id, pname);
    if (t == P_NUM || t == P_NUMS) {
        double v;
        const vn__num k = vn__parse_double(s, len, &v);
        VN_RETURN_IF(k != VN__NUM_OK || !isfinite(v), VN_ERR_USAGE,
                     "metric \"%s\": %s must be %s, not \"%.*s\"", id, pname,
                     t == P_NUMS ? "a number or a list [a,b,...] of numbers" : "a number", (int)len, s);
        VN_RETURN_IF(pv->n >= VN_MAX_XCOLS, VN_ERR_USAGE, "metric \"%s\": %s has more than %d values", id,
                     pname, VN_MAX_XCOLS);
        pv->x[pv->n++] = v;
        return VN_OK;
    }
    const char *dots = s[0] == '"' ? NULL : memmem(s, len, "..", 2);
    if (!dots) {
        VN_RETURN_IF(pv->n >= VN_MAX_XCOLS, VN_ERR_USAGE, "metric \"%s\": %s has more than %d columns",
                     id, pname, VN_MAX_XCOLS);
        pv->s[pv->n] = s;
        pv->len[pv->n++] = len;
        return VN_OK;
    }
    /* a range: the same prefix, then numbers a <= b; "q05..q95" keeps the width */
    const size_t l1 = (size_t)(dots - s), l2 = len - l1 - 2;
    const char *b = dots + 2;
    size_t p1 = l1, p2 = l2;
    while (p1 && s[p1 - 1] >= '0' && s[p1 - 1] <= '9')
        p1--;
    while (p2 && b[p2 - 1] >= '0' && b[p2 - 1] <= '9')
        p2--;
    unsigned long lo = 0, hi = 0;
    const bool ok = p1 == p2 && memcmp(s, b, p1) == 0 && whole(s + p1, l1 - p1, &lo) &&
                    whole(b + p2, l2 - p2, &hi) && lo <= hi && p1 < 16;
    VN_RETURN_IF(!ok, VN_ERR_USAGE,
                 "metric \"%s\": %s: \"%.*s\" is not a column range (PREFIX1..PREFIX50: the same "
                 "prefix, then increasing numbers)", id, pname, (int)len, s);
    const int width = s[p1] == '0' && l1 - p1 > 1 ? (int)(l1 - p1) : 0;
    VN_RETURN_IF(pv->n + (hi - lo + 1) > VN_MAX_XCOLS, VN_ERR_USAGE,
                 "metric \"%s\": %s has more than %d columns", id, pname, VN_MAX_XCOLS);
    for (unsigned long k = lo; k <= hi; k++) {
        char *g = pv->gen[pv->n];
        const int w = snprintf(g, sizeof pv->gen[0], "%.*s%0*lu", (int)p1, s, width, k);
        pv->s[pv->n] = g;
        pv->len[pv->n++] = (size_t)w;
    }
    return VN_OK;
}

/* Parses the value of parameter pname of type t. */
static vn_status parse_value(const char *id, const char *pname, ptype t, const char *v,
                             size_t vlen, pval *pv, char *errbuf, size_t errlen)
{
    VN_RETURN_IF(pv->given, VN_ERR_USAGE, "metric \"%s\": %s is given twice", id, pname);
    pv->given = true;
    VN_RETURN_IF(vlen == 0, VN_ERR_USAGE, "metric \"%s\": %s needs a value", id, pname);
    if (v[0] != '[' || t == P_WORD || (t == P_COL && v[0] == '"'))
        return add_element(id, pname, t, v, vlen, pv, errbuf, errlen);
    VN_RETURN_IF(t == P_COL || t == P_NUM, VN_ERR_USAGE,
                 "metric \"%s\": %s takes one value, not a list", id, pname);
    VN_RETURN_IF(v[vlen - 1] != ']', VN_ERR_USAGE, "metric \"%s\": the list of %s has no closing \"]\"",
                 id, pname);
    const char *e;
    size_t at = 0, elen;
    while (vn__param_next(v + 1, vlen - 2, ',', &at, &e, &elen))
        VN_TRY(add_element(id, pname, t, e, elen, pv, errbuf, errlen));
    VN_RETURN_IF(pv->n == 0, VN_ERR_USAGE, "metric \"%s\": the list of %s is empty", id, pname);
    return VN_OK;
}

/* Interns column k of pv into cols and ms->xcol[ms->nxcol++]. */
static vn_status add_column(vn__mspec *ms, vn__names *cols, const char *pname, const pval *pv,
                            size_t k, char *errbuf, size_t errlen)
{
    char buf[VN_KEY_MAX], use[VN_KEY_MAX + 64];
    const char *name;
    size_t nlen;
    VN_TRY(unquote(ms->info->id, pv->s[k], pv->len[k], buf, sizeof buf, &name, &nlen, errbuf, errlen));
    VN_RETURN_IF(ms->nxcol >= VN_MAX_XCOLS, VN_ERR_USAGE, "metric \"%s\": more than %d columns",
                 ms->info->id, VN_MAX_XCOLS);
    vn__fmt(use, sizeof use, "metric %s reads it as %s", ms->key, pname);
    size_t idx;
    const vn_status st = vn__names_intern(cols, name, nlen, use, &idx);
    VN_RETURN_IF(st != VN_OK, st, "out of memory");
    VN_RETURN_IF(idx >= 65535, VN_ERR_USAGE, "too many input columns");
    ms->xcol[ms->nxcol] = (uint16_t)idx;
    ms->xlev[ms->nxcol++] = NAN;
    return VN_OK;
}

static bool word_is(const pval *pv, const char *w)
{
    return pv->n == 1 && pv->len[0] == strlen(w) && memcmp(pv->s[0], w, pv->len[0]) == 0;
}

/* A number in (lo, hi) (open), or an error naming the parameter. */
static vn_status in_open(const char *id, const char *pname, double v, double lo, double hi,
                         char *errbuf, size_t errlen)
{
    VN_RETURN_IF(!(v > lo && v < hi), VN_ERR_USAGE,
                 "metric \"%s\": %s must be between %g and %g (exclusive), not %g", id, pname, lo,
                 hi, v);
    return VN_OK;
}

vn_status vn__xparse(const char *params, size_t len, char sep, vn__names *cols, vn__mspec *ms,
                     char *errbuf, size_t errlen)
{
    if (ms->kind == MK_PINBALL)
        ms->kind = MK_QPINBALL;
    const char *id = ms->info->id;
    const pdef *pd = params_of(ms->kind);
    size_t np = 0;
    while (pd[np].name)
        np++;
    pval *pv = vn__calloc(np, sizeof *pv);
    if (!pv) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    vn_status st = VN_OK;
    const char *item;
    size_t at = 0, ilen;
    while (st == VN_OK && vn__param_next(params, len, sep, &at, &item, &ilen)) {
        const char *eq = memchr(item, '=', ilen);
        if (!eq) {
            vn__fmt(errbuf, errlen, "metric \"%s\": parameter \"%.*s\" needs a value (name=value)",
                    id, (int)ilen, item);
            st = VN_ERR_USAGE;
            break;
        }
        size_t nlen = (size_t)(eq - item);
        while (nlen && item[nlen - 1] == ' ')
            nlen--;
        size_t j = 0;
        while (j < np && !(strlen(pd[j].name) == nlen && memcmp(pd[j].name, item, nlen) == 0))
            j++;
        if (j == np) {
            vn__fmt(errbuf, errlen, "metric \"%s\" has no parameter \"%.*s\"; it takes %s", id,
                    (int)nlen, item, ms->info->params);
            st = VN_ERR_USAGE;
            break;
        }
        const char *v = eq + 1;
        size_t vlen = ilen - (size_t)(v - item);
        while (vlen && *v == ' ') {
            v++;
            vlen--;
        }
        st = parse_value(id, pd[j].name, pd[j].type, v, vlen, &pv[j], errbuf, errlen);
    }
    /* the columns, in the order of the parameters (as the values read them) */
    for (size_t j = 0; st == VN_OK && j < np; j++) {
        if (pd[j].type != P_COL && pd[j].type != P_COLS)
            continue;
        const bool required = !(ms->kind == MK_CRPS_GAUSS || ms->kind == MK_LOGS_GAUSS) ||
                              strcmp(pd[j].name, "sigma") == 0;
        const bool optional = ms->kind == MK_WIS && strcmp(pd[j].name, "median") != 0;
        if (!pv[j].given && required && !optional) {
            vn__fmt(errbuf, errlen, "metric \"%s\" needs %s=COL (it takes %s)", id, pd[j].name,
                    ms->info->params);
            st = VN_ERR_USAGE;
        }
        for (size_t k = 0; st == VN_OK && k < pv[j].n; k++)
            st = add_column(ms, cols, pd[j].name, &pv[j], k, errbuf, errlen);
    }
    if (st != VN_OK)
        goto done;
    switch (ms->kind) {
    case MK_COVERAGE: {
        const pval *lev = &pv[2], *bins = &pv[3], *bin = &pv[4], *mag = &pv[5];
        ms->param[0] = NAN;
        if (lev->given && (st = in_open(id, "level", lev->x[0], 0, 1, errbuf, errlen)) != VN_OK)
            break;
        ms->param[0] = lev->given ? lev->x[0] : NAN;
        if (mag->given && !word_is(mag, "y") && !word_is(mag, "yhat")) {
            vn__fmt(errbuf, errlen, "metric \"%s\": mag must be y or yhat, not \"%.*s\"", id,
                    (int)mag->len[0], mag->s[0]);
            st = VN_ERR_USAGE;
            break;
        }
        ms->xopt = mag->given && word_is(mag, "y");
        if (bins->given) {
            const double b = bins->x[0];
            if (!(b >= 2 && b <= 100 && b == floor(b))) {
                vn__fmt(errbuf, errlen, "metric \"%s\": bins must be a whole number from 2 to 100, not %g",
                        id, b);
                st = VN_ERR_USAGE;
                break;
            }
            ms->nbins = (uint16_t)b;
            ms->nexpand = ms->nbins;
        }
        if (bin->given) {
            const double b = bin->x[0];
            if (!bins->given || !(b >= 1 && b <= ms->nbins && b == floor(b))) {
                vn__fmt(errbuf, errlen, "metric \"%s\": bin must be a whole number from 1 to bins",
                        id);
                st = VN_ERR_USAGE;
                break;
            }
            ms->bin = (uint16_t)b;
            ms->nexpand = 0;
        }
        if (!bins->given && mag->given) {
            vn__fmt(errbuf, errlen, "metric \"%s\": mag chooses the bins' magnitude: add bins=B", id);
            st = VN_ERR_USAGE;
        }
        break;
    }
    case MK_ISCORE:
        if (!pv[2].given) {
            vn__fmt(errbuf, errlen, "metric \"%s\" needs alpha (e.g. alpha=0.1 for a 90%% interval)", id);
            st = VN_ERR_USAGE;
            break;
        }
        st = in_open(id, "alpha", pv[2].x[0], 0, 1, errbuf, errlen);
        ms->param[0] = pv[2].x[0];
        break;
    case MK_WIS: {
        const size_t K = pv[1].n;
        if (pv[2].n != K || pv[3].n != K) {
            vn__fmt(errbuf, errlen,
                    "metric \"%s\": lo, hi and alpha need the same number of entries (%zu, %zu, %zu)",
                    id, pv[1].n, pv[2].n, pv[3].n);
            st = VN_ERR_USAGE;
            break;
        }
        /* xcol: median, lo[0..K), hi[0..K); xlev: the quantile levels */
        ms->xlev[0] = 0.5;
        for (size_t k = 0; st == VN_OK && k < K; k++) {
            st = in_open(id, "alpha", pv[3].x[k], 0, 1, errbuf, errlen);
            ms->xlev[1 + k] = pv[3].x[k] / 2;
            ms->xlev[1 + K + k] = 1 - pv[3].x[k] / 2;
        }
        break;
    }
    case MK_QPINBALL:
    case MK_QCOVERAGE:
        if (!pv[0].given || pv[0].n != pv[1].n) {
            vn__fmt(errbuf, errlen, "metric \"%s\" needs q and col with as many entries (%zu levels, "
                    "%zu columns)", id, pv[0].n, pv[1].n);
            st = VN_ERR_USAGE;
            break;
        }
        for (size_t k = 0; st == VN_OK && k < pv[0].n; k++) {
            st = in_open(id, "q", pv[0].x[k], 0, 1, errbuf, errlen);
            ms->xlev[k] = pv[0].x[k];
        }
        ms->param[0] = pv[0].x[0];
        if (ms->kind == MK_QCOVERAGE && pv[0].n > 1)
            ms->nexpand = (uint16_t)pv[0].n;
        break;
    case MK_CRPS_ENS:
        if (pv[1].given && !word_is(&pv[1], "standard") && !word_is(&pv[1], "fair")) {
            vn__fmt(errbuf, errlen, "metric \"%s\": estimator must be standard or fair, not \"%.*s\"",
                    id, (int)pv[1].len[0], pv[1].s[0]);
            st = VN_ERR_USAGE;
        }
        ms->xopt = pv[1].given && word_is(&pv[1], "fair");
        break;
    default: break;
    }
done:
    vn__free(pv);
    return st;
}

/* Appends column name c to key (at *at of cap bytes), quoted when it holds characters
 * the metric list gives a meaning. */
static void put_name(char *key, size_t cap, size_t *at, const char *c)
{
    const bool quote = strpbrk(c, ":,()[]\" =.") != NULL || !*c;
    if (*at < cap && quote)
        key[(*at)++] = '"';
    for (; *c && *at + 2 < cap; c++) {
        if (quote && (*c == '"' || *c == '\\'))
            key[(*at)++] = '\\';
        key[(*at)++] = *c;
    }
    if (*at < cap && quote)
        key[(*at)++] = '"';
    if (*at < cap)
        key[*at] = '\0';
}

vn_status vn__xexpand(vn__mspec **msp, size_t *cap, size_t n, const vn__names *cols,
                      char *errbuf, size_t errlen)
{
    const size_t K = (*msp)[n].nexpand;
    if (!vn__grow((void **)msp, cap, n + K, sizeof **msp)) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    vn__mspec *ms = *msp;
    const vn__mspec t = ms[n];
    /* each gets the key that parses back to it alone (states and specs re-parse keys) */
    for (size_t k = 0; k < K; k++) {
        vn__mspec *e = &ms[n + k];
        *e = t;
        e->nexpand = 0;
        char *key = e->key;
        const size_t kc = sizeof e->key;
        size_t at = 0;
        if (t.kind == MK_QCOVERAGE) {
            e->nxcol = 1;
            e->xcol[0] = t.xcol[k];
            e->xlev[0] = t.xlev[k];
            e->param[0] = t.xlev[k];
            char num[32]; /* the shortest of %.15g, %.17g that reads back */
            snprintf(num, sizeof num, "%.15g", t.xlev[k]);
            if (strtod(num, NULL) != t.xlev[k])
                snprintf(num, sizeof num, "%.17g", t.xlev[k]);
            at = (size_t)snprintf(key, kc, "%s:q=%s:col=", t.info->id, num);
            put_name(key, kc, &at, cols->name[t.xcol[k]]);
        } else {
            e->bin = (uint16_t)(k + 1);
            at = (size_t)snprintf(key, kc, "%s:lo=", t.info->id);
            put_name(key, kc, &at, cols->name[t.xcol[0]]);
            at += at < kc ? (size_t)snprintf(key + at, kc - at, ":hi=") : 0;
            put_name(key, kc, &at, cols->name[t.xcol[1]]);
            if (at < kc && !isnan(t.param[0]))
                at += (size_t)snprintf(key + at, kc - at, ":level=%.15g", t.param[0]);
            if (at < kc)
                at += (size_t)snprintf(key + at, kc - at, ":bins=%u:bin=%zu%s", t.nbins, k + 1,
                                       t.xopt ? ":mag=y" : "");
        }
        if (at + 2 >= kc) {
            vn__fmt(errbuf, errlen, "metric \"%.60s\": the expanded key is too long", t.key);
            return VN_ERR_USAGE;
        }
    }
    return VN_OK;
}

/* ---- values ---- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Column k of the metric's columns, row i. */
static inline double X(const vn__rowset *r, const vn__mspec *ms, size_t k, size_t i)
{
    return r->x[ms->xcol[k]][i];
}

static double pos(double x) { return x > 0.0 ? x : 0.0; }

static double pinball(double y, double q, double tau)
{
    const double r = y - q;
    return r >= 0.0 ? tau * r : (tau - 1.0) * r;
}

static double interval_score(double y, double lo, double hi, double alpha)
{
    return (hi - lo) + 2.0 / alpha * pos(lo - y) + 2.0 / alpha * pos(y - hi);
}

/* Rows whose quantile columns (xcol[0..n) at levels xlev) are not non-decreasing in
 * their level. */
static uint64_t non_monotone(const vn__mspec *ms, const vn__rowset *r, size_t n)
{
    size_t ord[VN_MAX_XCOLS];
    for (size_t k = 0; k < n; k++)
        ord[k] = k;
    for (size_t a = 1; a < n; a++) /* insertion sort by level: n is small */
        for (size_t b = a; b > 0 && ms->xlev[ord[b - 1]] > ms->xlev[ord[b]]; b--) {
            const size_t t = ord[b];
            ord[b] = ord[b - 1];
            ord[b - 1] = t;
        }
    uint64_t bad = 0;
    for (size_t i = 0; i < r->n; i++) {
        bool ok = true;
        for (size_t k = 1; k < n && ok; k++)
            ok = X(r, ms, ord[k - 1], i) <= X(r, ms, ord[k], i);
        bad += !ok;
    }
    return bad;
}

/* Rows crossing: lo > hi for interval metrics; non-monotone quantiles for wis and
 * multi-level pinball. */
static uint64_t crossing(const vn__mspec *ms, const vn__rowset *r)
{
    switch (ms->kind) {
    case MK_COVERAGE:
    case MK_IWIDTH:
    case MK_ISCORE: {
        uint64_t bad = 0;
        for (size_t i = 0; i < r->n; i++)
            bad += X(r, ms, 0, i) > X(r, ms, 1, i);
        return bad;
    }
    case MK_WIS:
    case MK_QPINBALL: return ms->nxcol > 1 ? non_monotone(ms, r, ms->nxcol) : 0;
    default: return 0;
    }
}

/* The per-row score of metric ms on row i (scratch: m doubles for ensembles). */
static double row_score(const vn__mspec *ms, const vn__rowset *r, size_t i, double *scratch)
{
    const double y = r->y[i];
    switch (ms->kind) {
    case MK_COVERAGE: return X(r, ms, 0, i) <= y && y <= X(r, ms, 1, i);
    case MK_IWIDTH: return X(r, ms, 1, i) - X(r, ms, 0, i);
    case MK_ISCORE: return interval_score(y, X(r, ms, 0, i), X(r, ms, 1, i), ms->param[0]);
    case MK_WIS: {
        /* Bracher et al. (2021), eq. 2: (w0|y - m| + sum_k w_k IS_k)/(K + 1/2), w0 = 1/2,
         * w_k = alpha_k/2 */
        const size_t K = (ms->nxcol - 1) / 2;
        vn__ksum s = {0, 0};
        vn__ksum_add(&s, 0.5 * fabs(y - X(r, ms, 0, i)));
        for (size_t k = 0; k < K; k++) {
            const double alpha = 2.0 * ms->xlev[1 + k];
            vn__ksum_add(&s, alpha / 2.0 *
                                 interval_score(y, X(r, ms, 1 + k, i), X(r, ms, 1 + K + k, i), alpha));
        }
        return vn__ksum_get(&s) / ((double)K + 0.5);
    }
    case MK_QPINBALL: {
        vn__ksum s = {0, 0};
        for (size_t k = 0; k < ms->nxcol; k++)
            vn__ksum_add(&s, pinball(y, X(r, ms, k, i), ms->xlev[k]));
        return vn__ksum_get(&s) / (double)ms->nxcol;
    }
    case MK_QCOVERAGE: return y <= X(r, ms, 0, i);
    case MK_CRPS_ENS: {
        /* With the members sorted, x_(1) <= ... <= x_(m):
         * sum_{i,j} |x_i - x_j| = 2 sum_i (2i - m - 1) x_(i) (i from 1), so the CRPS is
         * (1/m) sum_i |x_i - y| - c * 2 * sum_i (2i - m - 1) x_(i) in O(m log m). */
        const size_t m = ms->nxcol;
        vn__ksum a = {0, 0}, b = {0, 0};
        for (size_t k = 0; k < m; k++) {
            scratch[k] = X(r, ms, k, i);
            vn__ksum_add(&a, fabs(scratch[k] - y));
        }
        qsort(scratch, m, sizeof *scratch, cmp_double);
        for (size_t k = 0; k < m; k++)
            vn__ksum_add(&b, (2.0 * (double)k + 1.0 - (double)m) * scratch[k]);
        const double md = (double)m;
        const double spread = ms->xopt ? vn__ksum_get(&b) / (md * (md - 1.0))
                                       : vn__ksum_get(&b) / (md * md);
        return vn__ksum_get(&a) / md - spread;
    }
    case MK_CRPS_GAUSS:
    case MK_LOGS_GAUSS: {
        const double sigma = X(r, ms, 0, i), mu = ms->nxcol > 1 ? X(r, ms, 1, i) : r->p[i];
        const double z = (y - mu) / sigma;
        if (ms->kind == MK_LOGS_GAUSS)
            return log(sigma) + 0.5 * log(2.0 * M_PI) + 0.5 * z * z;
        /* Gneiting & Raftery (2007), eq. 21; 2*Phi(z) - 1 = erf(z/sqrt 2) */
        const double phi = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
        return sigma * (z * erf(z / M_SQRT2) + 2.0 * phi - 1.0 / sqrt(M_PI));
    }
    default: return NAN;
    }
}

/* The rows of magnitude bin ms->bin of ms->nbins into keep[0..n): equal-count bins of
 * the rows ordered by |yhat| (|y| with mag=y), ties in row order; *lo, *hi: the bin's
 * magnitude range. */
typedef struct mag_row {
    double m;
    size_t i;
} mag_row;

static int cmp_mag(const void *a, const void *b)
{
    const mag_row *x = a, *y = b;
    if (x->m != y->m)
        return (x->m > y->m) - (x->m < y->m);
    return (x->i > y->i) - (x->i < y->i);
}

static vn_status magnitude_bin(const vn__mspec *ms, const vn__rowset *r, bool *keep, double *lo,
                               double *hi, size_t *count)
{
    mag_row *o = vn__malloc((r->n ? r->n : 1) * sizeof *o);
    if (!o)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < r->n; i++)
        o[i] = (mag_row){fabs(ms->xopt ? r->y[i] : r->p[i]), i};
    qsort(o, r->n, sizeof *o, cmp_mag);
    *count = 0;
    *lo = *hi = NAN;
    for (size_t k = 0; k < r->n; k++) {
        /* rank k is in bin floor(k * B / n) (0-based) */
        const size_t b = (size_t)((unsigned long long)k * ms->nbins / r->n);
        keep[o[k].i] = b + 1 == ms->bin;
        if (b + 1 == ms->bin) {
            *lo = *count ? *lo : o[k].m;
            *hi = o[k].m;
            ++*count;
        }
    }
    vn__free(o);
    return VN_OK;
}

vn_status vn__xmetric_value(const vn__mspec *ms, const vn__acc *a, const vn__rowset *r,
                            vn_value *v, char *msg, size_t len)
{
    (void)a;
    double *scratch = ms->kind == MK_CRPS_ENS ? vn__malloc(ms->nxcol * sizeof *scratch) : NULL;
    bool *keep = ms->bin ? vn__malloc((r->n ? r->n : 1) * sizeof *keep) : NULL;
    vn_status st = (ms->kind == MK_CRPS_ENS && !scratch) || (ms->bin && !keep) ? VN_ERR_NOMEM : VN_OK;
    double blo = NAN, bhi = NAN;
    size_t bcount = r->n;
    if (st == VN_OK && keep)
        st = magnitude_bin(ms, r, keep, &blo, &bhi, &bcount);
    if (st != VN_OK) {
        vn__free(scratch);
        vn__free(keep);
        return st;
    }
    vn__ksum s = {0, 0}, W = {0, 0};
    uint64_t bad_sigma = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (keep && !keep[i])
            continue;
        if ((ms->kind == MK_CRPS_GAUSS || ms->kind == MK_LOGS_GAUSS) && !(X(r, ms, 0, i) > 0.0)) {
            bad_sigma++;
            continue;
        }
        vn__ksum_add(&s, r->w[i] * row_score(ms, r, i, scratch));
        vn__ksum_add(&W, r->w[i]);
    }
    vn__free(scratch);
    vn__free(keep);
    if (bad_sigma)
        return vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                             "%llu rows have sigma <= 0, where the Gaussian forecast is not defined",
                             (unsigned long long)bad_sigma);
    if (ms->kind == MK_CRPS_ENS && ms->xopt && ms->nxcol < 2)
        return vn__undefined(v, VN_REASON_TOO_FEW_ROWS, msg, len,
                             "the fair estimator needs at least 2 ensemble members");
    if (ms->bin && bcount == 0)
        return vn__undefined(v, VN_REASON_NO_ROWS, msg, len,
                             "bin %u of %u is empty (fewer rows than bins)", ms->bin, ms->nbins);
    const double Wt = vn__ksum_get(&W);
    if (Wt == 0.0)
        return vn__undefined(v, VN_REASON_NO_ROWS, msg, len, "no rows with positive weight");
    v->value = vn__ksum_get(&s) / Wt;
    /* the message: the bin, the gap to the nominal level, crossing rows */
    size_t at = 0;
    if (ms->bin)
        at += (size_t)snprintf(msg + at, len - at, "bin %u of %u by |%s|: %zu rows, |%s| in [%.6g, %.6g]; ",
                               ms->bin, ms->nbins, ms->xopt ? "y" : "yhat", bcount,
                               ms->xopt ? "y" : "yhat", blo, bhi);
    const double nominal = ms->kind == MK_QCOVERAGE || (ms->kind == MK_COVERAGE && !isnan(ms->param[0]))
                               ? ms->param[0] : NAN;
    if (!isnan(nominal) && at < len)
        at += (size_t)snprintf(msg + at, len - at, "nominal %.6g, gap %+.4g; ", nominal,
                               v->value - nominal);
    const uint64_t cross = crossing(ms, r);
    if (cross && at < len)
        at += (size_t)snprintf(msg + at, len - at, "%llu rows with crossing %s (scored as given); ",
                               (unsigned long long)cross,
                               ms->kind == MK_WIS || ms->kind == MK_QPINBALL ? "quantiles" : "lo > hi");
    if (ms->kind == MK_CRPS_ENS && at < len)
        at += (size_t)snprintf(msg + at, len - at, "%s estimator, %u members; ",
                               ms->xopt ? "fair" : "standard", ms->nxcol);
    if (at >= 2 && at < len)
        msg[at - 2] = '\0';
    v->message = msg;
    return VN_OK;
}

vn_status vn__xmetric_notes(vn_result *res, size_t s, const vn__mspec *ms, size_t nms,
                            const vn__rowset *rows)
{
    if (!rows || rows->n == 0)
        return VN_OK;
    for (size_t m = 0; m < nms; m++) {
        if (!vn__xkind(ms[m].kind) || ms[m].bin > 1)
            continue;
        const uint64_t cross = crossing(&ms[m], rows);
        if (!cross)
            continue;
        VN_TRY(vn__note_add(res, "crossing_quantiles", s,
                            "%s: %llu of %zu rows have %s; they are scored as given, not "
                            "reordered", ms[m].key, (unsigned long long)cross, rows->n,
                            ms[m].kind == MK_WIS || ms[m].kind == MK_QPINBALL
                                ? "quantiles that decrease as the level increases"
                                : "lo > hi (a crossing interval)"));
    }
    return VN_OK;
}
