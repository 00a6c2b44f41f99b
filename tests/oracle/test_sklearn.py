"""
Oracle: scikit-learn 1.2.x, scipy and numpy (Debian's python3-sklearn / python3-scipy /
python3-numpy, run by /usr/bin/python3).

For every metric METRICS.md defines "as scikit-learn" (and the correlations, defined as
scipy's), hundreds of randomized datasets are generated with numpy.random.default_rng and
fixed seeds — sizes log-uniform from 1 to 2000 with a few up to 20 000 and a handful near
100 000, weights off / uniform(0.1, 5) / integer / {0, 1} (with exact zeros), heavy tails
(Student-t df=2, clipped Cauchy), ties (values rounded to 0-1 decimals), negative values,
near-constant and large-offset (1e9 + noise) y, constant y and tiny n (1, 2, 3). Each
dataset is evaluated with ONE `vernier eval --format json` call computing a whole group of
metrics, and every value is compared with the library function on the rows with w > 0
(vernier ignores rows with w = 0; scikit-learn gives them weight 0, which is the same for
np.average but not for its weighted percentile, so the oracle is always given the kept
rows).

Where scikit-learn itself is not the reference:
  * weighted medae / abs_error_quantile: vernier uses the "averaged inverted CDF" weighted
    quantile (METRICS.md); sklearn 1.2 uses a lower weighted percentile. With integer
    weights the oracle is np.quantile(np.repeat(|e|, w), q, method='averaged_inverted_cdf');
    with non-integer weights the same definition evaluated with exact cumulative weights
    (oracle_exact.weighted_quantile_aicdf);
  * msle/rmsle on -1 < y < 0 (sklearn refuses negatives, vernier's domain is y > -1): the
    same formula in numpy, mean((log1p(yhat) - log1p(y))^2);
  * undefined results (constant y, n < 2, out of domain, y = 0 for mape) are checked
    against the reason METRICS.md prescribes, not against sklearn's NaN / force_finite.

Tolerances: relative 1e-12 (sums of non-negative terms: sklearn's pairwise sums and
vernier's compensated sums both err by a few ulps); 1e-9 relative for the log/power based
metrics (msle, rmsle, deviances, d2_tweedie) because numpy's and libm's log/pow round
differently in the last ulp per row. Results that are a difference of nearly equal terms
(R^2, explained variance, D^2 close to 0; a correlation close to 0; a deviance term with
yhat close to y) are compared with a tolerance relative to the size of the terms that
cancel, computed per dataset and explained where it is built; an exact 0 is required up
to 1e-300 (i.e. exactly, bar a subnormal).
"""
import math
import warnings

import numpy as np
import scipy.special
import scipy.stats
from sklearn import metrics as skm

import oracle_exact as ox
from conftest import KINDS, Checker, describe, gen_pair, gen_size, gen_weights

warnings.filterwarnings("ignore")

REL = 1e-12      # sums of non-negative terms, see the module docstring
REL_LOG = 1e-9   # per-row log/pow: numpy and libm differ in the last ulp per row
TINY = 1e-300    # "exactly zero" (true value 0), bar a subnormal
WMODES = [None, "float", None, "int", "01"]


def kept(y, p, w):
    """The rows vernier uses: w > 0."""
    if w is None:
        return y, p, None
    m = w > 0
    return y[m], p[m], w[m]


def tol_rel(v, rel=REL):
    return max(rel * abs(v), TINY)


def ulp(x):
    return float(np.spacing(abs(float(x))))


def mean_rounding(v, w):
    """Bound on the error of a binary64 weighted mean of v as numpy computes it (pairwise
    sums: error <~ (16 + log2 n) ulps of the mean's magnitude scale), used to size the
    allowance for two-pass (co)variances: shifting the mean by delta changes
    sum w (v - mean)^2 by W*delta^2 exactly (the cross term vanishes), which neither
    sklearn nor vernier can avoid once the mean is a double."""
    n = len(v)
    scale = float(np.average(np.abs(v), weights=w))
    return (16 + math.log2(max(n, 2))) * ulp(scale)


