/*
 * acc.c — accumulator states: folding a block of rows, and merging two states.
 *
 * A block is folded with compensated (Neumaier) sums and, for second moments, the
 * corrected two-pass algorithm (Chan, Golub & LeVeque 1983, "Algorithms for computing
 * the sample variance"): the block mean first, then Σw(x−x̄)² minus the correction
 * (Σw(x−x̄))²/W. States are merged with Chan's pairwise update, the means taken from
 * the compensated sums. Both steps depend only on the rows of the block and the order
 * of merges, which the caller fixes: that is what makes results independent of thread
 * count and of how rows were delivered.
 */
#include "eval.h"

#include <float.h>
#include <string.h>

size_t vn__acc_size(const vn__plan *plan)
{
    return sizeof(vn__acc) + plan->nslots * sizeof(struct vn__slot_sum);
}

void vn__acc_init(vn__acc *a, const vn__plan *plan)
{
    memset(a, 0, vn__acc_size(plan));
    a->nslots = plan->nslots;
    a->ymin = a->pmin = a->emin = INFINITY;
    a->ymax = a->pmax = a->emax = -INFINITY;
}

/* ---- per-row losses of the parameterised slots (METRICS.md; scikit-learn's forms) ---- */

static double huber(double e, double d)
{
    const double ae = fabs(e);
    return ae <= d ? 0.5 * e * e : d * (ae - 0.5 * d);
}

/* δ²(√(1+(e/δ)²) − 1), without cancellation for small e/δ nor overflow for large. */
static double pseudo_huber(double e, double d)
{
    const double t = e / d;
    const double h = hypot(1.0, t);
    return fabs(t) > 1.0 ? d * d * (h - 1.0) : d * d * (t * t / (h + 1.0));
}

double vn__tweedie_dev(double y, double p, double pw, bool *bad)
{
    if (pw == 0.0)
        return (y - p) * (y - p);
    if (p <= 0.0 || (pw >= 1.0 && y < 0.0) || (pw >= 2.0 && y <= 0.0)) {
        *bad = true;
        return 0.0;
    }
    if (y == p)
        return 0.0; /* exactly; the general formula leaves rounding noise */
    if (pw == 1.0)
        return 2.0 * ((y == 0.0 ? 0.0 : y * log(y / p)) - y + p);
    if (pw == 2.0)
        return 2.0 * (log(p / y) + y / p - 1.0);
    return 2.0 * (pow(fmax(y, 0.0), 2.0 - pw) / ((1.0 - pw) * (2.0 - pw)) -
                  y * pow(p, 1.0 - pw) / (1.0 - pw) + pow(p, 2.0 - pw) / (2.0 - pw));
}

/* log cosh e without overflow: log1p(2 sinh²(e/2)) is exact-ish for moderate |e|;
 * beyond 20, |e| + log1p(e^{−2|e|}) − log 2 has no cancellation. */
static double log_cosh(double e)
{
    const double ae = fabs(e);
    if (ae < 20.0) {
        const double s = sinh(0.5 * ae);
        return log1p(2.0 * s * s);
    }
    return ae + log1p(exp(-2.0 * ae)) - M_LN2;
}

/* Σw(x−m)² minus the two-pass correction, for a block whose weighted mean is m. */
static double centred_ss(const double *x, const double *w, size_t n, double m, double W)
{
    vn__ksum ss = {0, 0}, c = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const double d = x[i] - m;
        vn__ksum_add(&ss, w[i] * d * d);
        vn__ksum_add(&c, w[i] * d);
    }
    const double cc = vn__ksum_get(&c);
    const double r = vn__ksum_get(&ss) - cc * cc / W;
    return r > 0.0 ? r : 0.0;
}

