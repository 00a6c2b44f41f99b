/*
 * drift.c — has the data moved between a reference and a current table? (`vernier
 * drift`, docs/drift.md). Per column: psi, Kolmogorov–Smirnov, Wasserstein-1 normed by
 * the reference's standard deviation, the Jensen–Shannon distance and the chi-square
 * test of homogeneity; a verdict per column and for the dataset. Writers: drift_out.c.
 *
 * Reading. Columns are matched by name. While every non-missing cell of a column reads
 * as a number the column is numeric; its distinct texts are interned beside the numbers
 * (up to max_values), so that a column that turns out to be text has its category
 * counts already, in either file.
 *
 * Two ways through the numbers:
 *  - in memory (ks or wasserstein asked for): the numbers of both files are held and
 *    sorted (an LSD radix sort on order-preserving keys, scratch through the hook);
 *    every statistic is one merge walk over the two sorted samples;
 *  - streamed (only binned statistics): nothing per row is held. The quantile cuts of
 *    the reference are order statistics found by radix refinement over passes: the first
 *    pass counts the values by the top 16 bits of their key; each further pass either
 *    collects the values of a bucket that holds a wanted rank (when it has at most
 *    max_collect of them) and selects in it, or counts them by the next 12 bits. A rank
 *    is found in at most five passes (16 + 4 × 12 = 64 bits), usually two or three. The
 *    current file is then read once, each value counted into its bin.
 * Both ways cut the same bins (the same order statistics), so psi, jensen_shannon and
 * chi2 agree bit for bit (tests/unit/test_drift.c).
 *
 * Definitions (sources): psi — Yurdakul (2018), "Statistical properties of population
 * stability index"; Kolmogorov–Smirnov — Smirnov (1939), the p-value as stats.h says;
 * Wasserstein-1 between empirical distributions, ∫|F − G| dx (Villani 2009, ch. 6);
 * Jensen–Shannon — Lin (1991), IEEE Trans. Inf. Theory 37, 145–151; chi-square test of
 * homogeneity — Pearson (1900), df = categories − 1.
 */
#include "csv.h"
#include "eval.h"
#include "monitor.h"
#include "numparse.h"
#include "stats.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

#define NONE UINT32_MAX

enum { REF = 0, CUR = 1 };
enum { MAX_BINS = 100, L1_BITS = 16, LN_BITS = 12, EXACT_MAX = 10000 };

/* ---- keys and sorting ---- */

/* An order-preserving integer key of a number (not NaN, −0.0 made +0.0 first): the
 * sign bit set for a positive one, every bit flipped for a negative one. */
static inline uint64_t key_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

