/*
 * select.c — order statistics: unweighted (type 7) and weighted ("averaged inverted
 * CDF") quantiles and the sum of the k largest values.
 *
 * Unweighted quantiles never sort: they place the needed order statistics by
 * introselect (Musser 1997, "Introspective Sorting and Selection Algorithms"), i.e.
 * quickselect with median-of-3 pivots that switches to median-of-medians pivots
 * (Blum, Floyd, Pratt, Rivest, Tarjan 1973) once it has done more partitioning work than
 * a reasonable quickselect would. Random input thus runs at quickselect speed while
 * adversarial input (organ pipes, median-of-3 killers) stays O(n).
 *
 * The interpolation reproduces numpy 1.24's np.percentile(method="linear") and
 * np.median operation by operation, so that results agree with numpy to the last bit
 * (numpy/lib/function_base.py: _quantile, _get_indexes, _get_gamma, _lerp, _median).
 *
 * Inputs must be free of NaN (the callers reject or drop non-finite values first).
 * -0.0 and +0.0 compare equal, so either may come out where a zero is selected.
 */
#include "kernels.h"
#include "internal.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- selection ---------------------------------------------------------------- */

/* Ranges at most this long are finished by insertion sort. */
#define SMALL_RANGE 16

static inline void swap_d(double *a, double *b)
{
    const double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const double t = v[i];
        size_t j = i;
        while (j > 0 && t < v[j - 1]) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
}

static void select_range(double *v, size_t lo, size_t hi, size_t k);

/* Median-of-medians pivot of v[lo..hi) (hi - lo > SMALL_RANGE): the medians of the
 * groups of five are gathered at the front of the range and their median selected.
 * At least ~3/10 of the range is <= the pivot and ~3/10 >= it. */
static double mom_pivot(double *v, size_t lo, size_t hi)
{
    size_t ng = 0;
    for (size_t g = lo; hi - g >= 5; g += 5) {
        insertion_sort(v + g, 5);
        swap_d(&v[lo + ng], &v[g + 2]); /* lo + ng <= g: only visited groups move */
        ng++;
    }
    select_range(v, lo, lo + ng, lo + ng / 2);
    return v[lo + ng / 2];
}

/* Rearranges v[lo..hi) (lo <= k < hi) so that v[k] holds the value it would hold if the
 * range were sorted, everything in [lo, k) is <= v[k] and everything in (k, hi) >= v[k].
 *
 * Work budget: quickselect with median-of-3 pivots partitions about 2.5 (hi - lo)
 * elements in total on random input. Once 6 (hi - lo) have been partitioned, the input
 * is treated as adversarial and every further pivot is a median of medians, whose
 * three-way partition shrinks the range to at most ~7/10 each time: the total is O(n)
 * either way. */
static void select_range(double *v, size_t lo, size_t hi, size_t k)
{
    assert(lo <= k && k < hi);
    const size_t budget = 6 * (hi - lo);
    size_t work = 0;
    for (;;) {
        const size_t n = hi - lo;
        if (n <= SMALL_RANGE) {
            insertion_sort(v + lo, n);
            return;
        }
        if (k == lo || k == hi - 1) { /* a minimum or a maximum: one scan */
            size_t best = lo;
            if (k == lo) {
                for (size_t i = lo + 1; i < hi; i++)
                    if (v[i] < v[best])
                        best = i;
            } else {
                for (size_t i = lo + 1; i < hi; i++)
                    if (v[i] > v[best])
                        best = i;
            }
            swap_d(&v[k], &v[best]);
            return;
        }
        work += n;
        if (work > budget) {
            /* Adversarial: median of medians, three-way partition
             * [lo, lt) < p, [lt, gt) == p, [gt, hi) > p. */
            const double p = mom_pivot(v, lo, hi);
            size_t lt = lo, i = lo, gt = hi;
            while (i < gt) {
                if (v[i] < p)
                    swap_d(&v[lt++], &v[i++]);
                else if (v[i] > p)
                    swap_d(&v[i], &v[--gt]);
                else
                    i++;
            }
            if (k < lt)
                hi = lt;
            else if (k >= gt)
                lo = gt;
            else
                return; /* v[k] == p and is in place */
            continue;
        }
        /* Median of v[lo], v[mid], v[hi-1] as pivot at v[lo]; the smallest of the three
         * goes to v[lo+1] and the largest stays at v[hi-1], where they stop the
         * unguarded scans below (as numpy's introselect). */
        const size_t mid = lo + n / 2;
        if (v[hi - 1] < v[mid])
            swap_d(&v[hi - 1], &v[mid]);
        if (v[hi - 1] < v[lo])
            swap_d(&v[hi - 1], &v[lo]);
        if (v[lo] < v[mid])
            swap_d(&v[lo], &v[mid]);
        swap_d(&v[mid], &v[lo + 1]);
        const double p = v[lo];
        /* Hoare partition; both scans stop on elements equal to the pivot, so runs of
         * ties are split evenly instead of degrading to quadratic time. */
        size_t i = lo + 1, j = hi - 1;
        for (;;) {
            do
                i++;
            while (v[i] < p);
            do
                j--;
            while (v[j] > p);
            if (j < i)
                break;
            swap_d(&v[i], &v[j]);
        }
        swap_d(&v[lo], &v[j]); /* [lo, j) <= p == v[j] <= (j, hi) */
        if (k == j)
            return;
        if (k < j)
            hi = j;
        else
            lo = j + 1;
    }
}