void vn__acc_block(vn__acc *a, const vn__plan *plan, const double *y, const double *p,
                   const double *w, size_t n)
{
    const unsigned need = plan->needs;
    a->n += n;
    for (size_t i = 0; i < n; i++) {
        const double e = p[i] - y[i], we = w[i] * e;
        vn__ksum_add(&a->W, w[i]);
        vn__ksum_add(&a->E, we);
        if (e >= 0.0)
            vn__ksum_add(&a->POS, we);
        else
            vn__ksum_add(&a->NEG, -we);
        vn__ksum_add(&a->E2, we * e);
        a->ymin = fmin(a->ymin, y[i]);
        a->ymax = fmax(a->ymax, y[i]);
        a->pmin = fmin(a->pmin, p[i]);
        a->pmax = fmax(a->pmax, p[i]);
        a->emin = fmin(a->emin, e);
        a->emax = fmax(a->emax, e);
    }
    if (need & NEED_MOM) {
        const double W = vn__ksum_get(&a->W);
        vn__ksum syp = {0, 0}, cy = {0, 0}, cp = {0, 0};
        for (size_t i = 0; i < n; i++) {
            vn__ksum_add(&a->WY, w[i] * y[i]);
            vn__ksum_add(&a->WP, w[i] * p[i]);
        }
        const double my = vn__ksum_get(&a->WY) / W, mp = vn__ksum_get(&a->WP) / W;
        const double me = vn__ksum_get(&a->E) / W;
        for (size_t i = 0; i < n; i++) {
            const double dy = y[i] - my, dp = p[i] - mp;
            vn__ksum_add(&syp, w[i] * dy * dp);
            vn__ksum_add(&cy, w[i] * dy);
            vn__ksum_add(&cp, w[i] * dp);
        }
        a->Syy = centred_ss(y, w, n, my, W);
        a->Spp = centred_ss(p, w, n, mp, W);
        a->Syp = vn__ksum_get(&syp) - vn__ksum_get(&cy) * vn__ksum_get(&cp) / W;
        vn__ksum see = {0, 0}, ce = {0, 0};
        for (size_t i = 0; i < n; i++) {
            const double d = (p[i] - y[i]) - me;
            vn__ksum_add(&see, w[i] * d * d);
            vn__ksum_add(&ce, w[i] * d);
        }
        const double cce = vn__ksum_get(&ce);
        a->See = fmax(vn__ksum_get(&see) - cce * cce / W, 0.0);
    }
    if (need & NEED_AY)
        for (size_t i = 0; i < n; i++)
            vn__ksum_add(&a->AY, w[i] * fabs(y[i]));
    if (need & NEED_APE) {
        for (size_t i = 0; i < n; i++) {
            const double e = p[i] - y[i], ay = fabs(y[i]);
            const double den = fmax(ay, DBL_EPSILON);
            vn__ksum_add(&a->ape_eps, w[i] * (fabs(e) / den));
            vn__ksum_add(&a->pe_eps, w[i] * (e / (y[i] < 0.0 ? -den : den)));
            if (y[i] == 0.0) {
                a->n_zero++;
                continue;
            }
            const double ape = fabs(e) / ay;
            vn__ksum_add(&a->ape_nz, w[i] * ape);
            vn__ksum_add(&a->pe_nz, w[i] * (e / y[i]));
            vn__ksum_add(&a->w_nz, w[i]);
            if (ape > 1.0) {
                a->n_big++;
                vn__ksum_add(&a->ape_big, w[i] * ape);
            }
        }
    }
    if (need & NEED_SMAPE)
        for (size_t i = 0; i < n; i++) {
            const double d = fabs(y[i]) + fabs(p[i]);
            if (d > 0.0)
                vn__ksum_add(&a->smape, w[i] * (2.0 * fabs(p[i] - y[i]) / d));
        }
    if (need & NEED_MSLE)
        for (size_t i = 0; i < n; i++) {
            if (y[i] <= -1.0 || p[i] <= -1.0) {
                a->n_msle_bad++;
                continue;
            }
            const double d = log1p(y[i]) - log1p(p[i]);
            vn__ksum_add(&a->msle, w[i] * (d * d));
        }
    if (need & NEED_LOGCOSH)
        for (size_t i = 0; i < n; i++)
            vn__ksum_add(&a->logcosh, w[i] * log_cosh(p[i] - y[i]));
    for (size_t k = 0; k < plan->nslots; k++) {
        const double q = plan->slots[k].param;
        struct vn__slot_sum *s = &a->slot[k];
        switch (plan->slots[k].kind) {
        case SLOT_HUBER:
            for (size_t i = 0; i < n; i++)
                vn__ksum_add(&s->s, w[i] * huber(p[i] - y[i], q));
            break;
        case SLOT_PSEUDO_HUBER:
            for (size_t i = 0; i < n; i++)
                vn__ksum_add(&s->s, w[i] * pseudo_huber(p[i] - y[i], q));
            break;
        case SLOT_TWEEDIE:
            for (size_t i = 0; i < n; i++) {
                bool bad = false;
                const double d = vn__tweedie_dev(y[i], p[i], q, &bad);
                if (bad)
                    s->bad++;
                else
                    vn__ksum_add(&s->s, w[i] * d);
            }
            break;
        }
    }
}