static inline double value_of(uint64_t k)
{
    const uint64_t u = k >> 63 ? k & ~((uint64_t)1 << 63) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Sorts x[0..n) ascending: LSD radix sort on the keys, 11 bits a pass (6 passes), with
 * n doubles of scratch through the hook. Returns false when the scratch cannot be had. */
static bool sort_doubles(double *x, size_t n)
{
    if (n < 2)
        return true;
    uint64_t *const scratch = vn__malloc(n * sizeof *scratch);
    if (!scratch)
        return false;
    uint64_t *a = (uint64_t *)x, *b = scratch;
    for (size_t i = 0; i < n; i++)
        a[i] = key_of(x[i]);
    size_t cnt[2048];
    for (int shift = 0; shift < 64; shift += 11) {
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(a[i] >> shift) & 2047]++;
        bool same = false; /* every key has this digit: the pass would move nothing */
        for (size_t d = 0; d < 2048; d++)
            same = same || cnt[d] == n;
        if (same)
            continue;
        for (size_t d = 0, s = 0; d < 2048; d++) {
            const size_t c = cnt[d];
            cnt[d] = s;
            s += c;
        }
        for (size_t i = 0; i < n; i++)
            b[cnt[(a[i] >> shift) & 2047]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    if (a == scratch)
        memcpy(x, scratch, n * sizeof *scratch);
    const uint64_t *k = (const uint64_t *)x;
    for (size_t i = 0; i < n; i++)
        x[i] = value_of(k[i]);
    vn__free(scratch);
    return true;
}

/* ---- columns ---- */

/* A distinct text of a categorical column, with its count in each file. */
typedef struct cat {
    size_t off, len;
    uint64_t n[2];
} cat;

/* A group of keys [lo, hi] of the reference that holds wanted ranks (streaming). */
typedef struct qgroup {
    uint64_t lo, hi;   /* the keys it spans */
    uint64_t below;    /* reference values with a smaller key */
    uint64_t count;    /* values in the group */
    unsigned bits;     /* key bits fixed by the group */
    double *vals;      /* this pass: its values (when count <= max_collect) */
    size_t nv;
    uint64_t *hist;    /* or: its values counted by the next bits */
} qgroup;

typedef struct column {
    char *name;
    size_t idx[2];          /* in each file */
    bool numeric, capped, bad_utf8;
    uint64_t empty[2], nonfinite[2], nnum[2];
    vn__ksum sum[2];        /* of the numbers (streaming means) */
    /* in memory */
    double *v[2];
    size_t vcap[2];
    /* categories */
    char *arena;
    size_t alen, acap;
    cat *cats;
    size_t ncats, ccap;
    uint32_t *table;
    size_t tcap;
    /* streaming: the level-1 histogram, the groups being refined, the cuts found */
    uint64_t *hist1;
    qgroup *groups;
    size_t ngroups;
    uint64_t rank[MAX_BINS];   /* wanted ranks (1-based) */
    size_t grp[MAX_BINS];      /* the group holding each, while unresolved */
    double cutv[MAX_BINS];     /* the order statistic of each rank */
    uint64_t cutle[MAX_BINS];  /* reference values <= it */
    bool found[MAX_BINS];
    size_t nrank;
    /* bins: cuts e[0..ncut), bin k = (e[k−1], e[k]], the last open above */
    double cuts[MAX_BINS];
    size_t ncut;
    uint64_t *bin[2];
    char note[300];
    char change[160];
    vn_drift_column pub;
} column;

struct vn_drift {
    vn_drift_info info;
    vn_drift_config cfg;
    column *cols;
    size_t ncols;
    vn_drift_column *pub;
    char **notes;
    size_t nnotes;
    char *ref_path, *cur_path;
    bool stream;
};

/* ---- notes and small helpers ---- */

static vn_status note(vn_drift *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static vn_status note(vn_drift *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const vn_status st = vn__lines_add(&x->notes, &x->nnotes, fmt, ap);
    va_end(ap);
    return st;
}

/* The column stops interning (too many values, or not UTF-8): its counts are dropped. */
static void stop_interning(column *c)
{
    vn__free(c->table);
    vn__free(c->arena);
    vn__free(c->cats);
    c->table = NULL;
    c->arena = NULL;
    c->cats = NULL;
    c->tcap = c->ncats = c->ccap = c->alen = c->acap = 0;
    c->capped = true;
}

static vn_status rehash(column *c, size_t cap)
{
    uint32_t *t = vn__calloc(cap, sizeof *t);
    if (!t)
        return VN_ERR_NOMEM;
    for (size_t k = 0; k < c->ncats; k++) {
        size_t h = (size_t)vn__fnv1a(c->arena + c->cats[k].off, c->cats[k].len) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)k + 1;
    }
    vn__free(c->table);
    c->table = t;
    c->tcap = cap;
    return VN_OK;
}

/* Counts text f[0..len) in file w; *fresh says whether it is new. Stops interning when
 * the column goes over max_values. */
static vn_status intern(column *c, int w, const char *f, size_t len, size_t max_values, bool *fresh)
{
    *fresh = false;
    if (!c->table)
        VN_TRY(rehash(c, 64));
    size_t h = (size_t)vn__fnv1a(f, len) & (c->tcap - 1);
    for (; c->table[h]; h = (h + 1) & (c->tcap - 1)) {
        cat *k = &c->cats[c->table[h] - 1];
        if (k->len == len && memcmp(c->arena + k->off, f, len) == 0) {
            k->n[w]++;
            return VN_OK;
        }
    }
    if (c->ncats == max_values) {
        stop_interning(c);
        return VN_OK;
    }
    if (!vn__grow((void **)&c->arena, &c->acap, c->alen + len + 1, 1) ||
        !vn__grow((void **)&c->cats, &c->ccap, c->ncats + 1, sizeof *c->cats))
        return VN_ERR_NOMEM;
    memcpy(c->arena + c->alen, f, len);
    c->arena[c->alen + len] = '\0';
    c->cats[c->ncats] = (cat){c->alen, len, {0, 0}};
    c->cats[c->ncats].n[w] = 1;
    c->alen += len + 1;
    c->table[h] = (uint32_t)++c->ncats;
    *fresh = true;
    if (2 * c->ncats > c->tcap)
        VN_TRY(rehash(c, 2 * c->tcap));
    return VN_OK;
}

/* The column stops being numeric: what was kept of its numbers goes. */
static void drop_numbers(column *c)
{
    c->numeric = false;
    for (int w = 0; w < 2; w++) {
        vn__free(c->v[w]);
        c->v[w] = NULL;
        c->vcap[w] = 0;
        vn__free(c->bin[w]);
        c->bin[w] = NULL;
    }
    vn__free(c->hist1);
    c->hist1 = NULL;
}

static bool skipped(const column *c) { return !c->numeric && (c->capped || c->bad_utf8); }

/* ---- reading ---- */

typedef enum pass {
    P_MEMORY,  /* hold the numbers */
    P_FIRST,   /* streaming, the reference: level-1 histogram */
    P_REFINE,  /* streaming, the reference again: the groups being refined */
    P_COUNT,   /* streaming, the current file: count into bins */
} pass;

static size_t bin_of(const column *c, double v)
{
    size_t lo = 0, hi = c->ncut; /* the first cut >= v; ncut when none */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (c->cuts[mid] >= v)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The group of column c whose keys hold k (groups sorted by lo, disjoint), or NULL. */
static qgroup *group_of(column *c, uint64_t k)
{
    size_t lo = 0, hi = c->ngroups;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (c->groups[mid].hi < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->ngroups && c->groups[lo].lo <= k ? &c->groups[lo] : NULL;
}

static vn_status take_number(vn_drift *x, column *c, int w, double v, pass ps)
{
    if (v == 0.0)
        v = 0.0; /* −0.0 and +0.0 are one value */
    if (ps != P_REFINE)
        c->nnum[w]++;
    switch (ps) {
    case P_MEMORY:
        if (c->nnum[w] > c->vcap[w]) {
            const size_t cap = c->vcap[w] ? 2 * c->vcap[w] : 256;
            double *p = vn__realloc(c->v[w], cap * sizeof *p);
            if (!p)
                return VN_ERR_NOMEM;
            c->v[w] = p;
            c->vcap[w] = cap;
        }
        c->v[w][c->nnum[w] - 1] = v;
        break;
    case P_FIRST:
        vn__ksum_add(&c->sum[w], v);
        c->hist1[key_of(v) >> (64 - L1_BITS)]++;
        break;
    case P_REFINE: {
        const uint64_t k = key_of(v);
        qgroup *g = group_of(c, k);
        if (g && g->vals)
            g->vals[g->nv++] = v;
        else if (g)
            g->hist[(k - g->lo) >> (64 - g->bits - LN_BITS)]++;
        break;
    }
    case P_COUNT:
        vn__ksum_add(&c->sum[w], v);
        c->bin[w][bin_of(c, v)]++;
        break;
    }
    (void)x;
    return VN_OK;
}

/* Cell f[0..len) of column c in file w. */
static vn_status take_cell(vn_drift *x, column *c, int w, const vn__csv *r, pass ps)
{
    size_t len;
    const char *f = vn__csv_field(r, c->idx[w], &len);
    if (ps == P_REFINE) { /* numeric columns only, numbers only */
        double v;
        if (c->numeric && len && vn__parse_double(f, len, &v) == VN__NUM_OK)
            return take_number(x, c, w, v, ps);
        return VN_OK;
    }
    if (len == 0) {
        c->empty[w]++;
        return VN_OK;
    }
    if (c->numeric) {
        double v;
        const vn__num k = vn__parse_double(f, len, &v);
        if (k == VN__NUM_OK)
            VN_TRY(take_number(x, c, w, v, ps));
        else if (k == VN__NUM_NONFINITE || k == VN__NUM_RANGE)
            c->nonfinite[w]++;
        else
            drop_numbers(c);
    }
    if (c->capped)
        return VN_OK;
    bool fresh;
    VN_TRY(intern(c, w, f, len, x->cfg.max_values, &fresh));
    if (fresh && !vn__utf8_valid((const unsigned char *)f, len)) {
        vn__fmt(c->note, sizeof c->note, "%s:%llu:%llu: not valid UTF-8: left out", vn__csv_name(r),
                (unsigned long long)vn__csv_field_line(r, c->idx[w]),
                (unsigned long long)vn__csv_field_col(r, c->idx[w]));
        c->bad_utf8 = true;
        drop_numbers(c);
        stop_interning(c);
    }
    return VN_OK;
}

static vn_status open_csv(const vn_drift *x, const char *path, vn__csv **r, char *errbuf, size_t errlen)
{
    return vn__csv_open_dialect(path, x->cfg.delimiter, x->cfg.header, x->cfg.max_field, r, errbuf,
                                errlen);
}

/* One pass over file w, through r when it is open (the header read, nothing else; it
 * is freed), else through a new reader. */
static vn_status read_pass(vn_drift *x, int w, pass ps, vn__csv *r, char *errbuf, size_t errlen)
{
    if (!r)
        VN_TRY(open_csv(x, w == REF ? x->ref_path : x->cur_path, &r, errbuf, errlen));
    uint64_t rows = 0;
    vn_status st = VN_OK;
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            vn__fmt(errbuf, errlen, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        rows++;
        for (size_t j = 0; j < x->ncols && st == VN_OK; j++) {
            column *c = &x->cols[j];
            if (!skipped(c) && (ps != P_REFINE || c->ngroups))
                st = take_cell(x, c, w, r, ps);
        }
    }
    if (st == VN_OK && ps != P_REFINE) {
        *(w == REF ? &x->info.ref_rows : &x->info.cur_rows) = rows;
        if (rows == 0) {
            vn__fmt(errbuf, errlen, "%s: no data rows%s", vn__csv_name(r),
                    x->cfg.header ? " after the header" : "");
            st = VN_ERR_DATA;
        }
    }
    vn__csv_free(r);
    return st;
}

/* The first column of r named exactly name, or SIZE_MAX. */
static size_t find_name(const vn__csv *r, const char *name)
{
    for (size_t i = 0; i < vn__csv_ncols(r); i++)
        if (vn__csv_colname(r, i) && strcmp(vn__csv_colname(r, i), name) == 0)
            return i;
    return SIZE_MAX;
}

/* The columns: those named, or every column of the reference also in the current file
 * (by name; with header = 0 by position). Columns in one file only get a note. r[] are
 * the two readers, opened (the headers read). */
static vn_status choose_columns(vn_drift *x, vn__csv *const r[2], char *errbuf, size_t errlen)
{
    vn_status st = VN_OK;
    const size_t nf = vn__csv_ncols(r[REF]);
    const size_t want = x->cfg.column_count ? x->cfg.column_count : nf;
    x->cols = vn__calloc(want ? want : 1, sizeof *x->cols);
    if (!x->cols)
        return VN_ERR_NOMEM;
    for (size_t k = 0; st == VN_OK && k < want; k++) {
        size_t idx[2] = {k, SIZE_MAX};
        char num[24];
        const char *name;
        if (x->cfg.column_count) {
            st = vn__csv_find_column(r[REF], x->cfg.columns[k], "compared", &idx[REF], errbuf, errlen);
            if (st != VN_OK)
                break;
        }
        vn__fmt(num, sizeof num, "%zu", idx[REF] + 1);
        name = x->cfg.header ? vn__csv_colname(r[REF], idx[REF]) : num;
        if (x->cfg.column_count) {
            st = vn__csv_find_column(r[CUR], x->cfg.header ? name : num, "compared", &idx[CUR], errbuf, errlen);
            if (st != VN_OK)
                break;
        } else {
            char e2[8];
            if (vn__csv_find_column(r[CUR], name, "compared", &idx[CUR], e2, sizeof e2) != VN_OK) {
                st = note(x, "column \"%s\" is only in the reference: not compared", name);
                continue;
            }
        }
        bool dup = false;
        for (size_t j = 0; j < x->ncols; j++)
            dup = dup || x->cols[j].idx[REF] == idx[REF];
        if (dup)
            continue;
        column *c = &x->cols[x->ncols++];
        c->idx[REF] = idx[REF];
        c->idx[CUR] = idx[CUR];
        c->numeric = true;
        c->name = vn__strdup(name);
        if (!c->name)
            st = VN_ERR_NOMEM;
        else if (x->stream && !(c->hist1 = vn__calloc((size_t)1 << L1_BITS, sizeof *c->hist1)))
            st = VN_ERR_NOMEM;
    }
    if (st == VN_OK && !x->cfg.column_count && x->cfg.header) {
        const size_t ncur = vn__csv_ncols(r[CUR]);
        for (size_t k = 0; st == VN_OK && k < ncur; k++) {
            const char *name = vn__csv_colname(r[CUR], k);
            if (find_name(r[REF], name) == SIZE_MAX)
                st = note(x, "column \"%s\" is only in the current file: not compared", name);
        }
    }
    return st;
}

/* ---- streaming: the reference's order statistics by radix refinement ---- */

/* Sorts gs[0..n) by key (n <= MAX_BINS: insertion; qsort may allocate behind the hook). */
static void sort_groups(qgroup *gs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const qgroup g = gs[i];
        size_t j = i;
        for (; j > 0 && gs[j - 1].lo > g.lo; j--)
            gs[j] = gs[j - 1];
        gs[j] = g;
    }
}

/* The group of keys [lo, lo + 2^(64 − bits) − 1] in gs[0..*ng), added when new. */
static size_t add_group(qgroup *gs, size_t *ng, uint64_t lo, unsigned bits, uint64_t below,
                        uint64_t count)
{
    for (size_t i = 0; i < *ng; i++)
        if (gs[i].lo == lo && gs[i].bits == bits)
            return i;
    const uint64_t span = bits >= 64 ? 0 : ((uint64_t)1 << (64 - bits)) - 1;
    gs[*ng] = (qgroup){lo, lo + span, below, count, bits, NULL, 0, NULL};
    return (*ng)++;
}

/* Wanted rank k of c lies in group gs[g], which holds `count` values: resolve it at
 * once when the group is a single key, else remember the group. */
static void place(column *c, size_t k, const qgroup *gs, size_t g)
{
    if (gs[g].bits >= 64) {
        c->cutv[k] = value_of(gs[g].lo);
        c->cutle[k] = gs[g].below + gs[g].count;
        c->found[k] = true;
    } else {
        c->grp[k] = g;
    }
}

/* Makes gs[0..ng) the open groups of c: those a wanted rank still points to, sorted by
 * key (group_of searches them), each with this pass's storage — room for its values
 * when it has at most max_collect, else a histogram of its next LN_BITS bits. Takes gs. */
static vn_status open_groups(column *c, qgroup *gs, size_t ng, size_t max_collect)
{
    bool used[MAX_BINS] = {false};
    for (size_t k = 0; k < c->nrank; k++)
        if (!c->found[k])
            used[c->grp[k]] = true;
    size_t map[MAX_BINS], nn = 0;
    for (size_t i = 0; i < ng; i++) {
        map[i] = SIZE_MAX;
        if (used[i]) {
            gs[nn] = gs[i];
            map[i] = nn++;
        }
    }
    for (size_t k = 0; k < c->nrank; k++)
        if (!c->found[k])
            c->grp[k] = map[c->grp[k]];
    if (nn > 1) { /* sort, and follow the groups to their new places */
        qgroup tmp[MAX_BINS];
        memcpy(tmp, gs, nn * sizeof *gs);
        sort_groups(gs, nn);
        for (size_t k = 0; k < c->nrank; k++)
            if (!c->found[k])
                for (size_t j = 0; j < nn; j++)
                    if (gs[j].lo == tmp[c->grp[k]].lo) {
                        c->grp[k] = j;
                        break;
                    }
    }
    c->groups = gs;
    c->ngroups = nn;
    for (size_t i = 0; i < nn; i++) {
        qgroup *g = &gs[i];
        if (g->count <= max_collect)
            g->vals = vn__malloc((size_t)(g->count ? g->count : 1) * sizeof *g->vals);
        else
            g->hist = vn__calloc((size_t)1 << LN_BITS, sizeof *g->hist);
        if (!g->vals && !g->hist)
            return VN_ERR_NOMEM;
    }
    return VN_OK;
}

/* After the first pass over the reference: the wanted ranks ceil(k·n/B), k = 1 … B − 1,
 * and the level-1 buckets (top L1_BITS of the key) that hold them. */
static vn_status first_groups(vn_drift *x, column *c)
{
    const uint64_t n = c->nnum[REF];
    const unsigned B = x->cfg.bins;
    c->nrank = 0;
    if (n > 0)
        for (unsigned k = 1; k < B; k++) { /* ceil(k n / B) without overflow */
            const uint64_t q = n / B, rem = n % B;
            c->rank[c->nrank++] = q * k + (rem * k + B - 1) / B;
        }
    qgroup *gs = vn__calloc(c->nrank ? c->nrank : 1, sizeof *gs);
    if (!gs)
        return VN_ERR_NOMEM;
    size_t ng = 0;
    for (size_t k = 0; k < c->nrank; k++) {
        uint64_t cum = 0;
        size_t b = 0;
        while (cum + c->hist1[b] < c->rank[k]) /* the rank exists: b stays in range */
            cum += c->hist1[b++];
        const size_t g = add_group(gs, &ng, (uint64_t)b << (64 - L1_BITS), L1_BITS, cum, c->hist1[b]);
        place(c, k, gs, g);
    }
    vn__free(c->hist1);
    c->hist1 = NULL;
    return open_groups(c, gs, ng, x->cfg.max_collect);
}

/* After a refining pass: a collected group gives its order statistics (sorted once);
 * a counted group hands each rank to the narrower group of its sub-bucket. */
static vn_status settle(column *c, size_t max_collect)
{
    for (size_t i = 0; i < c->ngroups; i++) {
        qgroup *g = &c->groups[i];
        if (g->vals && g->nv != g->count)
            return VN_ERR_IO; /* the file changed between passes */
        if (g->vals && !sort_doubles(g->vals, g->nv))
            return VN_ERR_NOMEM;
    }
    qgroup *next = vn__calloc(c->nrank ? c->nrank : 1, sizeof *next);
    if (!next)
        return VN_ERR_NOMEM;
    size_t nn = 0;
    vn_status st = VN_OK;
    for (size_t k = 0; k < c->nrank; k++) {
        if (c->found[k])
            continue;
        const qgroup *g = &c->groups[c->grp[k]];
        const uint64_t r = c->rank[k] - g->below; /* 1-based within the group */
        if (g->vals) {
            const double v = g->vals[r - 1];
            size_t le = (size_t)r;
            while (le < g->nv && g->vals[le] == v)
                le++;
            c->cutv[k] = v;
            c->cutle[k] = g->below + le;
            c->found[k] = true;
            continue;
        }
        uint64_t cum = 0;
        size_t b = 0;
        while (b < ((size_t)1 << LN_BITS) && cum + g->hist[b] < r)
            cum += g->hist[b++];
        if (b == ((size_t)1 << LN_BITS)) {
            st = VN_ERR_IO;
            break;
        }
        const unsigned bits = g->bits + LN_BITS;
        const uint64_t lo = g->lo + ((uint64_t)b << (64 - bits));
        place(c, k, next, add_group(next, &nn, lo, bits, g->below + cum, g->hist[b]));
    }
    for (size_t i = 0; i < c->ngroups; i++) {
        vn__free(c->groups[i].vals);
        vn__free(c->groups[i].hist);
    }
    vn__free(c->groups);
    c->groups = NULL;
    c->ngroups = 0;
    if (st != VN_OK) {
        vn__free(next);
        return st;
    }
    return open_groups(c, next, nn, max_collect);
}

static bool refining(const vn_drift *x)
{
    for (size_t j = 0; j < x->ncols; j++)
        if (x->cols[j].numeric && x->cols[j].ngroups)
            return true;
    return false;
}

/* The cuts from the order statistics (equal ones merged) and the reference's bin counts
 * from the number of values at or below each. */
static vn_status cuts_from_ranks(column *c)
{
    c->ncut = 0;
    uint64_t le[MAX_BINS];
    for (size_t k = 0; k < c->nrank; k++) {
        if (c->ncut && c->cuts[c->ncut - 1] == c->cutv[k])
            continue;
        c->cuts[c->ncut] = c->cutv[k];
        le[c->ncut++] = c->cutle[k];
    }
    for (int w = 0; w < 2; w++) {
        c->bin[w] = vn__calloc(c->ncut + 1, sizeof *c->bin[w]);
        if (!c->bin[w])
            return VN_ERR_NOMEM;
    }
    for (size_t k = 0; k <= c->ncut; k++)
        c->bin[REF][k] = (k < c->ncut ? le[k] : c->nnum[REF]) - (k ? le[k - 1] : 0);
    return VN_OK;
}

/* ---- in memory: cuts and counts from the sorted samples ---- */

/* Values of sorted a[0..n) at or below v. */
static size_t count_le(const double *a, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static vn_status cuts_from_sorted(const vn_drift *x, column *c)
{
    const uint64_t n = c->nnum[REF];
    const unsigned B = x->cfg.bins;
    c->nrank = 0;
    for (unsigned k = 1; k < B && n; k++) {
        const uint64_t q = n / B, rem = n % B;
        const uint64_t r = q * k + (rem * k + B - 1) / B;
        c->rank[c->nrank] = r;
        c->cutv[c->nrank] = c->v[REF][r - 1];
        c->cutle[c->nrank] = count_le(c->v[REF], (size_t)n, c->cutv[c->nrank]);
        c->nrank++;
    }
    VN_TRY(cuts_from_ranks(c));
    size_t prev = 0;
    for (size_t k = 0; k <= c->ncut; k++) {
        const size_t le = k < c->ncut ? count_le(c->v[CUR], (size_t)c->nnum[CUR], c->cuts[k])
                                      : (size_t)c->nnum[CUR];
        c->bin[CUR][k] = le - prev;
        prev = le;
    }
    return VN_OK;
}

/* ---- the statistics ---- */

/* Mean and population standard deviation (ddof 0) of a[0..n), two-pass, compensated. */
static void moments(const double *a, size_t n, double *mean, double *sd)
{
    vn__ksum s = {0, 0};
    for (size_t i = 0; i < n; i++)
        vn__ksum_add(&s, a[i]);
    const double m = vn__ksum_get(&s) / (double)n;
    vn__ksum q = {0, 0}, d = {0, 0};
    for (size_t i = 0; i < n; i++) {
        vn__ksum_add(&q, (a[i] - m) * (a[i] - m));
        vn__ksum_add(&d, a[i] - m);
    }
    const double dd = vn__ksum_get(&d);
    const double ss = vn__ksum_get(&q) - dd * dd / (double)n;
    *mean = m;
    *sd = sqrt(ss > 0 ? ss / (double)n : 0.0);
}

/* KS and Wasserstein-1 in one merge walk over sorted a[0..m) and b[0..n). At each
 * distinct value v, i and j count the values <= v; the ECDF gap there is
 * |i n − j m| / (m n), exact in integers, and W1 = Σ gap · (next value − v). */
static void ks_w1(const double *a, uint64_t m, const double *b, uint64_t n, uint64_t *dmn, double *w1)
{
    uint64_t i = 0, j = 0, best = 0;
    vn__ksum area = {0, 0};
    double prev = 0;
    uint64_t gap = 0;
    bool first = true;
    while (i < m || j < n) {
        const double v = j >= n || (i < m && a[i] <= b[j]) ? a[i] : b[j];
        if (!first)
            vn__ksum_add(&area, (double)gap * (v - prev));
        while (i < m && a[i] == v)
            i++;
        while (j < n && b[j] == v)
            j++;
        const uint64_t in = i * n, jm = j * m;
        gap = in > jm ? in - jm : jm - in;
        if (gap > best)
            best = gap;
        prev = v;
        first = false;
    }
    *dmn = best;
    *w1 = vn__ksum_get(&area) / ((double)m * (double)n);
}

/* psi, the Jensen–Shannon distance and the chi-square test from two count vectors over
 * the same k cells (bins or categories, in a fixed order). Every formula is symmetric
 * in the two files and is summed cell by cell in that order, so swapping the files
 * gives the same bits. */
static void binned(const uint64_t *rc, const uint64_t *cc, size_t k, uint64_t m, uint64_t n,
                   double floor_, double *psi, double *js, double *chi2, double *df, size_t *moved)
{
    vn__ksum sp = {0, 0}, sa = {0, 0}, sb = {0, 0}, sc = {0, 0};
    size_t used = 0;
    double most = -1;
    *moved = 0;
    const double N = (double)m + (double)n;
    for (size_t i = 0; i < k; i++) {
        const double p = (double)rc[i] / (double)m, q = (double)cc[i] / (double)n;
        const double pf = rc[i] ? p : floor_, qf = cc[i] ? q : floor_;
        vn__ksum_add(&sp, (qf - pf) * (log(qf) - log(pf)));
        const double mid = 0.5 * (p + q);
        if (rc[i])
            vn__ksum_add(&sa, p * log(p / mid));
        if (cc[i])
            vn__ksum_add(&sb, q * log(q / mid));
        const double tot = (double)rc[i] + (double)cc[i];
        if (tot > 0) {
            used++;
            const double er = (double)m * tot / N, ec = (double)n * tot / N;
            const double dr = (double)rc[i] - er, dc = (double)cc[i] - ec;
            vn__ksum_add(&sc, dr * dr / er + dc * dc / ec);
        }
        if (fabs(q - p) > most) {
            most = fabs(q - p);
            *moved = i;
        }
    }
    *psi = vn__ksum_get(&sp);
    const double jsd = 0.5 * (vn__ksum_get(&sa) + vn__ksum_get(&sb));
    *js = sqrt(jsd > 0 ? jsd : 0.0);
    *df = used >= 2 ? (double)(used - 1) : NAN;
    *chi2 = used >= 2 ? vn__ksum_get(&sc) : NAN;
}

static bool wants(const vn_drift *x, vn_drift_stat s) { return (x->cfg.stats >> s) & 1u; }

/* The test that decides a column. */
static vn_drift_stat decider(const vn_drift *x, const column *c)
{
    vn_drift_stat t = x->cfg.test;
    if (t == VN_DRIFT_AUTO || (!c->numeric && (t == VN_DRIFT_KS || t == VN_DRIFT_WASSERSTEIN))) {
        const bool small = c->nnum[REF] <= x->cfg.small;
        if (c->numeric)
            t = small ? VN_DRIFT_KS : VN_DRIFT_WASSERSTEIN;
        else
            t = (c->pub.ref_n <= x->cfg.small) ? VN_DRIFT_CHI2 : VN_DRIFT_JS;
        if (!wants(x, t))
            t = VN_DRIFT_PSI;
    }
    return t;
}

static void percent(char *buf, size_t len, double p)
{
    vn__fmt(buf, len, "%.1f%%", 100.0 * p);
}

/* A number for a label: the shortest form that reads back (vn_format_double). */
static void num_text(char *buf, size_t len, double v)
{
    vn_format_double(buf, len, v);
}

/* Categories in byte order (insertion into a sorted index: max_values is small). */
static vn_status sorted_cats(const column *c, size_t **out)
{
    size_t *o = vn__malloc((c->ncats ? c->ncats : 1) * sizeof *o);
    if (!o)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < c->ncats; i++) {
        const cat *ci = &c->cats[i];
        size_t j = i;
        for (; j > 0; j--) {
            const cat *cj = &c->cats[o[j - 1]];
            const size_t l = ci->len < cj->len ? ci->len : cj->len;
            int d = memcmp(c->arena + ci->off, c->arena + cj->off, l);
            if (d == 0)
                d = ci->len < cj->len ? -1 : ci->len > cj->len;
            if (d >= 0)
                break;
            o[j] = o[j - 1];
        }
        o[j] = i;
    }
    *out = o;
    return VN_OK;
}

static vn_status finish_column(vn_drift *x, column *c)
{
    vn_drift_column *p = &c->pub;
    const double nan = NAN;
    *p = (vn_drift_column){c->name, "skipped", 0, 0, 0, 0, 0, nan, nan, nan, nan, nan, nan, "",
                           nan, nan, nan, nan, nan, nan, VN_DRIFT_PSI, nan, nan, -1, c->change,
                           c->note};
    if (skipped(c)) {
        if (!*c->note)
            vn__fmt(c->note, sizeof c->note,
                    "not all numbers, and more than %zu distinct values: left out (an "
                    "identifier or free text is not a distribution to compare)",
                    x->cfg.max_values);
        return VN_OK;
    }
    p->kind = c->numeric ? "numeric" : "categorical";
    uint64_t ccount[2] = {0, 0};
    size_t *order = NULL;
    if (!c->numeric) {
        VN_TRY(sorted_cats(c, &order));
        for (size_t i = 0; i < c->ncats; i++)
            for (int w = 0; w < 2; w++)
                ccount[w] += c->cats[i].n[w];
    }
    for (int w = 0; w < 2; w++) {
        const uint64_t n = c->numeric ? c->nnum[w] : ccount[w];
        const uint64_t miss = c->empty[w] + (c->numeric ? c->nonfinite[w] : 0);
        *(w ? &p->cur_n : &p->ref_n) = n;
        *(w ? &p->cur_missing : &p->ref_missing) = miss;
    }
    vn_status st = VN_OK;
    if (p->ref_n == 0 || p->cur_n == 0) {
        vn__fmt(c->note, sizeof c->note, "no values in the %s file: not compared",
                p->ref_n == 0 ? "reference" : "current");
        vn__free(order);
        return VN_OK;
    }
    const uint64_t m = p->ref_n, n = p->cur_n;
    size_t moved = 0;
    if (c->numeric) {
        if (!x->stream) {
            for (int w = 0; w < 2 && st == VN_OK; w++)
                if (!sort_doubles(c->v[w], (size_t)c->nnum[w]))
                    st = VN_ERR_NOMEM;
            if (st != VN_OK)
                return st;
            double sd_cur;
            moments(c->v[REF], (size_t)m, &p->ref_mean, &p->ref_sd);
            moments(c->v[CUR], (size_t)n, &p->cur_mean, &sd_cur);
            if (wants(x, VN_DRIFT_KS) || wants(x, VN_DRIFT_WASSERSTEIN)) {
                uint64_t dmn;
                double w1;
                ks_w1(c->v[REF], m, c->v[CUR], n, &dmn, &w1);
                if (wants(x, VN_DRIFT_KS)) {
                    p->ks = (double)dmn / ((double)m * (double)n);
                    if (m <= EXACT_MAX && n <= EXACT_MAX) {
                        p->ks_p = vn__ks2_exact_p(m, n, dmn);
                        p->ks_method = "exact";
                        if (isnan(p->ks_p))
                            return VN_ERR_NOMEM;
                    } else {
                        const double en = (double)m * (double)n / ((double)m + (double)n);
                        p->ks_p = vn__kolmogorov_sf(sqrt(en) * p->ks);
                        p->ks_method = "asymptotic";
                    }
                }
                if (wants(x, VN_DRIFT_WASSERSTEIN)) {
                    p->wasserstein = w1;
                    p->wasserstein_normed = p->ref_sd > 0 ? w1 / p->ref_sd : NAN;
                    if (!(p->ref_sd > 0))
                        vn__fmt(c->note, sizeof c->note,
                                "the reference is constant: wasserstein is not normed (%s)",
                                w1 > 0 ? "the current values differ from it" : "so are the current values");
                }
            }
            VN_TRY(cuts_from_sorted(x, c));
        } else {
            p->ref_mean = vn__ksum_get(&c->sum[REF]) / (double)m;
            p->cur_mean = vn__ksum_get(&c->sum[CUR]) / (double)n;
        }
        p->bins = c->ncut + 1;
        binned(c->bin[REF], c->bin[CUR], c->ncut + 1, m, n, x->cfg.psi_floor, &p->psi, &p->js,
               &p->chi2, &p->chi2_df, &moved);
        char lo[40], hi[40], a[16], b[16];
        if (moved)
            num_text(lo, sizeof lo, c->cuts[moved - 1]);
        if (moved < c->ncut)
            num_text(hi, sizeof hi, c->cuts[moved]);
        percent(a, sizeof a, (double)c->bin[REF][moved] / (double)m);
        percent(b, sizeof b, (double)c->bin[CUR][moved] / (double)n);
        if (c->ncut == 0)
            c->change[0] = '\0';
        else if (moved == 0)
            vn__fmt(c->change, sizeof c->change, "<= %s: %s -> %s", hi, a, b);
        else if (moved == c->ncut)
            vn__fmt(c->change, sizeof c->change, "> %s: %s -> %s", lo, a, b);
        else
            vn__fmt(c->change, sizeof c->change, "(%s, %s]: %s -> %s", lo, hi, a, b);
    } else {
        const size_t k = c->ncats;
        uint64_t *cnt = vn__malloc(2 * (k ? k : 1) * sizeof *cnt);
        if (!cnt) {
            vn__free(order);
            return VN_ERR_NOMEM;
        }
        for (size_t i = 0; i < k; i++) {
            cnt[i] = c->cats[order[i]].n[REF];
            cnt[k + i] = c->cats[order[i]].n[CUR];
        }
        p->bins = k;
        binned(cnt, cnt + k, k, m, n, x->cfg.psi_floor, &p->psi, &p->js, &p->chi2, &p->chi2_df,
               &moved);
        char a[16], b[16], lab[64];
        percent(a, sizeof a, (double)cnt[moved] / (double)m);
        percent(b, sizeof b, (double)cnt[k + moved] / (double)n);
        const cat *mc = &c->cats[order[moved]];
        vn__fmt(lab, sizeof lab, "%.*s%s", mc->len > 40 ? 40 : (int)mc->len, c->arena + mc->off,
                mc->len > 40 ? "..." : "");
        vn__fmt(c->change, sizeof c->change, "%s: %s -> %s", lab, a, b);
        vn__free(cnt);
        vn__free(order);
    }
    p->chi2_p = isnan(p->chi2) ? NAN : vn__chi2_sf(p->chi2, p->chi2_df);
    const double nan2 = NAN;
    if (!wants(x, VN_DRIFT_PSI))
        p->psi = nan2;
    if (!wants(x, VN_DRIFT_JS))
        p->js = nan2;
    if (!wants(x, VN_DRIFT_CHI2))
        p->chi2 = p->chi2_df = p->chi2_p = nan2;
    if (isnan(p->chi2_df) && wants(x, VN_DRIFT_CHI2) && !*c->note)
        vn__fmt(c->note, sizeof c->note, "one %s in both files: no chi-square test",
                c->numeric ? "bin" : "value");
    /* the verdict */
    p->test = decider(x, c);
    p->threshold = x->cfg.threshold[p->test];
    const bool is_p = p->test == VN_DRIFT_KS || p->test == VN_DRIFT_CHI2;
    switch (p->test) {
    case VN_DRIFT_PSI: p->value = p->psi; break;
    case VN_DRIFT_KS: p->value = p->ks_p; break;
    case VN_DRIFT_WASSERSTEIN:
        p->value = p->wasserstein_normed;
        if (p->ref_sd == 0) /* a constant reference: any other value is drift */
            p->value = p->wasserstein > 0 ? INFINITY : 0.0;
        break;
    case VN_DRIFT_JS: p->value = p->js; break;
    case VN_DRIFT_CHI2:
        p->value = p->chi2_p;
        if (isnan(p->chi2_df)) /* one cell only: both files hold the same single value */
            p->value = 1.0;
        break;
    default: break;
    }
    if (isnan(p->value))
        p->drift = -1;
    else
        p->drift = is_p ? p->value < p->threshold : p->value >= p->threshold;
    return VN_OK;
}

/* ---- the public face ---- */

const char *vn_drift_stat_name(vn_drift_stat s)
{
    static const char *const names[] = {"auto", "psi", "ks", "wasserstein", "jensen_shannon", "chi2"};
    return (unsigned)s < VN_DRIFT_NSTATS ? names[s] : "?";
}

vn_status vn_drift_stat_parse(const char *name, vn_drift_stat *out)
{
    static const struct {
        const char *name;
        vn_drift_stat s;
    } map[] = {{"auto", VN_DRIFT_AUTO}, {"psi", VN_DRIFT_PSI}, {"ks", VN_DRIFT_KS},
               {"wasserstein", VN_DRIFT_WASSERSTEIN}, {"jensen_shannon", VN_DRIFT_JS},
               {"js", VN_DRIFT_JS}, {"chi2", VN_DRIFT_CHI2}, {"chisquare", VN_DRIFT_CHI2}};
    for (size_t i = 0; name && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].name) == 0) {
            *out = map[i].s;
            return VN_OK;
        }
    return VN_ERR_USAGE;
}

void vn_drift_config_init(vn_drift_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->header = 1;
    cfg->test = VN_DRIFT_AUTO;
    cfg->threshold[VN_DRIFT_AUTO] = NAN;
    cfg->threshold[VN_DRIFT_PSI] = 0.1;
    cfg->threshold[VN_DRIFT_KS] = 0.05;
    cfg->threshold[VN_DRIFT_WASSERSTEIN] = 0.1;
    cfg->threshold[VN_DRIFT_JS] = 0.1;
    cfg->threshold[VN_DRIFT_CHI2] = 0.05;
    cfg->bins = 10;
    cfg->psi_floor = 1e-4;
    cfg->drift_share = 0.5;
    cfg->small = 1000;
    cfg->max_values = 1000;
    cfg->max_collect = (size_t)1 << 18;
}

void vn_drift_free(vn_drift *x)
{
    if (!x)
        return;
    for (size_t j = 0; x->cols && j < x->ncols; j++) {
        column *c = &x->cols[j];
        for (size_t i = 0; i < c->ngroups; i++) {
            vn__free(c->groups[i].vals);
            vn__free(c->groups[i].hist);
        }
        void *owned[] = {c->name, c->v[0], c->v[1], c->arena, c->cats, c->table, c->hist1,
                         c->groups, c->bin[0], c->bin[1]};
        for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
            vn__free(owned[k]);
    }
    for (size_t i = 0; i < x->nnotes; i++)
        vn__free(x->notes[i]);
    void *owned[] = {x->cols, x->pub, x->notes, x->ref_path, x->cur_path};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        vn__free(owned[k]);
    vn__free(x);
}

static vn_status configure(vn_drift *x, const vn_drift_config *cfg, char *errbuf, size_t errlen)
{
    VN_RETURN_IF(cfg->bins < 2 || cfg->bins > MAX_BINS, VN_ERR_USAGE,
                 "bins must be between 2 and %d, not %u", MAX_BINS, cfg->bins);
    VN_RETURN_IF(!(cfg->psi_floor > 0 && cfg->psi_floor < 1), VN_ERR_USAGE,
                 "the psi floor must lie between 0 and 1, not %g", cfg->psi_floor);
    VN_RETURN_IF(!(cfg->drift_share > 0 && cfg->drift_share <= 1), VN_ERR_USAGE,
                 "the drift share must lie in (0, 1], not %g", cfg->drift_share);
    VN_RETURN_IF((unsigned)cfg->test >= VN_DRIFT_NSTATS, VN_ERR_USAGE, "unknown drift test");
    VN_RETURN_IF(cfg->max_values < 2 || cfg->max_values > 1000000, VN_ERR_USAGE,
                 "max_values must be between 2 and 1000000, not %zu", cfg->max_values);
    VN_RETURN_IF(cfg->max_collect < 1, VN_ERR_USAGE, "max_collect must be at least 1");
    VN_RETURN_IF(cfg->delimiter == '"' || cfg->delimiter == '\n' || cfg->delimiter == '\r',
                 VN_ERR_USAGE, "the delimiter cannot be a quote or a line break");
    VN_RETURN_IF(cfg->stats & ~(unsigned)0x3e, VN_ERR_USAGE, "unknown statistic in the set");
    for (int s = 1; s < VN_DRIFT_NSTATS; s++) {
        const double t = cfg->threshold[s];
        const bool pv = s == VN_DRIFT_KS || s == VN_DRIFT_CHI2;
        VN_RETURN_IF(!(t > 0) || (pv && !(t < 1)) || !isfinite(t), VN_ERR_USAGE,
                     "the %s threshold must be %s, not %g", vn_drift_stat_name((vn_drift_stat)s),
                     pv ? "a p-value between 0 and 1" : "positive", t);
    }
    x->cfg = *cfg;
    if (x->cfg.stats == 0)
        x->cfg.stats = 0x3e;
    if (x->cfg.test != VN_DRIFT_AUTO)
        x->cfg.stats |= 1u << x->cfg.test;
    vn_drift_info *in = &x->info;
    in->drift_share = cfg->drift_share;
    in->bins = cfg->bins;
    in->psi_floor = cfg->psi_floor;
    in->test = cfg->test;
    in->small = cfg->small;
    return VN_OK;
}

static vn_status conclude(vn_drift *x)
{
    vn_drift_info *in = &x->info;
    x->pub = vn__calloc(x->ncols ? x->ncols : 1, sizeof *x->pub);
    if (!x->pub)
        return VN_ERR_NOMEM;
    for (size_t j = 0; j < x->ncols; j++) {
        VN_TRY(finish_column(x, &x->cols[j]));
        x->pub[j] = x->cols[j].pub;
        in->tested += x->pub[j].drift >= 0;
        in->drifted += x->pub[j].drift == 1;
    }
    in->columns = x->ncols;
    in->share = in->tested ? (double)in->drifted / (double)in->tested : NAN;
    in->dataset_drift = in->tested && in->share >= in->drift_share;
    in->streamed = x->stream;
    for (size_t j = 0; j < x->ncols; j++) {
        const vn_drift_column *p = &x->pub[j];
        if (strcmp(p->kind, "skipped") == 0)
            VN_TRY(note(x, "column \"%s\": %s", p->name, p->note));
    }
    if (x->ncols == 0)
        VN_TRY(note(x, "no column is in both files: nothing to compare"));
    else if (in->tested == 0)
        VN_TRY(note(x, "no column could be tested"));
    else
        VN_TRY(note(x, "%zu of %zu tested columns drifted (%.0f%%): %s (the dataset drifts "
                       "from %.0f%% of its columns)",
                    in->drifted, in->tested, 100.0 * in->share,
                    in->dataset_drift ? "the dataset has drifted" : "no dataset drift",
                    100.0 * in->drift_share));
    return VN_OK;
}

static vn_status run_files(vn_drift *x, char *errbuf, size_t errlen)
{
    /* Both headers first; each reader then serves its file's first pass, so standard
     * input is read once. */
    vn__csv *r[2] = {NULL, NULL};
    vn_status st = open_csv(x, x->ref_path, &r[REF], errbuf, errlen);
    if (st == VN_OK)
        st = open_csv(x, x->cur_path, &r[CUR], errbuf, errlen);
    if (st == VN_OK)
        st = choose_columns(x, r, errbuf, errlen);
    if (st == VN_OK) {
        st = read_pass(x, REF, x->stream ? P_FIRST : P_MEMORY, r[REF], errbuf, errlen);
        r[REF] = NULL;
    }
    if (st == VN_OK && !x->stream) {
        st = read_pass(x, CUR, P_MEMORY, r[CUR], errbuf, errlen);
        r[CUR] = NULL;
    }
    for (size_t j = 0; st == VN_OK && x->stream && j < x->ncols; j++)
        if (x->cols[j].numeric)
            st = first_groups(x, &x->cols[j]);
    while (st == VN_OK && x->stream && refining(x)) {
        st = read_pass(x, REF, P_REFINE, NULL, errbuf, errlen);
        for (size_t j = 0; st == VN_OK && j < x->ncols; j++) {
            column *c = &x->cols[j];
            if (c->numeric && c->ngroups) {
                st = settle(c, x->cfg.max_collect);
                if (st == VN_ERR_IO)
                    vn__fmt(errbuf, errlen, "%s: the reference changed while it was read again",
                            x->ref_path);
            }
        }
    }
    for (size_t j = 0; st == VN_OK && x->stream && j < x->ncols; j++)
        if (x->cols[j].numeric)
            st = cuts_from_ranks(&x->cols[j]);
    if (st == VN_OK && x->stream) {
        st = read_pass(x, CUR, P_COUNT, r[CUR], errbuf, errlen);
        r[CUR] = NULL;
    }
    vn__csv_free(r[REF]);
    vn__csv_free(r[CUR]);
    return st == VN_OK ? conclude(x) : st;
}

/* The end of a constructor: x to *out, or freed with "out of memory" for NOMEM. */
static vn_status hand_over(vn_drift *x, vn_status st, vn_drift **out, char *errbuf, size_t errlen)
{
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_drift_free(x);
        return st;
    }
    x->info.reference = x->ref_path;
    x->info.current = x->cur_path;
    *out = x;
    return VN_OK;
}

