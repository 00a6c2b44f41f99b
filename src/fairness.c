/*
 * fairness.c — is the model systematically worse for one group? (`vernier eval
 * --sensitive COL`, docs/fairness.md). Over an evaluation sliced by the sensitive
 * column: per metric the worst and best group, their gap and ratio with intervals;
 * with a threshold, the groups' selection, true- and false-positive rates and the
 * parity differences. Writers: fairness_out.c.
 *
 * Intervals. A gap is a difference of two independent estimates (the groups share no
 * row), so its interval is combined from the two groups' own intervals by MOVER (Zou &
 * Donner 2008, Stat. Med. 27, 1693–1702): for X − Y with intervals [lX, uX], [lY, uY],
 *   L = (X − Y) − √((X − lX)² + (uY − Y)²),   U = (X − Y) + √((uX − X)² + (Y − lY)²),
 * which keeps the asymmetry of bootstrap intervals and is exact for symmetric normal
 * ones. The ratio X / Y takes the same on the log scale (both lower limits > 0). For
 * proportions the groups' intervals are Wilson's (1927) and MOVER gives Newcombe's
 * (1998, Stat. Med. 17, 873–890, method 10) interval of the difference. The two groups
 * compared are the extremes, chosen after looking: the interval is that of a pair chosen
 * in advance, so with many groups read it as a screen, not a test (docs/fairness.md).
 */
#include "csv.h"
#include "eval.h"
#include "fairness.h"
#include "monitor.h"

#include <stdio.h>
#include <string.h>

typedef struct fgroup {
    char *label;
    uint64_t rows;
    bool compared;
    vn_fairness_group rate;
} fgroup;

struct vn_fairness {
    vn_fairness_info info;
    char *sensitive;
    fgroup *g;
    size_t ng;
    vn_fairness_gap *gaps;
    size_t ngaps;
    /* every metric per group, for the JSON writer: values[g * nm + m] */
    size_t nm;
    char **mkeys;
    vn_value *vals;
    vn_fairness_group *rates;
};

/* ---- intervals ---- */

/* X − Y by MOVER from the intervals of X and Y (NaN when one is missing). */
static void mover(double X, double lX, double uX, double Y, double lY, double uY, double *lo, double *hi)
{
    if (!isfinite(lX) || !isfinite(uX) || !isfinite(lY) || !isfinite(uY)) {
        *lo = *hi = NAN;
        return;
    }
    const double d = X - Y;
    *lo = d - hypot(X - lX, uY - Y);
    *hi = d + hypot(uX - X, Y - lY);
}

/* X / Y (X, Y > 0) by MOVER on the log scale; NaN unless every limit is positive. */
static void mover_ratio(double X, double lX, double uX, double Y, double lY, double uY, double *lo,
                        double *hi)
{
    if (!(lX > 0) || !(lY > 0) || !isfinite(uX) || !isfinite(uY)) {
        *lo = *hi = NAN;
        return;
    }
    double l, h;
    mover(log(X), log(lX), log(uX), log(Y), log(lY), log(uY), &l, &h);
    *lo = exp(l);
    *hi = exp(h);
}

/* Wilson's score interval of k successes in n trials, z the normal quantile. */
static void wilson(uint64_t k, uint64_t n, double z, double *p, double *lo, double *hi)
{
    if (n == 0) {
        *p = *lo = *hi = NAN;
        return;
    }
    const double dn = (double)n, ph = (double)k / dn, z2 = z * z;
    const double den = 1.0 + z2 / dn;
    const double mid = (ph + z2 / (2.0 * dn)) / den;
    const double half = z / den * sqrt(ph * (1.0 - ph) / dn + z2 / (4.0 * dn * dn));
    *p = ph;
    *lo = fmax(0.0, mid - half);
    *hi = fmin(1.0, mid + half);
}

/* ---- gaps ---- */