def ratio_tol(num, den, value, w_sum, delta_den=0.0, delta_num=0.0, rel=REL):
    """Tolerance for value = 1 - num/den (R^2-like). The subtraction from 1 is exact
    enough; the error is in num/den, which is relative-rel accurate — so the tolerance is
    rel * max(|value|, num/den) (the scale of the cancelling terms), plus the two-pass
    allowance of mean_rounding for the centred sums."""
    r = num / den if den else 0.0
    t = rel * max(abs(value), r)
    t += r * (2 * w_sum * delta_den ** 2 / den if den else 0.0)
    t += (2 * w_sum * delta_num ** 2 / den if den else 0.0)
    return max(t, TINY)


# =======================================================================================
# group 1: point metrics (mae mse rmse max_error medae quantiles r2 ev adj_r2 pinball d2 mape)
# =======================================================================================
N_CORE = 270


def _awq(a, w, q):
    """Quantile q of a: unweighted, numpy's linear (type 7); weighted, the averaged
    inverted CDF — for integer weights np.quantile(np.repeat(a, w), q,
    method='averaged_inverted_cdf'), for other weights the exact-rational
    oracle_exact.weighted_quantile_aicdf (cumulative weights summed exactly)."""
    if w is None:
        return float(np.quantile(a, q))
    if np.all(w == np.round(w)):
        return float(np.quantile(np.repeat(a, w.astype(np.int64)), q,
                                 method="averaged_inverted_cdf"))
    return float(ox.weighted_quantile_aicdf(a, w, q))


def _pinball_parts(y, p, w, alpha):
    """(numerator, denominator) of sklearn's d2_pinball_score."""
    num = skm.mean_pinball_loss(y, p, alpha=alpha, sample_weight=w)
    if w is None:
        c = np.percentile(y, alpha * 100)
    else:
        from sklearn.utils.stats import _weighted_percentile
        c = _weighted_percentile(y, w, alpha * 100)
    den = skm.mean_pinball_loss(y, np.full(len(y), c), alpha=alpha, sample_weight=w)
    return num, den


