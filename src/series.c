/*
 * series.c — forecasting across series.
 *
 * Training series (vn_eval_train_csv, `--train`): the y column of a training file, split
 * by the series key and put in time order, so that mase and rmsse can take the
 * seasonal-naive scale of the series the model was fitted on (Hyndman & Koehler 2006)
 * rather than of the evaluated period. Every row is kept (8 bytes of y plus its key and
 * time cell while reading); the series are sorted by key once and found by binary search.
 * Training series from arrays (vn_eval_train_series, Python's train=) go into the same
 * structure one at a time, inserted at their place in key order, so a training series
 * gives the same scale, bit for bit, whichever way it came.
 *
 * Pooling (vn_eval_config.series): with several series a naive scale over all rows mixes
 * differences between the end of one series and the start of the next and weighs series
 * by their length. The overall mase and rmsse are instead the unweighted means of the
 * per-series values — the M4 competition's convention (Makridakis, Spiliotis &
 * Assimakopoulos 2020, "The M4 Competition: 100,000 time series and 61 forecasting
 * methods", IJF 36(1)); M5 weighted RMSSE by dollar sales, vernier does not. mda likewise.
 */
#include "series.h"
#include "csv.h"
#include "numparse.h"
#include "timesort.h"

#include <stdlib.h>
#include <string.h>

/* Offsets rather than pointers, so that vn__train_add can grow keys and ys. */
typedef struct tseries {
    size_t koff, keylen; /* the key: keys[koff .. koff + keylen) */
    size_t yoff, n;      /* the values: ys[yoff .. yoff + n), time order */
} tseries;

struct vn__train {
    size_t n, cap; /* series, sorted by key */
    tseries *s;
    char *keys;    /* from a file: every row's key; the series keys are among them */
    size_t kn, kcap;
    double *ys;    /* the values of every series, each series contiguous */
    size_t yn, ycap;
};

/* The key of series i; "" for the empty key (keys may then be NULL). */
static const char *tkey(const vn__train *t, size_t i)
{
    return t->keys ? t->keys + t->s[i].koff : "";
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const size_t n = alen < blen ? alen : blen;
    const int r = n ? memcmp(a, b, n) : 0; /* an empty key may be NULL */
    return r ? r : (alen > blen) - (alen < blen);
}

/* Reading state: a row's y, its key (offset and length in keys) and its rank in time. */
typedef struct trows {
    double *y;
    size_t *koff, *klen, *rank;
    size_t n, cap;
    char *keys;
    size_t kn, kcap;
} trows;

static int by_key_time(const void *a, const void *b, void *ctx)
{
    const trows *t = ctx;
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const char *const k = t->keys ? t->keys : ""; /* NULL without by columns */
    const int r = key_cmp(k + t->koff[i], t->klen[i], k + t->koff[j], t->klen[j]);
    return r ? r : (t->rank[i] > t->rank[j]) - (t->rank[i] < t->rank[j]);
}

static vn_status rows_add(trows *t, double y, const char *key, size_t klen)
{
    if (t->n == t->cap) {
        size_t c1 = t->cap, c2 = t->cap, c3 = t->cap, c4 = t->cap;
        if (!vn__grow((void **)&t->y, &c1, t->n + 1, sizeof *t->y) ||
            !vn__grow((void **)&t->koff, &c2, t->n + 1, sizeof *t->koff) ||
            !vn__grow((void **)&t->klen, &c3, t->n + 1, sizeof *t->klen) ||
            !vn__grow((void **)&t->rank, &c4, t->n + 1, sizeof *t->rank))
            return VN_ERR_NOMEM;
        size_t c = c1 < c2 ? c1 : c2;
        c = c < c3 ? c : c3;
        t->cap = c < c4 ? c : c4;
    }
    if (klen && !vn__grow((void **)&t->keys, &t->kcap, t->kn + klen, 1))
        return VN_ERR_NOMEM;
    if (klen)
        memcpy(t->keys + t->kn, key, klen);
    t->y[t->n] = y;
    t->koff[t->n] = t->kn;
    t->klen[t->n] = klen;
    t->rank[t->n] = t->n;
    t->kn += klen;
    t->n++;
    return VN_OK;
}

