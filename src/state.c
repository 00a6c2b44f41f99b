/*
 * state.c — evaluation states that travel: the versioned byte form of an evaluation in
 * progress (vn_eval_state_write / vn_eval_state_read) and the merge of two (vn_eval_merge),
 * so that workers of a distributed engine (Dask, Spark, Ray) evaluate partitions and one
 * process combines them. The format is specified in docs/state.md: little-endian, every
 * length checked before it is used, a 64-bit hash of the content at the end, so a
 * truncated, corrupted or foreign buffer is refused with a message, never read past.
 *
 * Exact metrics stay exact: a state that needs order statistics or resamples carries its
 * slices' rows (24 bytes each), so a merged evaluation equals the evaluation of all rows
 * (bit for bit for counts, extremes and quantiles; sums to their compensated accuracy,
 * since blocks are summed in another grouping).
 */
#include "state.h"

#include "hash.h"

#include <stddef.h>
#include <string.h>

static const char MAGIC[8] = {'V', 'N', 'S', 'T', 'A', 'T', 'E', '\0'};

/* The accumulator's fixed part is a sequence of 8-byte fields (uint64_t, double, the two
 * doubles of a compensated sum, size_t): the format writes them as words, in declaration
 * order. A change to vn__acc breaks this assertion, and must bump VN_STATE_FORMAT. */
#define ACC_WORDS 49
_Static_assert(offsetof(vn__acc, slot) == 8 * ACC_WORDS, "vn__acc changed: bump VN_STATE_FORMAT");
_Static_assert(sizeof(struct vn__slot_sum) == 24, "slot sums are 3 words");
_Static_assert(sizeof(double) == 8 && sizeof(size_t) == 8, "64-bit words");

enum { F_WEIGHTED = 1, F_STORE = 2, F_AUTO_BLOCK = 4, F_SKETCH = 8 };

/* ---- writing ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    bool nomem;
} wbuf;

static void put(wbuf *b, const void *data, size_t n)
{
    if (b->nomem || !vn__grow((void **)&b->p, &b->cap, b->len + n, 1)) {
        b->nomem = true;
        return;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_u64(wbuf *b, uint64_t v)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    put(b, le, 8);
}

static void put_f64(wbuf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u64(b, u);
}

static void put_str(wbuf *b, const char *s, size_t n)
{
    put_u64(b, n);
    put(b, s, n);
}

static void put_words(wbuf *b, const void *p, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++) {
        uint64_t u;
        memcpy(&u, (const unsigned char *)p + 8 * i, 8);
        put_u64(b, u);
    }
}

/* The metric list that rebuilds ms[]: their keys, comma-separated. */
static char *metric_list(const vn__mspec *ms, size_t nms)
{
    static const char *const dirs[] = {"lower", "higher", "none"};
    size_t len = 1;
    for (size_t m = 0; m < nms; m++) {
        len += strlen(ms[m].key) + 1;
        if (ms[m].kind == MK_EXPR) /* [direction,unit=U]=definition */
            len += 24 + strlen(ms[m].info->unit) + strlen(ms[m].info->definition);
    }
    char *s = vn__malloc(len);
    if (!s)
        return NULL;
    size_t at = 0;
    s[0] = '\0';
    for (size_t m = 0; m < nms; m++) {
        const vn_metric_info *in = ms[m].info;
        if (ms[m].kind != MK_EXPR)
            at += (size_t)snprintf(s + at, len - at, "%s%s", m ? "," : "", ms[m].key);
        else /* the definition the reader compiles again */
            at += (size_t)snprintf(s + at, len - at, "%s%s[%s%s%s]=%s", m ? "," : "", ms[m].key,
                                   dirs[in->direction], *in->unit ? ",unit=" : "", in->unit,
                                   in->definition);
    }
    return s;
}

/* The state of every row of a slice into out: the folded part and the pending rows
 * (blk is scratch of the plan's state size). */
