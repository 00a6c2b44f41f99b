/*
 * binary.c — metrics of a binary label y (0 or 1) and a real-valued score ŷ: the area
 * under the ROC curve, average precision, log loss, the Brier score, the expected
 * calibration error, and the operating points (precision at a recall, recall at a
 * precision, specificity at a sensitivity, sensitivity at a specificity), each with the
 * threshold that achieves it.
 *
 * One sort, then integer counts. The scores of a slice's positive rows and of its
 * negative rows are sorted once each (an LSD radix sort on order-preserving integer
 * keys, stable, so the result does not depend on anything but the rows) and cached for
 * the slice's other binary metrics (vn__bincache). Every ranking metric is then a sweep
 * over the distinct scores, highest first: a threshold t predicts 1 for the rows with
 * ŷ >= t, so tied scores form one threshold and a tied (positive, negative) pair counts
 * half in the AUC, as scikit-learn's _binary_clf_curve does. Along the sweep the true
 * and false positive counts are 64-bit integers and the AUC's numerator
 * Σ ΔFP·(TP_prev + TP) a 128-bit integer, so 10^8 rows are exact; with weights they are
 * compensated (Neumaier) sums. Rates are the exact ratio rounded once (TP/P, TP/(TP+FP),
 * (N − FP)/N) and compared with the asked level as computed: recall 9/10 meets r = 0.9.
 *
 * Formulas and sources: scikit-learn 1.2 roc_auc_score, average_precision_score,
 * precision_recall_curve, roc_curve, log_loss (eps = 1e-15), brier_score_loss;
 * docs/metrics.md, "Binary classification".
 */
#include "eval.h"

#include <string.h>

bool vn__binkind(vn__kind kind)
{
    switch (kind) {
    case MK_ROC_AUC: case MK_AVG_PRECISION: case MK_LOG_LOSS: case MK_BRIER: case MK_ECE:
    case MK_PREC_AT_REC: case MK_REC_AT_PREC: case MK_SPEC_AT_SENS: case MK_SENS_AT_SPEC:
        return true;
    default:
        return false;
    }
}

bool vn__has_threshold(vn__kind kind)
{
    return kind == MK_PREC_AT_REC || kind == MK_REC_AT_PREC || kind == MK_SPEC_AT_SENS ||
           kind == MK_SENS_AT_SPEC;
}

void vn__bincache_clear(vn__bincache *c)
{
    vn__free(c->ps);
    vn__free(c->ns);
    vn__free(c->pw);
    vn__free(c->nw);
    memset(c, 0, sizeof *c);
}

/* ---- the sort ---- */

/* An order-preserving map of a finite double to an unsigned integer (−0 as +0, so the
 * two zeros tie as they compare equal), and back. */
