#!/usr/bin/python3
"""Writes tests/unit/stats_cases.txt: oracle values for test_stats.c (src/stats.c).

Run with the Debian interpreter (numpy 1.24, scipy 1.10, mpmath 1.2; python3-mpmath):

    /usr/bin/python3 tests/unit/gen_stats_cases.py > tests/unit/stats_cases.txt

It takes a few minutes (mpmath at 60 digits). Nothing here shares code with the C
implementation; the formulas are written independently:

- Student t upper tail: scipy.stats.t.sf, and mpmath at 60 significant digits through
  P(T > t) = I_x(df/2, 1/2) / 2, x = df / (df + t^2) in exact rational arithmetic on the
  binary64 inputs, with I_x from the hypergeometric series
  I_x(a,b) = x^a (1-x)^b / (a B(a,b)) 2F1(a+b, 1; a+1; x) (DLMF 8.17.8 after Euler's
  transformation; positive terms) on the side x <= a/(a+b) and 1 - I_{1-x}(b,a) on the
  other; df = inf: erfc(t / sqrt 2) / 2 in mpmath.
- Incomplete beta: scipy.special.betainc and the same mpmath series.
  The mpmath value is rounded once to binary64 (the correctly rounded reference).
- Diebold-Mariano: numpy arrays, math.fsum (exactly rounded) for every sum, gamma_k and
  the rectangular / Bartlett long-run variances as defined in src/stats.h, the HLN
  factor as sqrt((n + 1 - 2h + h(h-1)/n) / n) literally, p = 2 scipy.stats.t.sf(|s|, n-1).
  The loss differentials are not stored: each case names a seed, and this script and the
  C test rebuild them with the same splitmix64 generator and + - * only (no libm); a hash
  of their bit patterns proves the C test rebuilt the very same series.
- Holm: the definition itself, adj_(j) = min(1, max_{i<=j} (m - i + 1) p_(i)), O(m^2).

Line formats, whitespace separated, values as Python repr() (round-trip exact; "nan",
"inf"):
    t <t> <df> <scipy t.sf> <mpmath>
    b <a> <b> <x> <scipy betainc> <mpmath>
    dm <id> <kind> <n> <h> <seed> <hash> <mean> <var> <stat> <stat_hln> <p> <bartlett>
    holm <id> <n> <p_0 ... p_{n-1}> A <adj_0 ... adj_{n-1}>
"""
import math
import struct
import sys

import mpmath as mp
import numpy as np
import scipy
import scipy.special
import scipy.stats

M64 = (1 << 64) - 1
mp.mp.dps = 60


# ---- incomplete beta and t in mpmath --------------------------------------------------

def ib_mp(a, b, x):
    """I_x(a,b) to 60 digits; inputs are taken exactly."""
    a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    if x == 0:
        return mp.mpf(0)
    if x == 1:
        return mp.mpf(1)

    def side(a, b, x):
        lp = (a * mp.log(x) + b * mp.log(1 - x) - mp.log(a) + mp.loggamma(a + b)
              - mp.loggamma(a) - mp.loggamma(b))
        if lp < -2000:  # far below the binary64 range; 2F1 is O(1) on this side
            return mp.mpf(0)
        return mp.exp(lp) * mp.hyp2f1(a + b, 1, a + 1, x, maxterms=10**7)

    if x <= a / (a + b):
        return side(a, b, x)
    return 1 - side(b, a, 1 - x)


def t_sf_mp(t, df):
    t = mp.mpf(t)
    if math.isinf(df):
        return mp.erfc(t / mp.sqrt(2)) / 2
    df = mp.mpf(df)
    if t == 0:
        return mp.mpf(1) / 2
    q = ib_mp(df / 2, mp.mpf(1) / 2, df / (df + t * t)) / 2
    return q if t > 0 else 1 - q


# ---- the grids ---------------------------------------------------------------------------

T_DFS = [1, 1.5, 2, 3, 5, 10, 19, 20, 21, 30, 100, 1e3, 1e4, 1e6, 1e7, 1e9, 1e12, 1e15,
         1e17, 1e18, 1e20, math.inf]
