"""
Oracle: interval, quantile and probabilistic scores (docs/metrics.md, "Metrics over input
columns") — coverage, interval_width, interval_score, wis, pinball over quantile
columns, quantile_coverage, coverage by magnitude, crps_ensemble (standard and fair),
crps_gaussian and log_score_gaussian.

The references are independent of vernier's code:
  * numpy re-implementations written from the papers' definitions (Gneiting & Raftery
    2007 for the interval score and the CRPS; Bracher et al. 2021 for the WIS), on
    randomized data with weights (zeros included) and slices;
  * scikit-learn's mean_pinball_loss for every pinball level;
  * scipy.stats.norm (cdf, pdf, logpdf) for the Gaussian scores, and scipy's numerical
    integration of the CRPS's defining integral for a few rows;
  * the CRPS of an ensemble by its O(m^2) pairwise definition (vernier sorts);
  * hand-derived values (in the comments) for the toy cases.
Tolerance: relative 1e-10 (sums are compensated in vernier, plain float64 in numpy).
"""
import math

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.metrics import mean_pinball_loss

from conftest import record, write_csv

REL = 1e-10


def close(got, exp, rel=REL, abs_=1e-12):
    return got is not None and abs(got - exp) <= max(rel * abs(exp), abs_)


def value(res, key, i=0):
    return res.values(i)[key]["value"]


def wmean(s, w):
    w = np.asarray(w, float)
    return float(np.sum(w * s) / np.sum(w))


def gen(rng, n, m=5):
    """y, a median prediction, nested central intervals, ensemble members, sigma; about
    10 % of the intervals cross and some quantiles are non-monotone on purpose."""
    y = rng.normal(10, 5, n)
    mu = y + rng.normal(0, 2, n)
    sigma = np.exp(rng.normal(0.5, 0.4, n))
    z = {0.05: -1.645, 0.25: -0.674, 0.75: 0.674, 0.95: 1.645, 0.1: -1.2816, 0.9: 1.2816}
    cols = {"yhat": mu, "sigma": sigma}
    for lev, zz in z.items():
        cols[f"q{int(round(lev * 100)):02d}"] = mu + zz * sigma * rng.uniform(0.5, 1.5, n)
    cols["q50"] = mu.copy()
    cross = rng.random(n) < 0.1
    cols["q05"][cross], cols["q95"][cross] = cols["q95"][cross], cols["q05"][cross].copy()
    for k in range(1, m + 1):
        cols[f"m{k}"] = mu + sigma * rng.normal(0, 1, n)
    return y, cols


def weights(rng, n, mode):
    if mode == "none":
        return None
    w = rng.uniform(0.1, 5, n)
    w[rng.random(n) < 0.1] = 0.0
    if w.sum() == 0:
        w[0] = 1.0
    return w


def interval_score(y, lo, hi, alpha):
    # Gneiting & Raftery (2007), eq. 43: (u - l) + (2/a)(l - x)1{x < l} + (2/a)(x - u)1{x > u}
    return (hi - lo) + 2 / alpha * (lo - y) * (y < lo) + 2 / alpha * (y - hi) * (y > hi)


def wis(y, median, los, his, alphas):
    # Bracher et al. (2021), eq. 2: (1/(K + 1/2)) (w0 |y - m| + sum_k w_k IS_{a_k}),
    # w0 = 1/2, w_k = a_k / 2
    K = len(alphas)
    s = 0.5 * np.abs(y - median)
    for lo, hi, a in zip(los, his, alphas):
        s = s + a / 2 * interval_score(y, lo, hi, a)
    return s / (K + 0.5)


def crps_pairwise(y, members, fair=False):
    # E|X - y| - 1/2 E|X - X'|, with the pairwise mean over m^2 (standard) or m(m-1)
    # (fair, Ferro 2014) pairs: the O(m^2) definition.
    x = np.stack(members, axis=1)
    m = x.shape[1]
    a = np.mean(np.abs(x - y[:, None]), axis=1)
    pair = np.abs(x[:, :, None] - x[:, None, :]).sum(axis=(1, 2))
    return a - pair / (2 * m * (m - 1) if fair else 2 * m * m)


