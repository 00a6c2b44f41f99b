/*
 * qr.c — Householder QR over a stream of rows, triangular inversion and Jacobi singular
 * values (contracts in qr.h).
 *
 * Folding a block B (b rows) into R: column k's reflector acts on R_kk and B's column k
 * only — the rows of R below k are zero there — so the update costs O(b·p²) and fills
 * nothing. With x = (R_kk, B_0k … B_(b−1)k), σ = ‖x‖ (scaled so that it neither overflows
 * nor underflows), α = −sign(R_kk)·σ, v = x − α·e_1 and v'v = 2σ(σ + |R_kk|), the
 * reflector H = I − 2vv'/(v'v) maps x to α·e_1 and is applied to the columns j > k
 * (Golub & Van Loan §5.1.2; the sign of α avoids the cancellation in v_0).
 */
#include "qr.h"

#include <string.h>

vn_status vn__qr_init(vn__qr *q, size_t p)
{
    memset(q, 0, sizeof *q);
    q->p = p;
    q->R = vn__calloc(p * p, sizeof *q->R);
    q->blk = vn__calloc((size_t)VN__QR_BLOCK * p, sizeof *q->blk);
    if (!q->R || !q->blk) {
        vn__qr_free(q);
        return VN_ERR_NOMEM;
    }
    return VN_OK;
}

void vn__qr_free(vn__qr *q)
{
    vn__free(q->R);
    vn__free(q->blk);
    q->R = q->blk = NULL;
}

void vn__qr_flush(vn__qr *q)
{
    const size_t p = q->p, b = q->nb;
    double *R = q->R, *B = q->blk;
    for (size_t k = 0; k < p && b; k++) {
        double big = fabs(R[k * p + k]);
        for (size_t i = 0; i < b; i++)
            big = fmax(big, fabs(B[i * p + k]));
        if (big == 0.0)
            continue;
        const double r = R[k * p + k] / big;
        double ss = r * r;
        for (size_t i = 0; i < b; i++) {
            const double t = B[i * p + k] / big;
            ss += t * t;
        }
        const double sigma = big * sqrt(ss);
        const double rkk = R[k * p + k];
        const double alpha = rkk > 0 ? -sigma : sigma;
        const double v0 = rkk - alpha;              /* |rkk| + σ: no cancellation */
        const double tau = 1.0 / (sigma * (sigma + fabs(rkk))); /* 2 / v'v */
        for (size_t j = k + 1; j < p; j++) {
            double s = v0 * R[k * p + j];
            for (size_t i = 0; i < b; i++)
                s += B[i * p + k] * B[i * p + j];
            s *= tau;
            R[k * p + j] -= s * v0;
            for (size_t i = 0; i < b; i++)
                B[i * p + j] -= s * B[i * p + k];
        }
        R[k * p + k] = alpha;
        for (size_t i = 0; i < b; i++)
            B[i * p + k] = 0.0;
    }
    q->nb = 0;
}

void vn__qr_add(vn__qr *q, const double *row)
{
    memcpy(q->blk + q->nb * q->p, row, q->p * sizeof *row);
    q->n++;
    if (++q->nb == VN__QR_BLOCK)
        vn__qr_flush(q);
}

double vn__qr_r2_last(const vn__qr *q, double *tss)
{
    const size_t p = q->p, u = p - 1;
    vn__ksum expl = {0, 0};
    for (size_t i = 1; i < u; i++)
        vn__ksum_add(&expl, q->R[i * p + u] * q->R[i * p + u]);
    const double e = vn__ksum_get(&expl), r = q->R[u * p + u] * q->R[u * p + u];
    *tss = e + r;
    return *tss > 0 ? e / *tss : NAN;
}

bool vn__qr_solve(const vn__qr *q, size_t yc, double *b)
{
    const size_t p = q->p;
    for (size_t ii = yc; ii-- > 0;) {
        const double d = q->R[ii * p + ii];
        if (d == 0.0)
            return false;
        vn__ksum s = {q->R[ii * p + yc], 0};
        for (size_t j = ii + 1; j < yc; j++)
            vn__ksum_add(&s, -q->R[ii * p + j] * b[j]);
        b[ii] = vn__ksum_get(&s) / d;
    }
    return true;
}

bool vn__tri_inverse(const double *T, size_t m, double *Ti)
{
    memset(Ti, 0, m * m * sizeof *Ti);
    for (size_t i = 0; i < m; i++)
        if (T[i * m + i] == 0.0)
            return false;
    for (size_t c = 0; c < m; c++) { /* T x = e_c, x is column c of Ti */
        for (size_t ii = c + 1; ii-- > 0;) {
            vn__ksum s = {ii == c ? 1.0 : 0.0, 0};
            for (size_t j = ii + 1; j <= c; j++)
                vn__ksum_add(&s, -T[ii * m + j] * Ti[j * m + c]);
            Ti[ii * m + c] = vn__ksum_get(&s) / T[ii * m + ii];
        }
    }
    return true;
}

void vn__svd_values(double *A, size_t m, double *s)
{
    for (int sweep = 0; sweep < 60; sweep++) {
        bool rotated = false;
        for (size_t j = 0; j + 1 < m; j++)
            for (size_t k = j + 1; k < m; k++) {
                double a = 0, b = 0, c = 0; /* ‖col j‖², ‖col k‖², col j · col k */
                for (size_t i = 0; i < m; i++) {
                    const double x = A[i * m + j], y = A[i * m + k];
                    a += x * x;
                    b += y * y;
                    c += x * y;
                }
                if (c == 0.0 || fabs(c) <= 1e-15 * sqrt(a * b))
                    continue;
                rotated = true;
                /* the rotation that zeroes the pair's inner product (Rutishauser's form) */
                const double zeta = (b - a) / (2.0 * c);
                const double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1.0 + zeta * zeta));
                const double cs = 1.0 / sqrt(1.0 + t * t), sn = cs * t;
                for (size_t i = 0; i < m; i++) {
                    const double x = A[i * m + j], y = A[i * m + k];
                    A[i * m + j] = cs * x - sn * y;
                    A[i * m + k] = sn * x + cs * y;
                }
            }
        if (!rotated)
            break;
    }
    for (size_t j = 0; j < m; j++) {
        double big = 0;
        for (size_t i = 0; i < m; i++)
            big = fmax(big, fabs(A[i * m + j]));
        double ss = 0;
        for (size_t i = 0; big > 0 && i < m; i++)
            ss += (A[i * m + j] / big) * (A[i * m + j] / big);
        s[j] = big * sqrt(ss);
    }
    for (size_t i = 1; i < m; i++) { /* descending */
        const double v = s[i];
        size_t j = i;
        for (; j > 0 && s[j - 1] < v; j--)
            s[j] = s[j - 1];
        s[j] = v;
    }
}