void vn__select(double *x, size_t lo, size_t hi, size_t k) { select_range(x, lo, hi, k); }

/* ---- type 7 ------------------------------------------------------------------- */

/* The order statistics already placed, so that several ascending quantiles select on a
 * shrinking right part of the array: x[start..n) holds exactly the order statistics
 * start..n-1 (unordered); x[placed[0]] and x[placed[1]] are final. */
typedef struct order_state {
    double *x;
    size_t n, start;
    size_t placed[2];
} order_state;

static double order_stat(order_state *st, size_t k)
{
    if (k == st->placed[0] || k == st->placed[1])
        return st->x[k];
    if (k < st->start) {
        /* Only reachable when qs is not ascending (outside the contract): start over on
         * the whole array, which is always correct, just slower. */
        st->start = 0;
        st->placed[0] = st->placed[1] = SIZE_MAX;
    }
    select_range(st->x, st->start, st->n, k);
    st->start = k + 1;
    st->placed[0] = st->placed[1];
    st->placed[1] = k;
    return st->x[k];
}

/* numpy's _lerp(a, b, t): a + (b - a)t, or b - (b - a)(1 - t) when t >= 0.5, so that
 * t = 1 gives b exactly. When b - a overflows (a and b finite, of opposite signs and
 * huge) numpy returns inf or nan; we return the finite a(1 - t) + bt instead. */
double vn__lerp_numpy(double a, double b, double t)
{
    const double d = b - a;
    if (isinf(d) && isfinite(a) && isfinite(b))
        return a * (1.0 - t) + b * t;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

/* np.median's arithmetic: the mean of the one or two middle values, i.e. np.add.reduce
 * (which starts from +0.0) divided by the count. If the sum of two finite values
 * overflows (numpy: inf), the halves are added instead. */
double vn__median_numpy(double a, double b, bool two)
{
    if (!two)
        return 0.0 + a;
    const double s = (0.0 + a) + b;
    if (isinf(s) && isfinite(a) && isfinite(b))
        return 0.5 * a + 0.5 * b;
    return s / 2.0;
}

/* ---- order statistics of large arrays by a radix histogram ----
 * A double's bits, with the sign bit flipped for positives and every bit flipped for
 * negatives, order as unsigned integers exactly as the values do (-0.0 just below
 * +0.0). One pass counts the values per 16-bit key prefix; the counts say in which
 * prefix bucket each wanted order statistic lies and at which rank inside it; a second
 * pass copies out only those buckets, and introselect finishes inside them. Two
 * streaming passes replace the several partitioning passes of selection over the whole
 * array: for 10⁷ values and three quantiles about a fifth of the time. */
enum { RADIX_BITS = 16, RADIX_MIN = 1 << 16, MAX_STATS = 64 };

static inline uint64_t order_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u >> 63 ? ~u : u | (1ull << 63);
}

/* One of the (at most two) parts of the values the radix passes split: its histogram
 * (pass 1); then, for the wanted buckets (slot[b] = 1 + their index), where its values
 * go in buf (pass 2: fill[k], an index into buf). The parts are the halves of the
 * values (of their spans put end to end), fixed whatever the thread count, and part 0's
 * values of a bucket come before part 1's, as a single pass would put them: the results
 * do not depend on threads, nor on how the values are cut into spans. */
