"""
Exact oracles for the hand-derived metrics of METRICS.md.

What the oracle is: every binary64 input is converted exactly to an integer times a
common power of two (x.as_integer_ratio()), so sums, differences and products — Σw·e,
Σw·e², Σw|y|, the centred sums of CCC, the quantiles of type 7 — are computed exactly
in Python integers / fractions.Fraction, with no rounding at all. What cannot be
rational is done in `decimal` with 50 significant digits (~1e-48 relative error, some
30 orders of magnitude below the test tolerances): the final square root (rmse, nrmse,
rmsse), the per-row quotients of smape and mpe, the per-row square root of pseudo-Huber
and the per-row log cosh (at extra precision for tiny |e|, where log cosh e ~ e²/2).

Each function takes the rows vernier uses (w > 0; w None = unweighted) as numpy float64
arrays and returns either an `Exact` (value + scale of the terms, for the tolerance) or
a `Reason` (expected null + the admissible reasons).
"""
import math
from decimal import Decimal, localcontext, Context
from fractions import Fraction

import numpy as np

PREC = 50
CTX = Context(prec=PREC, Emax=10 ** 9, Emin=-(10 ** 9))


class Reason:
    def __init__(self, *reasons):
        self.reasons = set(reasons)

    def __repr__(self):
        return f"Reason{sorted(self.reasons)}"


class Exact:
    """value: the exact (or 50-digit) result; scale: magnitude of the terms whose sum
    or difference gives it (== |value| when no cancellation is possible)."""

    def __init__(self, value, scale=None):
        self.value = value
        self.scale = abs(value) if scale is None else scale

    def __float__(self):
        return float(self.value)


def D(x):
    """Fraction / int / float -> Decimal (50 digits)."""
    if isinstance(x, Fraction):
        return CTX.divide(Decimal(x.numerator), Decimal(x.denominator))
    if isinstance(x, Decimal):
        return x
    return Decimal(x)


def dsqrt(x):
    return CTX.sqrt(D(x))


# ---------------------------------------------------------------------------------------
# exact representation
# ---------------------------------------------------------------------------------------
def to_ints(*arrays, extra=()):
    """Common scale K and integer lists with value == I / 2**K exactly, for all the
    arrays (and the extra scalars, returned last)."""
    rats = [[float(x).as_integer_ratio() for x in np.asarray(a).tolist()] for a in arrays]
    erats = [float(x).as_integer_ratio() for x in extra]
    K = 0
    for r in rats + [erats]:
        for _, d in r:
            K = max(K, d.bit_length() - 1)
    conv = lambda r: [nn << (K - (d.bit_length() - 1)) for nn, d in r]
    return K, [conv(r) for r in rats], conv(erats)


def weights_ints(w, n):
    """(Kw, list) for the weights; unweighted -> all 1 at scale 0."""
    if w is None:
        return 0, [1] * n
    Kw, (W,), _ = to_ints(w)
    return Kw, W


# ---------------------------------------------------------------------------------------
# weighted means of per-row exact quantities
# ---------------------------------------------------------------------------------------
def _wmean_int(terms, K_terms, Wi, Kw):
    """Σw·t / Σw with t = terms/2^K_terms exact -> Fraction."""
    num = sum(a * b for a, b in zip(Wi, terms))
    den = sum(Wi)
    return Fraction(num, den << K_terms)


def mean_error(y, p, w):
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    K, (Y, P), _ = to_ints(y, p)
    Kw, Wi = weights_ints(w, n)
    E = [b - a for a, b in zip(Y, P)]
    v = _wmean_int(E, K, Wi, Kw)
    s = _wmean_int([abs(x) for x in E], K, Wi, Kw)
    return Exact(v, s)  # cancels: tolerance on Σw|e|/W


def huber(y, p, w, delta):
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    K, (Y, P), (Dl,) = to_ints(y, p, extra=(delta,))
    Kw, Wi = weights_ints(w, n)
    T = []  # 2 * loss, scale 2^(2K)
    for a, b in zip(Y, P):
        e = abs(b - a)
        T.append(e * e if e <= Dl else Dl * (2 * e - Dl))
    return Exact(_wmean_int(T, 2 * K + 1, Wi, Kw))


def pseudo_huber(y, p, w, delta):
    """δ²(√(1+(e/δ)²) − 1) = e² / (√(1+(e/δ)²) + 1): no cancellation."""
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    K, (Y, P), _ = to_ints(y, p)
    d = Decimal(delta)
    sc = Decimal(2) ** K
    ws = [Decimal(x) for x in (w.tolist() if w is not None else [1.0] * n)]
    num = Decimal(0)
    with localcontext(CTX):
        for a, b, wi in zip(Y, P, ws):
            e = Decimal(b - a) / sc
            t = e / d
            num += wi * (e * e / ((1 + t * t).sqrt() + 1))
        W = sum(ws)
        return Exact(num / W)


