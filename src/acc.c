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

#include <assert.h>
#include <float.h>
#include <stdint.h>
/* The vector helpers are static and inlined: no vector crosses a call boundary, so the
 * ABI note GCC gives for AVX-sized vectors without AVX does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#include <string.h>

/* The states of custom C metrics follow the slot sums, each at its metric's state_off
 * (eval.c's make_plan), 16-byte aligned. */
static size_t custom_base(size_t nslots)
{
    return (sizeof(vn__acc) + nslots * sizeof(struct vn__slot_sum) + 15) / 16 * 16;
}

size_t vn__acc_size(const vn__plan *plan)
{
    size_t end = 0;
    for (size_t k = 0; k < plan->nslots; k++)
        if (plan->slots[k].kind == SLOT_CUSTOM) {
            const vn__umetric *um = plan->slots[k].um;
            const size_t e = um->state_off + (um->def->state_size + 15) / 16 * 16;
            end = e > end ? e : end;
        }
    return end ? custom_base(plan->nslots) + end
               : sizeof(vn__acc) + plan->nslots * sizeof(struct vn__slot_sum);
}

void *vn__acc_state(const vn__acc *a, const vn__umetric *um)
{
    return (char *)a + custom_base(a->nslots) + um->state_off;
}

void vn__acc_init(vn__acc *a, const vn__plan *plan)
{
    memset(a, 0, vn__acc_size(plan));
    a->nslots = plan->nslots;
    a->ymin = a->pmin = a->emin = INFINITY;
    a->ymax = a->pmax = a->emax = -INFINITY;
    for (size_t k = 0; k < plan->nslots; k++) {
        const vn__umetric *um = plan->slots[k].um;
        if (plan->slots[k].kind == SLOT_CUSTOM && um->def->init)
            um->def->init(vn__acc_state(a, um), um->def->ud);
    }
}

/* ---- per-row losses of the parameterised slots (METRICS.md; scikit-learn's forms) ---- */

double vn__huber(double e, double d)
{
    const double ae = fabs(e);
    return ae <= d ? 0.5 * e * e : d * (ae - 0.5 * d);
}

/* δ²(√(1+(e/δ)²) − 1), without cancellation for small e/δ nor overflow for large. */
double vn__pseudo_huber(double e, double d)
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
double vn__log_cosh(double e)
{
    const double ae = fabs(e);
    if (ae < 20.0) {
        const double s = sinh(0.5 * ae);
        return log1p(2.0 * s * s);
    }
    return ae + log1p(exp(-2.0 * ae)) - M_LN2;
}

/* ---- lanes: four interleaved compensated sums ----
 * Row i of a block goes to lane i mod 4, so four independent dependency chains keep
 * the pipeline full (one TwoSum has a latency of several additions). The lanes are
 * folded into the state in lane order at the end of the block: the result depends
 * only on the block's rows. The block kernel below keeps the four lanes in one vector
 * of four doubles (GCC's vector extension: two SSE2 registers by default, one AVX
 * register in the AVX2 clone); each lane sees exactly the operations of the scalar
 * lane_add, in the same order, so every clone gives the same bits. */
#define LANES 4

typedef struct lanes {
    double s[LANES], c[LANES];
} lanes;

static inline void lane_add(lanes *l, size_t j, double x)
{
    const double t = l->s[j] + x;
    const double bp = t - l->s[j];
    l->c[j] += (l->s[j] - (t - bp)) + (x - bp);
    l->s[j] = t;
}

/* k += the lanes (k may already hold a partial sum). */
static void lanes_into(const lanes *l, vn__ksum *k)
{
    for (size_t j = 0; j < LANES; j++) {
        vn__ksum_add(k, l->s[j]);
        k->c += l->c[j];
    }
}

static double lanes_get(const lanes *l)
{
    vn__ksum k = {0, 0};
    lanes_into(l, &k);
    return vn__ksum_get(&k);
}

typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));

typedef struct vlanes {
    v4d s, c;
} vlanes;