def test_core_point_metrics(vernier):
    chk = Checker(vernier)
    for i in range(N_CORE):
        seed = 10_000 + i
        rng = np.random.default_rng(seed)
        n = gen_size(rng, i)
        kind = KINDS[i % len(KINDS)]
        wmode = WMODES[i % len(WMODES)]
        y, p = gen_pair(rng, n, kind)
        if kind in ("ties0", "ties1") and i % 2:
            y[rng.random(n) < 0.1] = 0.0  # zeros for the mape zero policy
        w = gen_weights(rng, n, wmode)
        qa = round(float(rng.uniform(0.01, 0.99)), 3)
        qp = round(float(rng.uniform(0.01, 0.99)), 2)
        qd = round(float(rng.uniform(0.05, 0.95)), 2)
        k = int(rng.integers(1, 12))
        zero = ["nan", "skip", "eps"][i % 3]
        r2c = "sklearn" if i % 4 == 3 else "undefined"
        quant = True  # every weight mode: see _awq
        specs = ["mae", "mse", "rmse", "max_error", "r2", "explained_variance",
                 f"adjusted_r2:p={k}", f"pinball:q={qp}", "d2_absolute_error",
                 f"d2_pinball:q={qd}", "mape"]
        if quant:
            specs += ["medae", f"abs_error_quantile:q={qa}", "p50_abs_error",
                      "p90_abs_error", "p95_abs_error", "p99_abs_error"]
        flags = ["--zero", zero, "--r2-constant", r2c]
        res = vernier.eval(y, p, w, metrics=",".join(specs), flags=flags, keep=True)
        chk.set_context(describe(seed, i, n, kind, wmode, f" zero={zero} r2c={r2c}"), res)
        v = res.values()
        assert res.keys == specs, f"metric keys {res.keys} != requested {specs}"

        yk, pk, wk = kept(y, p, w)
        nk = len(yk)
        e = pk - yk
        ae = np.abs(e)
        W = float(wk.sum()) if wk is not None else float(nk)
        const_y = nk >= 1 and yk.min() == yk.max()

        chk.value("mae", v["mae"], skm.mean_absolute_error(yk, pk, sample_weight=wk),
                  tol_rel(skm.mean_absolute_error(yk, pk, sample_weight=wk)))
        mse = skm.mean_squared_error(yk, pk, sample_weight=wk)
        chk.value("mse", v["mse"], mse, tol_rel(mse))
        rmse = skm.mean_squared_error(yk, pk, sample_weight=wk, squared=False)
        chk.value("rmse", v["rmse"], rmse, tol_rel(rmse))
        mx = skm.max_error(yk, pk)
        chk.value("max_error", v["max_error"], mx, tol_rel(mx))

        # pinball: a mean of non-negative terms
        pb = skm.mean_pinball_loss(yk, pk, alpha=qp, sample_weight=wk)
        chk.value(f"pinball:q={qp}", v[f"pinball:q={qp}"], pb, tol_rel(pb))

        # quantiles of |e|
        if quant:
            wq = None if wk is None else wk
            med = (skm.median_absolute_error(yk, pk) if wq is None else _awq(ae, wq, 0.5))
            chk.value("medae", v["medae"], med, tol_rel(med))
            for key, q in [(f"abs_error_quantile:q={qa}", qa), ("p50_abs_error", 0.5),
                           ("p90_abs_error", 0.9), ("p95_abs_error", 0.95),
                           ("p99_abs_error", 0.99)]:
                ex = _awq(ae, wq, q)
                chk.value(key, v[key], ex, tol_rel(ex))

        # r2 / explained variance / adjusted r2
        num = float(np.sum((wk if wk is not None else 1.0) * e ** 2))
        ybar = float(np.average(yk, weights=wk)) if nk else 0.0
        den = float(np.sum((wk if wk is not None else 1.0) * (yk - ybar) ** 2))
        d_y = mean_rounding(yk, wk) if nk else 0.0
        if nk < 2:
            chk.undefined("r2", v["r2"], "too_few_rows")
        elif const_y:
            if r2c == "sklearn":
                chk.value("r2", v["r2"], 1.0 if num == 0 else 0.0, 0.0)
            else:
                chk.undefined("r2", v["r2"], "constant_y")
        else:
            r2 = skm.r2_score(yk, pk, sample_weight=wk, force_finite=False)
            chk.value("r2", v["r2"], r2, ratio_tol(num, den, r2, W, delta_den=d_y))

        resid = yk - pk
        if nk >= 1:
            rbar = float(np.average(resid, weights=wk))
            evnum = float(np.sum((wk if wk is not None else 1.0) * (resid - rbar) ** 2))
            d_r = mean_rounding(resid, wk)
        if nk < 2:
            # n = 1: y is constant too; METRICS.md fixes r2 (n < 2) but not EV, so either
            # reason is accepted, or under --r2-constant sklearn the force_finite value.
            ent = v["explained_variance"]
            if ent.get("value") is not None and r2c == "sklearn":
                chk.value("explained_variance", ent, 1.0 if evnum == 0 else 0.0, 0.0)
            else:
                chk.undefined("explained_variance", ent, {"too_few_rows", "constant_y"})
        elif const_y:
            if r2c == "sklearn":
                chk.value("explained_variance", v["explained_variance"],
                          1.0 if np.all(resid == resid[0]) else 0.0, 0.0)
            else:
                chk.undefined("explained_variance", v["explained_variance"], "constant_y")
        else:
            ev = skm.explained_variance_score(yk, pk, sample_weight=wk, force_finite=False)
            chk.value("explained_variance", v["explained_variance"], ev,
                      ratio_tol(evnum, den, ev, W, delta_den=d_y, delta_num=d_r))

        key = f"adjusted_r2:p={k}"
        if nk < 2 or nk - k - 1 <= 0:
            # too few rows; when y is also constant either reason is right (METRICS.md
            # gives no precedence)
            chk.undefined(key, v[key], {"too_few_rows", "constant_y"} if const_y
                          else "too_few_rows")
        elif const_y:
            ent = v[key]
            if ent.get("value") is not None and r2c == "sklearn":
                r2f = 1.0 if num == 0 else 0.0
                chk.value(key, ent, 1 - (1 - r2f) * (nk - 1) / (nk - k - 1), 1e-15)
            else:
                chk.undefined(key, ent, "constant_y")
        else:
            r2 = skm.r2_score(yk, pk, sample_weight=wk, force_finite=False)
            f = (nk - 1) / (nk - k - 1)
            adj = 1 - (1 - r2) * f
            # the r2 tolerance, magnified by the factor (n-1)/(n-p-1)
            chk.value(key, v[key], adj,
                      max(REL * abs(adj), f * ratio_tol(num, den, r2, W, delta_den=d_y)))

        # d2 scores
        for key, alpha in [("d2_absolute_error", 0.5), (f"d2_pinball:q={qd}", qd)]:
            ent = v[key]
            if nk < 2:
                chk.undefined(key, ent, "too_few_rows")
                continue
            dn, dd = _pinball_parts(yk, pk, wk, alpha)
            if const_y:
                # sklearn: 1.0 if the numerator is 0 else 0.0; METRICS.md says "as
                # scikit-learn" but vernier may also call a constant y undefined.
                if ent.get("value") is not None:
                    chk.value(key, ent, 1.0 if dn == 0 else 0.0, 0.0)
                else:
                    chk.undefined(key, ent, {"constant_y", "zero_denominator"})
                continue
            if key == "d2_absolute_error":
                d2 = skm.d2_absolute_error_score(yk, pk, sample_weight=wk)
            else:
                d2 = skm.d2_pinball_score(yk, pk, alpha=alpha, sample_weight=wk)
            if dn == 0:
                chk.value(key, ent, 1.0, 0.0)
            else:
                chk.value(key, ent, d2, ratio_tol(dn, dd, d2, W))

        # mape (percent) under the zero policy
        zmask = yk == 0
        if not zmask.any() or zero == "eps":
            m = 100 * skm.mean_absolute_percentage_error(yk, pk, sample_weight=wk)
            chk.value("mape", v["mape"], m, tol_rel(m))
        elif zero == "nan":
            chk.undefined("mape", v["mape"], "zero_actual")
        else:  # skip
            keep = ~zmask
            if not keep.any():
                chk.undefined("mape", v["mape"], {"no_rows", "zero_actual"})
            else:
                m = 100 * skm.mean_absolute_percentage_error(
                    yk[keep], pk[keep], sample_weight=None if wk is None else wk[keep])
                chk.value("mape", v["mape"], m, tol_rel(m))
    chk.assert_ok()