def _log_cosh_dec(e):
    """log cosh e in decimal, accurate to ~PREC digits for any e (e a Decimal)."""
    ae = abs(e)
    if ae == 0:
        return Decimal(0)
    with localcontext(CTX) as c:
        if ae < Decimal("1e-6"):
            # series: x²/2 − x⁴/12 + x⁶/45 − 17x⁸/2520 (next term ~x¹⁰: < 1e-60 relative)
            x2 = ae * ae
            return x2 / 2 - x2 * x2 / 12 + x2 * x2 * x2 / 45 - 17 * x2 ** 4 / 2520
        if ae > 60:
            # |e| − ln 2 + ln(1 + e^{−2|e|}); the last term is < 1e-52 relative
            t = (-2 * ae).exp()
            return ae - Decimal(2).ln() + (t - t * t / 2)
        # cosh in extra precision: log cosh e ~ e²/2 loses ~2·log10(1/|e|) digits
        c.prec = PREC + 2 * max(0, -ae.adjusted()) + 5
        ex = ae.exp()
        return ((ex + 1 / ex) / 2).ln()


def log_cosh(y, p, w):
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    K, (Y, P), _ = to_ints(y, p)
    sc = Decimal(2) ** K
    ws = [Decimal(x) for x in (w.tolist() if w is not None else [1.0] * n)]
    with localcontext(CTX):
        s = Decimal(0)
        for a, b, wi in zip(Y, P, ws):
            s += wi * _log_cosh_dec(Decimal(b - a) / sc)
        return Exact(s / sum(ws))


def smape(y, p, w):
    """100·Σw·2|e|/(|y|+|ŷ|)/W; a row with y = ŷ = 0 contributes 0 (and counts in W)."""
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    K, (Y, P), _ = to_ints(y, p)
    ws = [Decimal(x) for x in (w.tolist() if w is not None else [1.0] * n)]
    with localcontext(CTX):
        s = Decimal(0)
        for a, b, wi in zip(Y, P, ws):
            den = abs(a) + abs(b)
            if den:
                s += wi * (Decimal(2 * abs(b - a)) / Decimal(den))
        return Exact(100 * s / sum(ws))


def wmape(y, p, w):
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    K, (Y, P), _ = to_ints(y, p)
    Kw, Wi = weights_ints(w, n)
    den = sum(wi * abs(a) for wi, a in zip(Wi, Y))
    if den == 0:
        return Reason("zero_denominator")
    num = sum(wi * abs(b - a) for wi, a, b in zip(Wi, Y, P))
    return Exact(100 * Fraction(num, den))


EPS = 2.220446049250313e-16


def _pct(y, p, w, policy, signed):
    """mape (signed=False) or mpe (signed=True) in percent under the zero policy."""
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    zero = y == 0
    if zero.any() and policy == "nan":
        return Reason("zero_actual")
    if zero.any() and policy == "skip":
        keep = ~zero
        y, p = y[keep], p[keep]
        w = None if w is None else w[keep]
        if len(y) == 0:
            return Reason("no_rows", "zero_actual")
        n = len(y)
    K, (Y, P), (EP,) = to_ints(y, p, extra=(EPS,))
    ws = [Decimal(x) for x in (w.tolist() if w is not None else [1.0] * n)]
    with localcontext(CTX):
        s = Decimal(0)
        sa = Decimal(0)
        for a, b, wi in zip(Y, P, ws):
            den = max(abs(a), EP)  # sklearn's max(|y|, eps); only matters for policy eps
            if a < 0:
                den = -den
            q = Decimal(b - a) / Decimal(den)
            s += wi * (q if signed else abs(q))
            sa += wi * abs(q)
        W = sum(ws)
        return Exact(100 * s / W, 100 * sa / W)


def mape(y, p, w, policy="nan"):
    return _pct(y, p, w, policy, signed=False)


def mpe(y, p, w, policy="nan"):
    return _pct(y, p, w, policy, signed=True)


def rmse_frac(y, p, w):
    """mse as an exact Fraction."""
    n = len(y)
    K, (Y, P), _ = to_ints(y, p)
    Kw, Wi = weights_ints(w, n)
    return _wmean_int([(b - a) ** 2 for a, b in zip(Y, P)], 2 * K, Wi, Kw)


def wmean_frac(y, w):
    K, (Y,), _ = to_ints(y)
    Kw, Wi = weights_ints(w, len(y))
    return _wmean_int(Y, K, Wi, Kw)