/* The weighted mean Σ/W as an unevaluated sum hi + lo, accurate well beyond one
 * rounding: lo recovers the residual Σ − hi·W exactly with an explicit fma (a library
 * call, not a contraction; -ffp-contract=off does not touch it). */
static void mean_dd(const vn__ksum *sum, const vn__ksum *w, double *hi, double *lo)
{
    const double W = vn__ksum_get(w);
    *hi = vn__ksum_get(sum) / W;
    *lo = ((fma(-*hi, w->s, sum->s) + sum->c) - *hi * w->c) / W;
}

/* The difference of two states' means, b − a, without the rounding of either mean:
 * at a large offset (y ≈ 1e9) each rounded mean is off by ~1e-7, which the Chan update
 * below would multiply into the second moments. */
static double mean_diff(const vn__ksum *sa, const vn__ksum *wa, const vn__ksum *sb,
                        const vn__ksum *wb)
{
    double ha, la, hb, lb;
    mean_dd(sa, wa, &ha, &la);
    mean_dd(sb, wb, &hb, &lb);
    return (hb - ha) + (lb - la);
}

/* Chan et al.'s pairwise update of a centred second moment. */
static double chan(double Sa, double Sb, double da, double db, double Wa, double Wb)
{
    return Sa + Sb + da * db * (Wa * Wb / (Wa + Wb));
}

void vn__acc_merge(vn__acc *a, const vn__acc *b, const vn__plan *plan)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        memcpy(a, b, vn__acc_size(plan));
        return;
    }
    const double Wa = vn__ksum_get(&a->W), Wb = vn__ksum_get(&b->W);
    if (plan->needs & NEED_MOM) {
        const double dy = mean_diff(&a->WY, &a->W, &b->WY, &b->W);
        const double dp = mean_diff(&a->WP, &a->W, &b->WP, &b->W);
        const double de = mean_diff(&a->E, &a->W, &b->E, &b->W);
        a->Syy = chan(a->Syy, b->Syy, dy, dy, Wa, Wb);
        a->Spp = chan(a->Spp, b->Spp, dp, dp, Wa, Wb);
        a->Syp = chan(a->Syp, b->Syp, dy, dp, Wa, Wb);
        a->See = chan(a->See, b->See, de, de, Wa, Wb);
        vn__ksum_merge(&a->WY, &b->WY);
        vn__ksum_merge(&a->WP, &b->WP);
    }
    a->n += b->n;
    vn__ksum_merge(&a->W, &b->W);
    vn__ksum_merge(&a->E, &b->E);
    vn__ksum_merge(&a->POS, &b->POS);
    vn__ksum_merge(&a->NEG, &b->NEG);
    vn__ksum_merge(&a->E2, &b->E2);
    a->ymin = fmin(a->ymin, b->ymin);
    a->ymax = fmax(a->ymax, b->ymax);
    a->pmin = fmin(a->pmin, b->pmin);
    a->pmax = fmax(a->pmax, b->pmax);
    a->emin = fmin(a->emin, b->emin);
    a->emax = fmax(a->emax, b->emax);
    vn__ksum_merge(&a->AY, &b->AY);
    vn__ksum_merge(&a->ape_nz, &b->ape_nz);
    vn__ksum_merge(&a->pe_nz, &b->pe_nz);
    vn__ksum_merge(&a->w_nz, &b->w_nz);
    vn__ksum_merge(&a->ape_eps, &b->ape_eps);
    vn__ksum_merge(&a->pe_eps, &b->pe_eps);
    vn__ksum_merge(&a->ape_big, &b->ape_big);
    a->n_zero += b->n_zero;
    a->n_big += b->n_big;
    vn__ksum_merge(&a->smape, &b->smape);
    vn__ksum_merge(&a->msle, &b->msle);
    vn__ksum_merge(&a->logcosh, &b->logcosh);
    a->n_msle_bad += b->n_msle_bad;
    for (size_t k = 0; k < plan->nslots; k++) {
        vn__ksum_merge(&a->slot[k].s, &b->slot[k].s);
        a->slot[k].bad += b->slot[k].bad;
    }
}