typedef struct radix_part {
    const vn__span *sp; /* its values: sp[0..nsp) in order */
    size_t nsp;
    size_t *hist;
    const unsigned char *slot;
    double *buf;
    size_t fill[MAX_STATS];
    int pass;
    /* pass 2 with a tail wanted: the squares of the values in buckets above tail_b
     * (all of them above the tail's order statistic), summed in order, and their count */
    size_t tail_b;
    vn__ksum tail_sq;
    size_t tail_n;
} radix_part;

static void *radix_pass(void *arg)
{
    radix_part *p = arg;
    for (size_t k = 0; k < p->nsp; k++) {
        const double *x = p->sp[k].x;
        const size_t n = p->sp[k].n;
        if (p->pass == 1) {
            for (size_t i = 0; i < n; i++)
                p->hist[order_key(x[i]) >> (64 - RADIX_BITS)]++;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const size_t b = order_key(x[i]) >> (64 - RADIX_BITS);
            const unsigned t = p->slot[b];
            if (t)
                p->buf[p->fill[t - 1]++] = x[i];
            if (b > p->tail_b) {
                vn__ksum_add(&p->tail_sq, x[i] * x[i]);
                p->tail_n++;
            }
        }
    }
    return NULL;
}

/* Runs pass `pass` over the np parts, part 1 on a thread of its own when threads > 1. */
static void radix_parts(radix_part *parts, size_t np, int pass, int threads)
{
    pthread_t t;
    for (size_t k = 0; k < np; k++)
        parts[k].pass = pass;
    const bool two = np == 2 && threads > 1 && pthread_create(&t, NULL, radix_pass, &parts[1]) == 0;
    radix_pass(&parts[0]);
    if (two)
        pthread_join(t, NULL);
    else if (np == 2)
        radix_pass(&parts[1]);
}

enum { RADIX_SPLIT = 1 << 20 }; /* from this many values on, x is passed in two halves */

/* The spans sp[0..nsp) (n values in all) cut at value `at`: the spans before it into
 * a[0..*na), the ones from it into b[0..*nb) (each of a and b has room for nsp). */
static void split_spans(const vn__span *sp, size_t nsp, size_t at, vn__span *a, size_t *na,
                        vn__span *b, size_t *nb)
{
    *na = *nb = 0;
    for (size_t k = 0, start = 0; k < nsp; start += sp[k++].n) {
        const size_t end = start + sp[k].n;
        if (end <= at) {
            a[(*na)++] = sp[k];
        } else if (start >= at) {
            b[(*nb)++] = sp[k];
        } else {
            a[(*na)++] = (vn__span){sp[k].x, at - start};
            b[(*nb)++] = (vn__span){sp[k].x + (at - start), end - at};
        }
    }
}

/* The order statistics ranks[0..nr) (ascending, distinct, < n) of the n values of the
 * spans sp[0..nsp) (put end to end) into out; the values are not modified. False,
 * having done nothing, when the scratch space cannot be had or the wanted buckets hold
 * more than half the values (heavily repeated values): the caller then selects in
 * place. Many values are passed in two halves, on two threads when threads > 1. With
 * tail_sq, tail (one of the ranks) asks besides for the sum of the squares of the
 * n - tail values from that rank up (values >= 0), from the same passes: the values of
 * the buckets above its bucket as pass 2 meets them (part 0, then part 1), then the
 * values of its bucket above it, then copies of it. */