SPECS = {
    "coverage:lo=q05:hi=q95:level=0.9":
        lambda y, c: ((c["q05"] <= y) & (y <= c["q95"])).astype(float),
    "interval_width(lo=q25, hi=q75)": lambda y, c: c["q75"] - c["q25"],
    "interval_score:lo=q05:hi=q95:alpha=0.1":
        lambda y, c: interval_score(y, c["q05"], c["q95"], 0.1),
    "winkler(lo=q25,hi=q75,alpha=0.5)": lambda y, c: interval_score(y, c["q25"], c["q75"], 0.5),
    "wis:median=q50:lo=[q05,q25]:hi=[q95,q75]:alpha=[0.1,0.5]":
        lambda y, c: wis(y, c["q50"], [c["q05"], c["q25"]], [c["q95"], c["q75"]], [0.1, 0.5]),
    "quantile_coverage:q=0.9:col=q90": lambda y, c: (y <= c["q90"]).astype(float),
    "crps_ensemble:members=m1..m5": lambda y, c: crps_pairwise(y, [c[f"m{k}"] for k in range(1, 6)]),
    "crps_ensemble:members=[m1,m2,m3,m4,m5]:estimator=fair":
        lambda y, c: crps_pairwise(y, [c[f"m{k}"] for k in range(1, 6)], fair=True),
    "crps_gaussian:sigma=sigma":
        lambda y, c: c["sigma"] * ((y - c["yhat"]) / c["sigma"] *
                                   (2 * stats.norm.cdf((y - c["yhat"]) / c["sigma"]) - 1) +
                                   2 * stats.norm.pdf((y - c["yhat"]) / c["sigma"]) -
                                   1 / math.sqrt(math.pi)),
    "crps_gaussian:sigma=sigma:mu=q50":
        lambda y, c: c["sigma"] * ((y - c["q50"]) / c["sigma"] *
                                   (2 * stats.norm.cdf((y - c["q50"]) / c["sigma"]) - 1) +
                                   2 * stats.norm.pdf((y - c["q50"]) / c["sigma"]) -
                                   1 / math.sqrt(math.pi)),
    "log_score_gaussian(sigma=sigma)": lambda y, c: -stats.norm.logpdf(y, c["yhat"], c["sigma"]),
}

PINBALL = "pinball:q=[0.05,0.1,0.5,0.9,0.95]:col=[q05,q10,q50,q90,q95]"
LEVELS = {0.05: "q05", 0.1: "q10", 0.5: "q50", 0.9: "q90", 0.95: "q95"}


@pytest.mark.parametrize("seed", range(8))
def test_random_against_definitions(vernier, seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.choice([1, 2, 7, 50, 400, 5000]))
    y, c = gen(rng, n)
    wmode = ["none", "uniform"][seed % 2]
    w = weights(rng, n, wmode)
    g = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    metrics = ",".join(list(SPECS) + [PINBALL])
    extra = dict(c)
    extra.pop("yhat")
    extra["g"] = list(g)
    res = vernier.eval(y, c["yhat"], w=w, metrics=metrics, flags=["--by", "g"],
                       extra_cols=extra)
    ww = np.ones(n) if w is None else w
    slices = [("overall", np.ones(n, bool))] + [(s["by"]["g"], g == s["by"]["g"])
                                                for s in res.doc["slices"][1:]]
    for i, (label, sel) in enumerate(slices):
        cs = {k: v[sel] for k, v in c.items()}
        ys, ws = y[sel], ww[sel]
        if ws.sum() == 0:
            continue
        for key, f in SPECS.items():
            exp = wmean(f(ys, cs), ws)
            got = value(res, key, i)
            record(key.split(":")[0].split("(")[0])
            assert close(got, exp), (key, label, got, exp, res.cmd)
        # pinball across quantile columns: scikit-learn per level, then their mean
        per = [mean_pinball_loss(ys, cs[col], alpha=lev, sample_weight=ws)
               for lev, col in LEVELS.items()]
        record("pinball")
        assert close(value(res, PINBALL, i), float(np.mean(per))), (label, res.cmd)


def test_wis_equals_twice_mean_pinball(vernier):
    """Bracher et al. (2021), section 2.2: WIS = (2/(2K+1)) sum over the 2K+1 quantile
    levels of the pinball loss, i.e. twice the mean pinball loss over those levels."""
    rng = np.random.default_rng(7)
    n = 300
    y, c = gen(rng, n)
    w = weights(rng, n, "uniform")
    key = "wis:median=q50:lo=[q05,q25]:hi=[q95,q75]:alpha=[0.1,0.5]"
    extra = dict(c)
    extra.pop("yhat")
    res = vernier.eval(y, c["yhat"], w=w, metrics=key, extra_cols=extra)
    pin = [mean_pinball_loss(y, c[col], alpha=lev, sample_weight=w)
           for lev, col in [(0.05, "q05"), (0.25, "q25"), (0.5, "q50"), (0.75, "q75"),
                            (0.95, "q95")]]
    assert close(value(res, key), 2 * float(np.mean(pin)))
    # and the paper's weighted sum of interval scores (the definition) directly
    direct = wis(y, c["q50"], [c["q05"], c["q25"]], [c["q95"], c["q75"]], [0.1, 0.5])
    assert close(value(res, key), wmean(direct, w))