static void whole_state(const vn__plan *plan, const vn__eval_slice_view *v, vn__acc *out,
                        vn__acc *blk)
{
    memcpy(out, v->acc, vn__acc_size(plan));
    if (v->len > v->done) { /* custom metrics' slots too: expressions fold pending rows */
        vn__acc_init(blk, plan);
        vn__acc_fold(blk, plan, v->y, v->p, v->w, v->x, v->done, v->len - v->done);
        vn__acc_merge(out, blk, plan);
    }
}

static void put_bucket(void *ctx, uint64_t key, uint64_t count, double ws, double wc)
{
    wbuf *b = ctx;
    put_u64(b, key);
    put_u64(b, count);
    put_f64(b, ws);
    put_f64(b, wc);
}

/* Slot sums after the fixed words; custom metrics' own states are not in format 1. */
static size_t acc_words(const vn__plan *plan) { return ACC_WORDS + 3 * plan->nslots; }

vn_status vn_eval_state_write(const vn_eval *ev, void **out, size_t *outlen, char *errbuf,
                              size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    vn__eval_meta m;
    vn__eval_get_meta(ev, &m);
    VN_RETURN_IF(m.failed, VN_ERR_USAGE, "the evaluation failed: %s", vn_eval_errmsg(ev));
    for (size_t i = 0; i < m.nms; i++)
        VN_RETURN_IF(m.ms[i].kind != MK_EXPR && (m.ms[i].um || m.ms[i].nxcol), VN_ERR_USAGE,
                     "%s: C metrics and metrics over input columns have no byte form in state "
                     "format %d", m.ms[i].key, VN_STATE_FORMAT);
    VN_RETURN_IF(m.ncols, VN_ERR_USAGE,
                 "the metrics read the input column \"%s\": metrics over input columns have "
                 "no byte form in state format %d", m.col_names[0], VN_STATE_FORMAT);
    VN_RETURN_IF(vn__acc_size(m.plan) != 8 * acc_words(m.plan), VN_ERR_USAGE,
                 "this metric plan has no byte form in state format %d", VN_STATE_FORMAT);
    VN_RETURN_IF(vn__eval_derive(ev) != VN_OK, VN_ERR_NOMEM, "out of memory");
    const bool store = m.plan->needs & NEED_STORE;
    const bool rows = m.plan->needs & (NEED_STORE | NEED_AE);
    char *list = metric_list(m.ms, m.nms);
    vn__acc *tmp = vn__malloc(vn__acc_size(m.plan));
    vn__acc *blk = vn__malloc(vn__acc_size(m.plan));
    if (!list || !tmp || !blk) {
        vn__free(list);
        vn__free(tmp);
        vn__free(blk);
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    wbuf b = {0};
    put(&b, MAGIC, 8);
    put_u64(&b, VN_STATE_FORMAT);
    vn__eval_slice_view v0;
    vn__eval_get_slice(ev, 0, &v0);
    const bool sketch = v0.qsk != NULL;
    put_u64(&b, (m.weighted ? F_WEIGHTED : 0) | (rows && !sketch ? F_STORE : 0) |
                    (m.auto_block ? F_AUTO_BLOCK : 0) | (sketch ? F_SKETCH : 0));
    put_str(&b, list, strlen(list));
    put_u64(&b, m.opts.zero);
    put_u64(&b, m.opts.r2c);
    put_u64(&b, m.min_count);
    put_f64(&b, m.ci.level);
    put_u64(&b, m.ci.method);
    put_u64(&b, m.ci.resamples);
    put_u64(&b, m.ci.seed);
    put_u64(&b, m.ci.block);
    put_u64(&b, m.by_count);
    for (size_t c = 0; c < m.by_count; c++)
        put_str(&b, m.by_names[c], strlen(m.by_names[c]));
    put_u64(&b, m.rows_seen);
    put_u64(&b, m.rows_zero_weight);
    put_u64(&b, m.rows_missing);
    put_u64(&b, m.rows_read);
    put_u64(&b, m.nslices);
    for (size_t s = 0; s < m.nslices; s++) {
        vn__eval_slice_view v;
        vn__eval_get_slice(ev, s, &v);
        put_str(&b, v.key ? v.key : "", v.key ? v.keylen : 0);
        whole_state(m.plan, &v, tmp, blk);
        put_words(&b, tmp, acc_words(m.plan));
        const size_t n = v.abs_only ? v.an : store ? v.len : 0;
        put_u64(&b, n);
        for (size_t i = 0; i < n; i++) { /* only |e| kept: the rows (0, |e|, w) */
            put_f64(&b, v.abs_only ? 0.0 : v.y[i]);
            put_f64(&b, v.abs_only ? v.ae[i] : v.p[i]);
            put_f64(&b, v.abs_only ? (v.aw ? v.aw[i] : 1.0) : v.w[i]);
        }
        if (sketch) { /* the sketch's non-empty buckets */
            put_u64(&b, vn__sketch_nbuckets(v.qsk));
            vn__sketch_each(v.qsk, put_bucket, &b);
        }
    }
    vn__hash h;
    vn__hash_init(&h);
    vn__hash_update(&h, b.p, b.len);
    put_u64(&b, vn__hash_final(&h));
    vn__free(list);
    vn__free(tmp);
    vn__free(blk);
    if (b.nomem) {
        vn__free(b.p);
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    *out = b.p;
    *outlen = b.len;
    return VN_OK;
}

void vn_state_free(void *buf) { vn__free(buf); }

/* ---- reading ---- */

typedef struct rbuf {
    const unsigned char *p;
    size_t len, at;
    char *err;
    size_t errlen;
} rbuf;

static bool need(rbuf *r, size_t n, const char *what)
{
    if (r->len - r->at >= n)
        return true;
    vn__fmt(r->err, r->errlen, "state: truncated at byte %zu (reading %s)", r->at, what);
    return false;
}

static bool get_u64(rbuf *r, uint64_t *v, const char *what)
{
    if (!need(r, 8, what))
        return false;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
    r->at += 8;
    return true;
}

static bool get_f64(rbuf *r, double *v, const char *what)
{
    uint64_t u;
    if (!get_u64(r, &u, what))
        return false;
    memcpy(v, &u, 8);
    return true;
}

/* A string (borrowed, not NUL-terminated). */
static bool get_str(rbuf *r, const char **s, size_t *n, const char *what)
{
    uint64_t len;
    if (!get_u64(r, &len, what) || !need(r, len, what))
        return false;
    *s = (const char *)r->p + r->at;
    *n = (size_t)len;
    r->at += (size_t)len;
    return true;
}

/* A string copied with a NUL (no NUL inside). */
static vn_status get_cstr(rbuf *r, char **s, const char *what)
{
    const char *p;
    size_t n;
    if (!get_str(r, &p, &n, what))
        return VN_ERR_DATA;
    if (memchr(p, '\0', n)) {
        vn__fmt(r->err, r->errlen, "state: %s contains a NUL byte", what);
        return VN_ERR_DATA;
    }
    *s = vn__strndup(p, n);
    return *s ? VN_OK : VN_ERR_NOMEM;
}

static bool get_words(rbuf *r, void *dst, size_t nwords, const char *what)
{
    if (!need(r, 8 * nwords, what))
        return false;
    for (size_t i = 0; i < nwords; i++) {
        uint64_t u;
        get_u64(r, &u, what);
        memcpy((unsigned char *)dst + 8 * i, &u, 8);
    }
    return true;
}

/* Reads the header into cfg (strings owned by the caller's arrays); checks the hash. */
static vn_status read_header(rbuf *r, vn_eval_config *cfg, char **list, char ***by,
                             uint64_t *flags, bool *auto_block)
{
    char *errbuf = r->err;
    const size_t errlen = r->errlen;
    VN_RETURN_IF(r->len < 8 + 8 + 8 || memcmp(r->p, MAGIC, 8) != 0, VN_ERR_DATA,
                 "state: not a vernier evaluation state (no VNSTATE magic)");
    uint64_t version, u;
    r->at = 8;
    get_u64(r, &version, "the format version");
    VN_RETURN_IF(version > VN_STATE_FORMAT, VN_ERR_DATA,
                 "state: format %llu is newer than this vernier reads (%d): upgrade vernier",
                 (unsigned long long)version, VN_STATE_FORMAT);
    VN_RETURN_IF(version < VN_STATE_FORMAT, VN_ERR_DATA,
                 "state: format %llu is older than this vernier reads (%d); re-create the "
                 "state with a matching vernier", (unsigned long long)version, VN_STATE_FORMAT);
    /* the hash covers every byte before it */
    vn__hash h;
    vn__hash_init(&h);
    vn__hash_update(&h, r->p, r->len - 8);
    rbuf t = {r->p, r->len, r->len - 8, r->err, r->errlen};
    get_u64(&t, &u, "the hash");
    VN_RETURN_IF(u != vn__hash_final(&h), VN_ERR_DATA,
                 "state: the content hash does not match (corrupted or truncated)");
    r->len -= 8; /* the body ends before the hash */
    if (!get_u64(r, flags, "flags"))
        return VN_ERR_DATA;
    VN_RETURN_IF(*flags > (F_WEIGHTED | F_STORE | F_AUTO_BLOCK | F_SKETCH) ||
                     ((*flags & F_STORE) && (*flags & F_SKETCH)),
                 VN_ERR_DATA, "state: unknown flags %llu", (unsigned long long)*flags);
    cfg->quantiles = (*flags & F_SKETCH) ? VN_QUANTILES_SKETCH : VN_QUANTILES_EXACT;
    VN_TRY(get_cstr(r, list, "the metric list"));
    uint64_t zero, r2c, method;
    if (!get_u64(r, &zero, "the zero policy") || !get_u64(r, &r2c, "the r2 policy") ||
        !get_u64(r, &cfg->min_count, "min_count") || !get_f64(r, &cfg->ci_level, "ci level") ||
        !get_u64(r, &method, "ci method") || !get_u64(r, &u, "resamples") ||
        !get_u64(r, &cfg->seed, "seed"))
        return VN_ERR_DATA;
    VN_RETURN_IF(zero > VN_ZERO_EPS || r2c > VN_R2_SKLEARN || method > VN_CI_ANALYTIC ||
                     u > UINT32_MAX,
                 VN_ERR_DATA, "state: invalid policy or interval settings");
    cfg->zero_policy = (vn_zero_policy)zero;
    cfg->r2_constant = (vn_r2_constant)r2c;
    cfg->ci_method = (vn_ci_method)method;
    cfg->resamples = (uint32_t)u;
    if (!get_u64(r, &u, "block size"))
        return VN_ERR_DATA;
    *auto_block = *flags & F_AUTO_BLOCK;
    cfg->block_size = *auto_block ? 0 : (size_t)u;
    uint64_t nby;
    if (!get_u64(r, &nby, "by columns"))
        return VN_ERR_DATA;
    VN_RETURN_IF(nby > (r->len - r->at) / 8, VN_ERR_DATA, "state: invalid by column count");
    *by = vn__calloc(nby ? nby : 1, sizeof(char *));
    if (!*by)
        return VN_ERR_NOMEM;
    for (size_t c = 0; c < nby; c++) {
        VN_TRY(get_cstr(r, &(*by)[c], "a by column name"));
        cfg->by_count++;
    }
    cfg->by_names = (const char *const *)*by;
    cfg->metrics = **list ? *list : NULL;
    return VN_OK;
}

static vn_status read_slices(rbuf *r, vn_eval *ev, bool store, bool sketch, size_t by_count)
{
    char *errbuf = r->err;
    const size_t errlen = r->errlen;
    vn__eval_meta m;
    vn__eval_get_meta(ev, &m);
    uint64_t seen, zero, missing, read, nslices;
    if (!get_u64(r, &seen, "counters") || !get_u64(r, &zero, "counters") ||
        !get_u64(r, &missing, "counters") || !get_u64(r, &read, "counters") ||
        !get_u64(r, &nslices, "the slice count"))
        return VN_ERR_DATA;
    const size_t words = acc_words(m.plan);
    VN_RETURN_IF(nslices == 0 || nslices > (r->len - r->at) / (8 * (words + 2)), VN_ERR_DATA,
                 "state: invalid slice count %llu", (unsigned long long)nslices);
    VN_RETURN_IF(vn__acc_size(m.plan) != 8 * words, VN_ERR_DATA,
                 "state: its metrics have no byte form in format 1");
    vn__acc *acc = vn__malloc(8 * words);
    if (!acc)
        return VN_ERR_NOMEM;
    vn_status st = VN_OK;
    double *rows = NULL;
    size_t rows_cap = 0;
    for (uint64_t s = 0; st == VN_OK && s < nslices; s++) {
        const char *key;
        size_t keylen;
        uint64_t n;
        if (!get_str(r, &key, &keylen, "a slice key") || !get_words(r, acc, words, "a slice state") ||
            !get_u64(r, &n, "a slice's row count")) {
            st = VN_ERR_DATA;
            break;
        }
        /* the key: by_count values, each NUL-terminated; empty for the overall slice */
        size_t nul = 0;
        for (size_t i = 0; i < keylen; i++)
            nul += key[i] == '\0';
        if ((s == 0) != (keylen == 0) || (s > 0 && (nul != by_count || key[keylen - 1] != '\0')) ||
            acc->nslots != m.plan->nslots || (!store && n) || n > (r->len - r->at) / 24) {
            vn__fmt(errbuf, errlen, "state: slice %llu is malformed", (unsigned long long)s);
            st = VN_ERR_DATA;
            break;
        }
        if (!vn__grow((void **)&rows, &rows_cap, 3 * n, sizeof(double))) {
            st = VN_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            get_f64(r, &rows[i], "rows");
            get_f64(r, &rows[n + i], "rows");
            get_f64(r, &rows[2 * n + i], "rows");
            if (!isfinite(rows[i]) || !isfinite(rows[n + i]) || !(rows[2 * n + i] > 0) ||
                !isfinite(rows[2 * n + i])) {
                vn__fmt(errbuf, errlen, "state: slice %llu row %zu is not a valid row",
                        (unsigned long long)s, i + 1);
                st = VN_ERR_DATA;
                break;
            }
        }
        if (st == VN_OK && store && acc->n != n) {
            vn__fmt(errbuf, errlen, "state: slice %llu holds %llu rows but counts %llu",
                    (unsigned long long)s, (unsigned long long)n, (unsigned long long)acc->n);
            st = VN_ERR_DATA;
        }
        vn__qsketch qsk = {0};
        uint64_t nb = 0;
        if (st == VN_OK && sketch &&
            (!get_u64(r, &nb, "a sketch's bucket count") || nb > (r->len - r->at) / 32)) {
            vn__fmt(errbuf, errlen, "state: slice %llu has a malformed sketch",
                    (unsigned long long)s);
            st = VN_ERR_DATA;
        }
        uint64_t last = 0, total = 0;
        for (uint64_t i = 0; st == VN_OK && i < nb; i++) {
            uint64_t key_, count;
            double ws, wc;
            if (!get_u64(r, &key_, "a bucket") || !get_u64(r, &count, "a bucket") ||
                !get_f64(r, &ws, "a bucket") || !get_f64(r, &wc, "a bucket")) {
                st = VN_ERR_DATA;
                break;
            }
            total += count;
            if ((i > 0 && key_ <= last) || !isfinite(ws) || !isfinite(wc) || total < count ||
                !vn__sketch_put(&qsk, key_, count, ws, wc, true)) {
                vn__fmt(errbuf, errlen, "state: slice %llu has a malformed sketch bucket",
                        (unsigned long long)s);
                st = VN_ERR_DATA;
            }
            last = key_;
        }
        if (st == VN_OK && sketch && total != acc->n) {
            vn__fmt(errbuf, errlen, "state: slice %llu's sketch holds %llu rows but counts %llu",
                    (unsigned long long)s, (unsigned long long)total,
                    (unsigned long long)acc->n);
            st = VN_ERR_DATA;
        }
        /* rows is still NULL when no slice so far had rows: no arithmetic on it */
        if (st == VN_OK)
            st = vn__eval_absorb(ev, s ? key : NULL, keylen, acc, rows, rows ? rows + n : NULL,
                                 rows ? rows + 2 * n : NULL, NULL, n, sketch ? &qsk : NULL);
        vn__sketch_free(&qsk);
    }
    vn__free(rows);
    vn__free(acc);
    if (st == VN_OK && r->at != r->len) {
        vn__fmt(errbuf, errlen, "state: %zu unexpected bytes after the slices", r->len - r->at);
        st = VN_ERR_DATA;
    }
    if (st == VN_OK)
        vn__eval_add_counts(ev, seen, zero, missing, read, false);
    return st;
}

vn_status vn_eval_state_read(const void *buf, size_t len, int threads, vn_eval **out,
                             char *errbuf, size_t errlen)
{
    *out = NULL;
    char scratch[8];
    if (!errbuf || errlen == 0) { /* messages still need somewhere to go */
        errbuf = scratch;
        errlen = sizeof scratch;
    }
    errbuf[0] = '\0';
    rbuf r = {buf, len, 0, errbuf, errlen};
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.threads = threads;
    char *list = NULL, **by = NULL;
    uint64_t flags = 0;
    bool auto_block = false;
    vn_status st = buf ? read_header(&r, &cfg, &list, &by, &flags, &auto_block) : VN_ERR_USAGE;
    vn_eval *ev = NULL;
    if (st == VN_OK)
        st = vn_eval_new(&cfg, &ev, errbuf, errlen);
    if (st == VN_OK) {
        vn__eval_meta m;
        vn__eval_get_meta(ev, &m);
        if (!(m.plan->needs & (NEED_STORE | NEED_AE)) != !(flags & (F_STORE | F_SKETCH)) ||
            ((flags & F_SKETCH) && (m.plan->needs & NEED_STORE))) {
            vn__fmt(errbuf, errlen, "state: its metrics do not match its rows");
            st = VN_ERR_DATA;
        } else if (m.ncols) { /* never written: the rows of a state carry no columns */
            vn__fmt(errbuf, errlen, "state: its metrics read the input column \"%s\", which "
                    "states do not carry", m.col_names[0]);
            st = VN_ERR_DATA;
        }
    }
    if (st == VN_OK)
        st = read_slices(&r, ev, flags & F_STORE, flags & F_SKETCH, cfg.by_count);
    if (st == VN_OK) {
        vn__eval_add_counts(ev, 0, 0, 0, 0, flags & F_WEIGHTED);
        if (auto_block)
            vn__eval_set_auto_block(ev);
    }
    for (size_t c = 0; by && c < cfg.by_count; c++)
        vn__free(by[c]);
    vn__free(by);
    vn__free(list);
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        else if (ev && !errbuf[0])
            vn__fmt(errbuf, errlen, "%s", vn_eval_errmsg(ev));
        vn_eval_free(ev);
        return st;
    }
    *out = ev;
    return VN_OK;
}

/* ---- merging ---- */

static bool same_setup(const vn__eval_meta *a, const vn__eval_meta *b, char *msg, size_t len)
{
    if (a->nms != b->nms) {
        vn__fmt(msg, len, "cannot merge: %zu metrics against %zu", a->nms, b->nms);
        return false;
    }
    for (size_t i = 0; i < a->nms; i++)
        if (strcmp(a->ms[i].key, b->ms[i].key) != 0) {
            vn__fmt(msg, len, "cannot merge: metric %zu is %s here and %s there", i + 1,
                    a->ms[i].key, b->ms[i].key);
            return false;
        }
    if (a->by_count != b->by_count) {
        vn__fmt(msg, len, "cannot merge: %zu by columns against %zu", a->by_count, b->by_count);
        return false;
    }
    for (size_t c = 0; c < a->by_count; c++)
        if (strcmp(a->by_names[c], b->by_names[c]) != 0) {
            vn__fmt(msg, len, "cannot merge: by column %zu is %s here and %s there", c + 1,
                    a->by_names[c], b->by_names[c]);
            return false;
        }
    if (a->opts.zero != b->opts.zero || a->opts.r2c != b->opts.r2c ||
        a->min_count != b->min_count || a->ci.level != b->ci.level ||
        a->ci.method != b->ci.method || a->ci.resamples != b->ci.resamples ||
        a->ci.seed != b->ci.seed || a->ci.block != b->ci.block ||
        a->auto_block != b->auto_block) {
        vn__fmt(msg, len, "cannot merge: the policies or intervals differ");
        return false;
    }
    if (a->ncols != b->ncols) {
        vn__fmt(msg, len, "cannot merge: %zu input columns against %zu", a->ncols, b->ncols);
        return false;
    }
    for (size_t k = 0; k < a->ncols; k++)
        if (strcmp(a->col_names[k], b->col_names[k]) != 0) {
            vn__fmt(msg, len, "cannot merge: input column %zu is %s here and %s there", k + 1,
                    a->col_names[k], b->col_names[k]);
            return false;
        }
    return true;
}

vn_status vn_eval_merge(vn_eval *into, const vn_eval *from, char *errbuf, size_t errlen)
{
    vn__eval_meta a, b;
    vn__eval_get_meta(into, &a);
    vn__eval_get_meta(from, &b);
    VN_RETURN_IF(into == from, VN_ERR_USAGE, "cannot merge an evaluation into itself");
    VN_RETURN_IF(a.failed || b.failed, VN_ERR_USAGE, "cannot merge a failed evaluation: %s",
                 a.failed ? vn_eval_errmsg(into) : vn_eval_errmsg(from));
    char msg[300];
    VN_RETURN_IF(!same_setup(&a, &b, msg, sizeof msg), VN_ERR_USAGE, "%s", msg);
    VN_RETURN_IF(vn__eval_derive(into) != VN_OK || vn__eval_derive(from) != VN_OK,
                 VN_ERR_NOMEM, "out of memory");
    vn__eval_slice_view va, vb;
    vn__eval_get_slice(into, 0, &va);
    vn__eval_get_slice(from, 0, &vb);
    VN_RETURN_IF(!va.qsk != !vb.qsk, VN_ERR_USAGE,
                 "cannot merge: one evaluation keeps a quantile sketch, the other exact quantiles");
    vn__acc *tmp = vn__malloc(vn__acc_size(a.plan));
    vn__acc *blk = vn__malloc(vn__acc_size(a.plan));
    vn_status st = tmp && blk ? VN_OK : VN_ERR_NOMEM;
    const bool store = a.plan->needs & NEED_STORE;
    for (size_t s = 0; st == VN_OK && s < b.nslices; s++) {
        vn__eval_slice_view v;
        vn__eval_get_slice(from, s, &v);
        whole_state(a.plan, &v, tmp, blk);
        if (v.abs_only) /* only |e| kept */
            st = vn__eval_absorb(into, s ? v.key : NULL, v.keylen, tmp, NULL, v.ae, v.aw, NULL,
                                 v.an, NULL);
        else
            st = vn__eval_absorb(into, s ? v.key : NULL, v.keylen, tmp, v.y, v.p, v.w, v.x,
                                 store ? v.len : 0, v.qsk);
    }
    vn__free(tmp);
    vn__free(blk);
    if (st == VN_OK)
        vn__eval_add_counts(into, b.rows_seen, b.rows_zero_weight, b.rows_missing, b.rows_read,
                            b.weighted);
    else if (st == VN_ERR_NOMEM) /* into may hold part of from: it is spent */
        vn__eval_fail(into, st, "out of memory while merging");
    VN_RETURN_IF(st != VN_OK, st, "%s", vn_eval_errmsg(into));
    return VN_OK;
}

size_t vn_eval_by_count(const vn_eval *ev)
{
    vn__eval_meta m;
    vn__eval_get_meta(ev, &m);
    return m.by_count;
}