typedef struct gval {
    double v, lo, hi;
    size_t g;
} gval;

/* The gap between the extremes of vals[0..n) (all defined), by |value| when absval;
 * lower_better picks which extreme is the worst. */
static void make_gap(vn_fairness_gap *gp, const gval *vals, size_t n, bool lower_better, bool absval,
                     const fgroup *groups)
{
    gp->groups = n;
    gp->worst = gp->best = "";
    gp->worst_value = gp->best_value = gp->gap = gp->lo = gp->hi = NAN;
    gp->ratio = gp->ratio_lo = gp->ratio_hi = NAN;
    gp->significant = 0;
    if (n < 2)
        return;
    gval a[2]; /* transformed values of the largest and the smallest */
    size_t imax = 0, imin = 0;
    double tv[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const double t = absval ? fabs(vals[i].v) : vals[i].v;
        if (i == 0 || t > tv[0]) {
            tv[0] = t;
            imax = i;
        }
        if (i == 0 || t < tv[1]) {
            tv[1] = t;
            imin = i;
        }
    }
    const size_t ix[2] = {imax, imin};
    for (int k = 0; k < 2; k++) {
        const gval *s = &vals[ix[k]];
        a[k] = *s;
        if (absval) { /* the interval of |θ| */
            a[k].v = fabs(s->v);
            if (s->lo >= 0) {
                a[k].lo = s->lo;
                a[k].hi = s->hi;
            } else if (s->hi <= 0) {
                a[k].lo = -s->hi;
                a[k].hi = -s->lo;
            } else {
                a[k].lo = 0.0;
                a[k].hi = fmax(-s->lo, s->hi);
            }
        }
    }
    const int worst = lower_better ? 0 : 1;
    gp->worst = groups[vals[ix[worst]].g].label;
    gp->best = groups[vals[ix[1 - worst]].g].label;
    gp->worst_value = vals[ix[worst]].v;
    gp->best_value = vals[ix[1 - worst]].v;
    gp->gap = a[0].v - a[1].v;
    mover(a[0].v, a[0].lo, a[0].hi, a[1].v, a[1].lo, a[1].hi, &gp->lo, &gp->hi);
    if (a[1].v > 0) {
        gp->ratio = a[0].v / a[1].v;
        mover_ratio(a[0].v, a[0].lo, a[0].hi, a[1].v, a[1].lo, a[1].hi, &gp->ratio_lo, &gp->ratio_hi);
    }
    gp->significant = gp->lo > 0;
}

/* ---- the thresholded rates ---- */

/* A table from a group's label to its index (open addressing, index + 1; 0 empty). */
typedef struct gmap {
    uint32_t *t;
    size_t cap;
} gmap;

static vn_status gmap_build(gmap *m, const fgroup *g, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n)
        m->cap *= 2;
    m->t = vn__calloc(m->cap, sizeof *m->t);
    if (!m->t)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)vn__fnv1a(g[i].label, strlen(g[i].label)) & (m->cap - 1);
        while (m->t[h])
            h = (h + 1) & (m->cap - 1);
        m->t[h] = (uint32_t)i + 1;
    }
    return VN_OK;
}

static size_t gmap_find(const gmap *m, const fgroup *g, const char *s, size_t len)
{
    for (size_t h = (size_t)vn__fnv1a(s, len) & (m->cap - 1); m->t[h]; h = (h + 1) & (m->cap - 1)) {
        const char *l = g[m->t[h] - 1].label;
        if (strlen(l) == len && memcmp(l, s, len) == 0)
            return m->t[h] - 1;
    }
    return SIZE_MAX;
}

static void count_row(vn_fairness *f, size_t gi, double y, double yhat)
{
    vn_fairness_group *r = &f->g[gi].rate;
    const bool sel = yhat >= f->info.threshold, pos = y >= f->info.label_threshold;
    r->rows++;
    r->selected += sel;
    r->positives += pos;
    r->true_positives += sel && pos;
    r->false_positives += sel && !pos;
}

