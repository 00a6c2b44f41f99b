/*
 * plots.c — the summaries behind a report's charts, built once from an evaluation's
 * stored rows: a density grid of ŷ against y, a histogram of the error with its mean and
 * standard deviation, |e| by decile of ŷ, and the worst rows. Each is a fixed number of
 * cells, so what the report embeds does not grow with the data.
 *
 * Axis ranges come from the 0.5th and 99.5th percentiles (numpy's linear rule, by
 * selection: O(n)), so one wild row does not squash the picture; rows beyond are drawn
 * in the edge cells and counted, and the text of each chart says so.
 */
#include "plots.h"

#include "kernels.h"

#include <stdlib.h>
#include <string.h>

/* ---- the worst rows: a min-heap on (|e|, -row) ---- */

/* a sorts before b: smaller |e|, or the same |e| and a later row (which goes first). */
static bool less(const vn__worst *a, const vn__worst *b)
{
    const double ea = fabs(a->p - a->y), eb = fabs(b->p - b->y);
    return ea < eb || (ea == eb && a->row > b->row);
}

static void swap(vn__worst *a, vn__worst *b)
{
    const vn__worst t = *a;
    *a = *b;
    *b = t;
}

void vn__worst_push(vn__worst_heap *h, const vn__worst *r)
{
    if (h->n < VN_PLOT_WORST) {
        size_t i = h->n++;
        h->v[i] = *r;
        while (i > 0 && less(&h->v[i], &h->v[(i - 1) / 2])) {
            swap(&h->v[i], &h->v[(i - 1) / 2]);
            i = (i - 1) / 2;
        }
        return;
    }
    if (!less(&h->v[0], r))
        return;
    h->v[0] = *r;
    for (size_t i = 0;;) {
        const size_t l = 2 * i + 1, rr = l + 1;
        size_t m = i;
        if (l < h->n && less(&h->v[l], &h->v[m]))
            m = l;
        if (rr < h->n && less(&h->v[rr], &h->v[m]))
            m = rr;
        if (m == i)
            break;
        swap(&h->v[i], &h->v[m]);
        i = m;
    }
}

static int cmp_worst(const void *a, const void *b)
{
    /* largest |e| first, then the earlier row */
    return less(b, a) ? -1 : less(a, b) ? 1 : 0;
}

/* ---- ranges ---- */

/* The 0.5th and 99.5th percentiles of v[0..n) (reordered). */
static void central(double *v, size_t n, double *lo, double *hi)
{
    static const double qs[2] = {0.005, 0.995};
    double out[2];
    vn__quantiles_type7(v, n, qs, 2, out);
    *lo = out[0];
    *hi = out[1];
}

/* Widens a degenerate or overflowing range so bins have a positive finite width. */
static void widen(double *lo, double *hi)
{
    if (!(*hi - *lo > 0) || !isfinite(*hi - *lo)) {
        const double c = *lo / 2 + *hi / 2;
        const double h = fabs(c) > 1 ? fabs(c) * 0.05 : 0.5;
        *lo = c - h;
        *hi = c + h;
    }
}

/* The cell of x in [lo, hi] cut into k equal parts; outside values go to the ends. */
static size_t cell_of(double x, double lo, double hi, size_t k)
{
    const double t = (x - lo) / (hi - lo) * (double)k;
    return t <= 0 ? 0 : t >= (double)k ? k - 1 : (size_t)t;
}

/* ---- |e| by decile of ŷ ---- */