static bool radix_stats(const vn__span *sp, size_t nsp, size_t n, const size_t *ranks,
                        size_t nr, double *out, size_t tail, double *tail_sq, int threads)
{
    if (nr == 0 || nr > MAX_STATS)
        return false;
    const size_t nb_all = (size_t)1 << RADIX_BITS, np = n >= RADIX_SPLIT ? 2 : 1;
    size_t *hist = vn__calloc(np * nb_all, sizeof *hist);
    unsigned char *slot = vn__calloc(nb_all, 1);
    vn__span one[2]; /* the parts' spans: one array's two halves, or the cut spans */
    vn__span *cut = nsp == 1 ? one : vn__malloc(2 * nsp * sizeof *cut);
    double *buf = NULL;
    bool ok = false;
    if (!hist || !slot || !cut)
        goto done;
    radix_part parts[2];
    parts[0] = (radix_part){.sp = cut, .hist = hist, .slot = slot};
    parts[1] = (radix_part){.sp = cut + nsp, .hist = hist + nb_all, .slot = slot};
    split_spans(sp, nsp, np == 2 ? n / 2 : n, cut, &parts[0].nsp, cut + nsp, &parts[1].nsp);
    radix_parts(parts, np, 1, threads);
    for (size_t b = 0; np == 2 && b < nb_all; b++)
        hist[b] += hist[nb_all + b];
    /* each rank's bucket and its rank inside; the distinct buckets, in order */
    size_t bucket[MAX_STATS], inside[MAX_STATS], kof[MAX_STATS], base[MAX_STATS], size[MAX_STATS];
    size_t nb = 0;
    size_t cum = 0, b = 0, total = 0;
    for (size_t j = 0; j < nr; j++) {
        while (cum + hist[b] <= ranks[j])
            cum += hist[b++];
        if (nb == 0 || bucket[nb - 1] != b) {
            bucket[nb] = b;
            base[nb] = total;
            size[nb] = hist[b];
            total += hist[b];
            slot[b] = (unsigned char)(nb + 1);
            nb++;
        }
        inside[j] = ranks[j] - cum;
        kof[j] = nb - 1;
    }
    buf = total <= n / 2 ? vn__malloc(total * sizeof *buf) : NULL;
    if (!buf)
        goto done;
    size_t tj = 0; /* tail's index in ranks */
    while (tail_sq && ranks[tj] != tail)
        tj++;
    for (size_t k = 0; k < nb; k++) { /* part 0's values of bucket k, then part 1's */
        parts[0].fill[k] = base[k];
        parts[1].fill[k] = base[k] + (np == 2 ? size[k] - hist[nb_all + bucket[k]] : 0);
    }
    for (size_t k = 0; k < np; k++)
        parts[k].tail_b = tail_sq ? bucket[kof[tj]] : nb_all;
    parts[0].buf = parts[1].buf = buf;
    radix_parts(parts, np, 2, threads);
    /* ascending ranks inside a bucket select on a shrinking right part */
    size_t k = 0, lo = 0;
    for (size_t j = 0; j < nr; j++) {
        if (j > 0 && kof[j] != kof[j - 1])
            lo = 0;
        k = kof[j];
        double *v = buf + base[k];
        select_range(v, lo, size[k], inside[j]);
        out[j] = v[inside[j]];
        lo = inside[j] + 1;
    }
    if (tail_sq) {
        vn__ksum s = parts[0].tail_sq;
        size_t above = parts[0].tail_n;
        if (np == 2) {
            vn__ksum_merge(&s, &parts[1].tail_sq);
            above += parts[1].tail_n;
        }
        const double t = out[tj];
        const double *v = buf + base[kof[tj]];
        for (size_t i = 0; i < size[kof[tj]]; i++)
            if (v[i] > t) {
                vn__ksum_add(&s, v[i] * v[i]);
                above++;
            }
        for (size_t i = above; i < n - tail; i++)
            vn__ksum_add(&s, t * t);
        *tail_sq = vn__ksum_get(&s);
    }
    ok = true;
done:
    vn__free(hist);
    vn__free(slot);
    if (cut != one)
        vn__free(cut);
    vn__free(buf);
    return ok;
}

/* rank r's value from the radix results (r is among ranks[0..nr)) */
static double stat_of(const size_t *ranks, const double *vals, size_t nr, size_t r)
{
    size_t j = 0;
    while (j + 1 < nr && ranks[j] != r)
        j++;
    return vals[j];
}

/* ranks[0..*nr) ascending and distinct, with r put in its place (room for one more). */
static void insert_rank(size_t *ranks, size_t *nr, size_t r)
{
    size_t j = 0;
    while (j < *nr && ranks[j] < r)
        j++;
    if (j < *nr && ranks[j] == r)
        return;
    memmove(ranks + j + 1, ranks + j, (*nr - j) * sizeof *ranks);
    ranks[j] = r;
    (*nr)++;
}

void vn__quantiles_type7(double *x, size_t n, const double *qs, size_t nq, double *out)
{
    vn__quantiles_type7_and(x, n, qs, nq, out, SIZE_MAX, NULL, NULL, 1);
}