static void rows_free(trows *t)
{
    vn__free(t->y);
    vn__free(t->koff);
    vn__free(t->klen);
    vn__free(t->rank);
    vn__free(t->keys);
}

/* The rows of t grouped by key in time order into a fresh vn__train (t->keys moves). */
static vn_status group(trows *t, vn__train **out)
{
    size_t *ord = vn__malloc((t->n ? t->n : 1) * sizeof *ord);
    vn__train *tr = vn__calloc(1, sizeof *tr);
    double *ys = vn__malloc((t->n ? t->n : 1) * sizeof *ys);
    tseries *s = vn__malloc((t->n ? t->n : 1) * sizeof *s);
    if (!ord || !tr || !ys || !s) {
        vn__free(ord);
        vn__free(tr);
        vn__free(ys);
        vn__free(s);
        return VN_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->n; i++)
        ord[i] = i;
    qsort_r(ord, t->n, sizeof *ord, by_key_time, t);
    size_t ns = 0;
    const char *const keys = t->keys ? t->keys : "";
    for (size_t k = 0; k < t->n; k++) {
        const size_t i = ord[k];
        if (ns == 0 || key_cmp(keys + s[ns - 1].koff, s[ns - 1].keylen, keys + t->koff[i],
                               t->klen[i]) != 0)
            s[ns++] = (tseries){t->koff[i], t->klen[i], k, 0};
        ys[k] = t->y[i];
        s[ns - 1].n++;
    }
    vn__free(ord);
    tr->n = tr->cap = ns;
    tr->s = s;
    tr->ys = ys;
    tr->yn = tr->ycap = t->n;
    tr->keys = t->keys;
    tr->kn = t->kn;
    tr->kcap = t->kcap;
    t->keys = NULL;
    *out = tr;
    return VN_OK;
}