def type7_frac(x, q):
    """numpy's default quantile (type 7), exactly: h = (n-1)q."""
    xs = sorted(Fraction(v) for v in np.asarray(x).tolist())
    n = len(xs)
    h = (n - 1) * Fraction(q)
    f = math.floor(h)
    if f + 1 >= n:
        return xs[-1]
    return xs[f] + (h - f) * (xs[f + 1] - xs[f])


def nrmse(y, p, w, norm):
    n = len(y)
    if n == 0:
        return Reason("no_rows")
    mse = rmse_frac(y, p, w)
    if norm == "mean":
        m = wmean_frac(y, w)
        if m == 0:
            return Reason("zero_denominator")
        # METRICS.md: "rmse / mean of y"; docs/metrics.md: |ȳ_w| (a negative NRMSE
        # would break "lower is better"), which is the reading tested here
        v = dsqrt(mse) / abs(D(m))
        # the mean cancels when y has both signs: scale by Σw|y| / |Σwy|
        cond = wmean_frac(np.abs(y), w) / abs(m)
        return Exact(v, abs(v) * D(cond))
    if norm == "range":
        r = Fraction(float(y.max())) - Fraction(float(y.min()))
        if r == 0:
            return Reason("zero_denominator")
        return Exact(dsqrt(mse) / D(r))
    if norm == "std":
        m = wmean_frac(y, w)
        K, (Y,), _ = to_ints(y)
        Kw, Wi = weights_ints(w, n)
        Yf = [Fraction(v, 1 << K) for v in Y]
        var = sum(wi * (a - m) ** 2 for wi, a in zip(Wi, Yf)) / sum(Wi)
        if var == 0:
            return Reason("zero_denominator")
        return Exact(dsqrt(mse / var))
    if norm == "iqr":
        # the quantile convention: type 7 unweighted, the averaged inverted CDF when
        # weights are given (even when all are 1)
        if w is None:
            q3, q1 = type7_frac(y, 0.75), type7_frac(y, 0.25)
        else:
            q3, q1 = weighted_quantile_aicdf(y, w, 0.75), weighted_quantile_aicdf(y, w, 0.25)
        iqr = q3 - q1
        if iqr == 0:
            return Reason("zero_denominator")
        v = dsqrt(mse) / D(iqr)
        # each quartile is rounded in binary64 before the subtraction
        return Exact(v, abs(v) * (1 + D((abs(q3) + abs(q1)) / iqr)))
    raise ValueError(norm)


def ccc(y, p):
    """Lin's concordance with n-1 normalisation (unweighted):
    2 s_xy / (s_x² + s_y² + (x̄ − ȳ)²). Returns Exact with the tolerance scale built
    from the terms that cancel (see the comment inside)."""
    n = len(y)
    if n < 2:
        return Reason("too_few_rows")
    K, (Y, P), _ = to_ints(y, p)
    sy, sp = sum(Y), sum(P)
    # exact centred sums, scaled by n (to stay in integers): n·Σ(y−ȳ)(p−p̄) = nΣyp − ΣyΣp
    syp = n * sum(a * b for a, b in zip(Y, P)) - sy * sp
    syy = n * sum(a * a for a in Y) - sy * sy
    spp = n * sum(b * b for b in P) - sp * sp
    scale = Fraction(1, 1 << (2 * K))
    sxy = Fraction(syp, n * (n - 1)) * scale
    vx = Fraction(syy, n * (n - 1)) * scale
    vy = Fraction(spp, n * (n - 1)) * scale
    my, mp = Fraction(sy, n << K), Fraction(sp, n << K)
    den = vx + vy + (my - mp) ** 2
    if den == 0:
        return Reason("constant_input", "constant_y", "zero_denominator")
    v = 2 * sxy / den
    # Tolerance scale: the numerator is a signed sum, its error is relative to
    # 2Σ|dy·dp|/(n−1); the denominator term (x̄−ȳ)² is computed from two rounded means,
    # an error relative to 2|x̄−ȳ|(|x̄|+|ȳ|).
    yf = [Fraction(a, 1 << K) for a in Y]
    pf = [Fraction(b, 1 << K) for b in P]
    snum = 2 * sum(abs((a - my) * (b - mp)) for a, b in zip(yf, pf)) / (n - 1)
    sden = den + 2 * abs(my - mp) * (abs(my) + abs(mp))
    return Exact(v, snum / den + abs(v) * sden / den)