# =======================================================================================
# group 2: msle, rmsle
# =======================================================================================
N_LOG = 240


def _gen_log(rng, n, i):
    c = i % 8
    if c in (0, 1):
        y = rng.lognormal(rng.uniform(-2, 4), 1.0, n)
        p = y * rng.lognormal(0, 0.5, n)
    elif c == 2:  # counts with zeros and ties
        y = rng.poisson(rng.uniform(0.5, 20), n).astype(float)
        p = np.round(y * rng.lognormal(0, 0.4, n), 1)
    elif c == 3:  # large values
        y = rng.lognormal(20, 0.5, n)
        p = y * rng.lognormal(0, 0.2, n)
    elif c == 4:  # small values
        y = rng.uniform(0, 1e-3, n)
        p = rng.uniform(0, 1e-3, n)
    elif c == 5:  # -1 < y < 0 allowed by vernier (sklearn refuses negatives)
        y = rng.uniform(-0.999, 3, n)
        p = rng.uniform(-0.999, 3, n)
    elif c == 6:  # out of domain: some y or yhat <= -1
        y = rng.uniform(-0.5, 5, n)
        p = rng.uniform(-0.5, 5, n)
        j = int(rng.integers(0, n))
        if rng.random() < 0.5:
            y[j] = -1.0 if rng.random() < 0.5 else -float(rng.uniform(1, 3))
        else:
            p[j] = -1.0 if rng.random() < 0.5 else -float(rng.uniform(1, 3))
    else:
        y = rng.exponential(5, n)
        p = rng.exponential(5, n)
    return y.astype(float), p.astype(float)