/* The ranks that the type-7 quantiles qs[0..nq) of n values read, ascending and
 * distinct, with `rank` among them (SIZE_MAX: none), into ranks[0..*nr): false when the
 * radix passes are not for them (few values, many quantiles, qs not ascending). */
static bool type7_ranks(size_t n, const double *qs, size_t nq, size_t rank, size_t *ranks,
                        size_t *nr)
{
    const double last = (double)(n - 1);
    *nr = 0;
    if (n < RADIX_MIN || 2 * nq + 1 > MAX_STATS)
        return false;
    for (size_t j = 0; j < nq; j++) {
        if (j > 0 && qs[j - 1] > qs[j])
            return false;
        const double h = last * qs[j];
        const size_t lo = h >= last ? n - 1 : (size_t)floor(h);
        const size_t hi = h >= last ? n - 1 : lo + 1;
        for (size_t r = lo; r <= hi; r++)
            if (*nr == 0 || r > ranks[*nr - 1])
                ranks[(*nr)++] = r;
    }
    if (rank != SIZE_MAX)
        insert_rank(ranks, nr, rank);
    return true;
}

/* The quantiles qs[0..nq) of n values into out, from their order statistics: st's
 * selection, or (st NULL) the radix results vals of ranks[0..nr). */
static void type7_out(order_state *st, const size_t *ranks, const double *vals, size_t nr,
                      size_t n, const double *qs, size_t nq, double *out)
{
    const double last = (double)(n - 1);
    for (size_t j = 0; j < nq; j++) {
        const double q = qs[j];
        assert(q >= 0.0 && q <= 1.0);
        assert(j == 0 || qs[j - 1] <= q);
        /* _quantile: virtual index (n - 1) * q; _get_indexes clamps an index at or past
         * the last to (-1, -1), i.e. both neighbours are the maximum, and _get_gamma then
         * takes gamma = h - (-1). */
        const double h = last * q;
        double a, b, t;
        if (h >= last) {
            a = b = st ? order_stat(st, n - 1) : stat_of(ranks, vals, nr, n - 1);
            t = h - (-1.0);
        } else {
            const double fl = floor(h);
            const size_t lo = (size_t)fl;
            a = st ? order_stat(st, lo) : stat_of(ranks, vals, nr, lo);
            /* the minimum of x[lo+1..n): one scan */
            b = st ? order_stat(st, lo + 1) : stat_of(ranks, vals, nr, lo + 1);
            t = h - fl;
        }
        if (q == 0.5) /* np.median; a, b are the middle pair when n is even */
            out[j] = vn__median_numpy(a, b, n % 2 == 0);
        else
            out[j] = vn__lerp_numpy(a, b, t);
    }
}

void vn__quantiles_type7_and(double *x, size_t n, const double *qs, size_t nq, double *out,
                             size_t rank, double *at_rank, double *tail_sq, int threads)
{
    assert(n >= 1 && (rank == SIZE_MAX || rank < n));
    /* Many values: every order statistic the quantiles need, by radix, in one go. */
    size_t ranks[MAX_STATS];
    double vals[MAX_STATS];
    size_t nr = 0;
    const vn__span all = {x, n};
    const bool radix = type7_ranks(n, qs, nq, rank, ranks, &nr) &&
                       radix_stats(&all, 1, n, ranks, nr, vals, rank,
                                   rank != SIZE_MAX ? tail_sq : NULL, threads);
    order_state st = {x, n, 0, {SIZE_MAX, SIZE_MAX}};
    type7_out(radix ? NULL : &st, ranks, vals, nr, n, qs, nq, out);
    if (rank == SIZE_MAX)
        return;
    if (radix) {
        *at_rank = stat_of(ranks, vals, nr, rank);
        return;
    }
    select_range(x, 0, n, rank); /* x is a permutation of itself: select anew */
    *at_rank = x[rank];
    if (tail_sq)
        *tail_sq = vn__top_k_sumsq_at(x, n, n - rank, x[rank]);
}