static inline __attribute__((always_inline)) v4d vld(const double *p)
{
    v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void vst(double *p, v4d v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) v4d vsplat(double x) { return (v4d){x, x, x, x}; }

/* lane_add on all four lanes at once. */
static inline __attribute__((always_inline)) void vadd(vlanes *l, v4d x)
{
    const v4d t = l->s + x;
    const v4d bp = t - l->s;
    l->c += (l->s - (t - bp)) + (x - bp);
    l->s = t;
}

/* x where the mask is set, else +0.0 (the scalar code's `cond ? x : 0.0`). */
static inline __attribute__((always_inline)) v4d vkeep(v4i m, v4d x) { return (v4d)((v4i)x & m); }
/* a where the mask is set, else b. */
static inline __attribute__((always_inline)) v4d vpick(v4i m, v4d a, v4d b) { return (v4d)(((v4i)a & m) | ((v4i)b & ~m)); }
static inline __attribute__((always_inline)) v4d vabs(v4d x) { return (v4d)((v4i)x & (v4i){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}); }

static inline __attribute__((always_inline)) vlanes vin(const lanes *l)
{
    vlanes v;
    memcpy(&v.s, l->s, sizeof v.s);
    memcpy(&v.c, l->c, sizeof v.c);
    return v;
}

static inline __attribute__((always_inline)) lanes vout(const vlanes *v)
{
    lanes l;
    memcpy(l.s, &v->s, sizeof l.s);
    memcpy(l.c, &v->c, sizeof l.c);
    return l;
}

/* The weights of the four rows of group g as a vector, and row i's weight: 1 when ones
 * (w is NULL), and then w·x is x exactly, the bits an array of ones gives, without the
 * loads and multiplications. */
#define WV(g) (ones ? vsplat(1.0) : vld(w + (g)))
#define WS(i) (ones ? 1.0 : w[i])

static inline __attribute__((always_inline)) void acc_block(vn__acc *a, const vn__plan *plan,
                                                            const double *y, const double *p,
                                                            const double *w, size_t n,
                                                            const bool ones)
{
    const unsigned need = plan->needs;
    const bool momy = need & (NEED_MOM | NEED_SYY), mom = need & NEED_MOM;
    const size_t nv = n / LANES * LANES; /* rows in whole groups of four */
    a->n += n;
    lanes W, E, POS, NEG, E2, WY = {0}, WP = {0};
    {
        vlanes vW = {0}, vE = {0}, vP = {0}, vN = {0}, vE2 = {0};
        for (size_t g = 0; g < nv; g += LANES) {
            const v4d yv = vld(y + g), pv = vld(p + g), wv = WV(g);
            const v4d e = pv - yv, we = wv * e;
            if (!ones) /* ones: lane j counts its rows, set below */
                vadd(&vW, wv);
            vadd(&vE, we);
            vadd(&vP, vkeep(e > 0.0, we));
            vadd(&vN, vkeep(e < 0.0, -we));
            vadd(&vE2, we * e);
        }
        W = vout(&vW), E = vout(&vE), POS = vout(&vP), NEG = vout(&vN), E2 = vout(&vE2);
        for (size_t j = 0; ones && j < LANES; j++) /* nv/4 additions of 1: exact, error 0 */
            W.s[j] = (double)(nv / LANES), W.c[j] = 0.0;
    }
    /* comparisons, not fmin/fmax: inputs are finite, and libm calls are not inlined */
    double ymin = a->ymin, ymax = a->ymax, pmin = a->pmin, pmax = a->pmax;
    double emin = a->emin, emax = a->emax;
    {
        v4d y0 = vsplat(ymin), y1 = vsplat(ymax), p0 = vsplat(pmin), p1 = vsplat(pmax);
        v4d e0 = vsplat(emin), e1 = vsplat(emax);
        vlanes vWY = {0}, vWP = {0};
        for (size_t g = 0; g < nv; g += LANES) {
            const v4d yv = vld(y + g), pv = vld(p + g), e = pv - yv;
            y0 = vpick(yv < y0, yv, y0);
            y1 = vpick(yv > y1, yv, y1);
            p0 = vpick(pv < p0, pv, p0);
            p1 = vpick(pv > p1, pv, p1);
            e0 = vpick(e < e0, e, e0);
            e1 = vpick(e > e1, e, e1);
            if (momy)
                vadd(&vWY, WV(g) * yv);
            if (mom)
                vadd(&vWP, WV(g) * pv);
        }
        for (size_t j = 0; j < LANES; j++) {
            ymin = y0[j] < ymin ? y0[j] : ymin;
            ymax = y1[j] > ymax ? y1[j] : ymax;
            pmin = p0[j] < pmin ? p0[j] : pmin;
            pmax = p1[j] > pmax ? p1[j] : pmax;
            emin = e0[j] < emin ? e0[j] : emin;
            emax = e1[j] > emax ? e1[j] : emax;
        }
        WY = vout(&vWY), WP = vout(&vWP);
    }
    for (size_t g = nv, j = 0; g < n; g++, j++) {
        const double e = p[g] - y[g], we = WS(g) * e;
        lane_add(&W, j, WS(g));
        lane_add(&E, j, we);
        lane_add(&POS, j, e > 0.0 ? we : 0.0);
        lane_add(&NEG, j, e < 0.0 ? -we : 0.0);
        lane_add(&E2, j, we * e);
        if (momy)
            lane_add(&WY, j, WS(g) * y[g]);
        if (mom)
            lane_add(&WP, j, WS(g) * p[g]);
        ymin = y[g] < ymin ? y[g] : ymin;
        ymax = y[g] > ymax ? y[g] : ymax;
        pmin = p[g] < pmin ? p[g] : pmin;
        pmax = p[g] > pmax ? p[g] : pmax;
        emin = e < emin ? e : emin;
        emax = e > emax ? e : emax;
    }
    a->ymin = ymin, a->ymax = ymax, a->pmin = pmin, a->pmax = pmax, a->emin = emin, a->emax = emax;
    lanes_into(&W, &a->W);
    lanes_into(&E, &a->E);
    lanes_into(&POS, &a->POS);
    lanes_into(&NEG, &a->NEG);
    lanes_into(&E2, &a->E2);
    if (momy) {
        /* The corrected two-pass algorithm: deviations from the block means, minus the
         * squared sum of deviations over W (which removes the means' rounding). Syy
         * alone (NEED_SYY: r2) or every moment (NEED_MOM); Syy's bits are the same. */
        lanes_into(&WY, &a->WY);
        const double Wt = vn__ksum_get(&a->W);
        const double my = vn__ksum_get(&a->WY) / Wt;
        const v4d vmy = vsplat(my);
        lanes syy, cy;
        if (!mom) {
            vlanes a1 = {0}, a3 = {0};
            for (size_t g = 0; g < nv; g += LANES) {
                const v4d dy = vld(y + g) - vmy, wdy = WV(g) * dy;
                vadd(&a1, wdy * dy);
                vadd(&a3, wdy);
            }
            syy = vout(&a1), cy = vout(&a3);
            for (size_t r = nv, j = 0; r < n; r++, j++) {
                const double dy = y[r] - my, wdy = WS(r) * dy;
                lane_add(&syy, j, wdy * dy);
                lane_add(&cy, j, wdy);
            }
        } else {
            lanes_into(&WP, &a->WP);
            const double mp = vn__ksum_get(&a->WP) / Wt, me = vn__ksum_get(&a->E) / Wt;
            const v4d vmp = vsplat(mp), vme = vsplat(me);
            lanes spp, syp, see, cp, ce;
            {
                vlanes a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0};
                for (size_t g = 0; g < nv; g += LANES) {
                    const v4d wv = WV(g), dy = vld(y + g) - vmy, dp = vld(p + g) - vmp;
                    const v4d wdy = wv * dy, wdp = wv * dp;
                    vadd(&a1, wdy * dy);
                    vadd(&a2, wdp * dp);
                    vadd(&a3, wdy);
                    vadd(&a4, wdp);
                }
                syy = vout(&a1), spp = vout(&a2), cy = vout(&a3), cp = vout(&a4);
            }
            {
                vlanes a1 = {0}, a2 = {0}, a3 = {0};
                for (size_t g = 0; g < nv; g += LANES) {
                    const v4d wv = WV(g), yv = vld(y + g), pv = vld(p + g);
                    const v4d dy = yv - vmy, dp = pv - vmp, de = (pv - yv) - vme;
                    const v4d wde = wv * de;
                    vadd(&a1, (wv * dy) * dp);
                    vadd(&a2, wde * de);
                    vadd(&a3, wde);
                }
                syp = vout(&a1), see = vout(&a2), ce = vout(&a3);
            }
            for (size_t r = nv, j = 0; r < n; r++, j++) {
                const double dy = y[r] - my, dp = p[r] - mp, de = (p[r] - y[r]) - me;
                const double wdy = WS(r) * dy, wdp = WS(r) * dp, wde = WS(r) * de;
                lane_add(&syy, j, wdy * dy);
                lane_add(&spp, j, wdp * dp);
                lane_add(&syp, j, wdy * dp);
                lane_add(&see, j, wde * de);
                lane_add(&cy, j, wdy);
                lane_add(&cp, j, wdp);
                lane_add(&ce, j, wde);
            }
            const double sy = lanes_get(&cy), sp = lanes_get(&cp), se = lanes_get(&ce);
            a->Spp = fmax(lanes_get(&spp) - sp * sp / Wt, 0.0);
            a->Syp = lanes_get(&syp) - sy * sp / Wt;
            a->See = fmax(lanes_get(&see) - se * se / Wt, 0.0);
        }
        const double sy = lanes_get(&cy);
        a->Syy = fmax(lanes_get(&syy) - sy * sy / Wt, 0.0);
    }
    if (need & NEED_AY) {
        vlanes v = {0};
        for (size_t g = 0; g < nv; g += LANES)
            vadd(&v, WV(g) * vabs(vld(y + g)));
        lanes ay = vout(&v);
        for (size_t i = nv; i < n; i++)
            lane_add(&ay, i & (LANES - 1), WS(i) * fabs(y[i]));
        lanes_into(&ay, &a->AY);
    }
    if (need & NEED_APE) {
        lanes ape_eps, pe_eps, ape_nz, pe_nz, w_nz, ape_big;
        const bool mpe = need & NEED_PE;
        uint64_t n_zero = 0, n_big = 0;
        const v4d eps = vsplat(DBL_EPSILON);
        const v4i sign = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
        {
            /* One division a row: r = |e|/max(|y|, eps) is ape_eps; e/(±den) and e/y are r
             * with the sign of e times that of y (IEEE division: magnitude and sign apart,
             * the same bits); |e|/|y| is r too unless 0 < |y| < eps (divided apart). */
            vlanes a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0};
            v4i nz = {0, 0, 0, 0}, nb = {0, 0, 0, 0};
            for (size_t g = 0; g < nv; g += LANES) {
                const v4d yv = vld(y + g), wv = WV(g), e = vld(p + g) - yv;
                const v4d ay = vabs(yv), ae = vabs(e);
                const v4d den = vpick(ay > eps, ay, eps);
                const v4d r = ae / den;
                const v4i neg = (v4i)e & sign;
                const v4d pe_e = (v4d)((v4i)r | (neg ^ ((yv < 0.0) & sign)));
                const v4i zero = yv == 0.0, tiny = (ay < eps) & ~zero;
                v4d rnz = r;
                if (tiny[0] | tiny[1] | tiny[2] | tiny[3])
                    rnz = vpick(tiny, ae / vpick(tiny, ay, vsplat(1.0)), r);
                const v4d ape = vkeep(~zero, rnz);
                const v4d pe = (v4d)((v4i)ape | (neg ^ ((v4i)yv & sign)));
                const v4i big = ape > 1.0;
                vadd(&a1, wv * r);
                if (mpe) { /* NEED_PE: the signed sums of mpe */
                    vadd(&a2, wv * pe_e);
                    vadd(&a4, vkeep(~zero, wv * pe));
                }
                vadd(&a3, wv * ape);
                if (!ones) /* ones: the count of rows with y != 0, set below */
                    vadd(&a5, vkeep(~zero, wv));
                vadd(&a6, vkeep(big, wv * ape));
                nz -= zero; /* masks are -1 where true */
                nb -= big;
            }
            ape_eps = vout(&a1), pe_eps = vout(&a2), ape_nz = vout(&a3), pe_nz = vout(&a4);
            w_nz = vout(&a5), ape_big = vout(&a6);
            for (size_t j = 0; j < LANES; j++) {
                n_zero += (uint64_t)nz[j], n_big += (uint64_t)nb[j];
                if (ones) /* nv/4 - nz[j] additions of 1 and nz[j] of +0: exact */
                    w_nz.s[j] = (double)(nv / LANES - (uint64_t)nz[j]), w_nz.c[j] = 0.0;
            }
        }
        for (size_t i = nv; i < n; i++) {
            const size_t j = i & (LANES - 1);
            const double e = p[i] - y[i], ay = fabs(y[i]);
            const double den = ay > DBL_EPSILON ? ay : DBL_EPSILON;
            lane_add(&ape_eps, j, WS(i) * (fabs(e) / den));
            lane_add(&pe_eps, j, WS(i) * (e / (y[i] < 0.0 ? -den : den)));
            const bool zero = y[i] == 0.0;
            const double ape = zero ? 0.0 : fabs(e) / ay;
            lane_add(&ape_nz, j, WS(i) * ape);
            lane_add(&pe_nz, j, zero ? 0.0 : WS(i) * (e / y[i]));
            lane_add(&w_nz, j, zero ? 0.0 : WS(i));
            lane_add(&ape_big, j, ape > 1.0 ? WS(i) * ape : 0.0);
            n_zero += zero;
            n_big += ape > 1.0;
        }
        lanes_into(&ape_eps, &a->ape_eps);
        lanes_into(&pe_eps, &a->pe_eps);
        lanes_into(&ape_nz, &a->ape_nz);
        lanes_into(&pe_nz, &a->pe_nz);
        lanes_into(&w_nz, &a->w_nz);
        lanes_into(&ape_big, &a->ape_big);
        a->n_zero += n_zero;
        a->n_big += n_big;
    }
    if (need & NEED_SMAPE) {
        vlanes v = {0};
        for (size_t g = 0; g < nv; g += LANES) {
            const v4d yv = vld(y + g), pv = vld(p + g);
            const v4d d = vabs(yv) + vabs(pv);
            vadd(&v, vkeep(d > 0.0, WV(g) * ((2.0 * vabs(pv - yv)) / d)));
        }
        lanes sm = vout(&v);
        for (size_t i = nv; i < n; i++) {
            const double d = fabs(y[i]) + fabs(p[i]);
            lane_add(&sm, i & (LANES - 1), d > 0.0 ? WS(i) * (2.0 * fabs(p[i] - y[i]) / d) : 0.0);
        }
        lanes_into(&sm, &a->smape);
    }
    if (need & NEED_MSLE) {
        lanes ms = {0};
        for (size_t i = 0; i < n; i++) {
            if (y[i] <= -1.0 || p[i] <= -1.0) {
                a->n_msle_bad++;
                continue;
            }
            const double d = log1p(y[i]) - log1p(p[i]);
            lane_add(&ms, i & (LANES - 1), WS(i) * (d * d));
        }
        lanes_into(&ms, &a->msle);
    }
    if (need & NEED_LOGCOSH) {
        lanes lc = {0};
        for (size_t i = 0; i < n; i++)
            lane_add(&lc, i & (LANES - 1), WS(i) * vn__log_cosh(p[i] - y[i]));
        lanes_into(&lc, &a->logcosh);
    }
    for (size_t k = 0; k < plan->nslots; k++) {
        const double q = plan->slots[k].param;
        struct vn__slot_sum *sl = &a->slot[k];
        lanes ls = {0};
        switch (plan->slots[k].kind) {
        case SLOT_HUBER: {
            /* vn__huber, lane-wise: 0.5·e·e inside the threshold, d·(|e| − d/2) beyond */
            vlanes v = {0};
            const v4d d = vsplat(q), hd = vsplat(0.5 * q);
            for (size_t g = 0; g < nv; g += LANES) {
                const v4d e = vld(p + g) - vld(y + g), ae = vabs(e);
                const v4d h = vpick(ae <= d, 0.5 * e * e, d * (ae - hd));
                vadd(&v, WV(g) * h);
            }
            ls = vout(&v);
            for (size_t i = nv; i < n; i++)
                lane_add(&ls, i & (LANES - 1), WS(i) * vn__huber(p[i] - y[i], q));
            break;
        }
        case SLOT_PSEUDO_HUBER:
            for (size_t i = 0; i < n; i++)
                lane_add(&ls, i & (LANES - 1), WS(i) * vn__pseudo_huber(p[i] - y[i], q));
            break;
        case SLOT_TWEEDIE:
            for (size_t i = 0; i < n; i++) {
                bool bad = false;
                const double d = vn__tweedie_dev(y[i], p[i], q, &bad);
                sl->bad += bad;
                lane_add(&ls, i & (LANES - 1), bad ? 0.0 : WS(i) * d);
            }
            break;
        case SLOT_EXPR: /* vn__acc_fold */
        case SLOT_CUSTOM:
            continue;
        }
        lanes_into(&ls, &sl->s);
    }
}

