/*
 * qr.h — least squares without normal equations: a Householder QR that takes rows as
 * they come (blocks of rows folded into the triangular factor R, Golub & Van Loan,
 * "Matrix Computations", 4th ed., §5.1–5.2 and §5.3.4 on updating), and what the
 * residual diagnostics read from R: the R² of the last column on the others, the
 * inverse of a triangular factor (for variance inflation factors), and the singular
 * values of a small square matrix by one-sided Jacobi rotations (Hestenes 1958; Demmel &
 * Veselić 1992 on its relative accuracy) for condition numbers. Used by diagnose.c and
 * tested on the NIST StRD linear-regression files (tests/unit/test_diagnose.c).
 */
#ifndef VN_QR_H
#define VN_QR_H

#include "internal.h"

/* The triangular factor of the rows seen so far: X = QR with X the n × p matrix of
 * rows, R upper triangular p × p (row-major, R[i*p + j]); Q is not kept. */
typedef struct vn__qr {
    size_t p;
    uint64_t n;      /* rows added */
    double *R;       /* p × p */
    double *blk;     /* rows waiting to be folded, VN__QR_BLOCK × p */
    size_t nb;
} vn__qr;

#define VN__QR_BLOCK 64

/* p >= 1 columns; VN_ERR_NOMEM when the memory cannot be had (q then holds nothing to
 * free). */
vn_status vn__qr_init(vn__qr *q, size_t p);
void vn__qr_free(vn__qr *q);
/* Adds one row of p values (finite). */
void vn__qr_add(vn__qr *q, const double *row);
/* Folds the waiting rows: call before reading R. */
void vn__qr_flush(vn__qr *q);

/* With column 0 the intercept (all ones) and the last column u: the centred R² of u
 * regressed on columns 0 … p−2, Σ_{i=1}^{p−2} R_iu² / (Σ_{i=1}^{p−2} R_iu² + R_uu²)
 * (the part of u's centred sum of squares the regressors explain, read off R without a
 * subtraction). *tss receives the denominator. NaN when it is 0. */
double vn__qr_r2_last(const vn__qr *q, double *tss);

/* Solves R[0..k, 0..k] b = R[0..k, k+1] … for least squares of column `yc` on columns
 * 0 … k−1 (k = yc): b[0..k). Returns false when a diagonal element is 0. */
bool vn__qr_solve(const vn__qr *q, size_t yc, double *b);

/* The inverse of the upper triangular m × m matrix T (row-major) into Ti (may not alias
 * T), by back substitution column by column. Returns false when a diagonal element is 0. */
bool vn__tri_inverse(const double *T, size_t m, double *Ti);

/* Singular values of the m × m matrix A (row-major; destroyed) into s[0..m), descending:
 * one-sided Jacobi rotations on the columns until every pair is orthogonal to 1e-15
 * (at most 60 sweeps). */
void vn__svd_values(double *A, size_t m, double *s);

#endif /* VN_QR_H */