static vn_status rates_csv(vn_fairness *f, const vn_fairness_config *cfg, char *errbuf, size_t errlen)
{
    const vn_csv_config *cc = &cfg->csv;
    VN_RETURN_IF(!cc->y || !cc->yhat || !cc->by || !cc->by[0], VN_ERR_USAGE,
                 "fairness rates: csv.y, csv.yhat and csv.by[0] (the sensitive column) are required");
    vn__csv *r = NULL;
    VN_TRY(vn__csv_open_dialect(cfg->path, cc->delimiter, cc->header, cc->max_field, &r, errbuf, errlen));
    size_t col[4] = {0, 0, SIZE_MAX, 0};
    vn_status st = vn__csv_find_column(r, cc->y, "y", &col[0], errbuf, errlen);
    if (st == VN_OK)
        st = vn__csv_find_column(r, cc->yhat, "prediction", &col[1], errbuf, errlen);
    if (st == VN_OK && cc->weight)
        st = vn__csv_find_column(r, cc->weight, "weight", &col[2], errbuf, errlen);
    if (st == VN_OK)
        st = vn__csv_find_column(r, cc->by[0], "sensitive", &col[3], errbuf, errlen);
    gmap m = {NULL, 0};
    if (st == VN_OK)
        st = gmap_build(&m, f->g, f->ng);
    static const char *const roles[3] = {"y", "prediction", "weight"};
    for (int got = 1; st == VN_OK;) {
        st = vn__csv_next(r, &got);
        if (st != VN_OK) {
            vn__fmt(errbuf, errlen, "%s", vn__csv_errmsg(r));
            break;
        }
        if (!got)
            break;
        double v[3] = {0, 0, 1};
        int ok = 1;
        for (int k = 0; k < (cc->weight ? 3 : 2) && ok == 1; k++) {
            const char *cn = vn__csv_colname(r, col[k]) ? vn__csv_colname(r, col[k]) : "";
            ok = vn__csv_number(r, col[k], roles[k], cn, cc->missing, &v[k], errbuf, errlen);
        }
        if (ok < 0) {
            st = VN_ERR_DATA;
            break;
        }
        if (ok == 0 || v[2] <= 0.0) /* dropped, as the evaluation dropped it */
            continue;
        size_t len;
        const char *s = vn__csv_field(r, col[3], &len);
        const size_t gi = gmap_find(&m, f->g, s, len);
        if (gi == SIZE_MAX) {
            vn__fmt(errbuf, errlen, "%s:%llu:%llu: sensitive column: value \"%.*s\" is not a group of "
                    "the evaluation (a different file?)", vn__csv_name(r),
                    (unsigned long long)vn__csv_field_line(r, col[3]),
                    (unsigned long long)vn__csv_field_col(r, col[3]), len > 60 ? 60 : (int)len, s);
            st = VN_ERR_DATA;
            break;
        }
        count_row(f, gi, v[0], v[1]);
    }
    vn__free(m.t);
    vn__csv_free(r);
    return st;
}

static vn_status rates_rows(vn_fairness *f, const vn_rows *rows, char *errbuf, size_t errlen)
{
    VN_RETURN_IF(!rows->y || !rows->yhat || !rows->slice, VN_ERR_USAGE,
                 "fairness rates: rows need y, yhat and the slice ids");
    for (size_t i = 0; i < rows->n; i++) {
        const double w = rows->w ? rows->w[(ptrdiff_t)i * rows->w_stride] : 1.0;
        if (!(w > 0))
            continue;
        const uint32_t id = rows->slice[i];
        VN_RETURN_IF(id >= f->ng, VN_ERR_USAGE, "row %zu: slice id %u is not a group of the result",
                     i + 1, id);
        count_row(f, id, rows->y[(ptrdiff_t)i * rows->y_stride], rows->yhat[(ptrdiff_t)i * rows->yhat_stride]);
    }
    return VN_OK;
}

