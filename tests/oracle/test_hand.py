"""
Oracle: exact rational arithmetic on the exact binary64 inputs (oracle_exact.py), and
named edge cases derived by hand from METRICS.md.

The hand-derived metrics — mean_error (bias), huber, pseudo_huber, log_cosh, smape,
wmape, mpe, ccc, mda, mase, rmsse, nrmse (mean | range | std | iqr), count, weight_sum,
plus small kendall_tau and adjusted_r2 cases — have no scikit-learn reference. For each,
300 randomized datasets (numpy default_rng, fixed seeds; n log-uniform in 1..2000 with
n = 1, 2, 3 first; the data kinds of conftest.gen_pair; weights off / {0, 1} / uniform
(0.1, 5) with zeros) are evaluated by one CLI call per dataset and compared with the
exact value: every sum and product is done in Python integers (no rounding), only final
square roots, per-row quotients and log cosh go through 50-digit decimal arithmetic.
The exact value is then at most one rounding away from the true result, so the tolerance
measures vernier's own error only:

  * relative 1e-12 for everything, 1e-9 for log_cosh (per-row log1p/sinh/exp of libm
    are faithfully but not correctly rounded; 1e-9 is what the catalogue allows for log
    metrics — in practice vernier is far closer);
  * where the result is a difference of larger terms (mean_error ~ 0, mpe with mixed
    signs, ccc ~ 0, nrmse:norm=mean with a mean ~ 0, nrmse:norm=iqr with a small IQR of
    large values), 1e-12 of the scale of those terms, computed per dataset by the oracle.

Metrics METRICS.md defines on a series or unweighted (ccc, mda, mase, rmsse,
nrmse:norm=iqr, kendall_tau) are checked on unweighted and {0, 1}-weighted datasets only.

The named edge cases follow the random ones below.
"""
import math
import re

import numpy as np
from sklearn import metrics as skm

import oracle_exact as ox
from conftest import (KINDS, TALLIES, Checker, describe, gen_pair, gen_size, gen_weights,
                      record)

REL = 1e-12
REL_LOG = 1e-9
TINY = 1e-300

N_HAND = 360


def check(chk, key, entry, ex, rel=REL):
    """Compares one CLI entry with an oracle result (Exact or Reason)."""
    if isinstance(ex, ox.Reason):
        return chk.undefined(key, entry, ex.reasons)
    v = float(ex.value)
    tol = max(rel * abs(v), REL * float(ex.scale), TINY)
    return chk.value(key, entry, v, tol)


def kept(y, p, w):
    if w is None:
        return y, p, None
    m = w > 0
    return y[m], p[m], w[m]


def _delta_for(rng, e):
    """A Huber delta near the typical |e| (so both branches occur), written with at most
    3 significant digits; the spec string is what the CLI parses."""
    med = float(np.median(np.abs(e))) if len(e) else 1.0
    if not math.isfinite(med) or med == 0:
        med = 1.0
    d = float(f"{med * rng.uniform(0.3, 3.0):.3g}")
    return d if d > 0 else 1.0