def test_msle_rmsle(vernier):
    chk = Checker(vernier)
    for i in range(N_LOG):
        seed = 20_000 + i
        rng = np.random.default_rng(seed)
        n = gen_size(rng, i)
        wmode = [None, "float", "01"][i % 3]
        y, p = _gen_log(rng, n, i)
        w = gen_weights(rng, n, wmode)
        res = vernier.eval(y, p, w, metrics="msle,rmsle", keep=True)
        chk.set_context(describe(seed, i, n, f"log{i % 8}", wmode), res)
        v = res.values()
        yk, pk, wk = kept(y, p, w)
        if (yk <= -1).any() or (pk <= -1).any():
            chk.undefined("msle", v["msle"], "domain")
            chk.undefined("rmsle", v["rmsle"], "domain")
            continue
        if (yk < 0).any() or (pk < 0).any():
            ly, lp = np.log1p(yk), np.log1p(pk)
            msle = float(np.average((ly - lp) ** 2, weights=wk))
        else:
            msle = skm.mean_squared_log_error(yk, pk, sample_weight=wk)
            ly, lp = np.log1p(yk), np.log1p(pk)
        # The per-row difference log1p(yhat) - log1p(y) cancels when yhat ~ y: an ulp of
        # error in each log1p is an absolute error ~ eps*(|ly|+|lp|) in d, i.e.
        # ~ 2|d|*eps*(|ly|+|lp|) in d^2. The tolerance is REL_LOG relative, but at least
        # 1e-12 (~4500 eps) times that per-row scale averaged.
        d = ly - lp
        scale = float(np.average(2 * np.abs(d) * (np.abs(ly) + np.abs(lp)) + d * d, weights=wk))
        t = max(REL_LOG * msle, 1e-12 * scale, TINY)
        chk.value("msle", v["msle"], msle, t)
        rm = math.sqrt(msle)
        chk.value("rmsle", v["rmsle"], rm, max(REL_LOG * rm, t / (2 * rm) if rm else 0, TINY))
    chk.assert_ok()


# =======================================================================================
# group 3: deviances and d2_tweedie
# =======================================================================================
N_DEV = 330
POWERS = [0, 1, 1.5, 2, 3, -1]


def _gen_dev(rng, n, i):
    c = i % 6
    if c in (0, 1):  # y > 0, yhat > 0
        y = rng.lognormal(rng.uniform(-1, 3), 0.8, n)
        p = y * rng.lognormal(0, 0.4, n)
        dom = "pos"
    elif c == 2:  # counts with zeros (y >= 0), yhat > 0
        y = rng.poisson(rng.uniform(0.3, 10), n).astype(float)
        if not (y > 0).any():
            y[0] = 1.0
        p = rng.lognormal(math.log(max(y.mean(), 0.3)), 0.3, n)
        dom = "nonneg"
    elif c == 3:  # y real, yhat > 0
        y = rng.normal(2, 1.5, n)
        p = rng.lognormal(0.5, 0.5, n)
        dom = "real"
    elif c == 4:  # yhat real (some <= 0): only power 0 defined
        y = rng.normal(0, 2, n)
        p = y + rng.normal(0, 1, n)
        if not (p <= 0).any():
            p[0] = -abs(p[0])
        dom = "any"
    else:  # ties: small integers > 0
        y = rng.integers(1, 6, n).astype(float)
        p = rng.integers(1, 6, n).astype(float)
        dom = "pos"
    if i % 12 in (10, 11):  # constant y (d2_tweedie undefined): a value whose mean need not
        y[:] = float(np.round(rng.uniform(0.05, 200), 3))  # round-trip in binary64
        dom += "-const"
    return y.astype(float), p.astype(float), dom