vn_status vn__train_read(const char *path, const vn_csv_config *cfg, size_t by_count,
                         vn__train **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    vn__csv_opts o = {cfg->delimiter, cfg->header ? 1 : 0, cfg->max_field, false};
    if (!o.delim)
        o.delim = vn__csv_default_delimiter(path);
    vn__csv *r = NULL;
    VN_TRY(vn__csv_open(path, &o, &r, errbuf, errlen));
    size_t ycol = 0, tcol = 0, *bycol = by_count ? vn__calloc(by_count, sizeof *bycol) : NULL;
    trows t = {0};
    vn__tsort ts = {0};
    char *key = NULL;
    size_t keycap = 0;
    vn_status st = by_count && !bycol ? VN_ERR_NOMEM : VN_OK;
    if (st == VN_OK)
        st = vn__csv_find_column(r, cfg->y, "training y", &ycol, errbuf, errlen);
    if (st == VN_OK && cfg->time)
        st = vn__csv_find_column(r, cfg->time, "training time", &tcol, errbuf, errlen);
    for (size_t c = 0; st == VN_OK && c < by_count; c++)
        st = vn__csv_find_column(r, cfg->by[c], "training series", &bycol[c], errbuf, errlen);
    const char *ycn = st == VN_OK && vn__csv_colname(r, ycol) ? vn__csv_colname(r, ycol) : cfg->y;
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            vn__fmt(errbuf, errlen, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        double y;
        const int k = vn__csv_number(r, ycol, "training y", ycn, cfg->missing, &y, errbuf, errlen);
        if (k < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if (k == 0)
            continue;
        size_t klen = 0;
        for (size_t c = 0; c < by_count && st == VN_OK; c++) {
            size_t fl;
            const char *f = vn__csv_field(r, bycol[c], &fl);
            if (!vn__grow((void **)&key, &keycap, klen + fl + 1, 1)) {
                st = VN_ERR_NOMEM;
                break;
            }
            memcpy(key + klen, f, fl);
            key[klen + fl] = '\0';
            klen += fl + 1;
        }
        if (st == VN_OK && cfg->time) {
            size_t tl;
            const char *tv = vn__csv_field(r, tcol, &tl);
            const double row[VN_TS_COLS] = {0, 0, 0, 0};
            if (tl == 0) {
                vn__fmt(errbuf, errlen, "%s:%llu:%llu: training time column \"%s\": missing value (empty cell)",
                        vn__csv_name(r), (unsigned long long)vn__csv_field_line(r, tcol),
                        (unsigned long long)vn__csv_field_col(r, tcol), cfg->time);
                st = VN_ERR_DATA;
                break;
            }
            st = vn__tsort_add(&ts, row, 0, tv, tl);
        }
        if (st == VN_OK)
            st = rows_add(&t, y, key, klen);
    }
    if (st == VN_OK && t.n == 0) {
        vn__fmt(errbuf, errlen, "%s: no training rows", vn__csv_name(r));
        st = VN_ERR_DATA;
    }
    if (st == VN_OK && cfg->time) { /* rank = position in stable time order */
        size_t *idx = NULL;
        st = vn__tsort_order(&ts, &idx);
        for (size_t k = 0; st == VN_OK && k < t.n; k++)
            t.rank[idx[k]] = k;
        vn__free(idx);
    }
    if (st == VN_OK)
        st = group(&t, out);
    if (st == VN_ERR_NOMEM)
        vn__fmt(errbuf, errlen, "out of memory");
    rows_free(&t);
    vn__tsort_free(&ts);
    vn__free(key);
    vn__free(bycol);
    vn__csv_free(r);
    return st;
}

void vn__train_free(vn__train *t)
{
    if (!t)
        return;
    vn__free(t->s);
    vn__free(t->keys);
    vn__free(t->ys);
    vn__free(t);
}

size_t vn__train_count(const vn__train *t) { return t ? t->n : 0; }

/* The position of the series with this key, or where it would go; *found says which. */
static size_t train_pos(const vn__train *t, const char *key, size_t keylen, bool *found)
{
    size_t lo = 0, hi = t->n;
    *found = false;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int r = key_cmp(tkey(t, mid), t->s[mid].keylen, key, keylen);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const double *vn__train_find(const vn__train *t, const char *key, size_t keylen, size_t *n)
{
    static const double none = 0; /* a series without values is still a series */
    bool found;
    const size_t i = train_pos(t, key, keylen, &found);
    *n = found ? t->s[i].n : 0;
    if (!found)
        return NULL;
    return t->ys && t->s[i].n ? t->ys + t->s[i].yoff : &none;
}

vn_status vn__train_add(vn__train **tp, const char *key, size_t keylen, const double *y,
                        size_t n, ptrdiff_t stride)
{
    vn__train *t = *tp;
    if (!t) {
        t = vn__calloc(1, sizeof *t);
        if (!t)
            return VN_ERR_NOMEM;
        *tp = t;
    }
    bool found;
    const size_t at = train_pos(t, key, keylen, &found);
    if (found)
        return VN_ERR_USAGE;
    /* room first, so that a failed allocation leaves t as it was */
    if (!vn__grow((void **)&t->s, &t->cap, t->n + 1, sizeof *t->s) ||
        (keylen && !vn__grow((void **)&t->keys, &t->kcap, t->kn + keylen, 1)) ||
        (n && !vn__grow((void **)&t->ys, &t->ycap, t->yn + n, sizeof *t->ys)))
        return VN_ERR_NOMEM;
    if (keylen)
        memcpy(t->keys + t->kn, key, keylen);
    for (size_t i = 0; i < n; i++)
        t->ys[t->yn + i] = y[(ptrdiff_t)i * stride];
    memmove(t->s + at + 1, t->s + at, (t->n - at) * sizeof *t->s);
    t->s[at] = (tseries){t->kn, keylen, t->yn, n};
    t->n++;
    t->kn += keylen;
    t->yn += n;
    return VN_OK;
}

static bool pooled_kind(vn__kind k) { return k == MK_MASE || k == MK_RMSSE || k == MK_MDA; }

vn_status vn__series_pool(vn_result *res, bool train)
{
    const size_t nms = res->nmetrics;
    char names[64] = "";
    size_t npooled = 0;
    bool scaled = false;
    for (size_t m = 0; m < nms; m++) {
        const vn__kind kind = res->ms[m].kind;
        vn_value *o = &res->values[m];
        if (!pooled_kind(kind) || o->reason == VN_REASON_MIN_COUNT)
            continue;
        if (npooled++ < 3) {
            const size_t at = strlen(names);
            vn__fmt(names + at, sizeof names - at, "%s%s", at ? ", " : "", res->ms[m].key);
        }
        scaled = scaled || kind != MK_MDA;
        vn__ksum sum = {0, 0};
        size_t used = 0, left = 0;
        for (size_t s = 1; s < res->nslices; s++) {
            const double x = res->values[s * nms + m].value;
            if (isnan(x))
                left++;
            else {
                vn__ksum_add(&sum, x);
                used++;
            }
        }
        char *msg = res->msgs + m * VN_MSG_LEN;
        char scale[64] = "";
        if (kind != MK_MDA)
            vn__fmt(scale, sizeof scale, "; scale from the %s series (m = %g)",
                    train ? "training" : "evaluated", res->ms[m].param[0]);
        *o = (vn_value){NAN, VN_REASON_NONE, msg, NAN, NAN, "",
                        res->ci.level > 0 ? "no interval for a mean over series" : "", NAN};
        if (used == 0) {
            o->reason = VN_REASON_TOO_FEW_ROWS;
            vn__fmt(msg, VN_MSG_LEN, "undefined on every one of the %zu series%s", left, scale);
            continue;
        }
        o->value = vn__ksum_get(&sum) / (double)used;
        char out[48] = "";
        if (left)
            vn__fmt(out, sizeof out, "; %zu undefined series left out", left);
        vn__fmt(msg, VN_MSG_LEN, "unweighted mean of %zu per-series value%s (M4 convention)%s%s",
                used, used == 1 ? "" : "s", scale, out);
    }
    if (npooled == 0)
        return VN_OK;
    return vn__note_add(res, "series_pooled", 0,
                        "Overall %s%s: the unweighted mean of the per-series values over %zu "
                        "series (M4 convention)%s; the other metrics are over all rows.",
                        names, npooled > 3 ? ", ..." : "", res->nslices - 1,
                        !scaled ? "" : train ? ", scale from the training series"
                                             : ", scale from the evaluated series");
}

void vn__series_no_ci(const vn__mspec *ms, size_t nms, vn_value *vals)
{
    for (size_t m = 0; m < nms; m++)
        if ((ms[m].kind == MK_MASE || ms[m].kind == MK_RMSSE) && !isnan(vals[m].value)) {
            vals[m].lo = vals[m].hi = NAN;
            vals[m].ci_method = "";
            vals[m].ci_note = "no interval with a training scale";
        }
}

/* The number in the first value of a key (NUL-terminated in it); false if not one. */
static bool key_number(const char *k, size_t len, double *x)
{
    const char *end = memchr(k, '\0', len);
    const size_t n = end ? (size_t)(end - k) : len;
    return vn__parse_double(k, n, x) == VN__NUM_OK;
}

int vn__key_cmp_numeric(const char *a, size_t alen, const char *b, size_t blen)
{
    double x = 0, y = 0;
    const bool nx = key_number(a, alen, &x), ny = key_number(b, blen, &y);
    if (nx != ny)
        return nx ? -1 : 1;
    if (nx && x != y)
        return x < y ? -1 : 1;
    return key_cmp(a, alen, b, blen);
}