static vn_status groups(vn__plots *pl, const double *y, const double *p, const double *w,
                        size_t n, bool weighted, double *scratch, double *wscratch)
{
    static const double deciles[VN_PLOT_GROUPS - 1] = {0.1, 0.2, 0.3, 0.4, 0.5,
                                                      0.6, 0.7, 0.8, 0.9};
    double cut[VN_PLOT_GROUPS - 1];
    memcpy(scratch, p, n * sizeof *p);
    vn__quantiles_type7(scratch, n, deciles, VN_PLOT_GROUPS - 1, cut);
    /* counting sort of |e| (and w) by group */
    size_t start[VN_PLOT_GROUPS + 1] = {0};
    double plo[VN_PLOT_GROUPS], phi[VN_PLOT_GROUPS];
    vn__ksum sum[VN_PLOT_GROUPS], wsum[VN_PLOT_GROUPS];
    for (size_t g = 0; g < VN_PLOT_GROUPS; g++) {
        plo[g] = INFINITY;
        phi[g] = -INFINITY;
        sum[g] = wsum[g] = (vn__ksum){0, 0};
    }
    unsigned char *gid = (unsigned char *)(wscratch ? wscratch + n : scratch + n);
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        while (g < VN_PLOT_GROUPS - 1 && p[i] > cut[g])
            g++;
        gid[i] = (unsigned char)g;
        start[g + 1]++;
        plo[g] = p[i] < plo[g] ? p[i] : plo[g];
        phi[g] = p[i] > phi[g] ? p[i] : phi[g];
        vn__ksum_add(&sum[g], w[i] * fabs(p[i] - y[i]));
        vn__ksum_add(&wsum[g], w[i]);
    }
    for (size_t g = 0; g < VN_PLOT_GROUPS; g++)
        start[g + 1] += start[g];
    size_t at[VN_PLOT_GROUPS];
    memcpy(at, start, sizeof at);
    for (size_t i = 0; i < n; i++) {
        const size_t k = at[gid[i]]++;
        scratch[k] = fabs(p[i] - y[i]);
        if (weighted)
            wscratch[k] = w[i];
    }
    static const double qs[2] = {0.5, 0.9};
    for (size_t g = 0; g < VN_PLOT_GROUPS; g++) {
        const size_t m = start[g + 1] - start[g];
        if (m == 0)
            continue;
        struct vn__group *gr = &pl->group[pl->ngroups++];
        double q[2];
        if (weighted)
            VN_TRY(vn__quantiles_weighted(scratch + start[g], wscratch + start[g], m, qs, 2, q));
        else
            vn__quantiles_type7(scratch + start[g], m, qs, 2, q);
        *gr = (struct vn__group){plo[g], phi[g], m, vn__ksum_get(&sum[g]) / vn__ksum_get(&wsum[g]),
                                 q[0], q[1]};
    }
    return VN_OK;
}

vn_status vn__plots_build(const double *y, const double *p, const double *w, size_t n,
                          bool weighted, const vn__worst_heap *worst, vn__plots **out)
{
    *out = NULL;
    if (n == 0)
        return VN_OK;
    vn__plots *pl = vn__calloc(1, sizeof *pl);
    /* scratch: n doubles (+ n weights when weighted) and n group ids after them */
    double *scratch = vn__malloc(n * (weighted ? 2 : 1) * sizeof(double) + n);
    if (!pl || !scratch) {
        vn__free(pl);
        vn__free(scratch);
        return VN_ERR_NOMEM;
    }
    double *wscratch = weighted ? scratch + n : NULL;
    pl->n = n;
    pl->weighted = weighted;

    /* the density grid: one range for both axes, so the diagonal is y = ŷ */
    double ylo, yhi, plo, phi;
    memcpy(scratch, y, n * sizeof *y);
    central(scratch, n, &ylo, &yhi);
    memcpy(scratch, p, n * sizeof *p);
    central(scratch, n, &plo, &phi);
    pl->lo = ylo < plo ? ylo : plo;
    pl->hi = yhi > phi ? yhi : phi;
    widen(&pl->lo, &pl->hi);
    /* the error: weighted mean and variance by West's (1979) stable update */
    double mean = 0, m2 = 0, wsum = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t iy = cell_of(y[i], pl->lo, pl->hi, VN_PLOT_GRID);
        const size_t ip = cell_of(p[i], pl->lo, pl->hi, VN_PLOT_GRID);
        pl->cell[iy * VN_PLOT_GRID + ip] += w[i];
        pl->clipped += y[i] < pl->lo || y[i] > pl->hi || p[i] < pl->lo || p[i] > pl->hi;
        const double e = p[i] - y[i];
        scratch[i] = e;
        wsum += w[i];
        const double d = e - mean;
        mean += d * (w[i] / wsum);
        m2 += w[i] * d * (e - mean);
    }
    pl->wsum = wsum;
    pl->emean = mean;
    pl->esd = n > 1 && m2 > 0 ? sqrt(m2 / wsum) : 0;
    central(scratch, n, &pl->elo, &pl->ehi);
    widen(&pl->elo, &pl->ehi);
    for (size_t i = 0; i < n; i++) {
        const double e = p[i] - y[i];
        if (e < pl->elo)
            pl->below += w[i];
        else if (e > pl->ehi)
            pl->above += w[i];
        else
            pl->bin[cell_of(e, pl->elo, pl->ehi, VN_PLOT_BINS)] += w[i];
    }
    const vn_status st = groups(pl, y, p, w, n, weighted, scratch, wscratch);
    vn__free(scratch);
    if (st != VN_OK) {
        vn__free(pl);
        return st;
    }
    if (worst) {
        pl->nworst = worst->n;
        memcpy(pl->worst, worst->v, worst->n * sizeof *worst->v);
        qsort(pl->worst, pl->nworst, sizeof *pl->worst, cmp_worst);
    }
    *out = pl;
    return VN_OK;
}