def _in_domain(y, p, power):
    if power < 0:
        return bool((p > 0).all())
    if power == 0:
        return True
    if 1 <= power < 2:
        return bool((y >= 0).all() and (p > 0).all())
    return bool((y > 0).all() and (p > 0).all())


def _dev_terms(y, mu, power):
    """Per-row unit deviance (as sklearn) and the per-row magnitude of the terms it is
    computed from (for the cancellation-aware tolerance)."""
    p = power
    if p == 0:
        d = (y - mu) ** 2
        return d, d
    if p == 1:
        with np.errstate(all="ignore"):
            t1 = scipy.special.xlogy(y, y / mu)
        return 2 * (t1 - y + mu), 2 * (np.abs(t1) + np.abs(y) + np.abs(mu))
    if p == 2:
        t1 = np.log(mu / y)
        return 2 * (t1 + y / mu - 1), 2 * (np.abs(t1) + np.abs(y / mu) + 1)
    a = np.power(np.maximum(y, 0) if p < 0 else y, 2 - p) / ((1 - p) * (2 - p))
    b = y * np.power(mu, 1 - p) / (1 - p)
    c = np.power(mu, 2 - p) / (2 - p)
    return 2 * (a - b + c), 2 * (np.abs(a) + np.abs(b) + np.abs(c))


def test_deviances(vernier):
    chk = Checker(vernier)
    specs = (["poisson_deviance", "gamma_deviance"]
             + [f"tweedie_deviance:power={pw}" for pw in POWERS]
             + [f"d2_tweedie:power={pw}" for pw in POWERS])
    for i in range(N_DEV):
        seed = 30_000 + i
        rng = np.random.default_rng(seed)
        n = gen_size(rng, i)
        wmode = [None, "float", None, "int"][i % 4]
        y, p, dom = _gen_dev(rng, n, i)
        w = gen_weights(rng, n, wmode)
        res = vernier.eval(y, p, w, metrics=",".join(specs), keep=True)
        chk.set_context(describe(seed, i, n, f"dev-{dom}", wmode), res)
        v = res.values()
        yk, pk, wk = kept(y, p, w)
        nk = len(yk)
        for key, power in ([("poisson_deviance", 1), ("gamma_deviance", 2)]
                           + [(f"tweedie_deviance:power={pw}", pw) for pw in POWERS]):
            if not _in_domain(yk, pk, power):
                chk.undefined(key, v[key], "domain")
                continue
            dev = skm.mean_tweedie_deviance(yk, pk, sample_weight=wk, power=power)
            _, sc = _dev_terms(yk, pk, power)
            # REL_LOG relative (log/pow ulps), and 1e-12 (~4500 eps) of the averaged
            # per-row term magnitude: a deviance row with yhat ~ y is a difference of
            # terms ~ y, so its absolute rounding error scales with y, not with the row.
            t = max(REL_LOG * abs(dev), 1e-12 * float(np.average(sc, weights=wk)), TINY)
            chk.value(key, v[key], dev, t)
        for pw in POWERS:
            key = f"d2_tweedie:power={pw}"
            ent = v[key]
            if not _in_domain(yk, pk, pw):
                # n < 2 and out of domain: either reason (no precedence is specified)
                chk.undefined(key, ent, {"domain", "too_few_rows"} if nk < 2 else "domain")
                continue
            if nk < 2:
                chk.undefined(key, ent, "too_few_rows")
                continue
            if yk.min() == yk.max():
                chk.undefined(key, ent, {"constant_y", "zero_denominator"})
                continue
            ybar = float(np.average(yk, weights=wk))
            if pw < 0 and ybar <= 0 or 1 <= pw and ybar <= 0:
                chk.undefined(key, ent, "domain")
                continue
            d2 = skm.d2_tweedie_score(yk, pk, sample_weight=wk, power=pw)
            num_r, num_s = _dev_terms(yk, pk, pw)
            den_r, den_s = _dev_terms(yk, np.full(nk, ybar), pw)
            num = float(np.average(num_r, weights=wk))
            den = float(np.average(den_r, weights=wk))
            # d2 = 1 - num/den: the relative error of num/den is the sum of those of num
            # and den, each REL_LOG or the term-scale bound of the deviance above; plus,
            # for power 0 (den = variance of y), the two-pass mean allowance.
            rn = max(REL_LOG, 1e-12 * float(np.average(num_s, weights=wk)) / num) if num else 0.0
            rd = max(REL_LOG, 1e-12 * float(np.average(den_s, weights=wk)) / den)
            t = max(REL_LOG * abs(d2), (num / den) * (rn + rd), TINY)
            if pw == 0:
                W = float(wk.sum()) if wk is not None else float(nk)
                t += ratio_tol(num * W, den * W, d2, W, delta_den=mean_rounding(yk, wk))
            chk.value(key, ent, d2, t)
    chk.assert_ok()