#undef WV
#undef WS

VN_CLONES
void vn__acc_block(vn__acc *a, const vn__plan *plan, const double *y, const double *p,
                   const double *w, size_t n)
{
    if (w)
        acc_block(a, plan, y, p, w, n, false);
    else
        acc_block(a, plan, y, p, NULL, n, true);
}

/* t[0..m) added into the lanes (row i in lane i mod LANES, as acc_block's sums), a value
 * that is not finite as 0; returns how many were not. The whole groups of four as one
 * vector (vadd: each lane gets lane_add's operations, the same bits). */
static inline __attribute__((always_inline)) uint64_t lanes_terms(lanes *ls, const double *t,
                                                                  size_t m)
{
    const size_t mv = m / LANES * LANES;
    const v4d big = vsplat(DBL_MAX);
    vlanes v = vin(ls);
    v4i nbad = {0, 0, 0, 0};
    for (size_t i = 0; i < mv; i += LANES) {
        const v4d x = vld(t + i);
        const v4i ok = vabs(x) <= big; /* false for ±inf and NaN */
        vadd(&v, vkeep(ok, x));
        nbad -= ~ok; /* masks are -1 where true */
    }
    *ls = vout(&v);
    uint64_t bad = 0;
    for (size_t j = 0; j < LANES; j++)
        bad += (uint64_t)nbad[j];
    for (size_t i = mv; i < m; i++) {
        const bool ok = isfinite(t[i]);
        bad += !ok;
        lane_add(ls, i & (LANES - 1), ok ? t[i] : 0.0);
    }
    return bad;
}