/* ---- the public face ---- */

void vn_fairness_config_init(vn_fairness_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->threshold = NAN;
    cfg->label_threshold = NAN;
    vn_csv_config_init(&cfg->csv);
}

void vn_fairness_free(vn_fairness *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->g && i < f->ng; i++)
        vn__free(f->g[i].label);
    for (size_t i = 0; f->mkeys && i < f->nm; i++)
        vn__free(f->mkeys[i]);
    void *owned[] = {f->sensitive, f->g, f->gaps, f->mkeys, f->vals, f->rates};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        vn__free(owned[k]);
    vn__free(f);
}

static vn_status build(vn_fairness *f, const vn_result *res, const vn_fairness_config *cfg,
                       char *errbuf, size_t errlen)
{
    vn_fairness_info *in = &f->info;
    const size_t S = vn_result_slice_count(res), M = vn_result_metric_count(res);
    f->sensitive = vn__strdup(vn_result_by_name(res, 0));
    f->ng = S - 1;
    f->g = vn__calloc(f->ng ? f->ng : 1, sizeof *f->g);
    f->nm = M;
    f->mkeys = vn__calloc(M ? M : 1, sizeof *f->mkeys);
    f->vals = vn__calloc((f->ng ? f->ng : 1) * (M ? M : 1), sizeof *f->vals);
    f->gaps = vn__calloc(M + 3, sizeof *f->gaps);
    if (!f->sensitive || !f->g || !f->mkeys || !f->vals || !f->gaps)
        return VN_ERR_NOMEM;
    in->sensitive = f->sensitive;
    in->groups = f->ng;
    in->level = res->ci.level;
    in->threshold = cfg->threshold;
    in->label_threshold = isnan(cfg->label_threshold) ? cfg->threshold : cfg->label_threshold;
    in->dp_difference = in->dp_ratio = in->dp_lo = in->dp_hi = in->eo_difference = NAN;
    for (size_t s = 1; s < S; s++) {
        fgroup *g = &f->g[s - 1];
        if (!(g->label = vn__strdup(vn_result_slice_value(res, s, 0))))
            return VN_ERR_NOMEM;
        g->rows = vn_result_slice_rows(res, s);
        g->compared = g->rows >= res->min_count && g->rows > 0;
        in->compared += g->compared;
    }
    for (size_t m = 0; m < M; m++) {
        if (!(f->mkeys[m] = vn__strdup(vn_result_metric_key(res, m))))
            return VN_ERR_NOMEM;
        for (size_t s = 1; s < S; s++)
            VN_TRY(vn_result_get(res, s, m, &f->vals[(s - 1) * M + m]));
    }
    gval *gv = vn__malloc((f->ng ? f->ng : 1) * sizeof *gv);
    if (!gv)
        return VN_ERR_NOMEM;
    for (size_t m = 0; m < M; m++) {
        const vn_metric_info *mi = vn_result_metric_info(res, m);
        if (strcmp(mi->id, "count") == 0 || strcmp(mi->id, "weight_sum") == 0)
            continue;
        size_t n = 0;
        for (size_t i = 0; i < f->ng; i++) {
            const vn_value *v = &f->vals[i * M + m];
            if (f->g[i].compared && v->reason == VN_REASON_NONE && isfinite(v->value))
                gv[n++] = (gval){v->value, v->lo, v->hi, i};
        }
        vn_fairness_gap *gp = &f->gaps[f->ngaps++];
        gp->metric = f->mkeys[m];
        make_gap(gp, gv, n, mi->direction != VN_HIGHER_IS_BETTER, mi->direction == VN_NO_DIRECTION,
                 f->g);
    }
    if (isnan(cfg->threshold)) {
        vn__free(gv);
        return VN_OK;
    }
    /* the thresholded rates */
    vn_status st = VN_OK;
    if (cfg->rows)
        st = rates_rows(f, cfg->rows, errbuf, errlen);
    else if (cfg->path)
        st = rates_csv(f, cfg, errbuf, errlen);
    else
        st = VN_ERR_USAGE, vn__fmt(errbuf, errlen, "a threshold needs the rows: path or rows");
    if (st != VN_OK) {
        vn__free(gv);
        return st;
    }
    const double level = in->level > 0 ? in->level : 0.95;
    if (!(in->level > 0))
        in->level = level;
    const double z = vn__norm_ppf(0.5 + level / 2.0);
    f->rates = vn__calloc(f->ng ? f->ng : 1, sizeof *f->rates);
    if (!f->rates) {
        vn__free(gv);
        return VN_ERR_NOMEM;
    }
    for (size_t i = 0; i < f->ng; i++) {
        vn_fairness_group *r = &f->g[i].rate;
        r->group = f->g[i].label;
        wilson(r->selected, r->rows, z, &r->selection_rate, &r->selection_lo, &r->selection_hi);
        wilson(r->true_positives, r->positives, z, &r->tpr, &r->tpr_lo, &r->tpr_hi);
        wilson(r->false_positives, r->rows - r->positives, z, &r->fpr, &r->fpr_lo, &r->fpr_hi);
        f->rates[i] = *r;
    }
    static const char *const names[3] = {"selection_rate", "true_positive_rate", "false_positive_rate"};
    for (int k = 0; k < 3; k++) {
        size_t n = 0;
        for (size_t i = 0; i < f->ng; i++) {
            const vn_fairness_group *r = &f->rates[i];
            const double v = k == 0 ? r->selection_rate : k == 1 ? r->tpr : r->fpr;
            const double lo = k == 0 ? r->selection_lo : k == 1 ? r->tpr_lo : r->fpr_lo;
            const double hi = k == 0 ? r->selection_hi : k == 1 ? r->tpr_hi : r->fpr_hi;
            if (f->g[i].compared && !isnan(v))
                gv[n++] = (gval){v, lo, hi, i};
        }
        vn_fairness_gap *gp = &f->gaps[f->ngaps++];
        gp->metric = names[k];
        /* a rate has no better direction: "worst" is the largest, "best" the smallest */
        make_gap(gp, gv, n, true, false, f->g);
    }
    const vn_fairness_gap *sel = &f->gaps[f->ngaps - 3], *tpr = &f->gaps[f->ngaps - 2],
                          *fpr = &f->gaps[f->ngaps - 1];
    in->dp_difference = sel->gap;
    in->dp_lo = sel->lo;
    in->dp_hi = sel->hi;
    in->dp_ratio = sel->worst_value > 0 ? sel->best_value / sel->worst_value : NAN;
    in->eo_difference = isnan(tpr->gap) ? fpr->gap : isnan(fpr->gap) ? tpr->gap : fmax(tpr->gap, fpr->gap);
    vn__free(gv);
    return VN_OK;
}