T_TS = [0.0, 1e-300, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.5, 1.7, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0,
        100.0, 1e3, 1e4, 1e6]
T_NEG = [-1e-3, -0.5, -1.7, -3.0, -10.0, -1e3]
# target upper tails 10^-k, reached through scipy's isf where |t| <= 1e6
T_TAILS = [1, 2, 5, 10, 20, 50, 100, 150, 200, 250, 300]

B_PARAMS = [0.1, 0.5, 1.0, 2.5, 7.0, 10.0, 15.0, 50.0, 300.0, 1e4, 1e6]
B_XS = [0.0, 1e-300, 1e-10, 1e-3, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999, 1 - 1e-10, 1.0]


def t_points():
    pts = []
    for df in T_DFS:
        ts = list(T_TS) + list(T_NEG)
        for k in T_TAILS:
            if math.isinf(df):
                v = float(scipy.stats.norm.isf(10.0 ** -k))
            else:
                v = float(scipy.stats.t.isf(10.0 ** -k, df))
            if math.isfinite(v) and 0 < v <= 1e6:
                ts.append(v)
        for t in ts:
            pts.append((t, float(df)))
    return pts


def b_points():
    pts = []
    for a in B_PARAMS:
        for b in B_PARAMS:
            m = a / (a + b)
            xs = list(B_XS) + [m, m * (1 - 1e-3), min(m * (1 + 1e-3), 0.999999),
                               (a + 1) / (a + b + 2)]
            for x in xs:
                pts.append((a, b, float(x)))
    return pts


# ---- Diebold-Mariano -------------------------------------------------------------------

class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self):
        """[0, 1) with 53 random bits: exact in binary64."""
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


def dm_series(kind, n, h, seed):
    """The loss differentials of one case; mirrored by dm_series() in test_stats.c.
    kind 0: moving sum of h uniforms (positive autocorrelation up to lag h-1), mean 0.3;
    kind 1: alternating sign plus noise (lag-1 correlation about -0.8: the rectangular
            estimate is negative for h >= 2, the Bartlett one is not);
    kind 2: white noise with a small mean."""
    rng = SplitMix64(seed)
    e = [rng.uniform() - 0.5 for _ in range(n + h - 1)]
    d = []
    for t in range(n):
        if kind == 0:
            s = e[t]
            for j in range(1, h):
                s = s + e[t + j]
            d.append(0.3 + 2.0 * s)
        elif kind == 1:
            sgn = 1.0 if t % 2 == 0 else -1.0
            d.append(0.05 + sgn + 1.75 * e[t])
        else:
            d.append(0.1 + e[t])
    return d


def bits_hash(vals):
    h = 0
    for v in vals:
        h = (h * 0x100000001B3 + struct.unpack('<Q', struct.pack('<d', v))[0]) & M64
    return h


def dm_oracle(d, h):
    d = np.array(d, dtype=np.float64)
    n = len(d)
    mean = math.fsum(d) / n
    dev = d - mean
    gam = [math.fsum(dev[k:] * dev[:n - k]) / n for k in range(h)]
    rect = math.fsum([gam[0]] + [2.0 * g for g in gam[1:]])
    bart = math.fsum([gam[0]] + [2.0 * (1.0 - k / h) * gam[k] for k in range(1, h)])
    bartlett = 0
    var = rect
    if not rect > 0:
        var, bartlett = bart, 1
    stat = mean / math.sqrt(var / n)
    hln = stat * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    p = 2.0 * float(scipy.stats.t.sf(abs(hln), n - 1))
    return mean, var, stat, hln, p, bartlett, rect, bart


def dm_cases():
    cases = []
    cid = 0
    for n in (10, 50, 500):
        for h in (1, 2, 4):
            for kind in (0, 1, 2):
                if kind == 1 and h == 1:
                    continue
                for rep in range(2):
                    seed = (cid * 0x2545F4914F6CDD1D + 777) & M64
                    cases.append((cid, kind, n, h, seed))
                    cid += 1
    return cases


# ---- Holm ------------------------------------------------------------------------------