def test_crps_toy_cases(vernier):
    # standard: CRPS = (1/m) sum|x_i - y| - (1/(2 m^2)) sum_{i,j} |x_i - x_j|
    #   y = 0, x = [0, 1]:    (0 + 1)/2 - (1/8)(2 * 1)            = 1/2 - 1/4 = 1/4
    #   y = 1, x = [0, 0, 1]: (1 + 1 + 0)/3 - (1/18)(4 * 1)        = 2/3 - 2/9 = 4/9
    # fair: the pairwise term over m(m - 1) instead of m^2:
    #   y = 0, x = [0, 1]:    1/2 - (1/(2*2*1))(2)                  = 1/2 - 1/2 = 0
    #   y = 1, x = [0, 0, 1]: 2/3 - (1/(2*3*2))(4)                  = 2/3 - 1/3 = 1/3
    cases = [(0.0, [0.0, 1.0, None], 0.25, 0.0), (1.0, [0.0, 0.0, 1.0], 4 / 9, 1 / 3)]
    for y, xs, std, fair in cases:
        mem = [x for x in xs if x is not None]
        cols = {f"m{k + 1}": [x] for k, x in enumerate(mem)}
        top = f"m{len(mem)}"
        keys = f"crps_ensemble:members=m1..{top},crps_ensemble:members=m1..{top}:estimator=fair"
        res = vernier.eval([y], [0.0], metrics=keys, extra_cols=cols)
        assert close(value(res, f"crps_ensemble:members=m1..{top}"), std)
        assert close(value(res, f"crps_ensemble:members=m1..{top}:estimator=fair"), fair)


def test_crps_ensemble_is_crps_of_the_empirical_cdf(vernier):
    """The standard estimator is the CRPS integral of the ensemble's step CDF; checked by
    integrating (F(x) - 1{x >= y})^2 exactly over the breakpoints."""
    rng = np.random.default_rng(3)
    m = 7
    x = rng.normal(0, 1, m)
    y = 0.3
    pts = np.sort(np.append(x, y))
    F = lambda t: np.mean(x <= t)
    integral = sum((F(a) - (a >= y)) ** 2 * (b - a) for a, b in zip(pts[:-1], pts[1:]))
    cols = {f"m{k + 1}": [x[k]] for k in range(m)}
    res = vernier.eval([y], [0.0], metrics="crps_ensemble:members=m1..m7", extra_cols=cols)
    assert close(value(res, "crps_ensemble:members=m1..m7"), integral, rel=1e-12)


def test_crps_gaussian_by_integration(vernier):
    """crps_gaussian against the defining integral int (Phi((t-mu)/s) - 1{t >= y})^2 dt."""
    rows = [(0.0, 0.0, 1.0), (2.5, 1.0, 0.5), (-3.0, 4.0, 2.0), (100.0, 100.0, 1e-3)]
    y = [r[0] for r in rows]
    res = vernier.eval(y, [r[1] for r in rows], metrics="crps_gaussian:sigma=s",
                       extra_cols={"s": [r[2] for r in rows]})
    exp = []
    for yy, mu, s in rows:
        f = lambda t: (stats.norm.cdf(t, mu, s) - (t >= yy)) ** 2
        a, b = mu - 40 * s, mu + 40 * s
        lo, hi = min(a, yy), max(b, yy)
        v1 = integrate.quad(f, lo, yy, limit=200, epsabs=1e-14)[0]
        v2 = integrate.quad(f, yy, hi, limit=200, epsabs=1e-14)[0]
        exp.append(v1 + v2)
    # known value: N(0,1) at y = 0 is (sqrt 2 - 1)/sqrt(pi)
    assert abs(exp[0] - (math.sqrt(2) - 1) / math.sqrt(math.pi)) < 1e-9
    assert close(value(res, "crps_gaussian:sigma=s"), float(np.mean(exp)), rel=1e-8)