VN_CLONES
void vn__acc_fold(vn__acc *a, const vn__plan *plan, const double *y, const double *p,
                  const double *w, const double *const *x, size_t off, size_t n)
{
    vn__acc_block(a, plan, y + off, p + off, w ? w + off : NULL, n);
    const vn__xrows xr = {y, p, w, x};
    for (size_t k = 0; k < plan->nslots; k++) {
        const vn__slot *sl = &plan->slots[k];
        if (sl->kind == SLOT_EXPR) {
            /* an expression's term, VN_EXPR_ROWS rows at a time, summed in the lanes of
             * the built-in sums (row i of the block in lane i mod LANES): with the same
             * terms, the same bits as theirs */
            double t[VN_EXPR_ROWS];
            lanes ls = {0};
            uint64_t bad = 0;
            for (size_t at = 0; at < n; at += VN_EXPR_ROWS) {
                const size_t m = n - at < VN_EXPR_ROWS ? n - at : VN_EXPR_ROWS;
                vn__prog_run(sl->prog, &xr, off + at, m, t);
                bad += lanes_terms(&ls, t, m);
            }
            lanes_into(&ls, &a->slot[k].s);
            a->slot[k].bad += bad;
        } else if (sl->kind == SLOT_CUSTOM) {
            const vn__umetric *um = sl->um;
            const double *cols[16];
            for (size_t c = 0; c < um->def->ncolumns; c++)
                cols[c] = x[um->col[c]] + off;
            assert(w || n <= VN_BLOCK_ROWS);
            const vn_block b = {n, y + off, p + off, w ? w + off : vn__ones, cols};
            um->def->block(vn__acc_state(a, um), &b, um->def->ud);
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
    if (plan->needs & (NEED_MOM | NEED_SYY)) { /* (with NEED_SYY alone the rest are 0) */
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
        const vn__umetric *um = plan->slots[k].um;
        if (plan->slots[k].kind == SLOT_CUSTOM)
            um->def->merge(vn__acc_state(a, um), vn__acc_state(b, um), um->def->ud);
    }
}

_Static_assert(VN_BLOCK_ROWS >= VN_EXPR_ROWS, "vn__ones serves a row program's step");
const double vn__ones[VN_BLOCK_ROWS] = {[0 ... VN_BLOCK_ROWS - 1] = 1.0};

/* |p - y| of rows [0, n) into ae, and whether every difference is finite — which it is
 * whenever y and p are (the converse fails only by overflow: a caller that needs finite
 * rows checks them with vn__all_finite when this says false). */
VN_CLONES
bool vn__abs_errors(double *restrict ae, const double *restrict y, const double *restrict p,
                    size_t n)
{
    v4i m = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        const v4d e = vld(p + i) - vld(y + i);
        m |= (v4i)(e - e);
        vst(ae + i, vabs(e));
    }
    bool ok = (m[0] | m[1] | m[2] | m[3]) == 0;
    for (; i < n; i++) {
        const double e = p[i] - y[i];
        ok &= isfinite(e) != 0;
        ae[i] = fabs(e);
    }
    return ok;
}

/* x - x is +0.0 (all bits clear) for a finite x, NaN otherwise: OR the bits together. */
VN_CLONES
bool vn__all_finite(const double *x, size_t n)
{
    v4i m = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        const v4d v = vld(x + i);
        m |= (v4i)(v - v);
    }
    bool ok = (m[0] | m[1] | m[2] | m[3]) == 0;
    for (; i < n; i++)
        ok &= isfinite(x[i]) != 0;
    return ok;
}