def holm_oracle(p):
    idx = [i for i in range(len(p)) if not math.isnan(p[i])]
    m = len(idx)
    order = sorted(idx, key=lambda i: (p[i], i))
    adj = [math.nan] * len(p)
    for j in range(m):  # j-th smallest (0-based): max over i <= j of (m - i) p_(i)
        best = max((m - i) * p[order[i]] for i in range(j + 1))
        adj[order[j]] = min(1.0, best)
    return adj


def holm_inputs():
    nan = math.nan
    fixed = [
        [0.01, 0.04, 0.03, 0.005],               # the textbook shape: 4p, 3p, ...
        [0.02, 0.02, 0.02, 0.5, 0.01],           # ties
        [nan, 0.01, nan, 0.04, 0.2],             # NaNs are not in the family (m = 3)
        [0.3],                                   # n = 1: unchanged
        [nan],                                   # n = 1, NaN
        [nan, nan],                              # no family at all
        [0.3, 0.4, 0.6, 0.9],                    # all cap at 1
        [0.0, 1.0, 0.0, 0.5],                    # zeros and a one
        [0.04, 0.01, 0.03, 0.02, 0.05],          # monotonicity forces raises
        [0.1, 0.1],                              # a tie of two
    ]
    rng = SplitMix64(4242)
    pool = [0.001, 0.01, 0.02, 0.05, 0.2, 0.5, 1.0]
    for n in (7, 20, 50):
        for _ in range(2):
            p = []
            for _ in range(n):
                u = rng.uniform()
                if u < 0.1:
                    p.append(nan)
                elif u < 0.5:
                    p.append(pool[int(rng.uniform() * len(pool))])
                else:
                    p.append(rng.uniform() ** 3)
            fixed.append(p)
    return fixed


# ---- output ----------------------------------------------------------------------------

def main():
    assert np.__version__.startswith('1.24'), np.__version__
    out = sys.stdout
    out.write('# generated by tests/unit/gen_stats_cases.py (numpy %s, scipy %s, mpmath %s)\n'
              % (np.__version__, scipy.__version__, mp.__version__))
    worst_scipy_t = worst_scipy_b = 0.0
    for t, df in t_points():
        sp = float(scipy.stats.t.sf(t, df))
        ref = t_sf_mp(t, df)
        r = float(ref)
        if r > 0:
            worst_scipy_t = max(worst_scipy_t, abs(sp - r) / r)
        out.write('t %r %r %r %r\n' % (t, df, sp, r))
    for a, b, x in b_points():
        sp = float(scipy.special.betainc(a, b, x))
        r = float(ib_mp(a, b, x))
        if r > 1e-300:
            worst_scipy_b = max(worst_scipy_b, abs(sp - r) / r)
        out.write('b %r %r %r %r %r\n' % (a, b, x, sp, r))
    nbart = 0
    for cid, kind, n, h, seed in dm_cases():
        d = dm_series(kind, n, h, seed)
        mean, var, stat, hln, p, bartlett, rect, bart = dm_oracle(d, h)
        if bartlett:
            nbart += 1
            # the Bartlett estimate must not be a near-cancellation, or C and numpy could
            # disagree in more than rounding
            gam0 = math.fsum((np.array(d) - mean) ** 2) / n
            assert bart > 0.05 * gam0, (cid, bart, gam0)
        out.write('dm %d %d %d %d %d %d %r %r %r %r %r %d\n'
                  % (cid, kind, n, h, seed, bits_hash(d), mean, var, stat, hln, p, bartlett))
    assert nbart >= 6, nbart
    for hid, p in enumerate(holm_inputs()):
        adj = holm_oracle(p)
        out.write('holm %d %d %s A %s\n' % (hid, len(p), ' '.join(repr(v) for v in p),
                                            ' '.join(repr(v) for v in adj)))
    sys.stderr.write('scipy vs mpmath, max relative difference: t.sf %.3g, betainc %.3g; '
                     '%d DM cases use Bartlett\n' % (worst_scipy_t, worst_scipy_b, nbart))


if __name__ == '__main__':
    main()