def test_interval_score_hand_cases(vernier):
    # [lo, hi] = [1, 3], alpha = 0.1, so 2/alpha = 20:
    #   y = 2   inside:          width 2                      = 2
    #   y = 0   below by 1:      2 + 20 * 1                   = 22
    #   y = 4.5 above by 1.5:    2 + 20 * 1.5                 = 32
    #   y = 3   on the bound:    2 (closed interval)          = 2
    ys = [2.0, 0.0, 4.5, 3.0]
    cols = {"lo": [1.0] * 4, "hi": [3.0] * 4}
    res = vernier.eval(ys, [2.0] * 4, metrics="interval_score:lo=lo:hi=hi:alpha=0.1,"
                       "coverage(lo=lo,hi=hi,level=0.5),interval_width:lo=lo:hi=hi",
                       extra_cols=cols)
    assert close(value(res, "interval_score:lo=lo:hi=hi:alpha=0.1"), (2 + 22 + 32 + 2) / 4)
    cov = res.values()["coverage(lo=lo,hi=hi,level=0.5)"]
    assert cov["value"] == 0.5  # y = 2 and y = 3 (closed) are inside
    assert "nominal 0.5, gap +0" in cov["message"]
    assert value(res, "interval_width:lo=lo:hi=hi") == 2.0


def test_quantile_coverage_levels_and_gap(vernier):
    rng = np.random.default_rng(11)
    n = 1000
    y, c = gen(rng, n)
    res = vernier.eval(y, c["yhat"], metrics="quantile_coverage:q=[0.1,0.5,0.9]:col=[q10,q50,q90]",
                       extra_cols={k: c[k] for k in ("q10", "q50", "q90")})
    assert res.keys == ["quantile_coverage:q=0.1:col=q10", "quantile_coverage:q=0.5:col=q50",
                        "quantile_coverage:q=0.9:col=q90"]
    for lev, col in [(0.1, "q10"), (0.5, "q50"), (0.9, "q90")]:
        v = res.values()[f"quantile_coverage:q={lev}:col={col}"]
        share = float(np.mean(y <= c[col]))
        assert v["value"] == pytest.approx(share, abs=1e-15)
        assert f"nominal {lev}, gap {share - lev:+.4g}" in v["message"]


@pytest.mark.parametrize("mag", ["yhat", "y"])
def test_coverage_by_magnitude(vernier, mag):
    """Equal-count bins of |yhat| (|y| with mag=y), ties in row order; intervals that do
    not widen with the level cover less where values are large."""
    rng = np.random.default_rng(5)
    n = 1003
    yhat = rng.uniform(-100, 100, n).round(0)  # ties on purpose
    y = yhat + rng.normal(0, 1, n) * (1 + np.abs(yhat) / 10)
    lo, hi = yhat - 3, yhat + 3
    w = weights(rng, n, "uniform")
    key = "coverage:lo=lo:hi=hi:bins=4" + (":mag=y" if mag == "y" else "")
    res = vernier.eval(y, yhat, w=w, metrics=key, extra_cols={"lo": lo, "hi": hi})
    keep = w > 0
    yy, pp, ll, hh, ww = y[keep], yhat[keep], lo[keep], hi[keep], w[keep]
    m = np.abs(pp if mag == "yhat" else yy)
    order = np.lexsort((np.arange(len(m)), m))
    bins = np.empty(len(m), int)
    bins[order] = np.arange(len(m)) * 4 // len(m)
    covered = ((ll <= yy) & (yy <= hh)).astype(float)
    got = []
    for b in range(4):
        k = f"coverage:lo=lo:hi=hi:bins=4:bin={b + 1}" + (":mag=y" if mag == "y" else "")
        sel = bins == b
        exp = wmean(covered[sel], ww[sel])
        v = res.values()[k]
        assert close(v["value"], exp), (k, v, exp)
        assert f"{sel.sum()} rows" in v["message"]
        got.append(v["value"])
    assert got[-1] < got[0]  # too narrow where values are large


def test_crossing_is_reported_not_fixed(vernier):
    ys = [1.0, 2.0, 3.0, 4.0]
    lo = [0.0, 3.0, 2.0, 5.0]  # rows 2 and 4 cross (lo > hi)
    hi = [2.0, 1.0, 4.0, 3.0]
    q50 = [1.0, 2.0, 3.0, 4.0]
    res = vernier.eval(ys, q50, metrics="coverage:lo=lo:hi=hi,interval_width:lo=lo:hi=hi,"
                       "pinball:q=[0.1,0.5,0.9]:col=[lo,q50,hi]",
                       extra_cols={"lo": lo, "hi": hi, "q50": q50})
    # not reordered: widths are hi - lo as given
    assert value(res, "interval_width:lo=lo:hi=hi") == ((2 - 0) + (1 - 3) + (4 - 2) + (3 - 5)) / 4
    assert value(res, "coverage:lo=lo:hi=hi") == 0.5
    assert "2 rows with crossing lo > hi" in res.values()["coverage:lo=lo:hi=hi"]["message"]
    notes = [x for x in res.doc["notes"] if x["code"] == "crossing_quantiles"]
    assert any("2 of 4 rows" in x["message"] and "coverage" in x["message"] for x in notes)
    assert any("pinball" in x["message"] and "2 of 4 rows" in x["message"] for x in notes)


