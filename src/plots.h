/*
 * plots.h — the fixed-size summaries a report draws (plots.c builds them from an
 * evaluation's stored rows; report.c draws them). Their size does not depend on the
 * number of rows, which is what keeps a report of a billion rows under a megabyte.
 */
#ifndef VN_PLOTS_H
#define VN_PLOTS_H

#include "internal.h"

#define VN_PLOT_GRID 40    /* cells per side of the predicted-vs-actual density grid */
#define VN_PLOT_BINS 40    /* bins of the error histogram */
#define VN_PLOT_GROUPS 10  /* groups (deciles) of the prediction */
#define VN_PLOT_WORST 20   /* rows in the worst-rows table */

/* One of the rows with the largest |e|, as the evaluation saw it. */
typedef struct vn__worst {
    uint64_t row;    /* 1-based number of the row among the rows passed to the evaluation */
    uint32_t slice;  /* result slice index (0 = the row had no by columns) */
    double y, p, w;
} vn__worst;

/* Keeps the k rows with the largest |e| (ties: the earlier row) in a min-heap. */
typedef struct vn__worst_heap {
    size_t n;
    vn__worst v[VN_PLOT_WORST];
} vn__worst_heap;

void vn__worst_push(vn__worst_heap *h, const vn__worst *r);

typedef struct vn__plots {
    uint64_t n;             /* rows with w > 0 */
    bool weighted;          /* heights are sums of weights, not row counts */
    /* Predicted (columns) vs actual (rows) on one axis range [lo, hi]: the 0.5th to
     * 99.5th percentiles of y and ŷ together; rows outside are drawn in the edge cells
     * and counted in `clipped`. cell[iy * GRID + ip] = Σw. */
    double lo, hi;
    uint64_t clipped;
    double cell[VN_PLOT_GRID * VN_PLOT_GRID];
    /* The error e = ŷ − y: a histogram over [elo, ehi] (0.5th to 99.5th percentile),
     * the weight below and above it, and the weighted mean and standard deviation of
     * every e for the normal reference. */
    double elo, ehi;
    double bin[VN_PLOT_BINS];
    double below, above;
    double wsum, emean, esd;
    /* |e| by group of ŷ: groups cut at the deciles of ŷ (rows equal to a cut point go to
     * the lower group, so ties can leave a group empty; empty groups are dropped). */
    size_t ngroups;
    struct vn__group {
        double plo, phi;    /* smallest and largest ŷ in the group */
        uint64_t n;
        double mean, p50, p90; /* weighted mean and quantiles of |e| */
    } group[VN_PLOT_GROUPS];
    /* The rows with the largest |e|, largest first. */
    size_t nworst;
    vn__worst worst[VN_PLOT_WORST];
} vn__plots;

/* Builds the summaries from all rows of an evaluation (in any order; w > 0). *out is
 * NULL for n = 0. VN_ERR_NOMEM when scratch space (8n or 16n bytes) cannot be had. */
vn_status vn__plots_build(const double *y, const double *p, const double *w, size_t n,
                          bool weighted, const vn__worst_heap *worst, vn__plots **out);

#endif /* VN_PLOTS_H */