vn_status vn_fairness_new(const vn_result *res, const vn_fairness_config *cfg, vn_fairness **out,
                          char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    VN_RETURN_IF(!res || !cfg, VN_ERR_USAGE, "vn_fairness_new: a result and a config are required");
    VN_RETURN_IF(vn_result_by_count(res) != 1, VN_ERR_USAGE,
                 "fairness needs an evaluation sliced by exactly one column (the sensitive "
                 "attribute), not %zu", vn_result_by_count(res));
    VN_RETURN_IF(!isnan(cfg->threshold) && !isfinite(cfg->threshold), VN_ERR_USAGE,
                 "the threshold must be a finite number");
    VN_RETURN_IF(!isnan(cfg->label_threshold) && !isfinite(cfg->label_threshold), VN_ERR_USAGE,
                 "the label threshold must be a finite number");
    vn_fairness *f = vn__calloc(1, sizeof *f);
    if (!f) {
        vn__fmt(errbuf, errlen, "out of memory");
        return VN_ERR_NOMEM;
    }
    const vn_status st = build(f, res, cfg, errbuf, errlen);
    if (st != VN_OK) {
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
        vn_fairness_free(f);
        return st;
    }
    *out = f;
    return VN_OK;
}

const vn_fairness_info *vn_fairness_summary(const vn_fairness *f) { return &f->info; }
size_t vn_fairness_gap_count(const vn_fairness *f) { return f->ngaps; }