vn_status vn_drift_run(const char *reference, const char *current, const vn_drift_config *cfg,
                       vn_drift **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    VN_RETURN_IF(!reference || !current || !cfg, VN_ERR_USAGE,
                 "vn_drift_run: two paths and a config are required");
    VN_RETURN_IF(strcmp(reference, "-") == 0 && strcmp(current, "-") == 0, VN_ERR_USAGE,
                 "only one of the two files can be standard input");
    vn_drift *x = vn__calloc(1, sizeof *x);
    if (!x) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    vn_status st = configure(x, cfg, errbuf, errlen);
    if (st == VN_OK) {
        x->ref_path = vn__strdup(reference);
        x->cur_path = vn__strdup(current);
        if (!x->ref_path || !x->cur_path)
            st = VN_ERR_NOMEM;
    }
    if (st == VN_OK) {
        /* streamed: only binned statistics, and a reference that can be read again */
        x->stream = !wants(x, VN_DRIFT_KS) && !wants(x, VN_DRIFT_WASSERSTEIN) &&
                    strcmp(reference, "-") != 0;
        st = run_files(x, errbuf, errlen);
    }
    return hand_over(x, st, out, errbuf, errlen);
}

vn_status vn_drift_numeric(const double *ref, size_t nref, ptrdiff_t ref_stride, const double *cur,
                           size_t ncur, ptrdiff_t cur_stride, const vn_drift_config *cfg,
                           vn_drift **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    VN_RETURN_IF(!cfg || (nref && !ref) || (ncur && !cur), VN_ERR_USAGE,
                 "vn_drift_numeric: the arrays and a config are required");
    vn_drift *x = vn__calloc(1, sizeof *x);
    if (!x) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    vn_status st = configure(x, cfg, errbuf, errlen);
    if (st == VN_OK) {
        x->ref_path = vn__strdup("");
        x->cur_path = vn__strdup("");
        x->cols = vn__calloc(1, sizeof *x->cols);
        if (!x->ref_path || !x->cur_path || !x->cols)
            st = VN_ERR_NOMEM;
    }
    if (st == VN_OK) {
        column *c = &x->cols[0];
        x->ncols = 1;
        c->numeric = true;
        c->capped = true; /* numbers only: no categories */
        c->name = vn__strdup("x");
        if (!c->name)
            st = VN_ERR_NOMEM;
        const double *src[2] = {ref, cur};
        const size_t len[2] = {nref, ncur};
        const ptrdiff_t stride[2] = {ref_stride, cur_stride};
        for (int w = 0; w < 2 && st == VN_OK; w++) {
            for (size_t i = 0; i < len[w] && st == VN_OK; i++) {
                const double v = src[w][(ptrdiff_t)i * stride[w]];
                if (isfinite(v))
                    st = take_number(x, c, w, v, P_MEMORY);
                else
                    c->nonfinite[w]++;
            }
        }
        x->info.ref_rows = nref;
        x->info.cur_rows = ncur;
    }
    if (st == VN_OK)
        st = conclude(x);
    return hand_over(x, st, out, errbuf, errlen);
}

const vn_drift_info *vn_drift_summary(const vn_drift *x) { return &x->info; }
size_t vn_drift_column_count(const vn_drift *x) { return x->ncols; }

const vn_drift_column *vn_drift_column_at(const vn_drift *x, size_t i)
{
    return i < x->ncols ? &x->pub[i] : NULL;
}

size_t vn_drift_note_count(const vn_drift *x) { return x->nnotes; }
const char *vn_drift_note(const vn_drift *x, size_t i) { return i < x->nnotes ? x->notes[i] : NULL; }