def test_edge_cases(vernier, tmp_path):
    # a missing quantile column: a data error naming the column and the metric
    path = write_csv(tmp_path / "a.csv", {"y": [1.0, 2.0], "yhat": [1.0, 2.0], "q05": [0.0, 1.0]})
    p = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "coverage:lo=q05:hi=q95"])
    assert p.returncode == 3
    assert '"q95"' in p.stderr and "coverage" in p.stderr and "hi" in p.stderr, p.stderr
    # an empty cell in a quantile column: a data error naming the column
    path.write_text("y,yhat,q05,q95\n1,1,0,2\n2,2,,3\n")
    p = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "coverage:lo=q05:hi=q95"])
    assert p.returncode == 3 and "q05" in p.stderr, p.stderr
    # syntax: list lengths, missing parameters, bad ranges
    for bad, want in [("wis:median=q05:lo=[q05]:hi=[q95,q95]:alpha=[0.1]", "same number"),
                      ("coverage:lo=q05", "needs hi=COL"),
                      ("interval_score:lo=q05:hi=q95", "needs alpha"),
                      ("interval_score:lo=q05:hi=q95:alpha=1.5", "alpha must be between"),
                      ("crps_ensemble:members=m5..m1", "not a column range"),
                      ("crps_ensemble:members=[m1]:estimator=odd", "standard or fair"),
                      ("pinball:q=[0.1,0.9]:col=[q05]", "as many entries"),
                      ("coverage(lo=q05,hi=q95", "closing")]:
        p = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", bad])
        assert p.returncode == 2 and want in p.stderr, (bad, p.stderr)
    # sigma <= 0: undefined (domain) with the count; the fair CRPS of one member;
    # a single row is fine
    res = vernier.eval([1.0, 2.0], [1.0, 2.0],
                       metrics="crps_gaussian:sigma=s,log_score_gaussian:sigma=s,"
                               "crps_ensemble:members=[m1]:estimator=fair,crps_ensemble:members=[m1]",
                       extra_cols={"s": [1.0, 0.0], "m1": [0.0, 1.0]})
    v = res.values()
    assert v["crps_gaussian:sigma=s"]["value"] is None
    assert v["crps_gaussian:sigma=s"]["reason"] == "domain"
    assert "1 rows have sigma <= 0" in v["crps_gaussian:sigma=s"]["message"]
    assert v["log_score_gaussian:sigma=s"]["reason"] == "domain"
    assert v["crps_ensemble:members=[m1]:estimator=fair"]["value"] is None
    assert v["crps_ensemble:members=[m1]"]["value"] == 1.0  # mean |x - y| with one member
    one = vernier.eval([3.0], [2.0], metrics="interval_score:lo=l:hi=h:alpha=0.2",
                       extra_cols={"l": [1.0], "h": [2.5]})
    assert close(value(one, "interval_score:lo=l:hi=h:alpha=0.2"), 1.5 + 10 * 0.5)


def test_quoted_column_names_and_paren_form(vernier):
    res = vernier.eval([1.0, 5.0], [1.0, 5.0],
                       metrics='interval_width(lo="p 5", hi="p,95"),coverage:lo="p 5":hi="p,95"',
                       extra_cols={'"p 5"': [0.0, 1.0], '"p,95"': [2.0, 4.0]})
    assert value(res, 'interval_width(lo="p 5", hi="p,95")') == 2.5
    assert value(res, 'coverage:lo="p 5":hi="p,95"') == 0.5


def test_bootstrap_interval_runs(vernier):
    rng = np.random.default_rng(2)
    y, c = gen(rng, 200)
    res = vernier.eval(y, c["yhat"], metrics="wis:median=q50:lo=[q05]:hi=[q95]:alpha=[0.1]",
                       flags=["--ci", "--resamples", "200"],
                       extra_cols={k: c[k] for k in ("q05", "q50", "q95")})
    v = res.values()["wis:median=q50:lo=[q05]:hi=[q95]:alpha=[0.1]"]
    assert v["ci"]["low"] <= v["value"] <= v["ci"]["high"], v