bool vn__quantiles_type7_spans(const vn__span *sp, size_t nsp, size_t n, const double *qs,
                               size_t nq, double *out, size_t rank, double *at_rank,
                               double *tail_sq, int threads)
{
    assert(n >= 1 && rank < n);
    size_t ranks[MAX_STATS];
    double vals[MAX_STATS];
    size_t nr = 0;
    if (!type7_ranks(n, qs, nq, rank, ranks, &nr) ||
        !radix_stats(sp, nsp, n, ranks, nr, vals, rank, tail_sq, threads))
        return false;
    type7_out(NULL, ranks, vals, nr, n, qs, nq, out);
    *at_rank = stat_of(ranks, vals, nr, rank);
    return true;
}

/* ---- sum of the k largest ----------------------------------------------------- */

double vn__top_k_sum(double *x, size_t n, size_t k)
{
    assert(k <= n);
    if (k == 0)
        return 0.0;
    if (k < n)
        select_range(x, 0, n, n - k);
    vn__ksum s = {0.0, 0.0};
    for (size_t i = n - k; i < n; i++)
        vn__ksum_add(&s, x[i]);
    return vn__ksum_get(&s);
}

/* ---- weighted quantiles ------------------------------------------------------- */

/* First i in [0, n) with c[i] >= t, or n; c must be non-decreasing. */
static size_t lower_bound(const double *c, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (c[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

vn_status vn__quantiles_weighted(double *x, double *w, size_t n, const double *qs, size_t nq,
                                 double *out)
{
    assert(n >= 1);
    if (n > SIZE_MAX / (2 * sizeof(vn__pair)))
        return VN_ERR_NOMEM;
    /* One block: the pairs and the merge scratch; the scratch half later holds the
     * cumulative weights. */
    vn__pair *const buf = vn__malloc(2 * n * sizeof *buf);
    if (!buf)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        buf[i].a = x[i];
        buf[i].b = w[i];
    }
    const vn__pair *const s = vn__pair_sort(buf, buf + n, n);
    double *const cum = (double *)(s == buf ? buf + n : buf);

    /* C_i compensated; the stored value is the running maximum, which equals C_i
     * wherever C_i first reaches a level, so the binary search below finds exactly
     * "the first i with C_i >= t" even if rounding ever made C_i dip. */
    vn__ksum acc = {0.0, 0.0};
    double cmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        x[i] = s[i].a;
        w[i] = s[i].b;
        vn__ksum_add(&acc, w[i]);
        const double c = vn__ksum_get(&acc);
        cmax = c > cmax ? c : cmax;
        cum[i] = cmax;
    }
    const double total = vn__ksum_get(&acc);

    for (size_t j = 0; j < nq; j++) {
        const double q = qs[j];
        if (q <= 0.0) {
            out[j] = x[0];
        } else if (q >= 1.0) {
            out[j] = x[n - 1];
        } else {
            const double t = q * total;
            size_t i = lower_bound(cum, n, t);
            if (i == n)
                i = n - 1;
            if (cum[i] == t && i + 1 < n)
                /* The midpoint as numpy's averaged_inverted_cdf computes it (_lerp with
                 * gamma 0.5: b - (b - a) * 0.5), so results match numpy bit for bit. */
                out[j] = vn__lerp_numpy(x[i], x[i + 1], 0.5);
            else
                out[j] = x[i];
        }
    }
    vn__free(buf);
    return VN_OK;
}

double vn__top_k_sumsq(const double *x, size_t n, size_t k)
{
    assert(k <= n);
    if (k == 0)
        return 0.0;
    const size_t r = n - k;
    double t, s;
    const vn__span all = {x, n};
    if (n >= RADIX_MIN && radix_stats(&all, 1, n, &r, 1, &t, r, &s, 1))
        return s;
    double *sq = vn__malloc(n * sizeof *sq);
    if (!sq)
        return NAN;
    for (size_t i = 0; i < n; i++)
        sq[i] = x[i] * x[i];
    s = vn__top_k_sum(sq, n, k);
    vn__free(sq);
    return s;
}

double vn__top_k_sumsq_at(const double *x, size_t n, size_t k, double t)
{
    /* the values above the threshold t, then as many copies of t as complete k */
    vn__ksum s = {0.0, 0.0};
    size_t above = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > t) {
            vn__ksum_add(&s, x[i] * x[i]);
            above++;
        }
    for (size_t i = above; i < k; i++)
        vn__ksum_add(&s, t * t);
    return vn__ksum_get(&s);
}