# =======================================================================================
# group 4: correlations (scipy)
# =======================================================================================
N_CORR = 240


def _centered_scale(x, y):
    xm = x - x.mean()
    ym = y - y.mean()
    nx, ny = math.sqrt(float(xm @ xm)), math.sqrt(float(ym @ ym))
    s = float(np.abs(xm) @ np.abs(ym)) / (nx * ny)
    n = len(x)
    dx, dy = mean_rounding(x, None), mean_rounding(y, None)
    # second-order effect of the rounded means (see mean_rounding):
    allow = n * dx * dy / (nx * ny) + (n * dx * dx / nx ** 2 + n * dy * dy / ny ** 2)
    return s, allow


def test_correlations(vernier):
    chk = Checker(vernier)
    for i in range(N_CORR):
        seed = 40_000 + i
        rng = np.random.default_rng(seed)
        n = gen_size(rng, i)
        kind = KINDS[i % len(KINDS)]
        wmode = None if i % 4 else "01"
        y, p = gen_pair(rng, n, kind)
        if kind == "constant" and i % 2:
            y, p = p, y  # constant prediction instead of constant actual
        w = gen_weights(rng, n, wmode)
        res = vernier.eval(y, p, w, metrics="pearson_r,spearman_rho,kendall_tau", keep=True)
        chk.set_context(describe(seed, i, n, kind, wmode), res)
        v = res.values()
        yk, pk, _ = kept(y, p, w)
        nk = len(yk)
        if nk < 2:
            for key in ("pearson_r", "spearman_rho", "kendall_tau"):
                chk.undefined(key, v[key], {"too_few_rows", "constant_input"})
            continue
        if yk.min() == yk.max() or pk.min() == pk.max():
            for key in ("pearson_r", "spearman_rho", "kendall_tau"):
                chk.undefined(key, v[key], "constant_input")
            continue
        r = float(scipy.stats.pearsonr(yk, pk)[0])
        if nk == 2:
            chk.value("pearson_r", v["pearson_r"], r, 4 * np.finfo(float).eps)
        else:
            s, allow = _centered_scale(yk, pk)
            # r is a normalised sum of signed products: tolerance relative to the sum of
            # their absolute values (s <= 1), plus the rounded-mean allowance.
            chk.value("pearson_r", v["pearson_r"], r, max(REL * max(abs(r), s) + allow, TINY))
        rho = float(scipy.stats.spearmanr(yk, pk)[0])
        ry = scipy.stats.rankdata(yk)
        rp = scipy.stats.rankdata(pk)
        s, _ = _centered_scale(ry, rp)  # ranks and their means are exact
        chk.value("spearman_rho", v["spearman_rho"], rho, max(REL * max(abs(rho), s), TINY))
        tau = float(scipy.stats.kendalltau(yk, pk)[0])
        # tau-b = (nc - nd) / sqrt(...): an exact integer over a square root, so plainly
        # relative (an exact 0 when nc == nd).
        chk.value("kendall_tau", v["kendall_tau"], tau, tol_rel(tau))
    chk.assert_ok()