static uint64_t key_of(double x)
{
    x += 0.0; /* -0.0 + 0.0 = +0.0 */
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static double double_of(uint64_t k)
{
    const uint64_t u = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Sorts keys k[0..n) ascending, carrying w[0..n) along when w is not NULL: LSD radix,
 * 8 passes of 8 bits (a pass where every key has the same byte is skipped), stable.
 * tk, tw: scratch of n. */
static void radix_sort(uint64_t *k, double *w, uint64_t *tk, double *tw, size_t n)
{
    size_t count[8][256]; /* 16 KiB */
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            count[b][(k[i] >> (8 * b)) & 255]++;
    uint64_t *src = k, *dst = tk;
    double *sw = w, *dw = tw;
    for (int b = 0; b < 8; b++) {
        size_t off = 0;
        bool trivial = false;
        for (int v = 0; v < 256; v++) {
            const size_t c = count[b][v];
            trivial = trivial || c == n;
            count[b][v] = off;
            off += c;
        }
        if (trivial)
            continue;
        for (size_t i = 0; i < n; i++) {
            const size_t d = count[b][(src[i] >> (8 * b)) & 255]++;
            dst[d] = src[i];
            if (w)
                dw[d] = sw[i];
        }
        uint64_t *const t = src;
        src = dst;
        dst = t;
        double *const t2 = sw;
        sw = dw;
        dw = t2;
    }
    if (src != k) {
        memcpy(k, src, n * sizeof *k);
        if (w)
            memcpy(w, sw, n * sizeof *w);
    }
}

/* Sorts one class's scores (as keys, in place) and turns them back into doubles. */
static void sort_scores(double *x, double *w, uint64_t *tk, double *tw, size_t n)
{
    uint64_t *k = (uint64_t *)(void *)x; /* same size; each element is rewritten below */
    for (size_t i = 0; i < n; i++) {
        const uint64_t key = key_of(x[i]);
        memcpy(&k[i], &key, sizeof key);
    }
    radix_sort(k, w, tk, tw, n);
    for (size_t i = 0; i < n; i++) {
        const double d = double_of(k[i]);
        memcpy(&x[i], &d, sizeof d);
    }
}

/* Counts the rows of each class and the rows with another label. */
static void count_labels(vn__bincache *c, const vn__rowset *r)
{
    c->np = c->nn = c->bad = 0;
    for (size_t i = 0; i < r->n; i++) {
        const double y = r->y[i];
        if (y == 1.0)
            c->np++;
        else if (y == 0.0)
            c->nn++;
        else if (c->bad++ == 0)
            c->bad_y = y;
    }
}

/* Checks the labels and, when they are all 0 or 1, splits the scores by class and sorts
 * them (the cache's ready state). */
static vn_status fill(vn__bincache *c, const vn__rowset *r)
{
    if (c->ready)
        return VN_OK;
    count_labels(c, r);
    if (c->bad) {
        c->ready = true;
        return VN_OK;
    }
    const bool wt = r->weighted;
    const size_t big = c->np > c->nn ? c->np : c->nn;
    c->ps = vn__malloc((c->np ? c->np : 1) * sizeof *c->ps);
    c->ns = vn__malloc((c->nn ? c->nn : 1) * sizeof *c->ns);
    c->pw = wt ? vn__malloc((c->np ? c->np : 1) * sizeof *c->pw) : NULL;
    c->nw = wt ? vn__malloc((c->nn ? c->nn : 1) * sizeof *c->nw) : NULL;
    uint64_t *tk = vn__malloc((big ? big : 1) * sizeof *tk);
    double *tw = wt ? vn__malloc((big ? big : 1) * sizeof *tw) : NULL;
    if (!c->ps || !c->ns || !tk || (wt && (!c->pw || !c->nw || !tw))) {
        vn__free(tk);
        vn__free(tw);
        vn__bincache_clear(c);
        return VN_ERR_NOMEM;
    }
    size_t ip = 0, in = 0;
    for (size_t i = 0; i < r->n; i++) {
        const double w = wt ? r->w[i] : 1.0;
        if (r->y[i] == 1.0) {
            c->ps[ip] = r->p[i];
            if (wt)
                c->pw[ip] = w;
            ip++;
            vn__ksum_add(&c->P, w);
        } else {
            c->ns[in] = r->p[i];
            if (wt)
                c->nw[in] = w;
            in++;
            vn__ksum_add(&c->N, w);
        }
    }
    sort_scores(c->ps, c->pw, tk, tw, c->np);
    sort_scores(c->ns, c->nw, tk, tw, c->nn);
    vn__free(tk);
    vn__free(tw);
    c->ready = true;
    return VN_OK;
}

/* ---- the sweep over distinct thresholds, highest first ---- */

typedef struct sweep {
    const vn__bincache *c;
    size_t i, j;            /* positives ps[0..i) and negatives ns[0..j) not yet passed */
    double t;               /* the current threshold */
    uint64_t tp, fp, dtp, dfp;   /* counts through t, and at t alone */
    vn__ksum wtp, wfp;      /* weighted: the same as compensated sums */
    double dwtp, dwfp;
} sweep;

static void sweep_init(sweep *s, const vn__bincache *c)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->i = c->np;
    s->j = c->nn;
}

static bool sweep_next(sweep *s)
{
    const vn__bincache *c = s->c;
    if (s->i == 0 && s->j == 0)
        return false;
    double t = -INFINITY;
    if (s->i)
        t = c->ps[s->i - 1];
    if (s->j && c->ns[s->j - 1] > t)
        t = c->ns[s->j - 1];
    s->t = t;
    s->dtp = s->dfp = 0;
    vn__ksum dp = {0, 0}, dn = {0, 0};
    while (s->i && c->ps[s->i - 1] == t) {
        s->i--;
        s->dtp++;
        if (c->pw)
            vn__ksum_add(&dp, c->pw[s->i]);
    }
    while (s->j && c->ns[s->j - 1] == t) {
        s->j--;
        s->dfp++;
        if (c->nw)
            vn__ksum_add(&dn, c->nw[s->j]);
    }
    s->tp += s->dtp;
    s->fp += s->dfp;
    if (c->pw) {
        vn__ksum_merge(&s->wtp, &dp);
        vn__ksum_merge(&s->wfp, &dn);
        s->dwtp = vn__ksum_get(&dp);
        s->dwfp = vn__ksum_get(&dn);
    }
    return true;
}

/* The sweep's position as rates and weights. */
typedef struct point {
    double tp, fp;          /* (weighted) counts through the threshold */
    double recall, precision, tnr;
} point;

static point sweep_point(const sweep *s)
{
    const vn__bincache *c = s->c;
    point q;
    if (c->pw) {
        vn__ksum pos = s->wtp, tn = c->N;
        vn__ksum_merge(&pos, &s->wfp);
        vn__ksum_add(&tn, -s->wfp.s);
        vn__ksum_add(&tn, -s->wfp.c);
        q.tp = vn__ksum_get(&s->wtp);
        q.fp = vn__ksum_get(&s->wfp);
        q.recall = q.tp / vn__ksum_get(&c->P);
        q.precision = q.tp / vn__ksum_get(&pos);
        q.tnr = vn__ksum_get(&tn) / vn__ksum_get(&c->N);
    } else {
        q.tp = (double)s->tp;
        q.fp = (double)s->fp;
        q.recall = q.tp / (double)c->np;
        q.precision = q.tp / (double)(s->tp + s->fp);
        q.tnr = (double)(c->nn - s->fp) / (double)c->nn;
    }
    return q;
}

/* AUC: Σ ΔFP·(TP_prev + TP) / (2PN) — the trapezoids of the ROC curve. */
static double roc_auc(const vn__bincache *c)
{
    sweep s;
    sweep_init(&s, c);
    if (!c->pw) {
        unsigned __int128 num = 0;
        while (sweep_next(&s))
            num += (unsigned __int128)s.dfp * (2 * s.tp - s.dtp);
        /* one correctly rounded division while both fit in 53 bits (n up to about
         * 1.3e8 rows); beyond, in long double (within an ulp) */
        const unsigned __int128 den = (unsigned __int128)2 * c->np * c->nn;
        if (den <= (UINT64_C(1) << 53))
            return (double)(uint64_t)num / (double)(uint64_t)den;
        return (double)((long double)num / (long double)den);
    }
    vn__ksum num = {0, 0};
    double tp_prev = 0.0;
    while (sweep_next(&s)) {
        const double tp = vn__ksum_get(&s.wtp);
        vn__ksum_add(&num, s.dwfp * (tp_prev + tp));
        tp_prev = tp;
    }
    return vn__ksum_get(&num) / (2.0 * vn__ksum_get(&c->P) * vn__ksum_get(&c->N));
}

/* Average precision: Σ (R_k − R_{k−1})·P_k = Σ ΔTP_k·P_k / P. */
static double average_precision(const vn__bincache *c)
{
    sweep s;
    sweep_init(&s, c);
    vn__ksum ap = {0, 0};
    while (sweep_next(&s)) {
        if (s.dtp == 0)
            continue;
        const point q = sweep_point(&s);
        vn__ksum_add(&ap, (c->pw ? s.dwtp : (double)s.dtp) * q.precision);
    }
    return vn__ksum_get(&ap) / (c->pw ? vn__ksum_get(&c->P) : (double)c->np);
}

static const char *const constraint_name[] = {"recall", "precision", "sensitivity",
                                              "specificity"};

/* An operating point: the best target rate among thresholds whose constraint rate is at
 * least `level` (ties: the better constraint). */
static vn_status operating_point(const vn__mspec *ms, const vn__bincache *c, vn_value *v,
                                 char *msg, size_t len)
{
    const int k = ms->kind == MK_PREC_AT_REC ? 0 : ms->kind == MK_REC_AT_PREC ? 1
                  : ms->kind == MK_SPEC_AT_SENS ? 2 : 3;
    const double level = ms->param[0];
    double best_t = NAN, best = -1.0, best_c = -1.0;   /* the answer */
    double near_t = NAN, near_c = -1.0;                /* the best constraint seen */
    sweep s;
    sweep_init(&s, c);
    while (sweep_next(&s)) {
        const point q = sweep_point(&s);
        const double target = k == 0 ? q.precision : k == 1 ? q.recall : k == 2 ? q.tnr : q.recall;
        const double con = k == 0 ? q.recall : k == 1 ? q.precision : k == 2 ? q.recall : q.tnr;
        if (con > near_c) {
            near_c = con;
            near_t = s.t;
        }
        if (con >= level && (target > best || (target == best && con > best_c))) {
            best = target;
            best_c = con;
            best_t = s.t;
        }
    }
    if (isnan(best_t))
        return vn__undefined(v, VN_REASON_UNREACHABLE, msg, len,
                             "no threshold reaches %s >= %g (the highest is %.6g, at yhat >= %.6g)",
                             constraint_name[k], level, near_c, near_t);
    v->value = best;
    v->threshold = best_t;
    vn__fmt(msg, len, "threshold: yhat >= %.6g (%s %.6g)", best_t, constraint_name[k], best_c);
    return VN_OK;
}

/* Expected calibration error over equal-count bins: the rows in ascending score order
 * (the two sorted classes merged), bins cut after rows floor(b·n/B), a cut inside a run
 * of tied scores moved to its end; Σ_b |Σ_b w·y − Σ_b w·ŷ| / W. */
static double ece(const vn__bincache *c, size_t bins)
{
    const size_t n = c->np + c->nn;
    size_t i = 0, j = 0, pos = 0, b = 1;
    vn__ksum total = c->P, bin = {0, 0}, sum = {0, 0};
    vn__ksum_merge(&total, &c->N);
    bool open = false;
    while (i < c->np || j < c->nn) {
        double t = INFINITY;
        if (i < c->np)
            t = c->ps[i];
        if (j < c->nn && c->ns[j] < t)
            t = c->ns[j];
        /* close the bin when a cut lies at or before this run's first row */
        size_t cut = b < bins ? (size_t)((unsigned __int128)b * n / bins) : SIZE_MAX;
        if (open && pos >= cut) {
            const double d = vn__ksum_get(&bin);
            vn__ksum_add(&sum, fabs(d));
            bin = (vn__ksum){0, 0};
            open = false;
            while (b < bins && pos >= cut) {
                b++;
                cut = b < bins ? (size_t)((unsigned __int128)b * n / bins) : SIZE_MAX;
            }
        }
        vn__ksum wg = {0, 0}, wp = {0, 0};
        size_t g = 0;
        while (i < c->np && c->ps[i] == t) {
            vn__ksum_add(&wp, c->pw ? c->pw[i] : 1.0);
            i++;
            g++;
        }
        while (j < c->nn && c->ns[j] == t) {
            vn__ksum_add(&wg, c->nw ? c->nw[j] : 1.0);
            j++;
            g++;
        }
        vn__ksum_merge(&wg, &wp);
        /* Σ w·y − Σ w·ŷ over the run: its positive weight minus t·(its weight), the
         * product split exactly (TwoProduct) */
        const double wsum = vn__ksum_get(&wg), hi = wsum * t, lo = fma(wsum, t, -hi);
        vn__ksum_merge(&bin, &wp);
        vn__ksum_add(&bin, -hi);
        vn__ksum_add(&bin, -lo);
        open = true;
        pos += g;
    }
    if (open)
        vn__ksum_add(&sum, fabs(vn__ksum_get(&bin)));
    return vn__ksum_get(&sum) / vn__ksum_get(&total);
}

/* Rows whose score is not a probability: their count and the first one. */
static uint64_t outside01(const vn__rowset *r, double *first)
{
    uint64_t k = 0;
    for (size_t i = 0; i < r->n; i++)
        if (!(r->p[i] >= 0.0 && r->p[i] <= 1.0) && k++ == 0)
            *first = r->p[i];
    return k;
}

vn_status vn__binary_value(const vn__mspec *ms, const vn__rowset *rows, vn_value *v, char *msg,
                           size_t len)
{
    vn__bincache local = {0}, *c = rows->bin ? rows->bin : &local;
    /* log_loss and brier need no order: the labels are counted, not sorted */
    const bool sorted = ms->kind != MK_LOG_LOSS && ms->kind != MK_BRIER;
    vn_status st = VN_OK;
    if (sorted || c->ready) {
        st = fill(c, rows);
        if (st != VN_OK)
            return st;
    } else {
        c = &local;
        count_labels(c, rows);
    }
    const char *id = ms->info->id;
    if (c->bad) {
        st = vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                           "%llu rows have a label other than 0 or 1 (the first: %g); %s needs "
                           "y in {0, 1} (--task binary checks this while reading)",
                           (unsigned long long)c->bad, c->bad_y, id);
        goto done;
    }
    const bool prob = ms->kind == MK_LOG_LOSS || ms->kind == MK_BRIER || ms->kind == MK_ECE;
    if (prob) {
        double first = 0;
        const uint64_t out = outside01(rows, &first);
        if (out) {
            st = vn__undefined(v, VN_REASON_DOMAIN, msg, len,
                               "%llu rows have a score outside [0, 1] (the first: %g); %s "
                               "needs probabilities",
                               (unsigned long long)out, first, id);
            goto done;
        }
    } else if (c->np == 0 || c->nn == 0) {
        st = vn__undefined(v, VN_REASON_ONE_CLASS, msg, len,
                           "every row has y = %d: %s needs both classes", c->np ? 1 : 0, id);
        goto done;
    }
    switch (ms->kind) {
    case MK_ROC_AUC: v->value = roc_auc(c); break;
    case MK_AVG_PRECISION: v->value = average_precision(c); break;
    case MK_ECE: v->value = ece(c, (size_t)ms->param[0]); break;
    case MK_LOG_LOSS:
    case MK_BRIER: {
        /* scikit-learn's arithmetic: log_loss clips p to [eps, 1 − eps], forms the two
         * columns (1 − p, p) and renormalises them by their sum before the log */
        vn__ksum sum = {0, 0}, W = {0, 0};
        for (size_t i = 0; i < rows->n; i++) {
            const double w = rows->weighted ? rows->w[i] : 1.0, y = rows->y[i];
            double term;
            if (ms->kind == MK_BRIER) {
                const double d = y - rows->p[i];
                term = d * d;
            } else {
                const double eps = 1e-15;
                const double p = fmin(fmax(rows->p[i], eps), 1.0 - eps), q = 1.0 - p;
                const double s = q + p;
                term = -log((y == 1.0 ? p : q) / s);
            }
            vn__ksum_add(&sum, w * term);
            vn__ksum_add(&W, w);
        }
        v->value = vn__ksum_get(&sum) / vn__ksum_get(&W);
        break;
    }
    default: st = operating_point(ms, c, v, msg, len); break;
    }
done:
    if (c == &local)
        vn__bincache_clear(&local);
    return st;
}