def test_hand_metrics_random(vernier):
    chk = Checker(vernier)
    for i in range(N_HAND):
        seed = 50_000 + i
        rng = np.random.default_rng(seed)
        n = gen_size(rng, i, nmax=2000, nsmall=2000)
        kind = KINDS[i % len(KINDS)]
        wmode = [None, "01", "float"][i % 3]
        y, p = gen_pair(rng, n, kind)
        if i % 4 == 1:
            y[rng.random(n) < 0.08] = 0.0  # zeros for the mpe zero policy / smape 0/0
            if i % 8 == 1:
                p[y == 0] = 0.0
        w = gen_weights(rng, n, wmode)
        zero = ["nan", "skip", "eps"][i % 3 if i % 2 else (i // 2) % 3]
        d1 = _delta_for(rng, p - y)
        d2 = _delta_for(rng, p - y)
        m = int(rng.choice([1, 2, 3, 4, 7, 12]))
        # mean_error and its alias bias on alternate datasets (a metric requested twice,
        # even through an alias, is reported once)
        me_key = "bias" if i % 2 else "mean_error"
        specs = [me_key, f"huber:delta={d1}", f"pseudo_huber:delta={d2}",
                 "log_cosh", "smape", "wmape", "mpe", "nrmse:norm=mean", "nrmse:norm=range",
                 "nrmse:norm=std", "count", "weight_sum"]
        series = wmode != "float"
        if series:
            specs += ["ccc", "mda", f"mase:m={m}", f"rmsse:m={m}", "nrmse:norm=iqr"]
        res = vernier.eval(y, p, w, metrics=",".join(specs), flags=["--zero", zero], keep=True)
        chk.set_context(describe(seed, i, n, kind, wmode, f" zero={zero}"), res)
        v = res.values()
        assert res.keys == specs
        yk, pk, wk = kept(y, p, w)
        nk = len(yk)

        me = ox.mean_error(yk, pk, wk)
        check(chk, me_key, v[me_key], me)
        check(chk, f"huber:delta={d1}", v[f"huber:delta={d1}"], ox.huber(yk, pk, wk, d1))
        check(chk, f"pseudo_huber:delta={d2}", v[f"pseudo_huber:delta={d2}"],
              ox.pseudo_huber(yk, pk, wk, d2))
        check(chk, "log_cosh", v["log_cosh"], ox.log_cosh(yk, pk, wk), rel=REL_LOG)
        check(chk, "smape", v["smape"], ox.smape(yk, pk, wk))
        check(chk, "wmape", v["wmape"], ox.wmape(yk, pk, wk))
        check(chk, "mpe", v["mpe"], ox.mpe(yk, pk, wk, zero))
        for norm in ("mean", "range", "std"):
            check(chk, f"nrmse:norm={norm}", v[f"nrmse:norm={norm}"], ox.nrmse(yk, pk, wk, norm))
        chk.value("count", v["count"], nk, 0.0)
        ws = ox.weight_sum(wk, nk)
        check(chk, "weight_sum", v["weight_sum"], ws)
        if series:
            check(chk, "ccc", v["ccc"], _ccc_expect(yk, pk))
            check(chk, "mda", v["mda"], ox.mda(yk, pk))
            check(chk, f"mase:m={m}", v[f"mase:m={m}"], ox.mase(yk, pk, m))
            check(chk, f"rmsse:m={m}", v[f"rmsse:m={m}"], ox.rmsse(yk, pk, m))
            check(chk, "nrmse:norm=iqr", v["nrmse:norm=iqr"], ox.nrmse(yk, pk, wk, "iqr"))
    chk.assert_ok()


def _ccc_expect(y, p):
    return ox.ccc(y, p)


# ---------------------------------------------------------------------------------------
# small hand cases: kendall_tau (O(n²) count) and adjusted_r2 (exact r2)
# ---------------------------------------------------------------------------------------
N_SMALL = 220


def test_kendall_adjusted_r2_small(vernier):
    chk = Checker(vernier)
    for i in range(N_SMALL):
        seed = 60_000 + i
        rng = np.random.default_rng(seed)
        n = 1 + i % 3 if i < 9 else int(rng.integers(4, 61))
        kind = KINDS[i % len(KINDS)]
        wmode = None if i % 3 else "01"
        y, p = gen_pair(rng, n, kind)
        if kind == "constant" and i % 2:
            y, p = p, y
        w = gen_weights(rng, n, wmode)
        k = int(rng.integers(1, 8))
        specs = ["kendall_tau", f"adjusted_r2:p={k}"]
        res = vernier.eval(y, p, w, metrics=",".join(specs), keep=True)
        chk.set_context(describe(seed, i, n, kind, wmode), res)
        v = res.values()
        yk, pk, wk = kept(y, p, w)
        nk = len(yk)
        # tau-b: an exact integer over a square root; plainly relative
        check(chk, "kendall_tau", v["kendall_tau"], ox.kendall_tau_b(yk, pk))
        key = f"adjusted_r2:p={k}"
        const = nk >= 1 and yk.min() == yk.max()
        if nk < 2 or nk - k - 1 <= 0:
            chk.undefined(key, v[key], {"too_few_rows", "constant_y"} if const
                          else "too_few_rows")
            continue
        r2, res_ss, tot = ox.r2_frac(yk, pk, wk)
        if r2 is None:
            chk.undefined(key, v[key], "constant_y")
            continue
        f = ox.Fraction(nk - 1, nk - k - 1)
        adj = 1 - (1 - r2) * f
        # 1 − (1 − R²)·f: the error is in SS_res/SS_tot, relative 1e-12, times f
        chk.value(key, v[key], float(adj),
                  max(REL * abs(float(adj)), REL * float(res_ss / tot * f), TINY))
    chk.assert_ok()


# =======================================================================================
# named edge cases
# =======================================================================================
def _vals(res):
    return res.values()


def test_smape_zero_zero_row(vernier):
    """A row with y = ŷ = 0 contributes 0 to smape and counts in W."""
    y = np.array([0.0, 1.0, 4.0])
    p = np.array([0.0, 2.0, 3.0])
    res = vernier.eval(y, p, metrics="smape")
    exp = 100 * (0 + 2 * 1 / 3 + 2 * 1 / 7) / 3
    chk = Checker(vernier)
    chk.value("smape", _vals(res)["smape"], exp, REL * exp)
    # all rows 0/0 -> 0
    res = vernier.eval(np.zeros(4), np.zeros(4), metrics="smape")
    chk.value("smape", _vals(res)["smape"], 0.0, 0.0)
    # weighted, with a zero-weight row that would otherwise count
    res = vernier.eval(y, p, w=np.array([2.0, 1.0, 0.0]), metrics="smape")
    exp = 100 * (2 * 0 + 1 * (2 / 3)) / 3
    chk.value("smape", _vals(res)["smape"], exp, REL * exp)
    chk.assert_ok()


def test_wmape_all_zero_y(vernier):
    chk = Checker(vernier)
    res = vernier.eval(np.zeros(5), np.arange(5.0), metrics="wmape,mae")
    chk.undefined("wmape", _vals(res)["wmape"], "zero_denominator")
    chk.value("mae", _vals(res)["mae"], 2.0, 0.0)  # other metrics are still computed
    # zero y only on the positive-weight rows
    res = vernier.eval(np.array([0.0, 0.0, 3.0]), np.array([1.0, 2.0, 3.0]),
                       w=np.array([1.0, 1.0, 0.0]), metrics="wmape")
    chk.undefined("wmape", _vals(res)["wmape"], "zero_denominator")
    chk.assert_ok()


def test_mape_mpe_zero_policy(vernier):
    """nan: undefined with the number of zero rows in the message; skip: those rows
    left out of mape/mpe only, count reported; eps: scikit-learn's max(|y|, eps)."""
    chk = Checker(vernier)
    y = np.array([0.0, 2.0, 0.0, -4.0, 5.0, 0.0, 8.0])
    p = np.array([1.0, 2.5, -1.0, -3.0, 4.0, 0.5, 10.0])
    nz = int((y == 0).sum())  # 3
    # nan (default)
    res = vernier.eval(y, p, metrics="mape,mpe,mae")
    v = _vals(res)
    for key in ("mape", "mpe"):
        if chk.undefined(key, v[key], "zero_actual"):
            assert re.search(rf"\b{nz}\b", v[key]["message"]), \
                f"{key} message does not give the {nz} zero rows: {v[key]['message']!r}"
    chk.value("mae", v["mae"], skm.mean_absolute_error(y, p), REL)
    # skip
    res = vernier.eval(y, p, metrics="mape,mpe,mae", flags=["--zero", "skip"])
    v = _vals(res)
    keep = y != 0
    m = 100 * skm.mean_absolute_percentage_error(y[keep], p[keep])
    chk.value("mape", v["mape"], m, REL * m)
    e = float(ox.mpe(y[keep], p[keep], None).value)
    chk.value("mpe", v["mpe"], e, REL * abs(e))
    chk.value("mae", v["mae"], skm.mean_absolute_error(y, p), REL)  # mae keeps all rows
    texts = [v[k].get("message") or "" for k in ("mape", "mpe")]
    texts += [n_["message"] for n_ in res.doc.get("notes", [])]
    assert any(re.search(rf"\b{nz}\b", t) for t in texts), \
        f"--zero skip does not report the {nz} skipped rows anywhere: {texts}"
    # eps
    res = vernier.eval(y, p, metrics="mape,mpe", flags=["--zero", "eps"])
    v = _vals(res)
    m = 100 * skm.mean_absolute_percentage_error(y, p)
    chk.value("mape", v["mape"], m, REL * m)
    e = ox.mpe(y, p, None, "eps")
    chk.value("mpe", v["mpe"], float(e.value), REL * float(e.scale))
    # weighted: a zero y on a zero-weight row does not count
    w = np.where(y == 0, 0.0, 1.5)
    res = vernier.eval(y, p, w=w, metrics="mape")
    m = 100 * skm.mean_absolute_percentage_error(y[keep], p[keep])
    chk.value("mape", _vals(res)["mape"], m, REL * m)
    chk.assert_ok()


def test_adjusted_r2_too_few_rows(vernier):
    chk = Checker(vernier)
    rng = np.random.default_rng(7)
    y = rng.normal(size=5)
    p = y + rng.normal(size=5)
    res = vernier.eval(y, p, metrics="adjusted_r2:p=4,adjusted_r2:p=10,adjusted_r2:p=3,r2")
    v = _vals(res)
    chk.undefined("adjusted_r2:p=4", v["adjusted_r2:p=4"], "too_few_rows")  # n-p-1 = 0
    chk.undefined("adjusted_r2:p=10", v["adjusted_r2:p=10"], "too_few_rows")  # < 0
    r2 = skm.r2_score(y, p)
    adj = 1 - (1 - r2) * 4 / 1
    chk.value("adjusted_r2:p=3", v["adjusted_r2:p=3"], adj, 1e-12 * max(1.0, abs(adj)))
    chk.assert_ok()


def test_adjusted_r2_requires_p(vernier, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("y,yhat\n1,2\n2,2\n3,4\n4,3\n5,5\n")
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "adjusted_r2",
                     "--format", "json"])
    record("adjusted_r2", undefined=True)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == "", "a usage error must not print results"
    assert re.search(r"\bp\b", r.stderr), f"message does not name the parameter p: {r.stderr!r}"


def test_msle_domain_boundary(vernier):
    """vernier's domain is y, ŷ > −1 (sklearn refuses < 0): −1 is out, −0.5 is in."""
    chk = Checker(vernier)
    for y, p in [([-1.0, 1.0], [0.0, 1.0]), ([0.0, 1.0], [-1.0, 1.0]),
                 ([-3.0, 1.0], [0.0, 1.0]), ([0.0, 2.0], [1.0, -1.5])]:
        res = vernier.eval(np.array(y), np.array(p), metrics="msle,rmsle,mae")
        v = _vals(res)
        chk.undefined("msle", v["msle"], "domain")
        chk.undefined("rmsle", v["rmsle"], "domain")
        chk.value("mae", v["mae"], float(np.mean(np.abs(np.subtract(p, y)))), 1e-15)
    y = np.array([-0.5, 0.0, 3.0, -0.999999])
    p = np.array([0.25, -0.75, 2.0, 1.0])
    res = vernier.eval(y, p, metrics="msle,rmsle")
    ex = float(np.mean((np.log1p(y) - np.log1p(p)) ** 2))
    chk.value("msle", _vals(res)["msle"], ex, REL_LOG * ex)
    chk.value("rmsle", _vals(res)["rmsle"], math.sqrt(ex), REL_LOG * math.sqrt(ex))
    # a y = -1 row with zero weight is ignored
    res = vernier.eval(np.array([-1.0, 1.0, 2.0]), np.array([0.0, 1.5, 2.0]),
                       w=np.array([0.0, 1.0, 1.0]), metrics="msle")
    ex = skm.mean_squared_log_error([1.0, 2.0], [1.5, 2.0])
    chk.value("msle", _vals(res)["msle"], ex, REL_LOG * ex)
    chk.assert_ok()


def test_huber_small_errors_is_half_mse(vernier):
    chk = Checker(vernier)
    rng = np.random.default_rng(11)
    for delta, w in [(1.0, None), (2.5, rng.uniform(0.1, 5, 500))]:
        y = rng.normal(0, 10, 500)
        p = y + np.clip(rng.normal(0, 0.5, 500), -0.99, 0.99)
        key = f"huber:delta={delta}"
        res = vernier.eval(y, p, w=w, metrics=f"{key},mse")
        v = _vals(res)
        half = skm.mean_squared_error(y, p, sample_weight=w) / 2
        chk.value(key, v[key], half, REL * half)
        chk.value(key, v[key], v["mse"]["value"] / 2, REL * half)
        chk.value(key, v[key], float(ox.huber(y, p, w, delta).value), REL * half)
    chk.assert_ok()


def test_pseudo_huber_log_cosh_large_errors(vernier):
    """|e| up to 1e6: no overflow; log cosh e ~ |e| − log 2, pseudo-Huber ~ δ|e|."""
    chk = Checker(vernier)
    e = np.array([1e6, -1e6, 7.1e5, -800.0, 710.0, 711.0, -1e3, 2.0, 0.0])
    y = np.linspace(-5, 5, len(e))
    p = y + e
    res = vernier.eval(y, p, metrics="log_cosh,pseudo_huber,pseudo_huber:delta=3")
    v = _vals(res)
    yk, pk = y, p
    lc = ox.log_cosh(yk, pk, None)
    check(chk, "log_cosh", v["log_cosh"], lc, rel=REL_LOG)
    e_exact = pk - yk
    approx = float(np.mean(np.abs(e_exact) - math.log(2)))
    assert abs(float(lc.value) - approx) < 1e-6 * approx  # the oracle agrees with |e| − ln 2
    check(chk, "pseudo_huber", v["pseudo_huber"], ox.pseudo_huber(yk, pk, None, 1.0))
    check(chk, "pseudo_huber:delta=3", v["pseudo_huber:delta=3"],
          ox.pseudo_huber(yk, pk, None, 3.0))
    # a single huge error
    res = vernier.eval(np.array([0.0]), np.array([1e6]), metrics="log_cosh,pseudo_huber")
    v = _vals(res)
    chk.value("log_cosh", v["log_cosh"], 1e6 - math.log(2), REL * 1e6)
    ph = float(ox.pseudo_huber(np.array([0.0]), np.array([1e6]), None, 1.0).value)
    chk.value("pseudo_huber", v["pseudo_huber"], ph, REL * ph)
    chk.assert_ok()


def test_tiny_errors_keep_relative_accuracy(vernier):
    """|e| ~ 1e-9: log cosh e ~ e²/2 and pseudo-Huber ~ e²/2 must not cancel to 0 (a
    naive log(cosh e) or δ²(√(1+(e/δ)²) − 1) returns 0 here)."""
    chk = Checker(vernier)
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = y + np.array([1e-9, -3e-9, 2e-8, 5e-10])
    res = vernier.eval(y, p, metrics="log_cosh,pseudo_huber")
    v = _vals(res)
    check(chk, "log_cosh", v["log_cosh"], ox.log_cosh(y, p, None), rel=REL_LOG)
    check(chk, "pseudo_huber", v["pseudo_huber"], ox.pseudo_huber(y, p, None, 1.0))
    chk.assert_ok()


def test_kendall_constant_input(vernier):
    chk = Checker(vernier)
    for y, p in [(np.full(6, 3.0), np.arange(6.0)), (np.arange(6.0), np.full(6, -1.0)),
                 (np.full(6, 2.0), np.full(6, 2.0))]:
        res = vernier.eval(y, p, metrics="kendall_tau,spearman_rho,pearson_r")
        for key in ("kendall_tau", "spearman_rho", "pearson_r"):
            chk.undefined(key, _vals(res)[key], "constant_input")
    chk.assert_ok()


def test_mase_rmsse_too_few_rows(vernier):
    chk = Checker(vernier)
    y = np.array([1.0, 3.0, 2.0, 5.0])
    p = np.array([1.5, 2.0, 2.0, 4.0])
    res = vernier.eval(y, p, metrics="mase:m=4,mase:m=7,rmsse:m=4,mase:m=3,mase")
    v = _vals(res)
    for key in ("mase:m=4", "mase:m=7", "rmsse:m=4"):
        chk.undefined(key, v[key], "too_few_rows")
    check(chk, "mase:m=3", v["mase:m=3"], ox.mase(y, p, 3))
    check(chk, "mase", v["mase"], ox.mase(y, p, 1))  # default m = 1
    # constant y: the seasonal-naive scale is 0
    res = vernier.eval(np.full(5, 2.0), np.arange(5.0), metrics="mase,rmsse")
    chk.undefined("mase", _vals(res)["mase"], "zero_denominator")
    chk.undefined("rmsse", _vals(res)["rmsse"], "zero_denominator")
    chk.assert_ok()


def test_ccc_constant_inputs(vernier):
    """Lin's CCC = 2 s_xy / (s_x² + s_y² + (x̄ − ȳ)²). Both constant and equal: 0/0,
    undefined. One constant: s_xy = 0 over a positive denominator, CCC = 0 exactly."""
    chk = Checker(vernier)
    res = vernier.eval(np.full(5, 2.0), np.full(5, 2.0), metrics="ccc")
    chk.undefined("ccc", _vals(res)["ccc"], {"constant_input", "constant_y", "zero_denominator"})
    res = vernier.eval(np.full(5, 2.0), np.full(5, 3.0), metrics="ccc")
    chk.value("ccc", _vals(res)["ccc"], 0.0, 0.0)  # 0 / (0 + 0 + 1)
    res = vernier.eval(np.full(5, 2.0), np.arange(5.0), metrics="ccc")
    chk.value("ccc", _vals(res)["ccc"], 0.0, 0.0)
    res = vernier.eval(np.arange(5.0), np.full(5, 1.0), metrics="ccc")
    chk.value("ccc", _vals(res)["ccc"], 0.0, 0.0)
    # n = 1
    res = vernier.eval(np.array([1.0]), np.array([2.0]), metrics="ccc")
    chk.undefined("ccc", _vals(res)["ccc"], {"too_few_rows", "constant_input"})
    # perfect agreement
    y = np.array([1.0, 2.5, -3.0, 4.0])
    res = vernier.eval(y, y.copy(), metrics="ccc")
    chk.value("ccc", _vals(res)["ccc"], 1.0, 2e-16)
    chk.assert_ok()


ALL_WEIGHTED_SAFE = ("count,weight_sum,mean_error,mae,mse,rmse,max_error,medae,"
                     "p90_abs_error,abs_error_quantile:q=0.3,mape,smape,wmape,mpe,msle,r2,"
                     "explained_variance,adjusted_r2:p=2,huber:delta=0.5,pseudo_huber,"
                     "log_cosh,pinball:q=0.2,d2_absolute_error,d2_pinball:q=0.7,"
                     "poisson_deviance,gamma_deviance,tweedie_deviance:power=1.5,"
                     "d2_tweedie:power=1.5,nrmse:norm=mean,nrmse:norm=range,nrmse:norm=std,"
                     "abs_error_quantile:q=0.333,d2_pinball:q=0.333")
SERIES_AND_RANK = "pearson_r,spearman_rho,kendall_tau,ccc,mda,mase,rmsse:m=2,nrmse:norm=iqr"


def _same(chk, key, a, b, what):
    """Two CLI runs that must agree (to the oracle tolerance; bit-identity is tallied,
    not counted as an oracle case)."""
    va, vb = a.get("value"), b.get("value")
    if va is None or vb is None:
        if va != vb or a.get("reason") != b.get("reason"):
            chk._fail(key, f"{what}: {a} vs {b}")
        return
    TALLIES[f"{what}: bit-identical values"] += va == vb
    TALLIES[f"{what}: values compared"] += 1
    if not abs(va - vb) <= max(REL * max(abs(va), abs(vb)), TINY):
        chk._fail(key, f"{what}: {va!r} vs {vb!r}")


def test_zero_weight_rows_are_excluded_everywhere(vernier):
    """Rows with w = 0 are ignored everywhere: the run with them equals the run with them
    deleted (same weights otherwise), and both equal the oracle on the kept rows."""
    chk = Checker(vernier)
    for seed in range(8):
        rng = np.random.default_rng(70_000 + seed)
        n = int(rng.integers(20, 400))
        y = rng.lognormal(1, 0.7, n)
        p = y * rng.lognormal(0, 0.3, n)
        zero = rng.random(n) < 0.3
        # zero-weight rows carry values that would change every metric
        y[zero] = rng.choice([0.0, -5.0, 1e6], zero.sum())
        p[zero] = rng.choice([0.0, -2.0, 3e5], zero.sum())
        for mode in ("float", "int", "01"):
            if mode == "float":
                w = rng.uniform(0.1, 5, n)
            elif mode == "int":
                w = rng.integers(1, 6, n).astype(float)
            else:
                w = np.ones(n)
            w[zero] = 0.0
            metrics = ALL_WEIGHTED_SAFE + ("," + SERIES_AND_RANK if mode == "01" else "")
            chk.set_context(f"seed={70_000 + seed} mode={mode} n={n}")
            a = vernier.eval(y, p, w=w, metrics=metrics)
            b = vernier.eval(y[~zero], p[~zero], w=w[~zero], metrics=metrics)
            assert a.keys == b.keys
            assert a.doc["input"]["rows_zero_weight"] == int(zero.sum())
            assert a.slice()["rows"] == int((~zero).sum())
            va, vb = a.values(), b.values()
            for key in a.keys:
                _same(chk, key, va[key], vb[key], f"w=0 rows vs deleted ({mode})")
            yk, pk, wk = y[~zero], p[~zero], w[~zero]
            check(chk, "mean_error", va["mean_error"], ox.mean_error(yk, pk, wk))
            check(chk, "smape", va["smape"], ox.smape(yk, pk, wk))
            check(chk, "wmape", va["wmape"], ox.wmape(yk, pk, wk))
            check(chk, "log_cosh", va["log_cosh"], ox.log_cosh(yk, pk, wk), rel=REL_LOG)
            check(chk, "huber:delta=0.5", va["huber:delta=0.5"], ox.huber(yk, pk, wk, 0.5))
            check(chk, "nrmse:norm=range", va["nrmse:norm=range"], ox.nrmse(yk, pk, wk, "range"))
            ex = skm.mean_absolute_error(yk, pk, sample_weight=wk)
            chk.value("mae", va["mae"], ex, REL * ex)
            ex = skm.mean_squared_log_error(yk, pk, sample_weight=wk)
            chk.value("msle", va["msle"], ex, REL_LOG * ex)
            ex = skm.mean_tweedie_deviance(yk, pk, sample_weight=wk, power=1.5)
            chk.value("tweedie_deviance:power=1.5", va["tweedie_deviance:power=1.5"], ex,
                      REL_LOG * ex)
            chk.value("max_error", va["max_error"], float(np.max(np.abs(pk - yk))), 0.0)
            chk.value("count", va["count"], int((~zero).sum()), 0.0)
            if mode == "01":
                check(chk, "ccc", va["ccc"], ox.ccc(yk, pk))
                check(chk, "mda", va["mda"], ox.mda(yk, pk))
                check(chk, "mase", va["mase"], ox.mase(yk, pk, 1))
                import scipy.stats
                t = float(scipy.stats.kendalltau(yk, pk)[0])
                chk.value("kendall_tau", va["kendall_tau"], t, REL * abs(t))
    chk.assert_ok()


def test_weight_scale_invariance(vernier):
    """Every weighted metric is a ratio of weighted sums (or a weighted quantile), so
    multiplying all weights by a constant changes nothing. Unit weights (w = 1) are the
    case c = 1 of this family: w = 1 and w = 3 must give the same results."""
    chk = Checker(vernier)
    rng = np.random.default_rng(71_000)
    n = 100  # (n-1)q is fractional for q = 0.9, 0.3, 0.333: the unweighted (type 7) and
             # weighted (averaged inverted CDF) quantiles differ; for q = 0.333 (nq not
             # integral) the type-7 value is not a pinball minimiser, so d2_pinball differs
    y = rng.lognormal(1, 0.7, n)
    p = y * rng.lognormal(0, 0.3, n)
    base = rng.integers(1, 4, n).astype(float)
    for w1, w2, what in [(np.ones(n), np.full(n, 3.0), "w=1 vs w=3"),
                         (base, base * 4.0, "w vs 4w")]:
        a = vernier.eval(y, p, w=w1, metrics=ALL_WEIGHTED_SAFE)
        b = vernier.eval(y, p, w=w2, metrics=ALL_WEIGHTED_SAFE)
        for key in a.keys:
            if key == "weight_sum":
                continue
            _same(chk, key, a.values()[key], b.values()[key], what)
    chk.assert_ok()


def test_no_rows(vernier):
    """All weights 0: every metric undefined with reason no_rows; count and weight_sum 0."""
    chk = Checker(vernier)
    y = np.array([1.0, 2.0, 3.0])
    res = vernier.eval(y, y + 1, w=np.zeros(3),
                       metrics="count,weight_sum,mae,rmse,r2,medae,mape,smape,pearson_r,ccc")
    v = _vals(res)
    chk.value("count", v["count"], 0, 0.0)
    chk.value("weight_sum", v["weight_sum"], 0.0, 0.0)
    for key in ("mae", "rmse", "r2", "medae", "mape", "smape", "pearson_r", "ccc"):
        chk.undefined(key, v[key], "no_rows")
    assert res.slice()["rows"] == 0
    assert res.doc["input"]["rows_zero_weight"] == 3
    chk.assert_ok()


def test_r2_undefined_and_force_finite(vernier):
    chk = Checker(vernier)
    res = vernier.eval(np.array([1.0]), np.array([2.0]), metrics="r2")
    chk.undefined("r2", _vals(res)["r2"], "too_few_rows")
    y = np.full(4, 0.1)  # constant y whose binary64 mean need not be exactly 0.1
    for p, forced in [(y.copy(), 1.0), (np.array([0.1, 0.2, 0.0, 0.1]), 0.0)]:
        res = vernier.eval(y, p, metrics="r2,explained_variance")
        chk.undefined("r2", _vals(res)["r2"], "constant_y")
        chk.undefined("explained_variance", _vals(res)["explained_variance"], "constant_y")
        res = vernier.eval(y, p, metrics="r2", flags=["--r2-constant", "sklearn"])
        chk.value("r2", _vals(res)["r2"], forced, 0.0)
    chk.assert_ok()


def test_large_offset_across_blocks(vernier):
    """y = 1e9 + N(0, 10²) over 10 000 rows (more than one accumulation block): the
    centred second moments must keep ~1e-12 relative accuracy — the data are exact, so
    nothing but the algorithm limits it (numpy's plain two-pass reaches ~1e-16 here)."""
    chk = Checker(vernier)
    rng = np.random.default_rng(72_000)
    n = 10_000
    y = 1e9 + rng.normal(0, 10, n)
    p = y + rng.normal(0.3, 5, n)
    res = vernier.eval(y, p, metrics="r2,explained_variance,pearson_r,ccc,nrmse:norm=std")
    v = _vals(res)
    chk.set_context("large offset, 10 000 rows")
    r2, res_ss, tot = ox.r2_frac(y, p, None)
    chk.value("r2", v["r2"], float(r2), REL * max(abs(float(r2)), float(res_ss / tot)))
    check(chk, "ccc", v["ccc"], ox.ccc(y, p))
    check(chk, "nrmse:norm=std", v["nrmse:norm=std"], ox.nrmse(y, p, None, "std"))
    # pearson / EV: exact centred sums
    K, (Y, P), _ = ox.to_ints(y, p)
    sy, sp = sum(Y), sum(P)
    sxy = n * sum(a * b for a, b in zip(Y, P)) - sy * sp
    sxx = n * sum(a * a for a in Y) - sy * sy
    spp = n * sum(b * b for b in P) - sp * sp
    r = ox.D(sxy) / ox.dsqrt(ox.Fraction(sxx) * spp)
    chk.value("pearson_r", v["pearson_r"], float(r), REL)
    E = [b - a for a, b in zip(Y, P)]
    se = sum(E)
    see = n * sum(e * e for e in E) - se * se
    ev = 1 - ox.Fraction(see, sxx)
    chk.value("explained_variance", v["explained_variance"], float(ev),
              REL * max(abs(float(ev)), float(ox.Fraction(see, sxx))))
    chk.assert_ok()


def test_constant_y_skill_scores(vernier):
    """Constant y makes every skill score undefined (constant_y), whatever the weights
    and whether or not the binary64 weighted mean of y reproduces the constant exactly;
    under --r2-constant sklearn they are 1.0 (perfect prediction) or 0.0."""
    chk = Checker(vernier)
    skill = ["r2", "explained_variance", "d2_absolute_error", "d2_pinball:q=0.3"] + \
        [f"d2_tweedie:power={pw}" for pw in (0, 1, 1.5, 2, 3, -1)]
    for c in (0.1, 0.7, 1.1, 3.3, 123.456, 1e9):
        for wts in (None, np.array([1.0, 2.5, 0.7] * 3)[:7]):
            y = np.full(7, c)
            p = c * (1 + 0.1 * np.arange(1, 8))
            chk.set_context(f"constant y = {c!r}, weights={wts}")
            res = vernier.eval(y, p, w=wts, metrics=",".join(skill))
            for key in skill:
                chk.undefined(key, _vals(res)[key], "constant_y")
            res = vernier.eval(y, p, w=wts, metrics=",".join(skill),
                               flags=["--r2-constant", "sklearn"])
            for key in skill:
                chk.value(key, _vals(res)[key], 0.0, 0.0)
            res = vernier.eval(y, y.copy(), w=wts, metrics=",".join(skill),
                               flags=["--r2-constant", "sklearn"])
            for key in skill:
                chk.value(key, _vals(res)[key], 1.0, 0.0)
    chk.assert_ok()