def mda(y, p):
    n = len(y)
    if n < 2:
        return Reason("too_few_rows")
    yl, pl = y.tolist(), p.tolist()
    hits = 0
    for t in range(1, n):
        # sign(a - b) of the exact difference, by exact comparison of the doubles
        a = (yl[t] > yl[t - 1]) - (yl[t] < yl[t - 1])
        b = (pl[t] > yl[t - 1]) - (pl[t] < yl[t - 1])
        hits += a == b
    return Exact(Fraction(hits, n - 1))


def _seasonal(y, m):
    K, (Y,), _ = to_ints(y)
    return K, Y, [Y[t] - Y[t - m] for t in range(m, len(Y))]


def mase(y, p, m):
    n = len(y)
    if n <= m:
        return Reason("too_few_rows")
    K, (Y, P), _ = to_ints(y, p)
    diffs = [Y[t] - Y[t - m] for t in range(m, n)]
    den = Fraction(sum(abs(d) for d in diffs), len(diffs))
    if den == 0:
        return Reason("zero_denominator")
    num = Fraction(sum(abs(b - a) for a, b in zip(Y, P)), n)
    return Exact(num / den)


def rmsse(y, p, m):
    n = len(y)
    if n <= m:
        return Reason("too_few_rows")
    K, (Y, P), _ = to_ints(y, p)
    diffs = [Y[t] - Y[t - m] for t in range(m, n)]
    den = Fraction(sum(d * d for d in diffs), len(diffs))
    if den == 0:
        return Reason("zero_denominator")
    num = Fraction(sum((b - a) ** 2 for a, b in zip(Y, P)), n)
    return Exact(dsqrt(num / den))


def weight_sum(w, n):
    if w is None:
        return Exact(Fraction(n))
    return Exact(sum(Fraction(x) for x in w.tolist()))


def kendall_tau_b(y, p):
    """O(n²) tau-b: (nc − nd) / sqrt((n0 − n1)(n0 − n2)), ties in both count in neither."""
    n = len(y)
    if n < 2:
        return Reason("too_few_rows", "constant_input")
    if y.min() == y.max() or p.min() == p.max():
        return Reason("constant_input")
    nc = nd = t1 = t2 = 0
    yl, pl = y.tolist(), p.tolist()
    for i in range(n):
        for j in range(i + 1, n):
            dy = (yl[i] > yl[j]) - (yl[i] < yl[j])
            dp = (pl[i] > pl[j]) - (pl[i] < pl[j])
            if dy == 0:
                t1 += 1
            if dp == 0:
                t2 += 1
            s = dy * dp
            nc += s > 0
            nd += s < 0
    n0 = n * (n - 1) // 2
    return Exact(D(nc - nd) / dsqrt((n0 - t1) * (n0 - t2)))


def r2_frac(y, p, w):
    """(r2, SS_res, SS_tot) exactly; None for r2 when SS_tot == 0."""
    n = len(y)
    K, (Y, P), _ = to_ints(y, p)
    Kw, Wi = weights_ints(w, n)
    Yf = [Fraction(a, 1 << K) for a in Y]
    Pf = [Fraction(b, 1 << K) for b in P]
    W = sum(Wi)
    m = sum(wi * a for wi, a in zip(Wi, Yf)) / W
    res = sum(wi * (b - a) ** 2 for wi, a, b in zip(Wi, Yf, Pf))
    tot = sum(wi * (a - m) ** 2 for wi, a in zip(Wi, Yf))
    return (1 - res / tot if tot else None), res, tot


def weighted_quantile_aicdf(x, w, q):
    """The averaged-inverted-CDF weighted quantile (METRICS.md), exactly: with x sorted
    and C_i the exact cumulative weight, the first x_i with C_i >= q·W, averaged with the
    next value when C_i == q·W exactly. Weights are exact binary64 values (any, not only
    integers): cumulative sums are exact integers at a common power-of-two scale."""
    import bisect
    order = np.argsort(x, kind="stable")
    xs = np.asarray(x)[order]
    K, (Wi,), _ = to_ints(np.asarray(w)[order])
    C = []
    acc = 0
    for v in Wi:
        acc += v
        C.append(acc)
    # the target q·W as binary64 computes it (numpy: n*q), so that a decimal q such as
    # 0.1 with W = 60 is the tie C_i = 6 it is meant to be (Fraction(0.1)*60 is not 6)
    T = Fraction(float(q) * float(Fraction(acc, 1 << K))) * (1 << K)
    i = bisect.bisect_left(C, math.ceil(T))
    i = min(i, len(C) - 1)
    if C[i] == T and i + 1 < len(C):
        return (Fraction(float(xs[i])) + Fraction(float(xs[i + 1]))) / 2
    return Fraction(float(xs[i]))