const vn_fairness_gap *vn_fairness_gap_at(const vn_fairness *f, size_t i)
{
    return i < f->ngaps ? &f->gaps[i] : NULL;
}

size_t vn_fairness_group_count(const vn_fairness *f) { return f->rates ? f->ng : 0; }

const vn_fairness_group *vn_fairness_group_at(const vn_fairness *f, size_t i)
{
    return f->rates && i < f->ng ? &f->rates[i] : NULL;
}

size_t vn__fairness_metric_count(const vn_fairness *f) { return f->nm; }
const char *vn__fairness_metric_key(const vn_fairness *f, size_t m) { return f->mkeys[m]; }
size_t vn__fairness_group_total(const vn_fairness *f) { return f->ng; }
const char *vn__fairness_group_label(const vn_fairness *f, size_t g) { return f->g[g].label; }
uint64_t vn__fairness_group_rows(const vn_fairness *f, size_t g) { return f->g[g].rows; }
bool vn__fairness_group_compared(const vn_fairness *f, size_t g) { return f->g[g].compared; }
const vn_value *vn__fairness_value(const vn_fairness *f, size_t g, size_t m)
{
    return &f->vals[g * f->nm + m];
}

vn_status vn_result_add_fairness_findings(vn_result *res, const vn_fairness *f)
{
    const vn_fairness_info *in = &f->info;
    size_t shown = 0;
    char lv[32] = "";
    if (in->level > 0)
        vn__fmt(lv, sizeof lv, "%g%% ", 100.0 * in->level);
    for (size_t i = 0; i < f->ngaps && shown < 3; i++) {
        const vn_fairness_gap *g = &f->gaps[i];
        if (!g->significant || strstr(g->metric, "_rate"))
            continue;
        shown++;
        char ratio[64] = "";
        if (!isnan(g->ratio))
            vn__fmt(ratio, sizeof ratio, "; ratio %.3g", g->ratio);
        VN_TRY(vn__note_add(res, "fairness_gap", 0,
                            "Fairness by %s: %s is %.4g for %s=%s and %.4g for %s=%s, a gap of %.4g "
                            "(%sCI [%.4g, %.4g], combined from the two groups' intervals%s).",
                            in->sensitive, g->metric, g->worst_value, in->sensitive, g->worst,
                            g->best_value, in->sensitive, g->best, g->gap, lv, g->lo, g->hi, ratio));
    }
    if (!isnan(in->dp_difference)) {
        const vn_fairness_gap *sel = &f->gaps[f->ngaps - 3];
        VN_TRY(vn__note_add(res, "fairness_parity", 0,
                            "Fairness by %s at prediction >= %g: the selection rate ranges from %.1f%% "
                            "(%s) to %.1f%% (%s): demographic-parity difference %.3g (%sCI [%.3g, "
                            "%.3g]), ratio %.3g%s; equalized-odds difference %.3g (outcome y >= %g).",
                            in->sensitive, in->threshold, 100.0 * sel->best_value, sel->best,
                            100.0 * sel->worst_value, sel->worst, in->dp_difference, lv, in->dp_lo,
                            in->dp_hi, in->dp_ratio,
                            in->dp_ratio < 0.8 ? " (below the four-fifths rule's 0.8)" : "",
                            in->eo_difference, in->label_threshold));
    }
    return VN_OK;
}
